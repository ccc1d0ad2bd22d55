"""registrations can be anonymised (account deletion, privacy purge)

Revision ID: 0010_privacy
Revises: 0009_audit_mailings
Create Date: 2026-11-29 08:31:34.694926

"""
from alembic import op
import sqlalchemy as sa


revision = '0010_privacy'
down_revision = '0009_audit_mailings'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column('user_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.alter_column('ticket_token',
               existing_type=sa.VARCHAR(length=32),
               nullable=True)
        batch_op.alter_column('ticket_code',
               existing_type=sa.VARCHAR(length=8),
               nullable=True)
        batch_op.drop_constraint(batch_op.f('fk_registrations_user_id_users'), type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_registrations_user_id_users'), 'users', ['user_id'], ['id'], ondelete='SET NULL')



def downgrade():
    # Anonymised registrations have no person to give back; they go (with their attendance).
    op.execute("DELETE FROM registrations WHERE user_id IS NULL")
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_registrations_user_id_users'), type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_registrations_user_id_users'), 'users', ['user_id'], ['id'], ondelete='CASCADE')
        batch_op.alter_column('ticket_code',
               existing_type=sa.VARCHAR(length=8),
               nullable=False)
        batch_op.alter_column('ticket_token',
               existing_type=sa.VARCHAR(length=32),
               nullable=False)
        batch_op.alter_column('user_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('anonymised_at')

