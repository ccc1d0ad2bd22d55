"""login sessions that log-out ends on the server

Revision ID: 0014_session_epochs
Revises: 0013_checkin_ledger
Create Date: 2026-12-07 06:00:00.000000

Every log-in gets a row; the session and remember-me cookies carry its key.
Cookies issued before this revision (``<id>.<auth_version>``) match no row:
everyone logs in once more after the upgrade.
"""
from alembic import op
import sqlalchemy as sa


revision = '0014_session_epochs'
down_revision = '0013_checkin_ledger'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_sessions')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_login_sessions_key_hash'))
    )
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_sessions_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_sessions_user_id'))
    op.drop_table('login_sessions')
