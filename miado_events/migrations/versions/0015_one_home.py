"""rules with one home (constraints derived from the enums)

Revision ID: 0015_one_home
Revises: 0014_session_epochs
Create Date: 2026-12-07 06:00:00.000000

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0015_one_home'
down_revision = '0014_session_epochs'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
