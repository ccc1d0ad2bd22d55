"""guests and people without an account; registration management links

Revision ID: 0017_guests
Revises: 0016_calendar_replies
Create Date: 2026-12-07 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0017_guests'
down_revision = '0016_calendar_replies'
branch_labels = None
depends_on = None


def upgrade():
    # A person registered by phone may have no e-mail address (the unique
    # index on email still holds for the addresses there are).
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=True)
        batch_op.add_column(sa.Column('phone', sa.String(length=40), nullable=True))

    # An MSO invitation opened before signing up travels with the verification link.
    with op.batch_alter_table('user_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('org_invitation_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_user_tokens_org_invitation_id_org_invitations'),
                                    'org_invitations', ['org_invitation_id'], ['id'], ondelete='SET NULL')

    op.create_table('registration_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'],
                            name=op.f('fk_registration_links_registration_id_registrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registration_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_registration_links_token_hash'))
    )
    with op.batch_alter_table('registration_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registration_links_registration_id'), ['registration_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('registration_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registration_links_registration_id'))
    op.drop_table('registration_links')
    with op.batch_alter_table('user_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_user_tokens_org_invitation_id_org_invitations'),
                                 type_='foreignkey')
        batch_op.drop_column('org_invitation_id')
    # People without an address cannot stay: their rows go (with what hangs on them).
    op.execute("DELETE FROM users WHERE email IS NULL")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('phone')
        batch_op.alter_column('email', existing_type=sa.String(length=254), nullable=False)
