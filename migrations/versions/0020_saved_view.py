"""saved views (我的视图): a list's filters and sort under a name, per user, shareable

Revision ID: 0020_saved_view
Revises: 0019_overdue_indexes
"""
import sqlalchemy as sa
from alembic import op

revision = '0020_saved_view'
down_revision = '0019_overdue_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'saved_view',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('owner_name', sa.String(length=100), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('register', sa.String(length=50), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('filters', sa.Text(), nullable=False),
        sa.Column('sort', sa.String(length=100), nullable=False),
        sa.Column('shared_with', sa.String(length=20), nullable=False),
        sa.Column('created_on', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['department_id'], ['department.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'register', 'name',
                            name='uq_saved_view_user_register_name'),
    )
    op.create_index('ix_saved_view_register', 'saved_view', ['register'], unique=False)
    op.create_index('ix_saved_view_department_id', 'saved_view', ['department_id'],
                    unique=False)


def downgrade():
    op.drop_index('ix_saved_view_department_id', table_name='saved_view')
    op.drop_index('ix_saved_view_register', table_name='saved_view')
    op.drop_table('saved_view')
