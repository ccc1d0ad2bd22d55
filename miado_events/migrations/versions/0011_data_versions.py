"""data version of the public pages (page cache)

Revision ID: 0011_data_versions
Revises: 0010_privacy
Create Date: 2026-11-29 08:40:34.356044

"""
from alembic import op
import sqlalchemy as sa


revision = '0011_data_versions'
down_revision = '0010_privacy'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('data_versions',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_data_versions'))
    )
    op.execute("INSERT INTO data_versions (name, version) VALUES ('public', 1)")


def downgrade():
    op.drop_table('data_versions')
