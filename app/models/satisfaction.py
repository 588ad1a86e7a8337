"""满意度 family: satisfaction surveys (满意度调查) with their responses (调查答卷), and
service requests (客户需求受理).

Policy 01 四 (调查计划 → 主管领导审批 → 实施 → 调查报告), 03 六 1.2, 05 四.1 (需求 1 小时 /
24 小时内响应) and 五.1 (至少每半年一次全面调查). Aggregates are single SQL queries in
the viewer's row scope; `survey_results`, `dimension_scores` and `service_request_stats`
are what pages, APIs and dashboard tiles call.
"""
from datetime import date, datetime, timedelta

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    and_,
    case,
    cast,
    event,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import relationship, validates

from app.errors import RowRejected
from app.models.base import COMMON_LABELS, RegisterMixin, list_indexes
from app.models.customers import Customer
from app.scope import scope_clause
from app.timeutil import CHINA, now_cn, today_cn
from app.workflow import Workflow, send_back, step

# --- 满意度调查 --------------------------------------------------------------------------
METHODS = {"questionnaire": _l("问卷调查"), "phone": _l("电话调查"), "interview": _l("面谈调查"),
           "forum": _l("座谈会"), "third_party": _l("第三方调查")}
# The nine dimensions of policies 01 四 §3/§7 and 05 五 (DESIGN.md §2), in questionnaire order.
DIMENSIONS = {
    "product_function": _l("产品功能"), "product_quality": _l("产品质量"),
    "price": _l("产品价格"), "product_style": _l("产品样式"),
    "ease_of_use": _l("使用方便程度"), "delivery": _l("交货及时性"),
    "service_content": _l("服务内容"), "service_quality": _l("服务质量"),
    "service_attitude": _l("服务态度"),
}
# The five-level scale of policy 01 四 §8, stored as 5 … 1.
LEVELS = {5: _l("非常满意"), 4: _l("满意"), 3: lazy_pgettext("满意度", "一般"), 2: _l("不满意"),
          1: _l("非常不满意")}
SATISFIED_MIN = 4  # 满意率: share of 满意 (4) and 非常满意 (5)
FULL_SURVEY_MONTHS = 6  # policy 05 五.1: 至少每半年进行一次全面的满意度调查
REPORT_HEADINGS = _l("一、基本状况：\n\n二、调查结果：\n\n三、满意度现状：\n\n四、改进建议：\n")


def level_from(value) -> int | None:
    """A level from a number (1–5) or its Chinese name; ValueError in Chinese otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        text = value.strip()
        for number, label in LEVELS.items():
            if text == str(label):
                return number
        value = text
    try:
        number = int(float(value)) if not isinstance(value, bool) else None
        if number is None or float(value) != number:
            raise ValueError
    except (TypeError, ValueError):
        raise ValueError(str(_l("应为 1–5 或满意程度名称（非常满意、满意、一般、不满意、非常不满意）"))) \
            from None
    if not 1 <= number <= 5:
        raise ValueError(str(_l("应为 1–5（5 非常满意 … 1 非常不满意），不能为 %(n)s", n=number)))
    return number


SURVEY_FLOW = Workflow(
    initial="planned",
    editable=("planned", "returned"),
    states={"planned": _l("计划中"), "submitted": _l("待审批"), "approved": _l("已批准"),
            "in_progress": _l("调查中"), "reported": _l("已报告"), "returned": _l("已退回")},
    steps=[
        # 调查人员 are Clerks or Supervisors: a Supervisor may run every Clerk step
        step("submit", ("planned", "returned"), "submitted", _l("提交审批"), roles=("Clerk",)),
        step("approve", "submitted", "approved", _l("批准"), roles=("Supervisor",)),
        step("start", "approved", "in_progress", _l("开始调查"), roles=("Clerk",)),
        step("report", "in_progress", "reported", _l("提交调查报告"), roles=("Clerk",),
             needs=("report",), stamp="reported_on"),
        send_back(("submitted", "approved")),
    ],
)


class SatisfactionSurvey(RegisterMixin, Model):
    """满意度调查: the survey plan (policy 01 四 §5), its approval, and its report (§9)."""

    __tablename__ = "satisfaction_survey"
    __table_args__ = (CheckConstraint("issued_count >= 0", name="ck_survey_issued"),)
    label = _l("满意度调查")
    quick_search = ("title", "target")
    workflow = SURVEY_FLOW
    acting = ("staff",)
    enums = {"method": METHODS, "status": SURVEY_FLOW.states}
    field_labels = {
        **COMMON_LABELS,
        "title": _l("调查名称"), "period_start": _l("调查开始日期"),
        "period_end": _l("调查结束日期"), "method": _l("调查方式"), "target": _l("调查对象"),
        "content": _l("调查内容"), "issued_count": _l("发放份数"), "staff": _l("调查人员"),
        "report": _l("调查报告"), "reported_on": _l("报告日期"), "status": _l("状态"),
        "response_count": _l("回收份数"), "valid_count": _l("有效份数"),
        "return_rate": _l("回收率"), "responses": _l("调查答卷"),
        "improvement_measures": _l("整改措施"),
    }

    title = Column(String(200), nullable=False)
    period_start = Column(Date, nullable=False)
    period_end = Column(Date, nullable=False)
    method = Column(String(20), nullable=False, default="questionnaire")
    target = Column(Text, nullable=False)
    content = Column(Text)
    issued_count = Column(Integer, nullable=False, default=0)
    staff = Column(String(100), nullable=False)
    report = Column(Text)
    reported_on = Column(Date, index=True)
    # kept by the listeners below SurveyResponse: recounted in SQL on every answer change
    response_count = Column(Integer, nullable=False, default=0)
    valid_count = Column(Integer, nullable=False, default=0)
    status = Column(String(20), nullable=False, default="planned", index=True)

    def __repr__(self) -> str:
        return self.title or str(_l("新调查"))

    @property
    def return_rate(self):
        """回收率 = valid / issued (None when nothing was issued)."""
        valid = self.valid_count or 0
        return round(valid / self.issued_count, 4) if self.issued_count else None

    def validate(self):
        if self.issued_count is not None and int(self.issued_count) < 0:
            return RowRejected(_l("发放份数不能为负数"), "issued_count")
        if self.period_start and self.period_end and self.period_end < self.period_start:
            return RowRejected(_l("调查结束日期不能早于开始日期"), "period_end")
        if self.method is not None and self.method not in METHODS:
            return RowRejected(_l("请选择调查方式"), "method")
        return None


class SurveyResponse(RegisterMixin, Model):
    """调查答卷: one returned questionnaire, in the three parts of policy 01 四 §7."""

    __tablename__ = "survey_response"
    __table_args__ = tuple(
        CheckConstraint(f"{d} BETWEEN 1 AND 5", name=f"ck_survey_response_{d}")
        for d in DIMENSIONS)
    label = _l("调查答卷")
    quick_search = ("customer.name", "comments")
    owner_from = "survey"  # answers belong to the survey's owner
    field_labels = {
        **COMMON_LABELS, **DIMENSIONS,
        "survey": _l("满意度调查"), "customer": _l("客户"), "answered_on": _l("答卷日期"),
        "respondent_profile": _l("客户资料"), "purchase_behaviour": _l("购买行为特征"),
        "comments": _l("意见和建议"), "valid": _l("有效答卷"), "average": _l("平均分"),
    }

    survey_id = Column(Integer, ForeignKey("satisfaction_survey.id"), nullable=False,
                       index=True)
    survey = relationship(SatisfactionSurvey, backref="responses")
    customer_id = Column(Integer, ForeignKey("customer.id"), nullable=True, index=True)
    customer = relationship(Customer)
    answered_on = Column(Date, nullable=False, default=today_cn)
    respondent_profile = Column(Text)
    purchase_behaviour = Column(Text)
    product_function = Column(Integer)
    product_quality = Column(Integer)
    price = Column(Integer)
    product_style = Column(Integer)
    ease_of_use = Column(Integer)
    delivery = Column(Integer)
    service_content = Column(Integer)
    service_quality = Column(Integer)
    service_attitude = Column(Integer)
    comments = Column(Text)
    valid = Column(Boolean, nullable=False, default=True)

    def __repr__(self) -> str:
        who = self.customer.name if self.customer is not None else ""
        return f"{self.survey or ''} {who}".strip() or str(_l("新答卷"))

    @property
    def average(self):
        answers = [getattr(self, d) for d in DIMENSIONS if getattr(self, d) is not None]
        return round(sum(answers) / len(answers), 2) if answers else None

    def validate(self):
        for dimension, label in DIMENSIONS.items():
            value = getattr(self, dimension)
            if value is None:
                continue
            try:
                level_from(value)
            except ValueError as e:
                return RowRejected(_l("%(label)s%(problem)s", label=label, problem=str(e)),
                                   dimension)
        survey = self.survey
        if survey is not None and survey.status != "in_progress":
            return RowRejected(_l("调查“%(survey)s”不在调查中，不能录入答卷（请先开始调查）",
                                  survey=survey), "survey")
        if self.answered_on is not None and self.answered_on > today_cn():
            return RowRejected(_l("答卷日期不能晚于今天"), "answered_on")
        return None


def _recount(connection, survey_ids) -> None:
    """response_count / valid_count of the surveys, recounted in SQL after any change of
    their answers (every path: web, API, import)."""
    table, answers = SatisfactionSurvey.__table__, SurveyResponse.__table__
    for survey_id in {i for i in survey_ids if i is not None}:
        of_survey = answers.c.survey_id == survey_id
        connection.execute(table.update().where(table.c.id == survey_id).values(
            response_count=select(func.count()).select_from(answers).where(of_survey)
            .scalar_subquery(),
            valid_count=select(func.count()).select_from(answers)
            .where(of_survey, answers.c.valid.is_(True)).scalar_subquery()))


@event.listens_for(SurveyResponse, "after_insert")
@event.listens_for(SurveyResponse, "after_delete")
def _recount_on_write(_mapper, connection, target):
    _recount(connection, [target.survey_id])


@event.listens_for(SurveyResponse, "after_update")
def _recount_on_update(_mapper, connection, target):
    history = sa_inspect(target).attrs.survey_id.history
    _recount(connection, [target.survey_id, *(history.deleted or ())])


def _rate(numerator, denominator):
    return round(numerator / denominator, 4) if denominator else None


def _dimension_rows(session, conditions) -> list[dict]:
    """Per dimension, over the valid responses matching `conditions`: answers, sum,
    satisfied answers; one UNION ALL query ordered lowest average first (unanswered last)."""
    parts = []
    for dimension in DIMENSIONS:
        column = getattr(SurveyResponse, dimension)
        parts.append(
            select(literal(dimension).label("name"),
                   func.count(column).label("answers"),
                   func.coalesce(func.sum(column), 0).label("total"),
                   func.coalesce(func.sum(case((column >= SATISFIED_MIN, 1), else_=0)), 0)
                   .label("satisfied"),
                   func.avg(cast(column, Numeric(10, 4))).label("average"))
            .where(SurveyResponse.valid.is_(True), *conditions))
    rows = union_all(*parts).subquery()
    query = select(rows).order_by(case((rows.c.average.is_(None), 1), else_=0),
                                  rows.c.average, rows.c.name)
    result = []
    for name, answers, total, satisfied, _average in session.execute(query):
        answers, total, satisfied = int(answers or 0), int(total or 0), int(satisfied or 0)
        result.append({"name": name, "label": str(DIMENSIONS[name]), "answers": answers,
                       "total": total, "satisfied": satisfied,
                       "average": _rate(total, answers),
                       "satisfied_share": _rate(satisfied, answers)})
    return result


def _overall(rows) -> dict:
    answers = sum(r["answers"] for r in rows)
    return {"answers": answers, "average": _rate(sum(r["total"] for r in rows), answers),
            "satisfied_share": _rate(sum(r["satisfied"] for r in rows), answers)}


def survey_results(session, survey, user=None) -> dict:
    """DESIGN.md §8 results of one survey: issued, valid, 回收率 (valid / issued), and per
    dimension the average (1–5) and 满意率 (share of 满意 + 非常满意) over the valid
    responses that answered it, lowest average first; overall pools every answer."""
    counts = session.execute(
        select(func.count(SurveyResponse.id),
               func.coalesce(func.sum(case((SurveyResponse.valid.is_(True), 1), else_=0)), 0))
        .where(SurveyResponse.survey_id == survey.id, scope_clause(SurveyResponse, user))).one()
    returned, valid = int(counts[0] or 0), int(counts[1] or 0)
    rows = _dimension_rows(session, [SurveyResponse.survey_id == survey.id,
                                     scope_clause(SurveyResponse, user)])
    overall = _overall(rows)
    for row in rows:
        del row["total"], row["satisfied"]
    return {"id": survey.id, "title": survey.title, "issued": survey.issued_count,
            "returned": returned, "valid": valid,
            "return_rate": _rate(valid, survey.issued_count),
            "dimensions": rows, "overall": overall}


def dimension_scores(session, user=None, start: date | None = None,
                     end: date | None = None, department_ids=None) -> list[dict]:
    """Satisfaction per dimension (dashboard tile): valid responses of reported surveys in
    the viewer's scope (and `department_ids`) answered in [start, end); [{name, label,
    answers, average, satisfied_share}], lowest first."""
    conditions = [SurveyResponse.survey_id.in_(
        select(SatisfactionSurvey.id).where(SatisfactionSurvey.status == "reported")),
        scope_clause(SurveyResponse, user)]
    if start is not None:
        conditions.append(SurveyResponse.answered_on >= start)
    if end is not None:
        conditions.append(SurveyResponse.answered_on < end)
    if department_ids is not None:
        conditions.append(SurveyResponse.department_id.in_(department_ids))
    rows = _dimension_rows(session, conditions)
    for row in rows:
        del row["total"], row["satisfied"]
    return rows


def last_reported_on(session, user=None) -> date | None:
    """The report date of the newest reported survey in the viewer's scope."""
    return session.scalar(select(func.max(SatisfactionSurvey.reported_on)).where(
        SatisfactionSurvey.status == "reported", scope_clause(SatisfactionSurvey, user)))


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    days = [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28,
            31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return date(year, month, min(day.day, days))


def full_survey_due(last: date | None, today: date) -> bool:
    """Policy 05 五.1: a full survey at least every half year."""
    return last is None or add_months(last, FULL_SURVEY_MONTHS) < today


def measure_problem(survey, row: dict) -> str:
    """The 存在问题 text of an improvement measure raised from a low dimension."""
    share = "" if row["satisfied_share"] is None else f"{row['satisfied_share'] * 100:.1f}%"
    average = "" if row["average"] is None else f"{row['average']:.2f}"
    return str(_l("%(survey)s：%(dimension)s平均分 %(average)s，满意率 %(share)s",
                  survey=survey.title, dimension=row["label"], average=average, share=share))


# --- 客户需求受理 ------------------------------------------------------------------------
REQUEST_CHANNELS = {"phone": _l("电话"), "email": _l("电子邮件"), "wechat": _l("微信"),
                    "visit": _l("来访"), "other": _l("其他")}
URGENCIES = {"urgent": _l("紧急"), "normal": _l("一般")}
RESPONSE_HOURS = {"urgent": 1, "normal": 24}  # policy 05 四.1, clock hours
OPEN_REQUEST_STATES = ("received",)

REQUEST_FLOW = Workflow(
    initial="received",
    editable=("received", "returned"),
    states={"received": _l("已受理"), "responded": _l("已响应"), "resolved": _l("已解决"),
            "closed": _l("已关闭"), "returned": _l("已退回")},
    steps=[
        step("respond", "received", "responded", _l("响应"), roles=("Clerk",),
             needs=("response",), stamp="responded_at"),
        step("resolve", ("responded", "returned"), "resolved", _l("解决"), roles=("Clerk",),
             needs=("resolution",), stamp="resolved_at"),
        step("close", "resolved", "closed", _l("关闭"), roles=("Supervisor",)),
        send_back(("resolved",)),
    ],
)


def respond_deadline(received: datetime | None, urgency: str | None) -> datetime | None:
    """respond_due_at: urgent 1 hour, normal 24 hours after receipt (clock hours)."""
    if received is None:
        return None
    return received + timedelta(hours=RESPONSE_HOURS.get(urgency or "normal", 24))


class ServiceRequest(RegisterMixin, Model):
    """客户需求受理 (policy 05 四.1): a customer's request, answered in 1 or 24 hours."""

    __tablename__ = "service_request"
    label = _l("客户需求受理")
    quick_search = ("code", "customer.name", "content")
    code_prefix = "XQ"
    search_index = ("code",)
    owner_from = "customer"
    workflow = REQUEST_FLOW
    enums = {"channel": REQUEST_CHANNELS, "urgency": URGENCIES, "status": REQUEST_FLOW.states}
    field_labels = {
        **COMMON_LABELS,
        "code": _l("需求编号"), "customer": _l("客户"), "received_at": _l("受理时间"),
        "channel": _l("受理渠道"), "content": _l("需求内容"), "urgency": _l("紧急程度"),
        "respond_due_at": _l("响应期限"), "responded_at": _l("响应时间"),
        "response": _l("响应内容"), "resolved_at": _l("解决时间"),
        "resolution": _l("解决结果"), "status": _l("状态"), "overdue": _l("超时未响应"),
        "responded_late": _l("响应超时"), "overdue_mark": _l("超时提示"),
    }

    code = Column(String(20), unique=True, nullable=False)
    customer_id = Column(Integer, ForeignKey("customer.id"), nullable=False, index=True)
    customer = relationship(Customer, backref="service_requests")
    received_at = Column(DateTime, nullable=False, default=now_cn, index=True)
    channel = Column(String(20), nullable=False, default="phone")
    content = Column(Text, nullable=False)
    urgency = Column(String(10), nullable=False, default="normal")
    respond_due_at = Column(DateTime, nullable=False, index=True)
    responded_at = Column(DateTime)
    response = Column(Text)
    resolved_at = Column(DateTime)
    resolution = Column(Text)
    status = Column(String(20), nullable=False, default="received", index=True)

    def __repr__(self) -> str:
        return self.code or str(_l("新需求"))

    @validates("received_at")
    def _naive_china_time(self, _key, value):
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(CHINA).replace(tzinfo=None)
        return value

    @hybrid_property
    def overdue(self) -> bool:
        """Not answered and the response deadline has passed."""
        return (self.responded_at is None and self.respond_due_at is not None
                and self.respond_due_at < now_cn())

    @overdue.expression
    def overdue(cls):
        return and_(cls.responded_at.is_(None), cls.respond_due_at < now_cn())

    @hybrid_property
    def responded_late(self) -> bool:
        return (self.responded_at is not None and self.respond_due_at is not None
                and self.responded_at > self.respond_due_at)

    @responded_late.expression
    def responded_late(cls):
        return and_(cls.responded_at.is_not(None), cls.responded_at > cls.respond_due_at)

    @property
    def overdue_mark(self) -> str:
        if self.overdue:
            return str(self.field_labels["overdue"])
        if self.responded_late:
            return str(self.field_labels["responded_late"])
        return ""

    def validate(self):
        if self.received_at is not None and self.received_at > now_cn():
            return RowRejected(_l("受理时间不能晚于当前时间"), "received_at")
        if self.urgency is not None and self.urgency not in URGENCIES:
            return RowRejected(_l("请选择紧急程度"), "urgency")
        return None


@event.listens_for(ServiceRequest, "before_insert")
def _deadline_on_insert(_mapper, _connection, target):
    if target.received_at is None:
        target.received_at = now_cn()
    target.respond_due_at = respond_deadline(target.received_at, target.urgency)


@event.listens_for(ServiceRequest, "before_update")
def _deadline_on_update(_mapper, _connection, target):
    state = sa_inspect(target)
    if any(state.attrs[name].history.has_changes() for name in ("received_at", "urgency")):
        target.respond_due_at = respond_deadline(target.received_at, target.urgency)


def _request_counts(received, answered, timely, overdue) -> dict:
    received, answered, timely, overdue = (int(n or 0) for n in
                                           (received, answered, timely, overdue))
    return {"received": received, "responded": answered, "responded_in_time": timely,
            "overdue": overdue, "response_timely_rate": _rate(timely, answered)}


def service_request_stats(session, start: datetime, end: datetime, user=None,
                          department_ids=None) -> dict:
    """Requests received in [start, end) in the viewer's scope (and `department_ids`), in
    one query (GROUP BY urgency): received, responded, responded_in_time (responded_at ≤
    respond_due_at), overdue and 响应及时率 = in time / responded (None when nothing was
    responded); the totals at the top level and `by_urgency` rows (urgent first)."""
    responded = ServiceRequest.responded_at.is_not(None)
    in_time = and_(responded, ServiceRequest.responded_at <= ServiceRequest.respond_due_at)
    result = session.execute(
        select(ServiceRequest.urgency, func.count(ServiceRequest.id),
               func.coalesce(func.sum(case((responded, 1), else_=0)), 0),
               func.coalesce(func.sum(case((in_time, 1), else_=0)), 0),
               func.coalesce(func.sum(case((ServiceRequest.overdue, 1), else_=0)), 0))
        .where(ServiceRequest.received_at >= start, ServiceRequest.received_at < end,
               scope_clause(ServiceRequest, user),
               *(() if department_ids is None else
                 (ServiceRequest.department_id.in_(department_ids),)))
        .group_by(ServiceRequest.urgency))
    counts = {row[0]: [int(n or 0) for n in row[1:]] for row in result}
    totals = [sum(values[i] for values in counts.values()) for i in range(4)]
    return {**_request_counts(*totals),
            "by_urgency": [{"urgency": urgency, **_request_counts(*counts.get(urgency,
                                                                             [0] * 4))}
                           for urgency in URGENCIES]}


def overdue_count(session, user=None) -> int:
    return int(session.scalar(select(func.count(ServiceRequest.id)).where(
        ServiceRequest.overdue, scope_clause(ServiceRequest, user))) or 0)


def overdue_requests(session, user=None, owner_id: int | None = None, limit=None):
    """Requests not answered by respond_due_at in the viewer's scope, oldest deadline first."""
    query = (select(ServiceRequest).where(ServiceRequest.overdue,
                                          scope_clause(ServiceRequest, user))
             .order_by(ServiceRequest.respond_due_at, ServiceRequest.id))
    if owner_id is not None:
        query = query.where(ServiceRequest.owner_id == owner_id)
    if limit:
        query = query.limit(limit)
    return session.scalars(query).all()


list_indexes(SatisfactionSurvey, ("title", "period_start", "period_end", "status", "reported_on"),
             filters=("method",))
list_indexes(SurveyResponse, ("answered_on",), filters=("valid",))
list_indexes(ServiceRequest, ("code", "received_at", "urgency", "respond_due_at", "responded_at",
                              "status"), filters=("channel",))


__all__ = ["DIMENSIONS", "LEVELS", "METHODS", "REQUEST_CHANNELS", "REQUEST_FLOW",
           "SURVEY_FLOW", "SatisfactionSurvey", "ServiceRequest", "SurveyResponse",
           "URGENCIES", "dimension_scores", "full_survey_due", "last_reported_on",
           "level_from", "overdue_count", "overdue_requests", "respond_deadline",
           "service_request_stats", "survey_results"]
