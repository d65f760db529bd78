"""editor (issue 13): a course's shared source draft

Revision ID: b7e1d2c3a4f5
Revises: 15964aaad777
Create Date: 2026-11-30 01:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e1d2c3a4f5'
down_revision = '15964aaad777'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('course_source_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_key', sa.String(length=64), nullable=False),
    sa.Column('base_revision_id', sa.Integer(), nullable=False),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_course_source_drafts_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['base_revision_id'], ['course_source_revisions.id'], name=op.f('fk_course_source_drafts_base_revision_id_course_source_revisions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_source_drafts')),
    sa.UniqueConstraint('course_key', name=op.f('uq_course_source_drafts_course_key'))
    )
    with op.batch_alter_table('course_source_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_source_drafts_base_revision_id'), ['base_revision_id'], unique=False)


def downgrade():
    with op.batch_alter_table('course_source_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_source_drafts_base_revision_id'))
    op.drop_table('course_source_drafts')
