"""sessions that log-out ends on the server

Revision ID: 0014_session_epochs
Revises: 0013_checkin_ledger
Create Date: 2026-12-07 06:00:00.000000

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0014_session_epochs'
down_revision = '0013_checkin_ledger'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
