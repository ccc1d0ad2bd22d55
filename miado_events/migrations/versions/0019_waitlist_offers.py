"""waiting-list offers, late cancellations, failed log-in counting

Revision ID: 0019_waitlist_offers
Revises: 0018_registration_questions
Create Date: 2026-12-07 09:00:00.000000

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0019_waitlist_offers'
down_revision = '0018_registration_questions'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
