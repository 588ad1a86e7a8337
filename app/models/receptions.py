"""客户接待 family: receptions (来访通知单 → 接待方案 → 客户接待记录表 → 财务结算) and their
expense lines (接待费用).

Policy 01 二 第3章 (§12–20): the 来访通知单 from another department (§12), the 用餐/住宿
申请 approved by authority (§13, 按审批权限), the 客户接待记录表 checked by the 客户关系主管
(§18) and the settlement with Finance (§19). DESIGN.md §2–4.
"""
from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask import current_app, has_app_context
from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    event,
    extract,
    func,
    select,
    update,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import object_session, relationship, validates

from app import audit
from app.errors import RowLocked, RowRejected
from app.models.base import COMMON_LABELS, RegisterMixin, list_indexes
from app.models.customers import Customer
from app.scope import scope_clause
from app.timeutil import CHINA
from app.workflow import StepForbidden, StepNeedsInput, Workflow, reject, send_back, step

MONEY = Numeric(14, 2)
ZERO = Decimal("0.00")
CENT = Decimal("0.01")
MAX_MONEY = Decimal("999999999999.99")  # Numeric(14, 2)
DEFAULT_EXECUTIVE_LIMIT = Decimal("5000")
EXPENSE_CATEGORIES = {"meal": _l("用餐"), "lodging": _l("住宿"), "transport": _l("交通"),
                      "gift": _l("礼品"), "other": _l("其他")}
LOCKED_STATES = ("settled", "rejected")  # expenses of these receptions never change
COUNTED_STATES_EXCLUDED = ("rejected",)  # a refused reception costs nothing


def executive_limit() -> Decimal:
    """RECEPTION_EXECUTIVE_LIMIT (元): estimates above it need the Executive's approval."""
    value = current_app.config.get("RECEPTION_EXECUTIVE_LIMIT") if has_app_context() else None
    return Decimal(str(value if value is not None else DEFAULT_EXECUTIVE_LIMIT))


def money(value) -> str:
    return f"{Decimal(value or 0):,.2f}"


def _has_authority(actor) -> bool:
    """Above the limit only the Executive (or Admin) approves (按审批权限)."""
    return bool({role.name for role in getattr(actor, "roles", [])} & {"Executive", "Admin"})


def estimate_of(reception) -> Decimal:
    """用餐 + 住宿 estimates of the requests made (what the approver approves)."""
    meal = (reception.meal_estimate or ZERO) if reception.need_meal else ZERO
    lodging = (reception.lodging_estimate or ZERO) if reception.need_lodging else ZERO
    return meal + lodging


def approval_guard(reception, actor, _can=None) -> None:
    estimate = max(estimate_of(reception), reception.estimated_cost or ZERO)
    limit = executive_limit()
    if estimate > limit and not _has_authority(actor):
        raise StepForbidden(_l("预计费用 %(cost)s 元超过 %(limit)s 元，须由总经理审批",
                               cost=money(estimate), limit=money(limit)))


def approval_ready(model, actor):
    """Above the limit the receptions wait for the Executive, the others for a Supervisor."""
    above = model.estimated_cost > executive_limit()
    return above if _has_authority(actor) else ~above


def settle_ready(model, _actor):
    return select(ReceptionExpense.id).where(ReceptionExpense.reception_id == model.id).exists()


def settle_guard(reception, _actor=None, _can=None) -> None:
    if not reception.expenses:
        raise StepNeedsInput(_l("请先录入接待费用明细及票据，再进行结算"))


def _stamp_verifier(reception, actor, _session):
    reception.verified_by_id = actor.id


def _stamp_settler(reception, actor, _session):
    reception.settled_by_id = actor.id


def _stamp_approver(reception, actor, _session):
    reception.approved_by_id = actor.id


RECEPTION_FLOW = Workflow(
    initial="notified",
    editable=("notified", "returned"),
    states={"notified": _l("已收到来访通知"), "requested": _l("已申请"),
            "approved": _l("已批准"), "received": _l("已接待"), "verified": _l("已核实"),
            "settled": _l("已结算"), "returned": _l("已退回"), "rejected": _l("已拒绝")},
    steps=[
        step("request", ("notified", "returned"), "requested", _l("提交接待申请"),
             roles=("Clerk",), needs=("plan",)),
        step("approve", "requested", "approved", _l("审批"), roles=("Supervisor", "Executive"),
             guard=approval_guard, ready=approval_ready, stamp="approved_at",
             after=_stamp_approver),
        step("receive", "approved", "received", _l("填写接待记录"), roles=("Clerk",),
             needs=("content", "outcome"), fields=("people_met",), stamp="received_at"),
        step("verify", "received", "verified", _l("核实"), roles=("Supervisor",),
             stamp="verified_at", after=_stamp_verifier),
        step("settle", "verified", "settled", _l("结算"), roles=("Finance",),
             guard=settle_guard, ready=settle_ready, stamp="settled_at", after=_stamp_settler),
        send_back(("requested",)),
        reject(("requested",)),
    ],
)


def to_money(value, label):
    """Text or number → Decimal with 2 places, or a Chinese RowRejected."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise RowRejected(_l("%(label)s请输入金额", label=label))
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
        if not amount.is_finite():
            raise ValueError(value)
        if abs(amount) > MAX_MONEY:  # kept as it is: check_money names the limit
            return amount
        return amount.quantize(CENT)
    except (InvalidOperation, ValueError):
        raise RowRejected(_l("%(label)s请输入金额", label=label)) from None


def check_money(value, label, field, allow_zero=True):
    if value is None:
        return None
    amount = Decimal(value)
    if amount < 0 or (amount == 0 and not allow_zero):
        return RowRejected(_l("%(label)s不能为负数", label=label) if amount < 0
                           else _l("%(label)s必须大于 0", label=label), field)
    if amount > MAX_MONEY:
        return RowRejected(_l("%(label)s超出上限", label=label), field)
    return None


class Reception(RegisterMixin, Model):
    """客户接待: one visit from the 来访通知单 to Finance's settlement."""

    __tablename__ = "reception"
    __table_args__ = (
        CheckConstraint("visitor_count >= 1", name="ck_reception_visitors"),
        CheckConstraint("meal_estimate >= 0", name="ck_reception_meal"),
        CheckConstraint("lodging_estimate >= 0", name="ck_reception_lodging"),
    )
    label = _l("客户接待")
    quick_search = ("customer.name", "purpose")
    workflow = RECEPTION_FLOW
    acting = ("host",)
    enums = {"status": RECEPTION_FLOW.states}
    field_labels = {
        **COMMON_LABELS,
        "customer": _l("客户"), "notice_from": _l("通知部门"),
        "visitor_names": _l("来访人员"), "visitor_count": _l("来访人数"),
        "purpose": _l("来访目的"), "arrival": _l("到达时间"), "departure": _l("离开时间"),
        "host": _l("接待人"), "need_meal": _l("需要用餐"), "meal_estimate": _l("用餐预算"),
        "need_lodging": _l("需要住宿"), "lodging_estimate": _l("住宿预算"),
        "estimated_cost": _l("预计费用"), "plan": _l("接待方案"), "itinerary": _l("日程安排"),
        "content": _l("接待内容"), "outcome": _l("接待结果"), "people_met": _l("会见人员"),
        "actual_cost": _l("实际费用"), "status": _l("状态"),
        "approved_at": _l("批准时间"), "approved_by": _l("批准人"),
        "received_at": _l("记录时间"), "verified_at": _l("核实时间"),
        "verified_by": _l("核实人"), "settled_at": _l("结算时间"), "settled_by": _l("结算人"),
        "expenses": _l("接待费用"),
    }

    customer_id = Column(Integer, ForeignKey("customer.id"), nullable=False, index=True)
    customer = relationship(Customer, backref="receptions")
    notice_from = Column(String(100), nullable=False)
    visitor_names = Column(String(500), nullable=False)
    visitor_count = Column(Integer, nullable=False, default=1)
    purpose = Column(Text, nullable=False)
    arrival = Column(DateTime, nullable=False, index=True)
    departure = Column(DateTime, nullable=False)
    host = Column(String(50))
    need_meal = Column(Boolean, nullable=False, default=False)
    meal_estimate = Column(MONEY, nullable=False, default=ZERO)
    need_lodging = Column(Boolean, nullable=False, default=False)
    lodging_estimate = Column(MONEY, nullable=False, default=ZERO)
    estimated_cost = Column(MONEY, nullable=False, default=ZERO)  # meal + lodging
    actual_cost = Column(MONEY, nullable=False, default=ZERO)  # Σ expenses (kept in SQL)
    plan = Column(Text)
    itinerary = Column(Text)
    content = Column(Text)
    outcome = Column(Text)
    people_met = Column(String(500))
    status = Column(String(20), nullable=False, default="notified", index=True)
    approved_at = Column(DateTime)
    approved_by_id = Column(Integer, ForeignKey("ab_user.id"), nullable=True)
    approved_by = relationship("ConsoleUser", foreign_keys=[approved_by_id])
    received_at = Column(DateTime)
    verified_at = Column(DateTime)
    verified_by_id = Column(Integer, ForeignKey("ab_user.id"), nullable=True)
    verified_by = relationship("ConsoleUser", foreign_keys=[verified_by_id])
    settled_at = Column(DateTime)
    settled_by_id = Column(Integer, ForeignKey("ab_user.id"), nullable=True)
    settled_by = relationship("ConsoleUser", foreign_keys=[settled_by_id])

    def __repr__(self) -> str:
        customer = self.customer.name if self.customer is not None else ""
        when = self.arrival.strftime("%Y-%m-%d") if self.arrival else ""
        return f"{customer} {when}".strip() or str(_l("新接待"))

    @validates("meal_estimate", "lodging_estimate")
    def _money(self, key, value):
        amount = to_money(value, self.field_labels[key])
        return ZERO if amount is None else amount

    @validates("need_meal", "need_lodging")
    def _coerce_bool(self, _key, value):
        if isinstance(value, str):
            value = value.strip().lower() in ("1", "true", "y", "yes", "on", "是")
        return bool(value)

    @validates("arrival", "departure")
    def _naive_china_time(self, _key, value):
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(CHINA).replace(tzinfo=None)
        return value

    def compute_estimate(self) -> None:
        self.estimated_cost = estimate_of(self)

    def validate(self):
        labels = self.field_labels
        if self.visitor_count is not None and int(self.visitor_count) < 1:
            return RowRejected(_l("来访人数至少为 1"), "visitor_count")
        for name in ("meal_estimate", "lodging_estimate"):
            problem = check_money(getattr(self, name), labels[name], name)
            if problem:
                return problem
        if self.need_meal and not (self.meal_estimate or ZERO) > 0:
            return RowRejected(_l("需要用餐时请填写用餐预算"), "meal_estimate")
        if self.need_lodging and not (self.lodging_estimate or ZERO) > 0:
            return RowRejected(_l("需要住宿时请填写住宿预算"), "lodging_estimate")
        for name in ("arrival", "departure"):
            value = getattr(self, name)
            if value is not None and not 1900 <= value.year <= 2100:
                return RowRejected(_l("日期应在 1900 至 2100 年之间"), name)
        if self.arrival and self.departure and self.departure < self.arrival:
            return RowRejected(_l("离开时间不能早于到达时间"), "departure")
        self.compute_estimate()
        return None


class ReceptionExpense(RegisterMixin, Model):
    """接待费用: one line of a reception's costs, with its invoice; locked once settled."""

    __tablename__ = "reception_expense"
    __table_args__ = (CheckConstraint("amount >= 0", name="ck_reception_expense_amount"),)
    label = _l("接待费用")
    quick_search = ("invoice_no", "remarks")
    owner_from = "reception"  # a line belongs to its reception's owner and department
    enums = {"category": EXPENSE_CATEGORIES}
    field_labels = {
        **COMMON_LABELS,
        "reception": _l("客户接待"), "category": _l("费用类别"), "amount": _l("金额（元）"),
        "invoice_no": _l("发票号码"), "remarks": _l("备注"),
    }

    reception_id = Column(Integer, ForeignKey("reception.id"), nullable=False, index=True)
    reception = relationship(Reception, backref="expenses")
    category = Column(String(20), nullable=False, default="meal")
    amount = Column(MONEY, nullable=False)
    invoice_no = Column(String(50))
    remarks = Column(String(300))

    def __repr__(self) -> str:
        return f"{EXPENSE_CATEGORIES.get(self.category, self.category or '')} {money(self.amount)}"

    @validates("amount")
    def _money(self, key, value):
        return to_money(value, self.field_labels[key])

    def validate(self):
        if self.category is not None and self.category not in EXPENSE_CATEGORIES:
            return RowRejected(_l("请选择费用类别"), "category")
        if self.amount is None:
            return RowRejected(_l("请填写金额"), "amount")
        problem = check_money(self.amount, self.field_labels["amount"], "amount",
                              allow_zero=False)
        if problem:
            return problem
        return locked_refusal(self.reception)


def locked_refusal(reception) -> RowRejected | None:
    """Expenses of a settled (or rejected) reception are closed to every user."""
    if reception is not None and reception.status in LOCKED_STATES:
        return RowRejected(_l("接待“%(row)s”已%(state)s，费用明细已锁定，不能再修改",
                              row=reception, state=RECEPTION_FLOW.state_label(
                                  reception.status)), "reception")
    return None


# --- the lock and the sums, on every write path ----------------------------------------
def _claim_open(connection, reception_id) -> bool:
    """Take the reception's write lock *before* reading its state: an UPDATE guarded by the
    state in its WHERE. On PostgreSQL it waits for a settlement under way and then sees
    it; on SQLite (where SELECT … FOR UPDATE is a no-op and a SELECT runs outside the
    transaction) it is the statement that takes the database's write lock. False: the
    reception is settled or rejected."""
    table = Reception.__table__
    claimed = connection.execute(
        update(table).where(table.c.id == reception_id, table.c.status.notin_(LOCKED_STATES))
        .values(actual_cost=table.c.actual_cost)).rowcount
    if claimed:
        return True
    return connection.execute(select(table.c.id).where(table.c.id == reception_id)).first() \
        is None  # a reception that is not there: the foreign key refuses the line


def _refuse_if_locked(connection, reception_ids) -> None:
    for reception_id in sorted(reception_ids):  # one order: two lines moving never deadlock
        if not _claim_open(connection, reception_id):
            raise RowLocked(_l("该接待已结算，费用明细已锁定，不能再修改"), "reception")


def _reception_ids(target) -> set:
    """The reception a line belongs to now and, if it was moved, the one before."""
    history = sa_inspect(target).attrs.reception_id.history
    return {target.reception_id, *history.deleted} - {None}


def _resum(connection, reception_ids, session) -> None:
    """actual_cost = Σ amount of the lines, written in SQL in the same transaction, and
    audited like a change made through the ORM (the reception's 变更记录 shows it)."""
    expense = ReceptionExpense.__table__
    table = Reception.__table__
    for reception_id in reception_ids:
        total = select(func.coalesce(func.sum(expense.c.amount), ZERO)).where(
            expense.c.reception_id == reception_id).scalar_subquery()
        before = connection.execute(select(table.c.actual_cost).where(
            table.c.id == reception_id)).scalar()
        after = connection.execute(update(table).where(table.c.id == reception_id)
                                   .values(actual_cost=total)
                                   .returning(table.c.actual_cost)).scalar()
        if session is not None and before is not None and Decimal(before) != Decimal(after):
            audit.record(session, "update", Reception.__tablename__, reception_id,
                         {"actual_cost": [str(before), str(after)]})


@event.listens_for(ReceptionExpense, "before_insert")
@event.listens_for(ReceptionExpense, "before_update")
@event.listens_for(ReceptionExpense, "before_delete")
def _expense_lock(_mapper, connection, target):
    _refuse_if_locked(connection, _reception_ids(target))


@event.listens_for(ReceptionExpense, "after_insert")
@event.listens_for(ReceptionExpense, "after_update")
@event.listens_for(ReceptionExpense, "after_delete")
def _expense_sum(_mapper, connection, target):
    _resum(connection, _reception_ids(target), object_session(target))


@event.listens_for(Reception, "before_insert")
@event.listens_for(Reception, "before_update")
def _reception_estimate(_mapper, connection, target):
    target.compute_estimate()
    if target.id is not None:
        state = sa_inspect(target)
        before = state.attrs.status.history.deleted
        changed = {a.key for a in state.attrs if a.history.has_changes()} - {
            "owner_id", "department_id", "owner", "department", "version", "changed_on",
            "actual_cost", "expenses"}
        if before and before[0] == "settled" and changed:
            raise RowRejected(_l("该接待已结算，不能再修改"))


# --- 接待费用统计 (DESIGN.md §8: GET /api/v1/reception/costs?year=YYYY) -------------------
def costs_query(year: int, user=None):
    """One SELECT: per month of arrival in `year`, the receptions in the viewer's scope
    (rejected ones excluded) — month, count, Σ estimated_cost, Σ actual_cost.

    Reusable by the dashboard (issue 14): add `.where(...)` for a department filter.
    """
    month = extract("month", Reception.arrival)
    return (select(month.label("month"), func.count(Reception.id).label("count"),
                   func.coalesce(func.sum(Reception.estimated_cost), ZERO).label("estimated"),
                   func.coalesce(func.sum(Reception.actual_cost), ZERO).label("actual"))
            .where(Reception.arrival >= datetime(year, 1, 1),
                   Reception.arrival < datetime(year + 1, 1, 1),
                   Reception.status.notin_(COUNTED_STATES_EXCLUDED),
                   scope_clause(Reception, user))
            .group_by(month).order_by(month))


def reception_costs(session, year: int, user=None) -> tuple[list[dict], dict]:
    """Twelve months (empty ones with zeros) and the year's total; money stays Decimal."""
    found = {int(row.month): row for row in session.execute(costs_query(year, user))}
    rows = []
    for number in range(1, 13):
        row = found.get(number)
        rows.append({"month": f"{year}-{number:02d}", "count": int(row.count) if row else 0,
                     "estimated": Decimal(row.estimated if row else 0).quantize(CENT),
                     "actual": Decimal(row.actual if row else 0).quantize(CENT)})
    total = {"count": sum(r["count"] for r in rows),
             "estimated": sum((r["estimated"] for r in rows), ZERO),
             "actual": sum((r["actual"] for r in rows), ZERO)}
    return rows, total


list_indexes(Reception, ("arrival", "departure", "estimated_cost", "actual_cost", "status"))
list_indexes(ReceptionExpense, ("category", "amount"))


__all__ = ["EXPENSE_CATEGORIES", "RECEPTION_FLOW", "Reception", "ReceptionExpense",
           "costs_query", "executive_limit", "reception_costs"]
