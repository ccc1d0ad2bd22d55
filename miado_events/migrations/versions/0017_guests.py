"""guests and people without an account; registration management links

Revision ID: 0017_guests
Revises: 0016_calendar_replies
Create Date: 2026-12-07 09:00:00.000000

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0017_guests'
down_revision = '0016_calendar_replies'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
