"""calendar replies read from the inbound mailbox, and the answers they gave

Revision ID: 0016_calendar_replies
Revises: 0015_one_home
Create Date: 2026-12-07 06:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0016_calendar_replies'
down_revision = '0015_one_home'
branch_labels = None
depends_on = None

PROBLEMS = ("'no_calendar', 'not_a_reply', 'malformed', 'too_large', 'not_one_attendee', 'unknown_answer', "
            "'unknown_uid', 'session_over', 'session_cancelled', 'not_registered', 'registration_cancelled', "
            "'old_sequence', 'stale', 'someone_else', 'not_authenticated', 'deadline_passed'")
ANSWERS = "answer IN ('accepted', 'tentative', 'declined')"


def upgrade():
    op.create_table('calendar_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_key', sa.String(length=255), nullable=False),
    sa.Column('mailbox', sa.String(length=200), nullable=True),
    sa.Column('mailbox_uidvalidity', sa.BigInteger(), nullable=True),
    sa.Column('mailbox_uid', sa.BigInteger(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('from_address', sa.String(length=320), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=True),
    sa.Column('ical_uid', sa.String(length=255), nullable=True),
    sa.Column('attendee', sa.String(length=320), nullable=True),
    sa.Column('answer', sa.String(length=16), nullable=True),
    sa.Column('sequence', sa.Integer(), nullable=True),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('registration_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('problem', sa.String(length=32), nullable=True),
    sa.Column('freed_seat', sa.Boolean(), nullable=False),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("outcome IN ('cancelled', 'recorded', 'unusable')",
                       name=op.f('ck_calendar_replies_outcome_valid')),
    sa.CheckConstraint(f"problem IN ({PROBLEMS})", name=op.f('ck_calendar_replies_problem_valid')),
    sa.CheckConstraint(ANSWERS, name=op.f('ck_calendar_replies_answer_valid')),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'],
                            name=op.f('fk_calendar_replies_registration_id_registrations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['handled_by_id'], ['users.id'],
                            name=op.f('fk_calendar_replies_handled_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['event_sessions.id'],
                            name=op.f('fk_calendar_replies_session_id_event_sessions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_replies')),
    sa.UniqueConstraint('message_key', name=op.f('uq_calendar_replies_message_key'))
    )
    with op.batch_alter_table('calendar_replies', schema=None) as batch_op:
        batch_op.create_index('ix_calendar_replies_outcome', ['outcome', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_calendar_replies_registration_id'), ['registration_id'], unique=False)

    op.create_table('calendar_answers',
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('answer', sa.String(length=16), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint(ANSWERS, name=op.f('ck_calendar_answers_answer_valid')),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'],
                            name=op.f('fk_calendar_answers_registration_id_registrations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['event_sessions.id'],
                            name=op.f('fk_calendar_answers_session_id_event_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('registration_id', 'session_id', name=op.f('pk_calendar_answers'))
    )


def downgrade():
    op.drop_table('calendar_answers')
    with op.batch_alter_table('calendar_replies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_replies_registration_id'))
        batch_op.drop_index('ix_calendar_replies_outcome')
    op.drop_table('calendar_replies')
