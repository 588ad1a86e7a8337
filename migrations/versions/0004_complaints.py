"""complaints: workday overrides, the complaint register, improvement measures

Revision ID: 0004_complaints
Revises: 0003_grading
Create Date: 2026-11-23 15:12:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_complaints'
down_revision = '0003_grading'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('workday_override',
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('is_workday', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_on', sa.DateTime(), nullable=False),
    sa.Column('changed_on', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['owner_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('date')
    )
    op.create_index(op.f('ix_workday_override_department_id'), 'workday_override', ['department_id'], unique=False)
    op.create_index(op.f('ix_workday_override_owner_id'), 'workday_override', ['owner_id'], unique=False)
    op.create_table('complaint',
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('complainant', sa.String(length=100), nullable=False),
    sa.Column('contact_info', sa.String(length=100), nullable=True),
    sa.Column('parties_count', sa.Integer(), nullable=False),
    sa.Column('is_collective', sa.Boolean(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('in_scope', sa.Boolean(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('handler', sa.String(length=50), nullable=True),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('escalate_due_at', sa.DateTime(), nullable=True),
    sa.Column('escalated_at', sa.DateTime(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.Column('followup_due_at', sa.DateTime(), nullable=True),
    sa.Column('followed_up_at', sa.DateTime(), nullable=True),
    sa.Column('followup_result', sa.Text(), nullable=True),
    sa.Column('satisfied', sa.Boolean(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_on', sa.DateTime(), nullable=False),
    sa.Column('changed_on', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('parties_count >= 1', name='ck_complaint_parties'),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['owner_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_index(op.f('ix_complaint_category'), 'complaint', ['category'], unique=False)
    op.create_index(op.f('ix_complaint_customer_id'), 'complaint', ['customer_id'], unique=False)
    op.create_index(op.f('ix_complaint_department_id'), 'complaint', ['department_id'], unique=False)
    op.create_index(op.f('ix_complaint_due_at'), 'complaint', ['due_at'], unique=False)
    op.create_index(op.f('ix_complaint_is_collective'), 'complaint', ['is_collective'], unique=False)
    op.create_index(op.f('ix_complaint_owner_id'), 'complaint', ['owner_id'], unique=False)
    op.create_index(op.f('ix_complaint_received_at'), 'complaint', ['received_at'], unique=False)
    op.create_index(op.f('ix_complaint_status'), 'complaint', ['status'], unique=False)
    op.create_table('improvement_measure',
    sa.Column('source_type', sa.String(length=20), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=True),
    sa.Column('survey_id', sa.Integer(), nullable=True),
    sa.Column('problem', sa.Text(), nullable=False),
    sa.Column('measure', sa.Text(), nullable=True),
    sa.Column('responsible', sa.String(length=50), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('result', sa.Text(), nullable=True),
    sa.Column('finished_on', sa.Date(), nullable=True),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('verified_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_on', sa.DateTime(), nullable=False),
    sa.Column('changed_on', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], ),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['owner_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['verified_by_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_improvement_measure_complaint_id'), 'improvement_measure', ['complaint_id'], unique=False)
    op.create_index(op.f('ix_improvement_measure_department_id'), 'improvement_measure', ['department_id'], unique=False)
    op.create_index(op.f('ix_improvement_measure_owner_id'), 'improvement_measure', ['owner_id'], unique=False)
    op.create_index(op.f('ix_improvement_measure_status'), 'improvement_measure', ['status'], unique=False)
    op.create_index(op.f('ix_improvement_measure_survey_id'), 'improvement_measure', ['survey_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_improvement_measure_survey_id'), table_name='improvement_measure')
    op.drop_index(op.f('ix_improvement_measure_status'), table_name='improvement_measure')
    op.drop_index(op.f('ix_improvement_measure_owner_id'), table_name='improvement_measure')
    op.drop_index(op.f('ix_improvement_measure_department_id'), table_name='improvement_measure')
    op.drop_index(op.f('ix_improvement_measure_complaint_id'), table_name='improvement_measure')
    op.drop_table('improvement_measure')
    op.drop_index(op.f('ix_complaint_status'), table_name='complaint')
    op.drop_index(op.f('ix_complaint_received_at'), table_name='complaint')
    op.drop_index(op.f('ix_complaint_owner_id'), table_name='complaint')
    op.drop_index(op.f('ix_complaint_is_collective'), table_name='complaint')
    op.drop_index(op.f('ix_complaint_due_at'), table_name='complaint')
    op.drop_index(op.f('ix_complaint_department_id'), table_name='complaint')
    op.drop_index(op.f('ix_complaint_customer_id'), table_name='complaint')
    op.drop_index(op.f('ix_complaint_category'), table_name='complaint')
    op.drop_table('complaint')
    op.drop_index(op.f('ix_workday_override_owner_id'), table_name='workday_override')
    op.drop_index(op.f('ix_workday_override_department_id'), table_name='workday_override')
    op.drop_table('workday_override')
