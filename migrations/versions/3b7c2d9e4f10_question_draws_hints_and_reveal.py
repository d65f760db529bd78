"""draws (issue 14): question pools drawn per attempt, hint penalties, when answers are revealed

Revision ID: 3b7c2d9e4f10
Revises: fa3ce83f5bbb
Create Date: 2026-11-30 01:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3b7c2d9e4f10'
down_revision = 'fa3ce83f5bbb'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('draw', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('shuffle_questions', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('hint_penalty', sa.Double(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('reveal', sa.String(length=24), server_default='always', nullable=False))
    with op.batch_alter_table('quiz_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('question_keys', sa.JSON(), nullable=True))
    with op.batch_alter_table('quiz_drafts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('question_keys', sa.JSON(), nullable=True))
    with op.batch_alter_table('question_responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hints_used', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('hint_penalty', sa.Double(), server_default='0', nullable=False))
    # Lessons published with attempts were assessments: keep their key until the last attempt.
    op.execute("UPDATE lessons SET reveal = 'after-last-attempt' WHERE attempts IS NOT NULL")


def downgrade():
    with op.batch_alter_table('question_responses', schema=None) as batch_op:
        batch_op.drop_column('hint_penalty')
        batch_op.drop_column('hints_used')
    with op.batch_alter_table('quiz_drafts', schema=None) as batch_op:
        batch_op.drop_column('question_keys')
    with op.batch_alter_table('quiz_attempts', schema=None) as batch_op:
        batch_op.drop_column('question_keys')
    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.drop_column('reveal')
        batch_op.drop_column('hint_penalty')
        batch_op.drop_column('shuffle_questions')
        batch_op.drop_column('draw')
