"""outbox rows that say what to send; the mail worker renders them

Revision ID: 0024_outbox_recipes
Revises: 0023_content_translations
Create Date: 2026-12-07 11:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0024_outbox_recipes'
down_revision = '0023_content_translations'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('payload', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('locale', sa.String(length=16), nullable=True))
        batch_op.alter_column('raw', existing_type=sa.LargeBinary(), nullable=True)
        batch_op.drop_constraint(batch_op.f('ck_mail_outbox_status_valid'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_mail_outbox_status_valid'),
            "status IN ('queued', 'sent', 'failed', 'dropped')")
        batch_op.create_check_constraint(
            batch_op.f('ck_mail_outbox_raw_or_kind'), 'raw IS NOT NULL OR kind IS NOT NULL')

    op.create_table('ticket_images',
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('png', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'],
                            name=op.f('fk_ticket_images_registration_id_registrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('registration_id', name=op.f('pk_ticket_images'))
    )


def downgrade():
    op.drop_table('ticket_images')
    # Recipes that were never rendered cannot live in the old table.
    op.execute("DELETE FROM mail_outbox WHERE raw IS NULL")
    op.execute("UPDATE mail_outbox SET status = 'failed' WHERE status = 'dropped'")
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_mail_outbox_raw_or_kind'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_mail_outbox_status_valid'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_mail_outbox_status_valid'), "status IN ('queued', 'sent', 'failed')")
        batch_op.alter_column('raw', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column('locale')
        batch_op.drop_column('payload')
        batch_op.drop_column('kind')
