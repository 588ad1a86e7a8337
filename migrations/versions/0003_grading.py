"""grading: grading rules (with the default rule) and grade evaluations

Revision ID: 0003_grading
Revises: 0002_customers
Create Date: 2026-11-24 10:00:00

"""
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_grading'
down_revision = '0002_customers'
branch_labels = None
depends_on = None

# DESIGN.md §4 defaults; the seeded rule has no owner (系统预置).
DEFAULT_RULE = {
    "name": "默认评级规则", "active": True,
    "weight_sales": Decimal(30), "weight_price": Decimal(10), "weight_payment": Decimal(25),
    "weight_cooperation": Decimal(10), "weight_potential": Decimal(15),
    "weight_credit": Decimal(10),
    "threshold_a": Decimal(85), "threshold_b": Decimal(70), "threshold_c": Decimal(55),
    "abc_a": Decimal("0.75"), "abc_b": Decimal("0.95"), "provisional_months": 6,
    "notes": "系统预置：权重 销售额 30、销售价格 10、货款回收 25、合作状况 10、发展潜力 15、"
             "资信状况 10；A ≥ 85，B ≥ 70，C ≥ 55，其余为 D；ABC 分析 75% / 95%；"
             "新客户临时等级 6 个月后复评。",
}


def upgrade():
    grading_rule = op.create_table('grading_rule',
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('weight_sales', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('weight_price', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('weight_payment', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('weight_cooperation', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('weight_potential', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('weight_credit', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('threshold_a', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('threshold_b', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('threshold_c', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('abc_a', sa.Numeric(precision=5, scale=4), nullable=False),
    sa.Column('abc_b', sa.Numeric(precision=5, scale=4), nullable=False),
    sa.Column('provisional_months', sa.Integer(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_on', sa.DateTime(), nullable=False),
    sa.Column('changed_on', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['owner_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    with op.batch_alter_table('grading_rule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grading_rule_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grading_rule_owner_id'), ['owner_id'], unique=False)

    op.create_table('grade_evaluation',
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('score_sales', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('score_price', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('score_payment', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('score_cooperation', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('score_potential', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('score_credit', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('total_score', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('proposed_grade', sa.String(length=1), nullable=True),
    sa.Column('final_grade', sa.String(length=1), nullable=True),
    sa.Column('provisional', sa.Boolean(), nullable=False),
    sa.Column('review_due', sa.Date(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('approved_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('rule_snapshot', sa.JSON(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_on', sa.DateTime(), nullable=False),
    sa.Column('changed_on', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['owner_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['rule_id'], ['grading_rule.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('customer_id', 'year', name='uq_grade_evaluation_customer_year')
    )
    with op.batch_alter_table('grade_evaluation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grade_evaluation_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grade_evaluation_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grade_evaluation_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grade_evaluation_rule_id'), ['rule_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grade_evaluation_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_grade_evaluation_year'), ['year'], unique=False)

    now = datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None, microsecond=0)
    op.bulk_insert(grading_rule, [{**DEFAULT_RULE, "owner_id": None, "department_id": None,
                                   "created_on": now, "changed_on": now, "version": 1}])


def downgrade():
    with op.batch_alter_table('grade_evaluation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grade_evaluation_year'))
        batch_op.drop_index(batch_op.f('ix_grade_evaluation_status'))
        batch_op.drop_index(batch_op.f('ix_grade_evaluation_rule_id'))
        batch_op.drop_index(batch_op.f('ix_grade_evaluation_owner_id'))
        batch_op.drop_index(batch_op.f('ix_grade_evaluation_department_id'))
        batch_op.drop_index(batch_op.f('ix_grade_evaluation_customer_id'))

    op.drop_table('grade_evaluation')
    with op.batch_alter_table('grading_rule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grading_rule_owner_id'))
        batch_op.drop_index(batch_op.f('ix_grading_rule_department_id'))

    op.drop_table('grading_rule')
