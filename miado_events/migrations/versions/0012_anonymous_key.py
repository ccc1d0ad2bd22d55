"""anonymised registrations keep a random key per person (distinct-person statistics)

Revision ID: 0012_anonymous_key
Revises: 0011_data_versions
Create Date: 2026-11-29 10:12:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0012_anonymous_key'
down_revision = '0011_data_versions'
branch_labels = None
depends_on = None


def upgrade():
    # Registrations anonymised before this revision keep no key: nothing tells
    # whose they were, and the statistics count each of them as one person.
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymous_key', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_column('anonymous_key')
