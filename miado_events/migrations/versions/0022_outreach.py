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
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('office_news_opt_out_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('news_to_contact_email', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))

    with op.batch_alter_table('mailings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), server_default='event', nullable=False))
        batch_op.add_column(sa.Column('filters', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('translations', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('left_out', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('draft_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_mailings_draft_key'), ['draft_key'])
        batch_op.create_check_constraint(batch_op.f('ck_mailings_kind_valid'), "kind IN ('event', 'office')")
        batch_op.create_check_constraint(batch_op.f('ck_mailings_counts_not_negative'),
                                         'recipients >= 0 AND left_out >= 0')


def downgrade():
    with op.batch_alter_table('mailings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_mailings_counts_not_negative'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_mailings_kind_valid'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_mailings_draft_key'), type_='unique')
        batch_op.drop_column('draft_key')
        batch_op.drop_column('left_out')
        batch_op.drop_column('translations')
        batch_op.drop_column('filters')
        batch_op.drop_column('kind')

    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('news_to_contact_email')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('office_news_opt_out_at')
