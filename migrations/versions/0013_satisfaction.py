"""satisfaction: surveys with their responses, service requests; improvement measures'
survey_id becomes a real foreign key

Revision ID: 0013_satisfaction
Revises: 0012_receptions
Create Date: 2026-12-01 05:55:56.192276

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_satisfaction'
down_revision = '0012_receptions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('satisfaction_survey',
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('target', sa.Text(), nullable=False),
    sa.Column('content', sa.Text(), nullable=True),
    sa.Column('issued_count', sa.Integer(), nullable=False),
    sa.Column('staff', sa.String(length=100), nullable=False),
    sa.Column('report', sa.Text(), nullable=True),
    sa.Column('reported_on', sa.Date(), nullable=True),
    sa.Column('response_count', sa.Integer(), nullable=False),
    sa.Column('valid_count', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_on', sa.DateTime(), nullable=False),
    sa.Column('changed_on', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('issued_count >= 0', name='ck_survey_issued'),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['owner_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('satisfaction_survey', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_satisfaction_survey_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_satisfaction_survey_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_satisfaction_survey_reported_on'), ['reported_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_satisfaction_survey_status'), ['status'], unique=False)

    op.create_table('service_request',
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('urgency', sa.String(length=10), nullable=False),
    sa.Column('respond_due_at', sa.DateTime(), nullable=False),
    sa.Column('responded_at', sa.DateTime(), nullable=True),
    sa.Column('response', sa.Text(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_on', sa.DateTime(), nullable=False),
    sa.Column('changed_on', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['owner_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_request_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_request_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_request_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_request_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_request_respond_due_at'), ['respond_due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_request_status'), ['status'], unique=False)

    op.create_table('survey_response',
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('answered_on', sa.Date(), nullable=False),
    sa.Column('respondent_profile', sa.Text(), nullable=True),
    sa.Column('purchase_behaviour', sa.Text(), nullable=True),
    sa.Column('product_function', sa.Integer(), nullable=True),
    sa.Column('product_quality', sa.Integer(), nullable=True),
    sa.Column('price', sa.Integer(), nullable=True),
    sa.Column('product_style', sa.Integer(), nullable=True),
    sa.Column('ease_of_use', sa.Integer(), nullable=True),
    sa.Column('delivery', sa.Integer(), nullable=True),
    sa.Column('service_content', sa.Integer(), nullable=True),
    sa.Column('service_quality', sa.Integer(), nullable=True),
    sa.Column('service_attitude', sa.Integer(), nullable=True),
    sa.Column('comments', sa.Text(), nullable=True),
    sa.Column('valid', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_on', sa.DateTime(), nullable=False),
    sa.Column('changed_on', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('delivery BETWEEN 1 AND 5', name='ck_survey_response_delivery'),
    sa.CheckConstraint('ease_of_use BETWEEN 1 AND 5', name='ck_survey_response_ease_of_use'),
    sa.CheckConstraint('price BETWEEN 1 AND 5', name='ck_survey_response_price'),
    sa.CheckConstraint('product_function BETWEEN 1 AND 5', name='ck_survey_response_product_function'),
    sa.CheckConstraint('product_quality BETWEEN 1 AND 5', name='ck_survey_response_product_quality'),
    sa.CheckConstraint('product_style BETWEEN 1 AND 5', name='ck_survey_response_product_style'),
    sa.CheckConstraint('service_attitude BETWEEN 1 AND 5', name='ck_survey_response_service_attitude'),
    sa.CheckConstraint('service_content BETWEEN 1 AND 5', name='ck_survey_response_service_content'),
    sa.CheckConstraint('service_quality BETWEEN 1 AND 5', name='ck_survey_response_service_quality'),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['owner_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['survey_id'], ['satisfaction_survey.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_response_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_response_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_response_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_response_survey_id'), ['survey_id'], unique=False)

    # survey_id held any number until now; no survey existed, so none can point anywhere
    op.execute("UPDATE improvement_measure SET survey_id = NULL WHERE survey_id IS NOT NULL")
    with op.batch_alter_table('improvement_measure', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_improvement_measure_survey_id', 'satisfaction_survey',
                                    ['survey_id'], ['id'])



def downgrade():
    with op.batch_alter_table('improvement_measure', schema=None) as batch_op:
        batch_op.drop_constraint('fk_improvement_measure_survey_id', type_='foreignkey')

    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_response_survey_id'))
        batch_op.drop_index(batch_op.f('ix_survey_response_owner_id'))
        batch_op.drop_index(batch_op.f('ix_survey_response_department_id'))
        batch_op.drop_index(batch_op.f('ix_survey_response_customer_id'))

    op.drop_table('survey_response')
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_request_status'))
        batch_op.drop_index(batch_op.f('ix_service_request_respond_due_at'))
        batch_op.drop_index(batch_op.f('ix_service_request_received_at'))
        batch_op.drop_index(batch_op.f('ix_service_request_owner_id'))
        batch_op.drop_index(batch_op.f('ix_service_request_department_id'))
        batch_op.drop_index(batch_op.f('ix_service_request_customer_id'))

    op.drop_table('service_request')
    with op.batch_alter_table('satisfaction_survey', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_satisfaction_survey_status'))
        batch_op.drop_index(batch_op.f('ix_satisfaction_survey_reported_on'))
        batch_op.drop_index(batch_op.f('ix_satisfaction_survey_owner_id'))
        batch_op.drop_index(batch_op.f('ix_satisfaction_survey_department_id'))

    op.drop_table('satisfaction_survey')
