"""data versions per scope (per event, plus one for the rest) instead of one hot row

Revision ID: 0025_data_version_scopes
Revises: 0024_outbox_recipes
Create Date: 2026-12-07 11:31:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0025_data_version_scopes'
down_revision = '0024_outbox_recipes'
branch_labels = None
depends_on = None


def upgrade():
    pass  # STUB: filled in by helper B


def downgrade():
    pass
