"""outbox rows that say what to send; the mail worker renders them

Revision ID: 0024_outbox_recipes
Revises: 0023_content_translations
Create Date: 2026-12-07 11:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0024_outbox_recipes'
down_revision = '0023_content_translations'
branch_labels = None
depends_on = None


def upgrade():
    pass  # STUB: filled in by helper A


def downgrade():
    pass
