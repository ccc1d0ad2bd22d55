"""waiting-list offers, late cancellations, failed log-in counting

Revision ID: 0019_waitlist_offers
Revises: 0018_registration_questions
Create Date: 2026-12-07 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0019_waitlist_offers'
down_revision = '0018_registration_questions'
branch_labels = None
depends_on = None


OPEN = "state IN ('open')"


def upgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waitlist_mode', sa.String(length=16), nullable=False,
                                      server_default='automatic'))
        batch_op.add_column(sa.Column('offer_hours', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(batch_op.f('ck_events_waitlist_mode_valid'),
                                         "waitlist_mode IN ('automatic', 'offer')")
        batch_op.create_check_constraint(batch_op.f('ck_events_offer_hours_positive'),
                                         'offer_hours IS NULL OR offer_hours > 0')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.alter_column('waitlist_mode', existing_type=sa.String(length=16), server_default=None)

    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_late', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.create_check_constraint(batch_op.f('ck_registrations_late_only_when_cancelled'),
                                         "status IN ('cancelled') OR NOT cancelled_late")
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.alter_column('cancelled_late', existing_type=sa.Boolean(), server_default=None)

    op.create_table('waitlist_offers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('offered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('open', 'accepted', 'declined', 'expired', 'withdrawn')",
                       name=op.f('ck_waitlist_offers_state_valid')),
    sa.CheckConstraint('expires_at > offered_at', name=op.f('ck_waitlist_offers_expires_after_offer')),
    sa.CheckConstraint(f'{OPEN} OR closed_at IS NOT NULL', name=op.f('ck_waitlist_offers_closed_unless_open')),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'],
                            name=op.f('fk_waitlist_offers_registration_id_registrations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['slot_id'], ['registration_slots.id'],
                            name=op.f('fk_waitlist_offers_slot_id_registration_slots'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waitlist_offers')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_waitlist_offers_token_hash'))
    )
    with op.batch_alter_table('waitlist_offers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_waitlist_offers_registration_id'), ['registration_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_waitlist_offers_slot_id'), ['slot_id'], unique=False)
        batch_op.create_index('ix_waitlist_offers_state_expires', ['state', 'expires_at'], unique=False)
        batch_op.create_index('uq_waitlist_offers_open_per_registration', ['registration_id'], unique=True,
                              sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))

    op.create_table('login_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_key', sa.String(length=64), nullable=False),
    sa.Column('address_key', sa.String(length=64), nullable=False),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failures'))
    )
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.create_index('ix_login_failures_account_failed', ['account_key', 'failed_at'], unique=False)
        batch_op.create_index('ix_login_failures_address_failed', ['address_key', 'failed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_failures_failed_at'), ['failed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_failures_failed_at'))
        batch_op.drop_index('ix_login_failures_address_failed')
        batch_op.drop_index('ix_login_failures_account_failed')
    op.drop_table('login_failures')

    with op.batch_alter_table('waitlist_offers', schema=None) as batch_op:
        batch_op.drop_index('uq_waitlist_offers_open_per_registration')
        batch_op.drop_index('ix_waitlist_offers_state_expires')
        batch_op.drop_index(batch_op.f('ix_waitlist_offers_slot_id'))
        batch_op.drop_index(batch_op.f('ix_waitlist_offers_registration_id'))
    op.drop_table('waitlist_offers')

    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_registrations_late_only_when_cancelled'), type_='check')
        batch_op.drop_column('cancelled_late')

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_events_offer_hours_positive'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_events_waitlist_mode_valid'), type_='check')
        batch_op.drop_column('offer_hours')
        batch_op.drop_column('waitlist_mode')
