"""Open Badges signing keys

Revision ID: 27a589e397f3
Revises: 08a2484cb8cd
Create Date: 2026-11-29 23:27:46.029112

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '27a589e397f3'
down_revision = '08a2484cb8cd'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('signing_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('private_jwk', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signing_keys')),
    sa.UniqueConstraint('kid', name=op.f('uq_signing_keys_kid'))
    )


def downgrade():
    op.drop_table('signing_keys')
