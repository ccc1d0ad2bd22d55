"""registration questions per event and their answers

Revision ID: 0018_registration_questions
Revises: 0017_guests
Create Date: 2026-12-07 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0018_registration_questions'
down_revision = '0017_guests'
branch_labels = None
depends_on = None


KINDS = "kind IN ('short_text', 'one_choice', 'several_choices', 'yes_no')"


def upgrade():
    op.create_table('registration_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('sensitive', sa.Boolean(), nullable=False),
    sa.Column('on_sign_in_sheet', sa.Boolean(), nullable=False),
    sa.Column('text', sa.JSON(), nullable=False),
    sa.Column('choices', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint(KINDS, name=op.f('ck_registration_questions_kind_valid')),
    sa.CheckConstraint('position >= 0', name=op.f('ck_registration_questions_position_not_negative')),
    sa.CheckConstraint('NOT (sensitive AND on_sign_in_sheet)',
                       name=op.f('ck_registration_questions_sensitive_not_on_sheet')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'],
                            name=op.f('fk_registration_questions_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registration_questions'))
    )
    with op.batch_alter_table('registration_questions', schema=None) as batch_op:
        batch_op.create_index('ix_registration_questions_event_position', ['event_id', 'position'],
                              unique=False)

    op.create_table('question_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'],
                            name=op.f('fk_question_answers_registration_id_registrations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['registration_questions.id'],
                            name=op.f('fk_question_answers_question_id_registration_questions'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_answers')),
    sa.UniqueConstraint('registration_id', 'question_id',
                        name=op.f('uq_question_answers_registration_id_question_id'))
    )
    with op.batch_alter_table('question_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_answers_question_id'), ['question_id'], unique=False)


def downgrade():
    with op.batch_alter_table('question_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_answers_question_id'))
    op.drop_table('question_answers')
    with op.batch_alter_table('registration_questions', schema=None) as batch_op:
        batch_op.drop_index('ix_registration_questions_event_position')
    op.drop_table('registration_questions')
