"""data versions per scope (per event, plus one for the rest) instead of one hot row

Revision ID: 0025_data_version_scopes
Revises: 0024_outbox_recipes
Create Date: 2026-12-07 11:31:00.000000

"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = '0025_data_version_scopes'
down_revision = '0024_outbox_recipes'
branch_labels = None
depends_on = None


def upgrade():
    # The one shared row ('public', a random value up to 2^62) goes: the rows
    # per scope ('site', 'event:<id>') start below 2^40 and only grow, so
    # their sums never overflow. 'site' is there from the start (every
    # scoped sum includes it, so every page has a version to be kept by),
    # at a random value: a process still holding pages by an old value
    # cannot meet it again but by chance.
    op.execute("DELETE FROM data_versions")
    op.execute(sa.text("INSERT INTO data_versions (name, version) VALUES ('site', :version)")
               .bindparams(version=1 + secrets.randbelow(2 ** 40 - 1)))
    with op.batch_alter_table('data_versions', schema=None) as batch_op:
        batch_op.create_check_constraint(batch_op.f('ck_data_versions_version_positive'), 'version > 0')


def downgrade():
    with op.batch_alter_table('data_versions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_data_versions_version_positive'), type_='check')
    op.execute("DELETE FROM data_versions")
    op.execute("INSERT INTO data_versions (name, version) VALUES ('public', 1)")
