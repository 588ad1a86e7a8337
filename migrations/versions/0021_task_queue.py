"""task queue: background jobs for exports and imports, claims of periodic tasks

Revision ID: 0021_task_queue
Revises: 0020_saved_view
"""
import sqlalchemy as sa
from alembic import op

revision = '0021_task_queue'
down_revision = '0020_saved_view'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('export_job') as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), nullable=False,
                                      server_default='export'))
        batch_op.add_column(sa.Column('params', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('result', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False,
                                      server_default='0'))
    op.create_table(
        'scheduled_run',
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('period', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )


def downgrade():
    op.drop_table('scheduled_run')
    with op.batch_alter_table('export_job') as batch_op:
        batch_op.drop_column('attempts')
        batch_op.drop_column('result')
        batch_op.drop_column('params')
        batch_op.drop_column('kind')
