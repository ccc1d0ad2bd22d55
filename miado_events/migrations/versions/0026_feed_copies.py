"""calendar feeds as built, shared by every app process

Revision ID: 0026_feed_copies
Revises: 0025_data_version_scopes
Create Date: 2026-12-07 12:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0026_feed_copies'
down_revision = '0025_data_version_scopes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('feed_copies',
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('etag', sa.String(length=64), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("name NOT LIKE 'me:%' OR user_id IS NOT NULL",
                       name=op.f('ck_feed_copies_personal_has_owner')),
    sa.CheckConstraint('version > 0', name=op.f('ck_feed_copies_version_positive')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_feed_copies_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_feed_copies'))
    )
    with op.batch_alter_table('feed_copies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feed_copies_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('feed_copies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feed_copies_user_id'))
    op.drop_table('feed_copies')
