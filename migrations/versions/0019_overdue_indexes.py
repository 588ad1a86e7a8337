"""partial indexes for overdue complaints: each kind's deadline over the rows still pending

Revision ID: 0019_overdue_indexes
Revises: 0018_list_indexes
"""
import sqlalchemy as sa
from alembic import op

revision = '0019_overdue_indexes'
down_revision = '0018_list_indexes'
branch_labels = None
depends_on = None

# (kind, deadline, the rows whose deadline can still pass) as app.models.complaints
# OVERDUE_INDEXES declares them (tests/test_indexes.py compares the two)
OVERDUE_INDEXES = [
    ("handling", "due_at", "status IN ('registered', 'handling', 'returned') "
                           "AND (due_step != 'handle' OR handled_at IS NULL)"),
    ("escalation", "escalate_due_at",
     "escalate_due_at IS NOT NULL AND escalated_at IS NULL "
     "AND status IN ('registered', 'handling', 'resolved', 'followed_up', 'returned')"),
    ("followup", "followup_due_at", "status = 'resolved'"),
]


# one per scope: all rows, a Clerk's, a Supervisor's
SCOPES = [("", []), ("_owner", ["owner_id"]), ("_dept", ["department_id"])]


def upgrade():
    for kind, deadline, pending in OVERDUE_INDEXES:
        for suffix, scope in SCOPES:
            op.create_index(f"ix_complaint_overdue_{kind}{suffix}", "complaint",
                            [*scope, deadline],
                            postgresql_where=sa.text(pending), sqlite_where=sa.text(pending),
                            postgresql_include=["id"])
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ANALYZE complaint")


def downgrade():
    for kind, _deadline, _pending in reversed(OVERDUE_INDEXES):
        for suffix, _scope in reversed(SCOPES):
            op.drop_index(f"ix_complaint_overdue_{kind}{suffix}", table_name="complaint")
