"""session epoch: sessions and tokens end at logout and at a password change

Revision ID: 0010_sessions
Revises: 0006_indexes
"""
import sqlalchemy as sa
from alembic import op

revision = '0010_sessions'
down_revision = '0006_indexes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ab_user') as batch_op:
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), nullable=False,
                                      server_default='0'))


def downgrade():
    with op.batch_alter_table('ab_user') as batch_op:
        batch_op.drop_column('session_epoch')
