"""客户分级 family: the grading rule and the yearly 客户质量等级评定表.

Policy 04 (客户分级管理制度): customers are graded once a year on sales, price, payment
and other combined indicators (2.0, 5.1.1); the 销售科长 declares, the 销售部长 reviews, the
总经理 approves (6.2.1 B); new customers get a provisional grade reviewed after six months
(5.1.2 D); a grade is not for life (6.1). Policy 01 第八条: customers are classed by value.
DESIGN.md §4 fixes the formula: total_score = Σ weight × score / Σ weight.

The pure scoring functions (`total_score`, `grade_for`, `add_months`, `is_provisional`)
need no database and are unit-tested in tests/unit/test_grading_score.py.
"""
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from dateutil.relativedelta import relativedelta
from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    and_,
    event,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import object_session, relationship

from app.errors import RowRejected
from app.models.base import COMMON_LABELS, SHARED, RegisterMixin, list_indexes
from app.models.customers import GRADES, Customer, Transaction
from app.timeutil import today_cn
from app.workflow import StepNeedsInput, Workflow, send_back, step

SCORE_FIELDS = ("score_sales", "score_price", "score_payment", "score_cooperation",
                "score_potential", "score_credit")
WEIGHT_FIELDS = tuple("weight_" + f.removeprefix("score_") for f in SCORE_FIELDS)
THRESHOLD_FIELDS = ("threshold_a", "threshold_b", "threshold_c")
DEFAULT_RULE = {
    "name": "默认评级规则",
    "weight_sales": Decimal(30), "weight_price": Decimal(10), "weight_payment": Decimal(25),
    "weight_cooperation": Decimal(10), "weight_potential": Decimal(15),
    "weight_credit": Decimal(10),
    "threshold_a": Decimal(85), "threshold_b": Decimal(70), "threshold_c": Decimal(55),
    "abc_a": Decimal("0.75"), "abc_b": Decimal("0.95"), "provisional_months": 6,
}
CENT = Decimal("0.01")
ASPECT_LABELS = {"sales": _l("销售额"), "price": _l("销售价格"), "payment": _l("货款回收"),
                 "cooperation": _l("合作状况"), "potential": _l("发展潜力"),
                 "credit": _l("资信状况")}


# --- pure scoring -----------------------------------------------------------------
def _dec(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def total_score(scores, weights) -> Decimal | None:
    """Σ weight × score / Σ weight, rounded half-up to 2 places (DESIGN.md §4).

    `scores` and `weights` are sequences in SCORE_FIELDS order. None when a score is
    missing or the weights sum to zero.
    """
    scores = [_dec(s) for s in scores]
    weights = [_dec(w) or Decimal(0) for w in weights]
    total_weight = sum(weights, Decimal(0))
    if any(s is None for s in scores) or total_weight <= 0:
        return None
    weighted = sum((w * s for w, s in zip(weights, scores)), Decimal(0))
    return (weighted / total_weight).quantize(CENT, rounding=ROUND_HALF_UP)


def grade_for(total, threshold_a, threshold_b, threshold_c) -> str | None:
    """A when total ≥ threshold_a, B when ≥ threshold_b, C when ≥ threshold_c, else D."""
    total = _dec(total)
    if total is None:
        return None
    for grade, threshold in (("A", threshold_a), ("B", threshold_b), ("C", threshold_c)):
        if total >= _dec(threshold):
            return grade
    return "D"


def add_months(day: date, months: int) -> date:
    """`day` + `months` calendar months; the 31st becomes the month's last day."""
    return day + relativedelta(months=months)


def is_provisional(first_transaction: date | None, approval: date,
                   months: int = DEFAULT_RULE["provisional_months"]) -> bool:
    """A new customer (policy 04 5.1.2 D: 新合作的客户 … 在合作满六个月后进行评估): no
    transaction, or cooperation (since the first transaction) under `months` months at
    the approval date."""
    return first_transaction is None or \
        first_transaction > approval - relativedelta(months=months)


def review_due_date(first_transaction: date | None, approval: date,
                    months: int = DEFAULT_RULE["provisional_months"]) -> date:
    """A provisional grade is reviewed `months` after the first transaction, or after the
    approval when the customer has no transaction yet."""
    return add_months(first_transaction or approval, months)


# --- the rule ---------------------------------------------------------------------
class GradingRule(RegisterMixin, Model):
    """评级规则: weights, grade thresholds, ABC cut-offs, provisional review period.

    Admins edit it; everyone reads it. The rule in force is the newest active one;
    activating a rule deactivates the others (one active rule at a time). The rule
    seeded by the migration has no owner (系统预置).
    """

    __tablename__ = "grading_rule"
    row_scope = SHARED
    label = _l("评级规则")
    field_labels = {
        **COMMON_LABELS,
        "name": _l("规则名称"), "active": _l("启用"),
        "weight_sales": _l("销售额权重"), "weight_price": _l("销售价格权重"),
        "weight_payment": _l("货款回收权重"), "weight_cooperation": _l("合作状况权重"),
        "weight_potential": _l("发展潜力权重"), "weight_credit": _l("资信状况权重"),
        "threshold_a": _l("A 级分数线"), "threshold_b": _l("B 级分数线"),
        "threshold_c": _l("C 级分数线"),
        "abc_a": _l("ABC 分析 A 类累计占比上限"), "abc_b": _l("ABC 分析 B 类累计占比上限"),
        "provisional_months": _l("临时等级复评期（月）"), "notes": _l("说明"),
        "weights_text": _l("权重"),
    }

    owner_id = Column(Integer, ForeignKey("ab_user.id"), nullable=True, index=True)
    name = Column(String(100), unique=True, nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    weight_sales = Column(Numeric(6, 2), nullable=False, default=DEFAULT_RULE["weight_sales"])
    weight_price = Column(Numeric(6, 2), nullable=False, default=DEFAULT_RULE["weight_price"])
    weight_payment = Column(Numeric(6, 2), nullable=False,
                            default=DEFAULT_RULE["weight_payment"])
    weight_cooperation = Column(Numeric(6, 2), nullable=False,
                                default=DEFAULT_RULE["weight_cooperation"])
    weight_potential = Column(Numeric(6, 2), nullable=False,
                              default=DEFAULT_RULE["weight_potential"])
    weight_credit = Column(Numeric(6, 2), nullable=False, default=DEFAULT_RULE["weight_credit"])
    threshold_a = Column(Numeric(5, 2), nullable=False, default=DEFAULT_RULE["threshold_a"])
    threshold_b = Column(Numeric(5, 2), nullable=False, default=DEFAULT_RULE["threshold_b"])
    threshold_c = Column(Numeric(5, 2), nullable=False, default=DEFAULT_RULE["threshold_c"])
    abc_a = Column(Numeric(5, 4), nullable=False, default=DEFAULT_RULE["abc_a"])
    abc_b = Column(Numeric(5, 4), nullable=False, default=DEFAULT_RULE["abc_b"])
    provisional_months = Column(Integer, nullable=False,
                                default=DEFAULT_RULE["provisional_months"])
    notes = Column(Text)

    def __repr__(self) -> str:
        return self.name or ""

    def fill_defaults(self) -> None:
        """A new rule starts from the defaults for whatever the input left out."""
        for key, value in DEFAULT_RULE.items():
            if key != "name" and getattr(self, key) in (None, ""):
                setattr(self, key, value)
        if self.active is None:
            self.active = True

    def weights(self) -> list:
        return [getattr(self, f) for f in WEIGHT_FIELDS]

    def thresholds(self) -> list:
        return [getattr(self, f) for f in THRESHOLD_FIELDS]

    def snapshot(self) -> dict:
        """The parameters an evaluation is scored with (kept on the evaluation)."""
        return {"rule_id": self.id, "name": self.name,
                **{f: str(_dec(getattr(self, f))) for f in WEIGHT_FIELDS + THRESHOLD_FIELDS}}

    @property
    def weights_text(self) -> str:
        return weights_text(self.snapshot())

    def validate(self):
        for f in WEIGHT_FIELDS:
            value = _dec(getattr(self, f))
            if value is None:
                return RowRejected(_l("请填写%(label)s", label=self.field_labels[f]), f)
            if value < 0:
                return RowRejected(_l("权重不能为负数"), f)
        if sum((_dec(getattr(self, f)) for f in WEIGHT_FIELDS), Decimal(0)) <= 0:
            return RowRejected(_l("六项权重不能全部为零"), WEIGHT_FIELDS[0])
        a, b, c = (_dec(getattr(self, f)) for f in THRESHOLD_FIELDS)
        for f, value in zip(THRESHOLD_FIELDS, (a, b, c)):
            if value is None or not 0 <= value <= 100:
                return RowRejected(_l("分数线须在 0 到 100 之间"), f)
        if not a > b:
            return RowRejected(_l("A 级分数线须高于 B 级分数线"), "threshold_a")
        if not b > c:
            return RowRejected(_l("B 级分数线须高于 C 级分数线"), "threshold_b")
        abc_a, abc_b = _dec(self.abc_a), _dec(self.abc_b)
        if abc_a is None or not 0 < abc_a < 1:
            return RowRejected(_l("A 类累计占比上限须大于 0 且小于 1"), "abc_a")
        if abc_b is None or not abc_a < abc_b < 1:
            return RowRejected(_l("B 类累计占比上限须大于 A 类上限且小于 1"), "abc_b")
        months = self.provisional_months
        if months is None or not 1 <= int(months) <= 24:
            return RowRejected(_l("临时等级复评期须为 1 到 24 个月"), "provisional_months")
        return None


def weights_text(snapshot: dict | None) -> str:
    """'销售额 30 · 销售价格 10 · …；A ≥ 85，B ≥ 70，C ≥ 55' for show pages and forms."""
    if not snapshot:
        return ""

    def num(key):
        value = _dec(snapshot.get(key))
        return "" if value is None else f"{value.normalize():f}"

    parts = " · ".join(f"{ASPECT_LABELS[f.removeprefix('weight_')]} {num(f)}"
                       for f in WEIGHT_FIELDS)
    return (f"{parts}；A ≥ {num('threshold_a')}，B ≥ {num('threshold_b')}，"
            f"C ≥ {num('threshold_c')}")


@event.listens_for(GradingRule, "after_insert")
@event.listens_for(GradingRule, "after_update")
def _one_active_rule(_mapper, connection, target):
    """Activating a rule deactivates every other (in the same transaction)."""
    if target.active:
        table = GradingRule.__table__
        connection.execute(update(table)
                           .where(table.c.id != target.id, table.c.active.is_(True))
                           .values(active=False, version=table.c.version + 1))


def active_rule(session) -> GradingRule | None:
    """The rule in force: the newest active one."""
    return session.scalar(select(GradingRule).where(GradingRule.active.is_(True))
                          .order_by(GradingRule.created_on.desc(), GradingRule.id.desc())
                          .limit(1))


def rule_problem(session, rule) -> RowRejected | None:
    """Session-dependent rules: one rule must stay active."""
    if rule.id is not None and not rule.active:
        others = session.scalar(select(func.count(GradingRule.id)).where(
            GradingRule.active.is_(True), GradingRule.id != rule.id))
        if not others:
            return RowRejected(_l("至少需要一条启用的评级规则：请先启用另一条规则"), "active")
    return None


def rule_delete_problem(session, rule) -> RowRejected | None:
    used = session.scalar(select(func.count(GradeEvaluation.id))
                          .where(GradeEvaluation.rule_id == rule.id))
    if used:
        return RowRejected(_l("该规则已被 %(n)s 份评定表使用，不能删除；可新增规则并启用",
                              n=used))
    if rule.active:
        return RowRejected(_l("不能删除启用中的规则：请先启用另一条规则"))
    return None


# --- the evaluation -----------------------------------------------------------------
def _check_scores_for_declare(obj, actor, can):
    missing = [f for f in SCORE_FIELDS if _dec(getattr(obj, f)) is None]
    if missing:
        labels = "、".join(str(obj.field_labels[f]) for f in missing)
        raise StepNeedsInput(_l("申报前需要填写：%(fields)s", fields=labels))
    problem = obj.validate()
    if problem:
        raise StepNeedsInput(problem.message)
    session = object_session(obj)
    recompute(session, obj)


def _declare_ready(model, _actor):
    return and_(*(getattr(model, f).is_not(None) for f in SCORE_FIELDS))


def _final_grade_ready(model, _actor):
    return or_(func.coalesce(model.final_grade, "") == "",
               model.final_grade == model.proposed_grade,
               func.trim(func.coalesce(model.reason, "")) != "")


def _check_final_grade(obj, actor, can):
    """The 总经理 may set another grade than proposed, with a reason."""
    if obj.final_grade not in (None, ""):
        obj.final_grade = str(obj.final_grade).strip().upper()
        if obj.final_grade not in GRADES:
            raise StepNeedsInput(_l("评定等级须为 A、B、C、D 之一"))
        if obj.final_grade != obj.proposed_grade and not (obj.reason or "").strip():
            raise StepNeedsInput(_l("评定等级与建议等级不同，需填写调整理由"))


def first_transaction_date(session, customer_id) -> date | None:
    return session.scalar(select(func.min(Transaction.date))
                          .where(Transaction.customer_id == customer_id))


def apply_grade(obj, actor, session):
    """After 总经理批准: the evaluation's grade becomes the customer's (same transaction).

    Provisional (policy 04 5.1.2 D) when the customer has no transaction or its first is
    less than N months (the row's own rule, default 6) before the approval date: review
    due N months after the first transaction (after the approval when there is none);
    otherwise not provisional and no review date. A later year's approved
    evaluation is not overwritten by approving an older one.
    """
    if not obj.final_grade:
        obj.final_grade = obj.proposed_grade
    approval = obj.approved_on or today_cn()
    months = int((obj.rule_snapshot or {}).get("provisional_months")
                 or (obj.rule.provisional_months if obj.rule else None)
                 or DEFAULT_RULE["provisional_months"])
    first = first_transaction_date(session, obj.customer_id)
    obj.provisional = is_provisional(first, approval, months)
    obj.review_due = review_due_date(first, approval, months) if obj.provisional else None
    newer = session.scalar(select(GradeEvaluation.id).where(
        GradeEvaluation.customer_id == obj.customer_id, GradeEvaluation.year > obj.year,
        GradeEvaluation.status == "approved").limit(1))
    if newer is None:
        customer = obj.customer
        customer.grade = obj.final_grade
        customer.grade_provisional = obj.provisional
        customer.grade_review_due = obj.review_due
    session.flush()


GRADE_FLOW = Workflow(
    initial="draft",
    states={"draft": _l("草稿"), "declared": _l("已申报"), "reviewed": _l("已审核"),
            "approved": _l("已批准"), "returned": _l("已退回")},
    steps=[
        step("declare", ("draft", "returned"), "declared", _l("申报评定"),
             roles=("Clerk",), help=_l("制度规定：销售科长申报"), guard=_check_scores_for_declare,
             ready=_declare_ready),
        step("review", "declared", "reviewed", _l("审核评定"), roles=("Supervisor",),
             help=_l("制度规定：销售部长审核")),
        step("approve", "reviewed", "approved", _l("批准评定"), roles=("Executive",),
             help=_l("制度规定：总经理批准"),
             fields=("final_grade", "reason"), stamp="approved_on", guard=_check_final_grade,
             ready=_final_grade_ready,
             after=apply_grade),
        send_back(("declared", "reviewed")),
    ],
)


class GradeEvaluation(RegisterMixin, Model):
    """客户质量等级评定表: one per customer and year.

    Owned by the one who fills and declares it (销售科长申报), not by the customer's
    owner: only the owner edits a draft, and send_back returns it to that person.
    total_score and proposed_grade are stored, computed with the row's own rule
    (rule_id, fixed when the row is created) and recomputed only while the row is
    editable, so a later rule change leaves old evaluations as they were; the rule's
    parameters used are kept in rule_snapshot.
    """

    __tablename__ = "grade_evaluation"
    __table_args__ = (UniqueConstraint("customer_id", "year",
                                       name="uq_grade_evaluation_customer_year"),)
    label = _l("客户质量等级评定表")
    quick_search = ("customer.name", "reason")
    workflow = GRADE_FLOW
    enums = {"proposed_grade": GRADES, "final_grade": GRADES, "status": GRADE_FLOW.states}
    field_labels = {
        **COMMON_LABELS,
        "customer": _l("客户"), "year": _l("评定年度"),
        "score_sales": _l("销售额评分"), "score_price": _l("销售价格评分"),
        "score_payment": _l("货款回收评分"), "score_cooperation": _l("合作状况评分"),
        "score_potential": _l("发展潜力评分"), "score_credit": _l("资信状况评分"),
        "total_score": _l("综合得分"), "proposed_grade": _l("建议等级"),
        "final_grade": _l("评定等级"), "provisional": _l("临时等级"),
        "review_due": _l("复评日期"), "reason": _l("调整理由"), "status": _l("状态"),
        "rule": _l("评级规则"), "approved_on": _l("批准日期"),
        "weights_used": _l("评分所用权重与分数线"),
    }

    customer_id = Column(Integer, ForeignKey("customer.id"), nullable=False, index=True)
    customer = relationship(Customer, backref="grade_evaluations")
    year = Column(Integer, nullable=False, index=True)
    score_sales = Column(Numeric(5, 2))
    score_price = Column(Numeric(5, 2))
    score_payment = Column(Numeric(5, 2))
    score_cooperation = Column(Numeric(5, 2))
    score_potential = Column(Numeric(5, 2))
    score_credit = Column(Numeric(5, 2))
    total_score = Column(Numeric(5, 2))
    proposed_grade = Column(String(1))
    final_grade = Column(String(1))
    provisional = Column(Boolean, nullable=False, default=False)
    review_due = Column(Date)
    reason = Column(Text)
    approved_on = Column(Date)
    status = Column(String(20), nullable=False, default="draft", index=True)
    rule_id = Column(Integer, ForeignKey("grading_rule.id"), nullable=False, index=True)
    rule = relationship(GradingRule)
    rule_snapshot = Column(JSON)

    def __repr__(self) -> str:
        return f"{self.customer} {self.year}" if self.year else str(self.customer or "")

    @property
    def weights_used(self) -> str:
        return weights_text(self.rule_snapshot)

    def scores(self) -> list:
        return [getattr(self, f) for f in SCORE_FIELDS]

    def validate(self):
        for f in SCORE_FIELDS:
            value = getattr(self, f)
            if value in (None, ""):
                continue
            number = _dec(value)
            if number is None or not 0 <= number <= 100:
                return RowRejected(_l("%(label)s须在 0 到 100 之间", label=self.field_labels[f]),
                                   f)
        max_year = today_cn().year + 1
        if self.year is None or not 2000 <= int(self.year) <= max_year:
            return RowRejected(_l("评定年度须在 2000 年到 %(max)s 年之间", max=max_year), "year")
        if self.final_grade not in (None, "") and self.final_grade not in GRADES:
            return RowRejected(_l("评定等级须为 A、B、C、D 之一"), "final_grade")
        if self.final_grade and self.proposed_grade and \
                self.final_grade != self.proposed_grade and not (self.reason or "").strip():
            return RowRejected(_l("评定等级与建议等级不同，需填写调整理由"), "reason")
        return None


def recompute(session, obj) -> None:
    """Score an editable evaluation with its own rule (a new row takes the active rule)."""
    if obj.id is not None and obj.status not in GRADE_FLOW.editable:
        return  # declared/reviewed/approved: the stored values stand
    rule = obj.rule
    if rule is None and obj.rule_id is not None:
        rule = session.get(GradingRule, obj.rule_id)
    if rule is None:
        rule = active_rule(session)
        if rule is None:
            raise RowRejected(_l("没有启用的评级规则，请系统管理员先在“评级规则”中启用一条"))
        obj.rule = rule
    obj.rule_snapshot = {**rule.snapshot(), "provisional_months": rule.provisional_months}
    obj.total_score = total_score(obj.scores(), rule.weights())
    obj.proposed_grade = grade_for(obj.total_score, *rule.thresholds())


def duplicate_problem(session, obj) -> RowRejected | None:
    """One evaluation per customer and year, found before the database refuses it."""
    customer_id = obj.customer.id if obj.customer is not None else obj.customer_id
    if customer_id is None or obj.year in (None, ""):
        return None
    query = select(GradeEvaluation.id).where(GradeEvaluation.customer_id == customer_id,
                                             GradeEvaluation.year == int(obj.year))
    if obj.id is not None:
        query = query.where(GradeEvaluation.id != obj.id)
    with session.no_autoflush:
        if session.execute(query.limit(1)).first():
            customer = obj.customer or session.get(Customer, customer_id)
            return RowRejected(_l("客户“%(customer)s”%(year)s 年度的评定表已存在",
                                  customer=customer, year=obj.year), "year")
    return None


list_indexes(GradingRule, ("name", "created_on"), filters=("active",))
list_indexes(GradeEvaluation, ("year", "total_score", "final_grade", "status"),
             filters=("proposed_grade", "provisional"))
