"""topic rounds, topics, supports, comments, ballots

Revision ID: 0008_voting
Revises: 0007_checkin
Create Date: 2026-11-29 05:52:06.153282

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_voting'
down_revision = '0007_checkin'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('topic_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('phase', sa.String(length=16), nullable=False),
    sa.Column('proposals_open_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('moderation_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('voting_opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('voting_closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('results_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('points_budget', sa.Integer(), nullable=False),
    sa.Column('max_per_topic', sa.Integer(), nullable=False),
    sa.Column('live_totals', sa.Boolean(), nullable=False),
    sa.Column('results_public', sa.Boolean(), nullable=False),
    sa.Column('phase_set_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('all_organisations', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('notified_proposals_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notified_voting_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notified_reminder_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notified_results_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("phase IN ('draft', 'proposals', 'moderation', 'voting', 'closed', 'published')", name=op.f('ck_topic_rounds_phase_valid')),
    sa.CheckConstraint('max_per_topic > 0 AND max_per_topic <= points_budget', name=op.f('ck_topic_rounds_max_within_budget')),
    sa.CheckConstraint('points_budget > 0', name=op.f('ck_topic_rounds_budget_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_topic_rounds_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_topic_rounds'))
    )
    op.create_table('ballots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('budget', sa.Integer(), nullable=False),
    sa.Column('total_points', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('total_points >= 0 AND total_points <= budget', name=op.f('ck_ballots_within_budget')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_ballots_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['topic_rounds.id'], name=op.f('fk_ballots_round_id_topic_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_ballots_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballots')),
    sa.UniqueConstraint('round_id', 'organisation_id', name=op.f('uq_ballots_round_id_organisation_id'))
    )
    op.create_table('round_organisations',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_round_organisations_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['topic_rounds.id'], name=op.f('fk_round_organisations_round_id_topic_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'organisation_id', name=op.f('pk_round_organisations'))
    )
    op.create_table('topics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('proposer_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('why', sa.Text(), nullable=True),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('format', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('moderation_note', sa.String(length=500), nullable=True),
    sa.Column('reject_reason', sa.String(length=500), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('series_event_id', sa.Integer(), nullable=True),
    sa.Column('series_notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("merged_into_id IS NULL OR status = 'merged'", name=op.f('ck_topics_target_only_when_merged')),
    sa.CheckConstraint("format IN ('evening', 'weekend', 'series')", name=op.f('ck_topics_format_valid')),
    sa.CheckConstraint("status IN ('pending', 'approved', 'rejected', 'merged')", name=op.f('ck_topics_status_valid')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['topics.id'], name=op.f('fk_topics_merged_into_id_topics'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_topics_organisation_id_organisations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['proposer_id'], ['users.id'], name=op.f('fk_topics_proposer_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['round_id'], ['topic_rounds.id'], name=op.f('fk_topics_round_id_topic_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['series_event_id'], ['events.id'], name=op.f('fk_topics_series_event_id_events'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_topics'))
    )
    with op.batch_alter_table('topics', schema=None) as batch_op:
        batch_op.create_index('ix_topics_round_status', ['round_id', 'status'], unique=False)

    op.create_table('ballot_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ballot_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('points', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballots.id'], name=op.f('fk_ballot_changes_ballot_id_ballots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_ballot_changes_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot_changes'))
    )
    with op.batch_alter_table('ballot_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_changes_ballot_id'), ['ballot_id'], unique=False)

    op.create_table('ballot_points',
    sa.Column('ballot_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('max_points', sa.Integer(), nullable=False),
    sa.CheckConstraint('points > 0 AND points <= max_points', name=op.f('ck_ballot_points_points_within_max')),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballots.id'], name=op.f('fk_ballot_points_ballot_id_ballots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_ballot_points_topic_id_topics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ballot_id', 'topic_id', name=op.f('pk_ballot_points'))
    )
    with op.batch_alter_table('ballot_points', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_points_topic_id'), ['topic_id'], unique=False)

    op.create_table('topic_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.String(length=500), nullable=False),
    sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hidden_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['hidden_by_id'], ['users.id'], name=op.f('fk_topic_comments_hidden_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_topic_comments_topic_id_topics'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_topic_comments_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_topic_comments'))
    )
    with op.batch_alter_table('topic_comments', schema=None) as batch_op:
        batch_op.create_index('ix_topic_comments_topic', ['topic_id', 'id'], unique=False)

    op.create_table('topic_supports',
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_topic_supports_topic_id_topics'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_topic_supports_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('topic_id', 'user_id', name=op.f('pk_topic_supports'))
    )


def downgrade():
    op.drop_table('topic_supports')
    with op.batch_alter_table('topic_comments', schema=None) as batch_op:
        batch_op.drop_index('ix_topic_comments_topic')

    op.drop_table('topic_comments')
    with op.batch_alter_table('ballot_points', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_points_topic_id'))

    op.drop_table('ballot_points')
    with op.batch_alter_table('ballot_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_changes_ballot_id'))

    op.drop_table('ballot_changes')
    with op.batch_alter_table('topics', schema=None) as batch_op:
        batch_op.drop_index('ix_topics_round_status')

    op.drop_table('topics')
    op.drop_table('round_organisations')
    op.drop_table('ballots')
    op.drop_table('topic_rounds')
