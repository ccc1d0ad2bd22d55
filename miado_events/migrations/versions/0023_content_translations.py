"""content in the reader's language: a translations column per translatable model

German stays in the existing columns (the source); each table gets ONE JSON
column ``translations`` ({"tr": {"title": {"text": ..., "source": ...}}}).
Existing rows get '{}' (no translations yet); no German text is touched.

Revision ID: 0023_content_translations
Revises: 0022_outreach
Create Date: 2026-12-07 09:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0023_content_translations'
down_revision = '0022_outreach'
branch_labels = None
depends_on = None

TABLES = ('venues', 'events', 'organisations', 'agenda_items', 'topics')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('translations', sa.JSON(), nullable=False,
                                          server_default=sa.text("'{}'")))


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('translations')
