"""registration questions per event and their answers

Revision ID: 0018_registration_questions
Revises: 0017_guests
Create Date: 2026-12-07 09:00:00.000000

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0018_registration_questions'
down_revision = '0017_guests'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
