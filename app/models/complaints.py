"""客户投诉 family: the complaint register (客户投诉登记表) and improvement measures (整改措施).

Policy 03 第五节 客户投诉处理: categories (3 投诉界定), deadlines (4.6 处理时间要求),
follow-up within two working days (4.7 投诉回访), monthly statistics (4.8).
Deadlines (DESIGN.md §4) are computed on every write path (web, API, import) by the
mapper listeners at the end of this module, with `work_calendar()`.

Policy 4.6 sets two kinds of deadline: most are for *entering handling* (呈送总经理 /
鉴别 / 答复 … 进入处理程序: the `handle` step, stamped handled_at); only the general
complaint's is for *resolving* (解决: the `resolve` step). `due_step` says which step
`due_at` is for; overdue marks, the overdue counts and 及时率 judge that step.
"""
from datetime import date, datetime

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    and_,
    case,
    event,
    func,
    literal,
    or_,
    select,
    union,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import relationship, validates

from app.errors import RowRejected
from app.models.base import COMMON_LABELS, RegisterMixin, list_indexes
from app.models.calendar import work_calendar
from app.models.customers import Customer
from app.scope import OWN, scope_clause, user_scope
from app.timeutil import CHINA, month_bounds, now_cn
from app.workdays import WorkCalendar, end_of_workday
from app.workflow import (
    StepNeedsInput,
    StepNotAllowed,
    Workflow,
    send_back,
    step,
)

CATEGORIES = {"major": _l("重大责任投诉"), "general": _l("一般责任投诉"),
              "no_liability": _l("无责任投诉"), "assist": _l("协助处理投诉")}
CHANNELS = {"phone": _l("电话"), "letter": _l("信函"), "visit": _l("来访"),
            "email": _l("电子邮件"), "web": _l("网站"), "other": _l("其他")}
DUE_STEPS = {"handle": _l("进入处理"), "resolve": _l("处理完毕")}
COLLECTIVE_PARTIES = 5  # 五户或五户以上 (policy 3.1.1 5)
OPEN_STATES = ("registered", "handling", "returned")
RESOLVED_STATES = ("resolved", "followed_up", "closed")
FOLLOWED_UP_STATES = ("followed_up", "closed")
ESCALATION_STATES = ("registered", "handling", "resolved", "followed_up", "returned")

def needs_escalation(complaint) -> bool:
    """Policy 4.6.1: 重大投诉及集体投诉 are reported to the group (collective complaints
    are major ones by 3.1.1(5), whatever category the clerk chose)."""
    return complaint.category == "major" or bool(complaint.is_collective)


def escalation_guard(complaint, _actor=None, _can=None) -> None:
    """Only major or collective complaints, and only once (409 otherwise)."""
    if not needs_escalation(complaint):
        raise StepNotAllowed(_l("只有重大责任投诉或集体投诉需要上报集团"))
    if complaint.escalated_at is not None:
        raise StepNotAllowed(_l("该投诉已于 %(at)s 上报集团",
                                at=complaint.escalated_at.strftime("%Y-%m-%d %H:%M")))


def _stamp_handled(complaint, _actor, _session):
    """handled_at: when the complaint first entered handling (handle, or resolve when the
    handle step was skipped). A complaint sent back and handled again keeps the first."""
    if complaint.handled_at is None:
        complaint.handled_at = complaint.resolved_at or now_cn()


COMPLAINT_FLOW = Workflow(
    initial="registered",
    editable=("registered", "handling", "returned"),
    states={"registered": _l("已登记"), "handling": _l("处理中"), "resolved": _l("已处理"),
            "followed_up": _l("已回访"), "closed": _l("已结案"), "returned": _l("已退回")},
    steps=[
        step("handle", ("registered", "returned"), "handling", _l("受理处理"),
             roles=("Clerk",), fields=("handler",), after=_stamp_handled),
        step("resolve", ("handling", "registered"), "resolved", _l("处理完毕"),
             roles=("Clerk",), needs=("resolution",), stamp="resolved_at",
             after=_stamp_handled),
        step("follow_up", "resolved", "followed_up", _l("回访"), roles=("Clerk",),
             needs=("followup_result",), fields=("satisfied",), stamp="followed_up_at"),
        step("close", "followed_up", "closed", _l("结案"), roles=("Supervisor",)),
        # 上报集团 (policy 4.6.1: major and collective complaints are reported to the group
        # by the next working day) is recorded beside the flow: handling goes on.
        step("escalate", ESCALATION_STATES, None, _l("上报集团"), roles=("Clerk",),
             stamp="escalated_at", guard=escalation_guard),
        send_back(("resolved", "followed_up")),
    ],
)


def _is_overdue(deadline, now) -> bool:
    return deadline is not None and deadline < now


# The pending conditions below are the WHERE of partial indexes (OVERDUE_INDEXES). SQLite
# proves that a query implies such a WHERE only from literals, not from bound parameters:
# their constants are written into the SQL.
def _inline(value):
    if isinstance(value, tuple):
        return [literal(v, literal_execute=True) for v in value]
    return literal(value, literal_execute=True)


def _escalation_pending(cls):
    return and_(cls.escalate_due_at.is_not(None), cls.escalated_at.is_(None),
                cls.status.in_(_inline(ESCALATION_STATES)))


def _followup_pending(cls):
    return cls.status == _inline("resolved")


class Complaint(RegisterMixin, Model):
    """客户投诉登记表: one complaint from receipt to follow-up and closing."""

    __tablename__ = "complaint"
    __table_args__ = (CheckConstraint("parties_count >= 1", name="ck_complaint_parties"),)
    label = _l("客户投诉登记表")
    quick_search = ("code", "customer.name", "description")
    code_prefix = "TS"
    search_index = ("code", "handler")
    owner_from = "customer"
    workflow = COMPLAINT_FLOW
    acting = ("handler",)
    enums = {"category": CATEGORIES, "channel": CHANNELS, "due_step": DUE_STEPS,
             "status": COMPLAINT_FLOW.states}
    field_labels = {
        **COMMON_LABELS,
        "code": _l("投诉编号"), "customer": _l("客户"), "received_at": _l("受理时间"),
        "channel": _l("投诉方式"), "complainant": _l("投诉人"),
        "contact_info": _l("联系方式"), "parties_count": _l("投诉户数"),
        "is_collective": _l("集体投诉"), "category": _l("投诉类别"),
        "in_scope": _l("属商业广场范围内"), "description": _l("投诉内容"),
        "handler": _l("处理责任人"), "due_at": _l("处理期限"), "due_step": _l("期限环节"),
        "customer_due_at": _l("顾客要求的期限"), "handled_at": _l("进入处理时间"),
        "escalate_due_at": _l("上报集团期限"), "escalated_at": _l("上报集团时间"),
        "resolved_at": _l("处理完毕时间"), "resolution": _l("处理结果"),
        "followup_due_at": _l("回访期限"), "followed_up_at": _l("回访时间"),
        "followup_result": _l("回访结果"), "satisfied": _l("客户满意"),
        "status": _l("状态"), "overdue": _l("超期"), "overdue_handling": _l("处理超期"),
        "overdue_escalation": _l("上报超期"), "overdue_followup": _l("回访超期"),
        "overdue_marks": _l("超期提示"),
        "improvement_measures": _l("整改措施"),
    }

    code = Column(String(20), unique=True, nullable=False)
    customer_id = Column(Integer, ForeignKey("customer.id"), nullable=False, index=True)
    customer = relationship(Customer, backref="complaints")
    received_at = Column(DateTime, nullable=False, default=now_cn, index=True)
    channel = Column(String(20), nullable=False, default="phone")
    complainant = Column(String(100), nullable=False)
    contact_info = Column(String(100))
    parties_count = Column(Integer, nullable=False, default=1)
    is_collective = Column(Boolean, nullable=False, default=False, index=True)
    category = Column(String(20), nullable=False, index=True)
    in_scope = Column(Boolean, nullable=False, default=False)
    description = Column(Text, nullable=False)
    handler = Column(String(50))
    customer_due_at = Column(DateTime)
    due_at = Column(DateTime, nullable=False, index=True)
    due_step = Column(String(10), nullable=False, default="resolve")
    handled_at = Column(DateTime)
    escalate_due_at = Column(DateTime)
    escalated_at = Column(DateTime)
    resolved_at = Column(DateTime)
    resolution = Column(Text)
    followup_due_at = Column(DateTime)
    followed_up_at = Column(DateTime)
    followup_result = Column(Text)
    satisfied = Column(Boolean)
    status = Column(String(20), nullable=False, default="registered", index=True)

    def __repr__(self) -> str:
        return self.code or str(_l("新投诉"))

    @validates("satisfied", "in_scope")
    def _coerce_bool(self, key, value):
        """Step bodies and forms send 'true'/'y'/'1'; the column stores a boolean."""
        if isinstance(value, str):
            text = value.strip().lower()
            value = None if text in ("", "none", "null") else \
                text in ("1", "true", "y", "yes", "on", "是", "满意")
        if value is None and key == "in_scope":
            return False
        return value

    @validates("received_at", "customer_due_at")
    def _naive_china_time(self, _key, value):
        """The API may send an offset (…+08:00); times are stored naive China time."""
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(CHINA).replace(tzinfo=None)
        return value

    # --- overdue (also SQL expressions: the "my overdue" filter and the counts) -------
    @hybrid_property
    def step_pending(self) -> bool:
        """The step due_at is for has not run: not yet handled (due_step handle) or not
        resolved (due_step resolve; a complaint sent back is resolved again)."""
        if self.status not in OPEN_STATES:
            return False
        return self.handled_at is None if self.due_step == "handle" else True

    @step_pending.expression
    def step_pending(cls):
        return and_(cls.status.in_(_inline(OPEN_STATES)),
                    or_(cls.due_step != _inline("handle"), cls.handled_at.is_(None)))

    @hybrid_property
    def overdue_handling(self) -> bool:
        return bool(self.step_pending) and _is_overdue(self.due_at, now_cn())

    @overdue_handling.expression
    def overdue_handling(cls):
        return and_(cls.step_pending, cls.due_at < now_cn())

    @hybrid_property
    def overdue_escalation(self) -> bool:
        return (self.escalate_due_at is not None and self.escalated_at is None
                and self.status in ESCALATION_STATES
                and _is_overdue(self.escalate_due_at, now_cn()))

    @overdue_escalation.expression
    def overdue_escalation(cls):
        return and_(_escalation_pending(cls), cls.escalate_due_at < now_cn())

    @hybrid_property
    def overdue_followup(self) -> bool:
        return self.status == "resolved" and _is_overdue(self.followup_due_at, now_cn())

    @overdue_followup.expression
    def overdue_followup(cls):
        return and_(_followup_pending(cls), cls.followup_due_at < now_cn())

    @hybrid_property
    def overdue(self) -> bool:
        return bool(self.overdue_handling or self.overdue_escalation or self.overdue_followup)

    @overdue.expression
    def overdue(cls):
        return or_(cls.overdue_handling, cls.overdue_escalation, cls.overdue_followup)

    @property
    def overdue_marks(self) -> list[str]:
        """Chinese marks for the list: 处理超期 / 上报超期 / 回访超期."""
        return [str(self.field_labels[flag]) for flag in
                ("overdue_handling", "overdue_escalation", "overdue_followup")
                if getattr(self, flag)]

    # --- rules --------------------------------------------------------------------
    def validate(self):
        if self.received_at is not None and self.received_at > now_cn():
            return RowRejected(_l("受理时间不能晚于当前时间"), "received_at")
        if self.parties_count is not None and int(self.parties_count) < 1:
            return RowRejected(_l("投诉户数至少为 1"), "parties_count")
        if self.category is not None and self.category not in CATEGORIES:
            return RowRejected(_l("请选择投诉类别"), "category")
        if self.customer_due_at is not None and self.received_at is not None \
                and self.customer_due_at < self.received_at:
            return RowRejected(_l("顾客要求的期限不能早于受理时间"), "customer_due_at")
        return None

    def compute_deadlines(self, calendar: WorkCalendar, changed=None) -> None:
        """DESIGN.md §4 / policy 4.6, 4.7: the computed fields from their inputs (all of
        them, or only those depending on the `changed` inputs)."""
        changed = set(DEADLINE_INPUTS if changed is None else changed)
        if self.received_at is None:
            self.received_at = now_cn()
        if "parties_count" in changed:
            self.is_collective = (self.parties_count or 1) >= COLLECTIVE_PARTIES
        if changed & {"received_at", "category", "in_scope", "parties_count",
                      "customer_due_at"}:
            self.due_step, self.due_at, self.escalate_due_at = complaint_deadlines(
                calendar, self.received_at, self.category, self.in_scope,
                collective=self.is_collective, customer_due_at=self.customer_due_at)
        if "resolved_at" in changed:
            self.followup_due_at = followup_deadline(calendar, self.resolved_at)


def _same_day_deadline(calendar: WorkCalendar, received: datetime) -> datetime:
    """End of the working day of receipt (the next working day if received on a rest day,
    or after the end of that working day)."""
    due = end_of_workday(calendar.next_workday(received))
    if due < received:  # received after 18:00: the office answers the next working day
        due = end_of_workday(calendar.next_workday(received, include_self=False))
    return due


def complaint_deadlines(calendar: WorkCalendar, received: datetime, category: str,
                        in_scope: bool, collective: bool = False,
                        customer_due_at: datetime | None = None
                        ) -> tuple[str, datetime, datetime | None]:
    """(due_step, due_at, escalate_due_at) for a complaint received at `received`
    (policy 4.6; DESIGN.md §4).

    * major, and every collective complaint whatever its category (4.6.1 重大投诉及集体投诉):
      handle by the end of the working day of receipt; 上报集团 by the end of the next one.
    * general (4.6.2): resolve by the customer's own deadline (顾客要求的期限) when given,
      else by the end of the 2nd working day after receipt.
    * no_liability (4.6.3): handle by the end of the working day of receipt.
    * assist (4.6.4): handle the same working day within the plaza's scope, else by the
      end of the 3rd working day.
    """
    escalate = None
    if category == "major" or collective:
        due = _same_day_deadline(calendar, received)
        # 次日内报告集团: the next working day after the handling day
        escalate = end_of_workday(calendar.add_workdays(due, 1))
        return "handle", due, escalate
    if category == "general":
        if customer_due_at is not None:
            return "resolve", customer_due_at, None
        return "resolve", end_of_workday(calendar.add_workdays(received, 2)), None
    if category == "no_liability" or (category == "assist" and in_scope):
        return "handle", _same_day_deadline(calendar, received), None
    # assist outside the plaza's scope (or not yet classified)
    return "handle", end_of_workday(calendar.add_workdays(received, 3)), None


def followup_deadline(calendar: WorkCalendar, resolved: datetime | None) -> datetime | None:
    """回访应在投诉处理完毕两个工作日内完成 (policy 4.7.1)."""
    if resolved is None:
        return None
    return end_of_workday(calendar.add_workdays(resolved, 2))


DEADLINE_INPUTS = ("received_at", "category", "in_scope", "resolved_at", "parties_count",
                   "customer_due_at")


@event.listens_for(Complaint, "before_insert")
def _deadlines_on_insert(_mapper, connection, target):
    target.compute_deadlines(work_calendar(connection))


@event.listens_for(Complaint, "before_update")
def _deadlines_on_update(_mapper, connection, target):
    state = sa_inspect(target)
    changed = {name for name in DEADLINE_INPUTS if state.attrs[name].history.has_changes()}
    if changed:
        target.compute_deadlines(work_calendar(connection), changed)


# --- statistics (policy 4.8.1; DESIGN.md §4) ------------------------------------------
def _count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _stats_row(category, received, resolved, ran, timely, followed, followed_timely) -> dict:
    return {"category": category, "received": received, "resolved": resolved,
            "handling_rate": _rate(resolved, received), "timely_rate": _rate(timely, ran),
            "followup_rate": _rate(followed, resolved),
            "followup_timely_rate": _rate(followed_timely, followed)}


def monthly_stats(session, start: datetime, end: datetime, user=None,
                  where=()) -> tuple[list, dict]:
    """Per category, complaints received in [start, end) in the viewer's row scope:
    received, resolved and the four rates (fractions 0–1, None on a zero denominator).

    `where`: further clauses (the charts' department filter).
    及时率 judges each complaint by the step its deadline is for (due_step): handled_at
    for handle, resolved_at for resolve; its denominator is the complaints whose step has
    run. One SQL query: GROUP BY category with conditional aggregates. Returns the rows
    for every category (in CATEGORIES order) and a total row.
    """
    resolved = Complaint.status.in_(RESOLVED_STATES)
    followed = Complaint.status.in_(FOLLOWED_UP_STATES)
    step_at = case((Complaint.due_step == "handle", Complaint.handled_at),
                   else_=Complaint.resolved_at)
    query = (select(Complaint.category,
                    func.count(Complaint.id),
                    _count_if(resolved),
                    _count_if(step_at.is_not(None)),
                    _count_if(and_(step_at.is_not(None), step_at <= Complaint.due_at)),
                    _count_if(followed),
                    _count_if(and_(followed,
                                   Complaint.followed_up_at <= Complaint.followup_due_at)))
             .where(Complaint.received_at >= start, Complaint.received_at < end,
                    scope_clause(Complaint, user), *where)
             .group_by(Complaint.category))
    counts = {row[0]: [int(n or 0) for n in row[1:]] for row in session.execute(query)}
    rows = [_stats_row(category, *counts.get(category, [0] * 6)) for category in CATEGORIES]
    sums = [sum(values[i] for values in counts.values()) for i in range(6)]
    total = _stats_row(None, *sums)
    del total["category"]
    return rows, total


TITLE_CAP = 1000  # the list's title counts overdue complaints up to this many ("1,000+")


def overdue_in_list(session, user) -> tuple[int, int]:
    """超期 in the list's title: in the viewer's scope, and of those the viewer's own, each
    counted up to TITLE_CAP (a count past it is TITLE_CAP + 1: show "1,000+")."""
    total = _overdue_up_to_cap(session, scope_clause(Complaint, user))
    if not total or user is None:
        return total, 0
    if user_scope(user) == OWN:
        return total, total
    return total, _overdue_up_to_cap(session, scope_clause(Complaint, user),
                                     Complaint.owner_id == user.id)


def _overdue_up_to_cap(session, *where) -> int:
    # One capped branch per kind, each a range scan of its partial index that stops at the
    # cap; an OR of the three would collect every overdue row before counting.
    branches = [select(Complaint.id).where(kind, *where).limit(TITLE_CAP + 1).subquery()
                for kind in (Complaint.overdue_handling, Complaint.overdue_escalation,
                             Complaint.overdue_followup)]
    ids = union(*(select(b.c.id) for b in branches)).subquery()
    return min(session.scalar(select(func.count()).select_from(ids)), TITLE_CAP + 1)


def overdue_counts(session, user=None, where=()) -> dict:
    """Overdue complaints in the viewer's scope (and `where`), by kind, in one query;
    exact (the dashboard's tile). The partial indexes below keep it to the open rows."""
    me = getattr(user, "id", None)
    query = select(_count_if(Complaint.overdue_handling),
                   _count_if(Complaint.overdue_escalation),
                   _count_if(Complaint.overdue_followup),
                   _count_if(Complaint.overdue),
                   _count_if(and_(Complaint.overdue, Complaint.owner_id == me))
                   ).where(scope_clause(Complaint, user), Complaint.overdue, *where)
    handling, escalation, followup, total, mine = (int(n or 0)
                                                   for n in session.execute(query).one())
    return {"handling": handling, "escalation": escalation, "followup": followup,
            "total": total, "mine": mine}


# --- 整改措施 ------------------------------------------------------------------------
MEASURE_SOURCES = {"complaint": _l("客户投诉"), "survey": _l("满意度调查")}


def _stamp_verifier(measure, actor, _session):
    measure.verified_by_id = actor.id


MEASURE_FLOW = Workflow(
    initial="open",
    editable=("open", "in_progress", "returned"),
    states={"open": _l("待整改"), "in_progress": _l("整改中"), "done": _l("已完成"),
            "verified": _l("已验证"), "returned": _l("已退回")},
    steps=[
        step("start", ("open", "returned"), "in_progress", _l("开始整改"), roles=("Clerk",),
             needs=("measure", "responsible", "due_date")),
        step("finish", "in_progress", "done", _l("整改完成"), roles=("Clerk",),
             fields=("result",), stamp="finished_on"),
        step("verify", "done", "verified", _l("验证"), roles=("Supervisor",),
             stamp="verified_on", after=_stamp_verifier),
        send_back(("done",), label=_l("验证不通过，退回")),
    ],
)


class ImprovementMeasure(RegisterMixin, Model):
    """整改措施: a problem found by a complaint or a satisfaction survey, tracked to verified."""

    __tablename__ = "improvement_measure"
    label = _l("整改措施")
    quick_search = ("problem", "measure")
    owner_from = "complaint"  # a complaint's measure belongs to the complaint's owner
    workflow = MEASURE_FLOW
    acting = ("responsible",)
    enums = {"source_type": MEASURE_SOURCES, "status": MEASURE_FLOW.states}
    field_labels = {
        **COMMON_LABELS,
        "source": _l("来源"), "source_type": _l("来源类型"), "complaint": _l("来源投诉"),
        "survey_id": _l("来源调查编号"), "survey": _l("来源调查"), "problem": _l("存在问题"),
        "measure": _l("整改措施"),
        "responsible": _l("责任人"), "due_date": _l("完成期限"), "result": _l("整改结果"),
        "finished_on": _l("完成日期"), "verified_by": _l("验证人"),
        "verified_on": _l("验证日期"), "status": _l("状态"),
    }

    source_type = Column(String(20), nullable=False, default="complaint")
    complaint_id = Column(Integer, ForeignKey("complaint.id"), nullable=True, index=True)
    complaint = relationship(Complaint, backref="improvement_measures")
    survey_id = Column(Integer, ForeignKey("satisfaction_survey.id",
                                           name="fk_improvement_measure_survey_id"),
                       nullable=True, index=True)
    survey = relationship("SatisfactionSurvey", backref="improvement_measures")
    problem = Column(Text, nullable=False)
    measure = Column(Text)
    responsible = Column(String(50))
    due_date = Column(Date)
    result = Column(Text)
    finished_on = Column(Date)
    verified_by_id = Column(Integer, ForeignKey("ab_user.id"), nullable=True)
    verified_by = relationship("ConsoleUser", foreign_keys=[verified_by_id])
    verified_on = Column(Date)
    status = Column(String(20), nullable=False, default="open", index=True)

    def __repr__(self) -> str:
        problem = (self.problem or "").strip().splitlines()[0] if self.problem else ""
        return problem[:40]

    @validates("due_date")
    def _parse_due_date(self, _key, value):
        """A step body carries the date as text (YYYY-MM-DD)."""
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip()) if value.strip() else None
            except ValueError:
                raise StepNeedsInput(_l("完成期限格式应为 YYYY-MM-DD")) from None
        return value

    @property
    def source(self) -> str:
        """来源, for people: 客户投诉 TS2026-00001 / 满意度调查 #3."""
        label = MEASURE_SOURCES.get(self.source_type, self.source_type or "")
        if self.source_type == "complaint" and self.complaint is not None:
            return f"{label} {self.complaint.code or ''}".strip()
        if self.source_type == "survey" and self.survey is not None:
            return f"{label} {self.survey.title}"
        return str(label)

    def validate(self):
        if self.source_type == "complaint" and self.complaint is None \
                and self.complaint_id is None:
            return RowRejected(_l("来源为客户投诉时，请选择来源投诉"), "complaint")
        if self.source_type == "survey" and (self.complaint is not None
                                             or self.complaint_id is not None):
            return RowRejected(_l("来源为满意度调查时，不能选择来源投诉"), "complaint")
        if self.source_type == "survey" and self.survey is None and self.survey_id is None:
            return RowRejected(_l("来源为满意度调查时，请选择来源调查"), "survey")
        if self.source_type == "complaint" and (self.survey is not None
                                                or self.survey_id is not None):
            return RowRejected(_l("来源为客户投诉时，不能选择来源调查"), "survey")
        return None


def complaint_problem(complaint) -> str:
    """The 存在问题 of a measure raised from a complaint."""
    return f"{complaint.code}：{(complaint.description or '').strip()}"[:2000]


# Collective complaints first, then the newest (DESIGN.md §4): is_collective's ties by
# received_at.
list_indexes(Complaint, ("code", "received_at", "category", ("is_collective", "received_at"),
                         "status", "due_at"), filters=("channel", "due_step"))
# Overdue (the list's title, the dashboard): only rows whose deadline can still pass, a
# few of a register that is mostly closed, are in these partial indexes; each kind's overdue
# expression is its condition and deadline < now. One per scope: all rows, a Clerk's
# (owner_id) and a Supervisor's (department_id).
OVERDUE_INDEXES = {
    "handling": (Complaint.due_at, Complaint.step_pending),
    "escalation": (Complaint.escalate_due_at, _escalation_pending(Complaint)),
    "followup": (Complaint.followup_due_at, _followup_pending(Complaint)),
}
for _kind, (_deadline, _pending) in OVERDUE_INDEXES.items():
    for _suffix, _scope in (("", ()), ("_owner", (Complaint.owner_id,)),
                            ("_dept", (Complaint.department_id,))):
        # INCLUDE (id): PostgreSQL counts from the index alone (SQLite's hold the rowid)
        Index(f"ix_complaint_overdue_{_kind}{_suffix}", *_scope, _deadline,
              postgresql_where=_pending, sqlite_where=_pending, postgresql_include=["id"])
list_indexes(ImprovementMeasure, ("due_date", "status", "verified_on"), filters=("source_type",))


__all__ = ["CATEGORIES", "CHANNELS", "COMPLAINT_FLOW", "DUE_STEPS", "Complaint",
           "ImprovementMeasure",
           "MEASURE_FLOW", "complaint_deadlines", "followup_deadline",
           "month_bounds", "monthly_stats", "needs_escalation", "complaint_problem",
           "overdue_counts", "overdue_in_list", "TITLE_CAP"]
