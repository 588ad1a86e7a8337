"""indexes for a million rows: scope + sort, ABC, search

Revision ID: 0006_indexes
Revises: 0005_export_jobs
"""
from alembic import op

from app.search import drop_search_index_ddl, search_index_ddl

revision = '0006_indexes'
down_revision = '0005_export_jobs'
branch_labels = None
depends_on = None

# (name, table, columns): app.models.base.sort_indexes() declares the same on the models.
INDEXES = [
    ('ix_customer_dept_code', 'customer', ['department_id', 'code', 'id']),
    ('ix_customer_dept_cooperation', 'customer', ['department_id', 'cooperation', 'id']),
    ('ix_customer_dept_customer_type', 'customer', ['department_id', 'customer_type', 'id']),
    ('ix_customer_dept_grade', 'customer', ['department_id', 'grade', 'id']),
    ('ix_customer_dept_name', 'customer', ['department_id', 'name', 'id']),
    ('ix_customer_owner_code', 'customer', ['owner_id', 'code', 'id']),
    ('ix_customer_owner_cooperation', 'customer', ['owner_id', 'cooperation', 'id']),
    ('ix_customer_owner_customer_type', 'customer', ['owner_id', 'customer_type', 'id']),
    ('ix_customer_owner_grade', 'customer', ['owner_id', 'grade', 'id']),
    ('ix_customer_owner_name', 'customer', ['owner_id', 'name', 'id']),
    ('ix_customer_sort_cooperation', 'customer', ['cooperation', 'id']),
    ('ix_customer_sort_customer_type', 'customer', ['customer_type', 'id']),
    ('ix_customer_sort_grade', 'customer', ['grade', 'id']),
    ('ix_transaction_dept_amount', 'transaction', ['department_id', 'amount', 'id']),
    ('ix_transaction_dept_date', 'transaction', ['department_id', 'date', 'id']),
    ('ix_transaction_owner_amount', 'transaction', ['owner_id', 'amount', 'id']),
    ('ix_transaction_owner_date', 'transaction', ['owner_id', 'date', 'id']),
    ('ix_transaction_sort_amount', 'transaction', ['amount', 'id']),
    ('ix_transaction_sort_date', 'transaction', ['date', 'id']),
    # ABC: the year's sales per customer, read from the index alone
    ('ix_transaction_date_customer_amount', 'transaction', ['date', 'customer_id', 'amount']),
]
SEARCH = [('customer', ('code', 'name'))]


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    dialect = op.get_bind().dialect.name
    for table, columns in SEARCH:
        for statement in search_index_ddl(dialect, table, columns):
            op.execute(statement)
    if dialect == "sqlite":
        op.execute("ANALYZE")


def downgrade():
    dialect = op.get_bind().dialect.name
    for table, columns in SEARCH:
        for statement in drop_search_index_ddl(dialect, table, columns):
            op.execute(statement)
    for name, table, _columns in INDEXES:
        op.drop_index(name, table_name=table)
