"""agenda items of a session and MSOs' agenda proposals

Revision ID: 0020_agenda
Revises: 0019_waitlist_offers
Create Date: 2026-12-07 09:00:00.000000

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0020_agenda'
down_revision = '0019_waitlist_offers'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
