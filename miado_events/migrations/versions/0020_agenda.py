"""agenda items of a session and MSOs' agenda proposals

Revision ID: 0020_agenda
Revises: 0019_waitlist_offers
Create Date: 2026-12-07 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0020_agenda'
down_revision = '0019_waitlist_offers'
branch_labels = None
depends_on = None

KINDS = "kind IN ('masterplan', 'project', 'funding', 'planned', 'discussion', 'other')"
STATUSES = "status IN ('pending', 'accepted', 'declined', 'merged')"


def upgrade():
    op.create_table('meeting_agendas',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('proposals_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['event_sessions.id'],
                            name=op.f('fk_meeting_agendas_session_id_event_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', name=op.f('pk_meeting_agendas'))
    )
    op.create_table('agenda_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('presenter_name', sa.String(length=200), nullable=True),
    sa.Column('presenter_org_id', sa.Integer(), nullable=True),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint(KINDS, name=op.f('ck_agenda_items_kind_valid')),
    sa.CheckConstraint('minutes > 0', name=op.f('ck_agenda_items_minutes_positive')),
    sa.CheckConstraint('position > 0', name=op.f('ck_agenda_items_position_positive')),
    sa.ForeignKeyConstraint(['session_id'], ['event_sessions.id'],
                            name=op.f('fk_agenda_items_session_id_event_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['presenter_org_id'], ['organisations.id'],
                            name=op.f('fk_agenda_items_presenter_org_id_organisations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_items')),
    sa.UniqueConstraint('session_id', 'position', name=op.f('uq_agenda_items_session_id_position'))
    )
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agenda_items_presenter_org_id'), ['presenter_org_id'], unique=False)

    op.create_table('agenda_proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('proposer_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('presenter_name', sa.String(length=200), nullable=True),
    sa.Column('why', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decline_reason', sa.String(length=500), nullable=True),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint(KINDS, name=op.f('ck_agenda_proposals_kind_valid')),
    sa.CheckConstraint(STATUSES, name=op.f('ck_agenda_proposals_status_valid')),
    sa.CheckConstraint('minutes > 0', name=op.f('ck_agenda_proposals_minutes_positive')),
    sa.ForeignKeyConstraint(['session_id'], ['event_sessions.id'],
                            name=op.f('fk_agenda_proposals_session_id_event_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                            name=op.f('fk_agenda_proposals_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposer_id'], ['users.id'],
                            name=op.f('fk_agenda_proposals_proposer_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['item_id'], ['agenda_items.id'],
                            name=op.f('fk_agenda_proposals_item_id_agenda_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'],
                            name=op.f('fk_agenda_proposals_decided_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_proposals'))
    )
    with op.batch_alter_table('agenda_proposals', schema=None) as batch_op:
        batch_op.create_index('ix_agenda_proposals_session_status', ['session_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_agenda_proposals_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agenda_proposals_proposer_id'), ['proposer_id'], unique=False)


def downgrade():
    with op.batch_alter_table('agenda_proposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agenda_proposals_proposer_id'))
        batch_op.drop_index(batch_op.f('ix_agenda_proposals_organisation_id'))
        batch_op.drop_index('ix_agenda_proposals_session_status')
    op.drop_table('agenda_proposals')
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agenda_items_presenter_org_id'))
    op.drop_table('agenda_items')
    op.drop_table('meeting_agendas')
