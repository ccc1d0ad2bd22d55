"""minutes and materials of a meeting

Revision ID: 0021_materials
Revises: 0020_agenda
Create Date: 2026-12-07 09:00:00.000000

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0021_materials'
down_revision = '0020_agenda'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
