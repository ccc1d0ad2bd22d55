"""door sync ledger (per-item results, idempotent replays, recorded undo, review queue)

Revision ID: 0013_checkin_ledger
Revises: 0012_anonymous_key
Create Date: 2026-12-07 06:00:00.000000

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0013_checkin_ledger'
down_revision = '0012_anonymous_key'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
