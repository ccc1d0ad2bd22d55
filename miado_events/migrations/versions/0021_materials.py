"""minutes and materials of a meeting

Revision ID: 0021_materials
Revises: 0020_agenda
Create Date: 2026-12-07 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0021_materials'
down_revision = '0020_agenda'
branch_labels = None
depends_on = None

VISIBILITY = "visibility IN ('public', 'participants', 'staff')"


def upgrade():
    op.create_table('session_minutes',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('visibility', sa.String(length=16), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint(VISIBILITY, name=op.f('ck_session_minutes_visibility_valid')),
    sa.ForeignKeyConstraint(['session_id'], ['event_sessions.id'],
                            name=op.f('fk_session_minutes_session_id_event_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'],
                            name=op.f('fk_session_minutes_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('session_id', name=op.f('pk_session_minutes'))
    )
    op.create_table('materials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('visibility', sa.String(length=16), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint(VISIBILITY, name=op.f('ck_materials_visibility_valid')),
    sa.CheckConstraint('size_bytes > 0', name=op.f('ck_materials_size_positive')),
    sa.ForeignKeyConstraint(['session_id'], ['event_sessions.id'],
                            name=op.f('fk_materials_session_id_event_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'],
                            name=op.f('fk_materials_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_materials')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_materials_stored_name'))
    )
    with op.batch_alter_table('materials', schema=None) as batch_op:
        batch_op.create_index('ix_materials_session_id', ['session_id'], unique=False)


def downgrade():
    with op.batch_alter_table('materials', schema=None) as batch_op:
        batch_op.drop_index('ix_materials_session_id')
    op.drop_table('materials')
    op.drop_table('session_minutes')
