"""check-in: tickets on registrations, door assignments, attendance, certificates

Revision ID: 0007_checkin
Revises: 0006_reminders
Create Date: 2026-11-29 05:24:25.684317

"""
import secrets

from alembic import op
import sqlalchemy as sa

TICKET_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


# revision identifiers, used by Alembic.
revision = '0007_checkin'
down_revision = '0006_reminders'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('holder_name', sa.String(length=120), nullable=False),
    sa.Column('organisation_name', sa.String(length=200), nullable=True),
    sa.Column('sessions_attended', sa.Integer(), nullable=False),
    sa.Column('sessions_total', sa.Integer(), nullable=False),
    sa.Column('minutes_attended', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('revoke_reason', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_certificates_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_certificates_issued_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_certificates_revoked_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_certificates_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates')),
    sa.UniqueConstraint('code', name=op.f('uq_certificates_code'))
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificates_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificates_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_certificates_valid_per_person', ['event_id', 'user_id'], unique=True, sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))

    op.create_table('door_assignments',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_door_assignments_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_door_assignments_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', 'user_id', name=op.f('pk_door_assignments'))
    )
    with op.batch_alter_table('door_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_door_assignments_user_id'), ['user_id'], unique=False)

    op.create_table('attendances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('checked_in_by_id', sa.Integer(), nullable=True),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('client_ref', sa.String(length=64), nullable=True),
    sa.CheckConstraint("method IN ('scan', 'manual', 'self', 'sync', 'walk_in', 'cli')", name=op.f('ck_attendances_method_valid')),
    sa.ForeignKeyConstraint(['checked_in_by_id'], ['users.id'], name=op.f('fk_attendances_checked_in_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_attendances_registration_id_registrations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['event_sessions.id'], name=op.f('fk_attendances_session_id_event_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendances')),
    sa.UniqueConstraint('registration_id', 'session_id', name=op.f('uq_attendances_registration_id_session_id'))
    )
    with op.batch_alter_table('attendances', schema=None) as batch_op:
        batch_op.create_index('ix_attendances_session_id', ['session_id'], unique=False)

    # Existing registrations get their tickets: add the columns empty, fill
    # them, then make them required and unique.
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ticket_token', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('ticket_code', sa.String(length=8), nullable=True))
    conn = op.get_bind()
    registrations = sa.table('registrations', sa.column('id', sa.Integer),
                             sa.column('ticket_token', sa.String), sa.column('ticket_code', sa.String))
    codes = set()
    for (reg_id,) in conn.execute(sa.select(registrations.c.id)).fetchall():
        code = None
        while code is None or code in codes:
            code = "".join(secrets.choice(TICKET_CODE_ALPHABET) for _ in range(8))
        codes.add(code)
        conn.execute(registrations.update().where(registrations.c.id == reg_id)
                     .values(ticket_token=secrets.token_urlsafe(16), ticket_code=code))
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.alter_column('ticket_token', existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column('ticket_code', existing_type=sa.String(length=8), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_registrations_ticket_code'), ['ticket_code'])
        batch_op.create_unique_constraint(batch_op.f('uq_registrations_ticket_token'), ['ticket_token'])



def downgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_registrations_ticket_token'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_registrations_ticket_code'), type_='unique')
        batch_op.drop_column('ticket_code')
        batch_op.drop_column('ticket_token')

    with op.batch_alter_table('attendances', schema=None) as batch_op:
        batch_op.drop_index('ix_attendances_session_id')

    op.drop_table('attendances')
    with op.batch_alter_table('door_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_door_assignments_user_id'))

    op.drop_table('door_assignments')
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index('uq_certificates_valid_per_person', sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_certificates_user_id'))
        batch_op.drop_index(batch_op.f('ix_certificates_event_id'))

    op.drop_table('certificates')
