"""index on registrations.created_at for the dashboard's last-seven-days figures

Revision ID: 0027_registrations_created_at
Revises: 0026_feed_copies
Create Date: 2026-12-07 12:35:00.000000

"""
from alembic import op


revision = '0027_registrations_created_at'
down_revision = '0026_feed_copies'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.create_index('ix_registrations_created_at', ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_index('ix_registrations_created_at')
