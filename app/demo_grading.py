"""Demo rows of the 客户分级 family: the 2025 客户质量等级评定表 of the demo customers.

For each clerk, twelve of their customers with 2025 sales get a 2025 evaluation in every
workflow state (most approved at the yearly meeting at the end of March 2026, policy 04
5.1.1; some draft, declared, reviewed, returned), and two customers won in 2026 get a
2026 evaluation approved recently (provisional, review upcoming). Approved evaluations
write the customer's grade through the same `apply_grade` as the approval step, so the
customer's grade, grade_provisional and grade_review_due agree with the evaluations;
customers whose first order was less than six months (the rule's months) before approval
are provisional, their review due six months after that first order.

Deterministic (random.Random(2031)); idempotent (one evaluation per customer and year).
"""
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select

from app.grading import suggest_scores
from app.models.customers import Customer, Transaction
from app.models.grading import (
    DEFAULT_RULE,
    GRADE_FLOW,
    GradeEvaluation,
    GradingRule,
    active_rule,
    apply_grade,
    recompute,
)
from app.timeutil import today_cn
from app.workflow import TransitionLog

SEED = 2031
YEAR = 2025
PER_CLERK = 12
SUPERVISOR_OF = {"clerk1": "supervisor1", "clerk2": "supervisor1", "clerk3": "supervisor2"}
CREDIT_SCORE = {"AAA": 95, "AA": 88, "A": 78, "B": 65, "C": 50}
COOPERATION_SCORE = {"active": 85, "prospect": 60, "suspended": 55, "lost": 35}
POTENTIAL_SCORE = {"large": 85, "medium": 75, "small": 65, "micro": 55}
# states for the twelve evaluations of each clerk (the rest are approved)
STATES = ["draft", "declared", "declared", "reviewed", "returned"]


def _meeting(today: date) -> date:
    """The yearly grading meeting (policy 04 5.1.1: 3月25–30日), not after today."""
    return min(date(YEAR + 1, 3, 27), today)


def _scores(rng, customer, suggestion) -> dict:
    def near(base):
        return Decimal(max(0, min(100, base + rng.randint(-8, 8))))
    return {
        "score_sales": suggestion["score_sales"],
        "score_payment": suggestion["score_payment"] if suggestion["score_payment"] is not None
        else Decimal(60),
        "score_price": near(75),
        "score_cooperation": near(COOPERATION_SCORE.get(customer.cooperation, 70)),
        "score_potential": near(POTENTIAL_SCORE.get(customer.scale, 65)),
        "score_credit": near(CREDIT_SCORE.get(customer.credit_rating, 70)),
    }


def _path(state, owner, supervisor, executive):
    declare = ("declare", owner, None)
    review = ("review", supervisor, "同意申报等级")
    return {
        "draft": [],
        "declared": [declare],
        "reviewed": [declare, review],
        "returned": [declare, ("send_back", supervisor, "合作状况评分依据不足，请补充近一年拜访记录")],
        "approved": [declare, review, ("approve", executive, "同意")],
    }[state]


def _walk(evaluation, path, start: datetime, approve_on: date, rng) -> list[dict]:
    """Status and transition log of `path`, as fire() would have written them."""
    state, moment, logs = GRADE_FLOW.initial, start, []
    for name, actor, comment in path:
        chosen = GRADE_FLOW.by_name[name]
        if not chosen.starts_from(state):
            raise ValueError(f"grade_evaluation: {name} cannot run from {state}")
        moment = datetime.combine(approve_on, time(15, 0)) if name == "approve" else \
            moment + timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 5))
        logs.append({"register": "grade_evaluation", "step": name, "from_state": state,
                     "to_state": chosen.target, "user_id": actor.id, "at": moment,
                     "comment": comment})
        state = chosen.target
    evaluation.status = state
    evaluation.changed_on = moment
    return logs


def _ensure_rule(session) -> GradingRule:
    rule = active_rule(session)
    if rule is None:  # the migration seeds it; an emptied table gets it back
        rule = session.scalar(select(GradingRule).where(
            GradingRule.name == DEFAULT_RULE["name"]))
        if rule is None:
            rule = GradingRule(**DEFAULT_RULE, active=True)
            session.add(rule)
        rule.active = True
        session.flush()
    return rule


def _add(session, evaluation, logs, approve_on, executive):
    session.add(evaluation)
    session.flush()
    for log in logs:
        log["row_id"] = evaluation.id
    if logs:
        session.execute(insert(TransitionLog), logs)
    if evaluation.status == "approved":
        evaluation.approved_on = approve_on
        apply_grade(evaluation, executive, session)
        evaluation.changed_on = logs[-1]["at"]


def load(session, users) -> list[str]:
    with session.no_autoflush:  # rows are added whole, after their workflow walk
        return _load(session, users)


def _load(session, users) -> list[str]:
    today = today_cn()
    meeting = _meeting(today)
    rule = _ensure_rule(session)
    executive = users["executive"]
    first_order = dict(session.execute(
        select(Transaction.customer_id, func.min(Transaction.date))
        .group_by(Transaction.customer_id)).all())
    sold_in_year = set(session.scalars(select(Transaction.customer_id).where(
        Transaction.date >= date(YEAR, 1, 1), Transaction.date < date(YEAR + 1, 1, 1))
        .distinct()))
    existing = set(session.execute(select(GradeEvaluation.customer_id, GradeEvaluation.year)))
    made = approved = 0
    for owner_name, supervisor_name in SUPERVISOR_OF.items():
        owner = users.get(owner_name)
        if owner is None:
            continue
        supervisor = users[supervisor_name]
        rng = random.Random(f"{SEED}-{owner_name}")  # the same draws whatever exists
        customers = session.scalars(select(Customer).where(
            Customer.owner_id == owner.id, Customer.status != "archived")
            .order_by(Customer.name)).all()
        if not customers:
            continue
        suggestions = suggest_scores(session, YEAR, owner, {c.id for c in customers})
        chosen = rng.sample([c for c in customers if c.id in sold_in_year],
                            min(PER_CLERK, len([c for c in customers if c.id in sold_in_year])))
        states = STATES + ["approved"] * (len(chosen) - len(STATES))
        for customer, state in zip(chosen, states):
            if (customer.id, YEAR) in existing:
                continue
            rng = random.Random(f"{SEED}-{customer.name}-{YEAR}")
            scores = _scores(rng, customer, suggestions[customer.id])
            start = datetime.combine(meeting - timedelta(days=rng.randint(12, 20)), time(9, 30))
            evaluation = GradeEvaluation(
                customer_id=customer.id, customer=customer, year=YEAR, rule=rule,
                owner_id=owner.id, department_id=owner.department_id, **scores)
            recompute(session, evaluation)
            evaluation.created_on = start
            logs = _walk(evaluation, _path(state, owner, supervisor, executive), start, meeting,
                         rng)
            _add(session, evaluation, logs, meeting, executive)
            existing.add((customer.id, YEAR))
            made += 1
            approved += state == "approved"
        # customers won this year: a provisional grade approved recently (review upcoming)
        newcomers = sorted((c for c in customers if first_order.get(c.id) and
                            date(today.year, 1, 1) <= first_order[c.id] <= today - timedelta(45)),
                           key=lambda c: (first_order[c.id], c.name), reverse=True)
        for customer in newcomers[:1]:
            if (customer.id, today.year) in existing:
                continue
            rng = random.Random(f"{SEED}-{customer.name}-{today.year}")
            approve_on = min(first_order[customer.id] + timedelta(days=30), today)
            evaluation = GradeEvaluation(
                customer_id=customer.id, customer=customer, year=today.year, rule=rule,
                owner_id=owner.id, department_id=owner.department_id,
                **_scores(rng, customer, {"score_sales": Decimal(60), "score_payment": None}))
            recompute(session, evaluation)
            start = datetime.combine(approve_on - timedelta(days=10), time(9, 30))
            evaluation.created_on = start
            logs = _walk(evaluation, _path("approved", owner, supervisor, executive), start,
                         approve_on, rng)
            _add(session, evaluation, logs, approve_on, executive)
            existing.add((customer.id, today.year))
            made += 1
            approved += 1
    session.commit()
    due = session.scalar(select(func.count(Customer.id)).where(
        Customer.grade_provisional.is_(True), Customer.grade_review_due <= today))
    return [f"grade evaluations: {made} new ({approved} approved); "
            f"provisional reviews due: {due}"]
