"""door sync ledger (per-item results, idempotent replays, recorded undo, review queue)

Revision ID: 0013_checkin_ledger
Revises: 0012_anonymous_key
Create Date: 2026-12-07 06:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0013_checkin_ledger'
down_revision = '0012_anonymous_key'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('checkin_scans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=True),
    sa.Column('client_ref', sa.String(length=64), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('result', sa.String(length=32), nullable=False),
    sa.Column('device_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('review', sa.String(length=16), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('check_in', 'undo')", name=op.f('ck_checkin_scans_kind_valid')),
    sa.CheckConstraint("review IS NULL OR review IN ('accepted', 'rejected')",
                       name=op.f('ck_checkin_scans_review_valid')),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'],
                            name=op.f('fk_checkin_scans_registration_id_registrations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'],
                            name=op.f('fk_checkin_scans_reviewed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['event_sessions.id'],
                            name=op.f('fk_checkin_scans_session_id_event_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                            name=op.f('fk_checkin_scans_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkin_scans')),
    sa.UniqueConstraint('session_id', 'client_ref', name=op.f('uq_checkin_scans_session_id_client_ref'))
    )
    with op.batch_alter_table('checkin_scans', schema=None) as batch_op:
        batch_op.create_index('ix_checkin_scans_session_id_result', ['session_id', 'result'], unique=False)
        batch_op.create_index(batch_op.f('ix_checkin_scans_registration_id'), ['registration_id'], unique=False)


def downgrade():
    with op.batch_alter_table('checkin_scans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkin_scans_registration_id'))
        batch_op.drop_index('ix_checkin_scans_session_id_result')
    op.drop_table('checkin_scans')
