"""客户拜访 family: the monthly visit plan (客户拜访计划表) with its items, visit records
(客户拜访记录表) and the contact-frequency rule of policy 05 三.1–2 (DESIGN.md §4).

Policy 01 二 §3: 客户关系主管每月制订客户拜访计划, 客户服务部经理审批, then tasks are given
to the 客户关系专员 (items: the visitor owns them). §9–11: the visit, its record, review by
the 主管 and, for problems the visitor could not solve, approval of a solution by the 经理.
"""
import re
from datetime import date, datetime, timedelta

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    case,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.orm import aliased, column_property, joinedload, relationship

from app.errors import RowRejected
from app.models.base import COMMON_LABELS, RegisterMixin, list_indexes
from app.models.customers import Contact, Customer
from app.models.org import ConsoleUser
from app.scope import scope_clause
from app.timeutil import today_cn
from app.workflow import StepNotAllowed, Workflow, send_back, step

MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")

# --- 客户拜访计划表 ---------------------------------------------------------------------
PLAN_FLOW = Workflow(
    initial="draft",
    states={"draft": _l("草稿"), "submitted": _l("已提交"), "approved": _l("已批准"),
            "returned": _l("已退回")},
    steps=[
        step("submit", ("draft", "returned"), "submitted", _l("提交审批"),
             roles=("Supervisor",)),
        step("approve", "submitted", "approved", _l("批准（客户服务部经理）"),
             roles=("Executive",)),
        send_back(("submitted",), roles=("Executive",)),
    ],
)


class VisitPlan(RegisterMixin, Model):
    """客户拜访计划表: one per department and month, drafted by its Supervisor."""

    __tablename__ = "visit_plan"
    __table_args__ = (UniqueConstraint("department_id", "month", name="uq_visit_plan_month"),)
    label = _l("客户拜访计划表")
    quick_search = ("month", "title")
    workflow = PLAN_FLOW
    enums = {"status": PLAN_FLOW.states}
    field_labels = {
        **COMMON_LABELS,
        "month": _l("计划月份"), "title": _l("计划名称"), "status": _l("状态"),
        "items": _l("拜访计划明细"),
    }

    month = Column(String(7), nullable=False, index=True)
    title = Column(String(200), nullable=False)
    status = Column(String(20), nullable=False, default="draft", index=True)

    def __repr__(self) -> str:
        return f"{self.month} {self.title}" if self.title else (self.month or "")

    @staticmethod
    def display_sql(alias):
        return alias.title

    def validate(self):
        if not MONTH_PATTERN.match(str(self.month or "")):
            return RowRejected(_l("计划月份格式应为 YYYY-MM，例如 2026-12"), "month")
        if not (self.title or "").strip():
            return RowRejected(_l("请填写计划名称"), "title")
        return None


def plan_duplicate(session, plan) -> RowRejected | None:
    """One plan per department and month, found before the database refuses it."""
    if plan.department_id is None or not plan.month:
        return None
    query = select(VisitPlan.id).where(VisitPlan.department_id == plan.department_id,
                                       VisitPlan.month == plan.month)
    if plan.id is not None:
        query = query.where(VisitPlan.id != plan.id)
    with session.no_autoflush:
        if session.execute(query.limit(1)).first():
            return RowRejected(_l("本部门 %(month)s 的客户拜访计划表已存在，请在原计划中增加明细",
                                  month=plan.month), "month")
    return None


# --- 拜访计划明细 -------------------------------------------------------------------------
DONE_STATES = ("submitted", "reviewed", "solution_approved")


class VisitPlanItem(RegisterMixin, Model):
    """One line of the plan: the visitor (a Clerk of the department) owns it."""

    __tablename__ = "visit_plan_item"
    label = _l("拜访计划明细")
    quick_search = ("customer.name", "purpose")
    acting = ("visitor_id",)
    pending = staticmethod(lambda: ~VisitPlanItem.done)  # a task until its record is submitted
    field_labels = {
        **COMMON_LABELS,
        "visit_plan": _l("客户拜访计划表"), "seq": _l("序号"), "customer": _l("客户名称"),
        "address": _l("地址"), "contact_info": _l("联系方式"), "visitor": _l("拜访人员"),
        "visitors": _l("同行人员"), "purpose": _l("拜访目的"), "deadline": _l("拜访时限"),
        "remarks": _l("备注"), "done": _l("已拜访"), "overdue": _l("已超时限"),
        "owner": _l("拜访人员"),
    }

    visit_plan_id = Column(Integer, ForeignKey("visit_plan.id"), nullable=False, index=True)
    visit_plan = relationship(VisitPlan, backref="items")
    seq = Column(Integer, nullable=False, default=1)
    customer_id = Column(Integer, ForeignKey("customer.id"), nullable=False, index=True)
    customer = relationship(Customer)
    address = Column(String(300))
    contact_info = Column(String(200))
    visitor_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False, index=True)
    visitor = relationship(ConsoleUser, foreign_keys=[visitor_id])
    visitors = Column(String(200))
    purpose = Column(String(300), nullable=False)
    deadline = Column(Date, nullable=False)
    remarks = Column(String(300))

    def __repr__(self) -> str:
        return f"{self.customer}：{self.purpose}" if self.customer else (self.purpose or "")

    @staticmethod
    def display_sql(alias):
        return alias.purpose

    @property
    def overdue(self) -> bool:
        return not self.done and self.deadline is not None and self.deadline < today_cn()

    def validate(self):
        plan = self.visit_plan
        if plan is None:
            return RowRejected(_l("请选择客户拜访计划表"), "visit_plan")
        if plan.status not in plan.workflow.editable:
            return RowRejected(_l("计划“%(plan)s”已%(state)s，不能再修改明细",
                                  plan=plan, state=plan.workflow.state_label(plan.status)),
                               "visit_plan")
        if self.customer is not None and self.customer.department_id != plan.department_id:
            return RowRejected(_l("客户“%(customer)s”不属于本计划的部门“%(department)s”",
                                  customer=self.customer, department=plan.department),
                               "customer")
        visitor = self.visitor
        if visitor is not None and (
                visitor.department_id != plan.department_id or not visitor.active
                or "Clerk" not in {r.name for r in visitor.roles}):
            return RowRejected(_l("拜访人员应为本部门在职的业务员"), "visitor")
        if self.deadline is not None and MONTH_PATTERN.match(plan.month or ""):
            first = month_start(plan.month)
            if self.deadline < first:
                return RowRejected(_l("拜访时限不能早于计划月份 %(month)s",
                                      month=plan.month), "deadline")
        if self.seq is not None and int(self.seq) < 1:
            return RowRejected(_l("序号应为正整数"), "seq")
        return None


def month_start(month: str) -> date:
    year, mon = month.split("-")
    return date(int(year), int(mon), 1)


def customer_defaults(session, customer) -> dict:
    """Address and contact of a customer for a new item: the key decision maker first."""
    contact = session.execute(
        select(Contact.name, Contact.title, Contact.phone)
        .where(Contact.customer_id == customer.id)
        .order_by(Contact.is_decision_maker.desc(), Contact.id).limit(1)).first()
    parts = []
    if contact is not None:
        parts = [p for p in (contact.name, contact.title, contact.phone) if p]
    elif customer.phone:
        parts = [customer.phone]
    return {"address": customer.address or "", "contact_info": " ".join(parts)}


def customer_contacts(session, customer) -> list[dict]:
    """The contacts a visit record may name as met: the customer's, decision makers first,
    each labelled with their title (周总（董事长）)."""
    rows = session.execute(
        select(Contact.id, Contact.name, Contact.title).where(Contact.customer_id == customer.id)
        .order_by(Contact.is_decision_maker.desc(), Contact.name, Contact.id))
    return [{"id": r.id, "name": r.name, "title": r.title or "",
             "label": f"{r.name}（{r.title}）" if r.title else r.name} for r in rows]


def fill_item(session, item) -> None:
    """Owner = the visitor, department = the plan's; blanks filled from the customer."""
    if item.visitor is not None:
        item.owner_id = item.visitor.id
    if item.visit_plan is not None:
        item.department_id = item.visit_plan.department_id
    if item.customer is not None and not (item.address and item.contact_info):
        with session.no_autoflush:
            defaults = customer_defaults(session, item.customer)
        item.address = item.address or defaults["address"] or None
        item.contact_info = item.contact_info or defaults["contact_info"] or None
    if item.seq in (None, "") and item.visit_plan is not None:
        with session.no_autoflush:
            last = session.scalar(select(func.max(VisitPlanItem.seq)).where(
                VisitPlanItem.visit_plan_id == item.visit_plan.id)) if item.visit_plan.id else 0
        item.seq = (last or 0) + 1


def plan_items(session, plan) -> list:
    """The plan's items in order, customer and visitor loaded and `done` computed in the
    same query (the plan's page and its paper form read them without further queries)."""
    return session.scalars(
        select(VisitPlanItem)
        .where(VisitPlanItem.visit_plan_id == plan.id)
        .options(joinedload(VisitPlanItem.customer), joinedload(VisitPlanItem.visitor))
        .order_by(VisitPlanItem.seq, VisitPlanItem.id)).all()


def my_tasks(session, user, limit: int | None = None) -> list[dict]:
    """The user's open visit tasks: items of approved plans, not yet visited (one query)."""
    query = (select(VisitPlanItem.id, VisitPlanItem.seq, VisitPlanItem.deadline,
                    VisitPlanItem.purpose, VisitPlanItem.address, VisitPlanItem.contact_info,
                    VisitPlan.id.label("plan_id"), VisitPlan.month,
                    Customer.id.label("customer_id"), Customer.name.label("customer"))
             .join(VisitPlan, VisitPlan.id == VisitPlanItem.visit_plan_id)
             .join(Customer, Customer.id == VisitPlanItem.customer_id)
             .where(VisitPlanItem.visitor_id == user.id, VisitPlan.status == "approved",
                    ~VisitPlanItem.done)
             .order_by(VisitPlanItem.deadline, VisitPlanItem.id))
    if limit:
        query = query.limit(limit)
    today = today_cn()
    return [{"id": r.id, "seq": r.seq, "customer_id": r.customer_id, "customer": r.customer,
             "purpose": r.purpose, "address": r.address, "contact_info": r.contact_info,
             "deadline": r.deadline.isoformat(), "overdue": r.deadline < today,
             "visit_plan_id": r.plan_id, "month": r.month}
            for r in session.execute(query)]


# --- 客户拜访记录表 ---------------------------------------------------------------------
VISIT_TYPES = {"on_site": _l("实地拜访"), "phone": _l("电话"), "email": _l("邮件"),
               "wechat": _l("微信"), "meeting": _l("会面"), "other": _l("其他")}


def _solution_guard(record, _actor=None, _can=None) -> None:
    if not (record.unsolved or "").strip():
        raise StepNotAllowed(_l("没有遗留问题的拜访记录不需要批准解决方案"))


def _solution_ready(model, _actor):
    return func.trim(func.coalesce(model.unsolved, "")) != ""


RECORD_FLOW = Workflow(
    initial="draft",
    states={"draft": _l("草稿"), "submitted": _l("已提交"), "reviewed": _l("已审核"),
            "solution_approved": _l("解决方案已批准"), "returned": _l("已退回")},
    steps=[
        step("submit", ("draft", "returned"), "submitted", _l("提交"), roles=("Clerk",)),
        step("review", "submitted", "reviewed", _l("审核（客户关系主管）"),
             roles=("Supervisor",)),
        step("approve_solution", "reviewed", "solution_approved",
             _l("批准解决方案（客户服务部经理）"), roles=("Executive",),
             fields=("proposed_solution",), guard=_solution_guard, ready=_solution_ready),
        send_back(("submitted", "reviewed")),
    ],
)

visit_record_contact = Table(
    "visit_record_contact", Model.metadata,
    Column("visit_record_id", Integer, ForeignKey("visit_record.id", ondelete="CASCADE"),
           primary_key=True),
    Column("contact_id", Integer, ForeignKey("contact.id"), primary_key=True, index=True),
)


class VisitRecord(RegisterMixin, Model):
    """客户拜访记录表 (policy 01 二 §8–11)."""

    __tablename__ = "visit_record"
    label = _l("客户拜访记录表")
    quick_search = ("customer.name", "needs")
    workflow = RECORD_FLOW
    enums = {"visit_type": VISIT_TYPES, "status": RECORD_FLOW.states}
    field_labels = {
        **COMMON_LABELS,
        "customer": _l("客户"), "visit_plan_item": _l("拜访计划明细"),
        "visit_date": _l("拜访日期"), "visit_type": _l("拜访方式"),
        "visitors": _l("拜访人员"), "contacts_met": _l("接待人员（客户联系人）"),
        "needs": _l("客户需求"), "solutions": _l("解决办法"),
        "objections": _l("客户异议及产生原因"), "promised_date": _l("承诺解决日期"),
        "gifts": _l("赠送礼品"), "result": _l("拜访结果"),
        "unsolved": _l("无法解决的问题"), "proposed_solution": _l("建议解决方案"),
        "late": _l("超出拜访时限"), "status": _l("状态"),
    }

    customer_id = Column(Integer, ForeignKey("customer.id"), nullable=False, index=True)
    customer = relationship(Customer, backref="visit_records")
    visit_plan_item_id = Column(Integer, ForeignKey("visit_plan_item.id"), index=True)
    visit_plan_item = relationship(VisitPlanItem, backref="records")
    visit_date = Column(Date, nullable=False, index=True)
    visit_type = Column(String(20), nullable=False, default="on_site")
    visitors = Column(String(200))
    contacts_met = relationship(Contact, secondary=visit_record_contact)
    needs = Column(Text)
    solutions = Column(Text)
    objections = Column(Text)
    promised_date = Column(Date)
    gifts = Column(String(300))
    result = Column(Text)
    unsolved = Column(Text)
    proposed_solution = Column(Text)
    late = Column(Boolean, nullable=False, default=False)
    status = Column(String(20), nullable=False, default="draft", index=True)

    def __repr__(self) -> str:
        return f"{self.customer} {self.visit_date}" if self.customer else str(self.visit_date)

    def validate(self):
        today = today_cn()
        if self.visit_date is not None:
            if self.visit_date > today:
                return RowRejected(_l("拜访日期不能晚于今天"), "visit_date")
            if self.promised_date is not None and self.promised_date < self.visit_date:
                return RowRejected(_l("承诺解决日期不能早于拜访日期"), "promised_date")
        item = self.visit_plan_item
        if item is not None:
            if self.customer is not None and item.customer_id != self.customer.id:
                return RowRejected(_l("所选计划明细的客户是“%(customer)s”，与本记录的客户不一致",
                                      customer=item.customer), "visit_plan_item")
            if item.visit_plan.status != "approved":
                return RowRejected(_l("该计划明细所属的拜访计划尚未批准"), "visit_plan_item")
        for contact in self.contacts_met or []:
            if self.customer is not None and contact.customer_id != self.customer.id:
                return RowRejected(_l("联系人“%(name)s”不是客户“%(customer)s”的联系人",
                                      name=contact, customer=self.customer), "contacts_met")
        self.late = bool(item is not None and self.visit_date is not None
                         and item.deadline is not None and self.visit_date > item.deadline)
        return None


# 已拜访: a submitted (or later) record points at the item; loaded with the item in the same
# SELECT (a correlated EXISTS), so lists and the API read no records per item.
VisitPlanItem.done = column_property(
    exists().where(VisitRecord.visit_plan_item_id == VisitPlanItem.id,
                   VisitRecord.status.in_(DONE_STATES)))

list_indexes(VisitPlan, ("month", "status"))
list_indexes(VisitPlanItem, ("seq", "deadline"))
list_indexes(VisitRecord, ("visit_date", "visit_type", "status"), filters=("late",))


# --- 联系频率规则 (policy 05 三.1–2; DESIGN.md §4) ----------------------------------------
KEY_CONTACT_MONTHS = 1  # 重点客户: 每月至少深度沟通一次
KEY_ON_SITE_MONTHS = 6  # 重点客户: 每半年至少实地拜访一次
OTHER_CONTACT_MONTHS = 3  # 一般客户: 每季度至少沟通一次
NO_RULE_COOPERATION = ("prospect", "lost")  # 潜在客户适时安排; 流失客户不再维护


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it has fewer days)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def cutoff(today: date, months: int) -> date:
    """The earliest date d with add_months(d, months) ≥ today: a last contact before it
    means the customer is behind (add_months(d, months) < today)."""
    day = add_months(today, -months)
    while add_months(day - timedelta(days=1), months) >= today:
        day -= timedelta(days=1)
    while add_months(day, months) < today:
        day += timedelta(days=1)
    return day


def contact_stats():
    """Per customer: last contact and last on-site visit (submitted or later records)."""
    return (select(VisitRecord.customer_id.label("customer_id"),
                   func.max(VisitRecord.visit_date).label("last_contact"),
                   func.max(case((VisitRecord.visit_type == "on_site", VisitRecord.visit_date)))
                   .label("last_on_site"))
            .where(VisitRecord.status.in_(DONE_STATES))
            .group_by(VisitRecord.customer_id).subquery("contact_stats"))


def _behind(last, created, limit: date):
    """SQL: the reference date (last contact, else the creation date) is before `limit`."""
    return or_(and_(last.is_not(None), last < limit),
               and_(last.is_(None), created < datetime.combine(limit, datetime.min.time())))


def contact_due_statement(user=None, today: date | None = None):
    """One SELECT of the customers in `user`'s scope behind the contact rule, with owner,
    last contact and last on-site visit. A dashboard tile can count or group it:
    select(func.count()).select_from(contact_due_statement(user).subquery())."""
    today = today or today_cn()
    stats = contact_stats()
    owner = aliased(ConsoleUser)
    last, on_site = stats.c.last_contact, stats.c.last_on_site
    key_behind = or_(_behind(last, Customer.created_on, cutoff(today, KEY_CONTACT_MONTHS)),
                     _behind(on_site, Customer.created_on, cutoff(today, KEY_ON_SITE_MONTHS)))
    other_behind = _behind(last, Customer.created_on, cutoff(today, OTHER_CONTACT_MONTHS))
    return (select(Customer.id, Customer.code, Customer.name, Customer.is_key,
                   Customer.created_on, Customer.owner_id, owner.username,
                   owner.first_name, owner.last_name, last.label("last_contact"),
                   on_site.label("last_on_site"))
            .outerjoin(stats, stats.c.customer_id == Customer.id)
            .join(owner, owner.id == Customer.owner_id)
            .where(scope_clause(Customer, user), Customer.status != "archived",
                   Customer.cooperation.not_in(NO_RULE_COOPERATION),
                   case((Customer.is_key.is_(True), key_behind), else_=other_behind)))


def _as_date(value) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value


def contact_reasons(is_key, created, last_contact, last_on_site, today) -> tuple[int, list]:
    """Days overdue and the reasons for one row of contact_due_statement (no queries)."""
    reasons, overdue = [], []
    created = _as_date(created)
    never_contacted, never_on_site = _l("（建档以来无联系记录）"), _l("（建档以来无实地拜访记录）")
    rules = ([(last_contact, KEY_CONTACT_MONTHS, _l("重点客户超过 1 个月未联系"), never_contacted),
              (last_on_site, KEY_ON_SITE_MONTHS, _l("重点客户超过 6 个月未实地拜访"),
               never_on_site)]
             if is_key else
             [(last_contact, OTHER_CONTACT_MONTHS, _l("超过 3 个月（一个季度）未联系"),
               never_contacted)])
    for last, months, reason, never in rules:
        since = _as_date(last) or created
        due = add_months(since, months)
        if due < today:
            overdue.append((today - due).days)
            reasons.append(str(reason) if last is not None else str(reason) + str(never))
    return max(overdue, default=0), reasons


def contact_due(session, user=None, today: date | None = None, limit: int | None = None,
                where=()):
    """Customers in scope behind the contact rule, most overdue first (one SQL query);
    `where`: further conditions on the customer (e.g. a department)."""
    today = today or today_cn()
    rows = []
    for r in session.execute(contact_due_statement(user, today).where(*where)):
        days, reasons = contact_reasons(r.is_key, r.created_on, r.last_contact,
                                        r.last_on_site, today)
        rows.append({
            "id": r.id, "code": r.code, "name": r.name, "is_key": bool(r.is_key),
            "owner": r.username, "owner_id": r.owner_id,
            "owner_name": f"{r.last_name or ''}{r.first_name or ''}",
            "last_contact": _iso(r.last_contact), "last_on_site": _iso(r.last_on_site),
            "days_overdue": days, "reason": "；".join(reasons)})
    rows.sort(key=lambda row: (-row["days_overdue"], row["name"]))
    return rows[:limit] if limit else rows


def _iso(value):
    value = _as_date(value)
    return value.isoformat() if value else None
