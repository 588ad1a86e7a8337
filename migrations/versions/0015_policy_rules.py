"""policy rules: complaint deadlines per step (due_step, handled_at, customer_due_at)

Revision ID: 0015_policy_rules
Revises: 0013_satisfaction

Existing complaints get
* due_step: handle for major, no_liability, assist and every collective complaint, resolve
  for the others (general);
* handled_at: the first handle (or resolve) in their workflow history;
* collective complaints that are not major: the major deadlines (handle the same working
  day, 上报集团 by the end of the next working day), computed with the same calendar.
The downgrade drops the columns (the collective deadlines stay as they are).
"""
import sqlalchemy as sa
from alembic import op

revision = '0015_policy_rules'
down_revision = '0013_satisfaction'
branch_labels = None
depends_on = None

complaint = sa.table(
    'complaint',
    sa.column('id', sa.Integer), sa.column('category', sa.String),
    sa.column('is_collective', sa.Boolean), sa.column('received_at', sa.DateTime),
    sa.column('due_at', sa.DateTime), sa.column('due_step', sa.String),
    sa.column('escalate_due_at', sa.DateTime), sa.column('handled_at', sa.DateTime))
transition_log = sa.table(
    'transition_log',
    sa.column('register', sa.String), sa.column('row_id', sa.Integer),
    sa.column('step', sa.String), sa.column('at', sa.DateTime))
workday_override = sa.table(
    'workday_override', sa.column('date', sa.Date), sa.column('is_workday', sa.Boolean))


def _end_of(day):
    from app.workdays import end_of_workday
    return end_of_workday(day)


def upgrade():
    with op.batch_alter_table('complaint') as batch:
        batch.add_column(sa.Column('customer_due_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('due_step', sa.String(length=10), nullable=False,
                                   server_default='resolve'))
        batch.add_column(sa.Column('handled_at', sa.DateTime(), nullable=True))

    bind = op.get_bind()
    bind.execute(complaint.update()
                 .where(sa.or_(complaint.c.category.in_(('major', 'no_liability', 'assist')),
                               complaint.c.is_collective.is_(True)))
                 .values(due_step='handle'))
    first_handled = (sa.select(sa.func.min(transition_log.c.at))
                     .where(transition_log.c.register == 'complaint',
                            transition_log.c.row_id == complaint.c.id,
                            transition_log.c.step.in_(('handle', 'resolve')))
                     .scalar_subquery())
    bind.execute(complaint.update().values(handled_at=first_handled))

    # Collective complaints get the major deadlines whatever their category (4.6.1).
    from app.workdays import WorkCalendar
    overrides = {row.date: bool(row.is_workday)
                 for row in bind.execute(sa.select(workday_override.c.date,
                                                   workday_override.c.is_workday))}
    calendar = WorkCalendar(overrides)
    rows = bind.execute(sa.select(complaint.c.id, complaint.c.received_at).where(
        complaint.c.is_collective.is_(True), complaint.c.category != 'major')).all()
    for row in rows:
        received = row.received_at
        due = _end_of(calendar.next_workday(received))
        if due < received:
            due = _end_of(calendar.next_workday(received, include_self=False))
        escalate = _end_of(calendar.add_workdays(due, 1))
        bind.execute(complaint.update().where(complaint.c.id == row.id)
                     .values(due_at=due, escalate_due_at=escalate))


def downgrade():
    with op.batch_alter_table('complaint') as batch:
        batch.drop_column('handled_at')
        batch.drop_column('due_step')
        batch.drop_column('customer_due_at')

