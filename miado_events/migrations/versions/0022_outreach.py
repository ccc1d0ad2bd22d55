"""writing to the MSOs: mailings with filters, opt-outs

Revision ID: 0022_outreach
Revises: 0021_materials
Create Date: 2026-12-07 09:00:00.000000

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0022_outreach'
down_revision = '0021_materials'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
