"""客户分级 queries: suggested scores, ABC analysis, provisional reviews, yearly drafts.

Every query is limited to the viewer's row scope (`scope_clause(Customer, user)`) and
aggregated in SQL. Used by app/views/grading.py (web pages and REST endpoints).
"""
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, and_, case, cast, func, literal, select, true
from sqlalchemy.exc import IntegrityError

from app.errors import RowRejected
from app.models.customers import Customer, Transaction
from app.models.grading import (
    CENT,
    DEFAULT_RULE,
    GRADE_FLOW,
    GradeEvaluation,
    active_rule,
    recompute,
)
from app.models.org import ConsoleUser
from app.scope import scope_clause
from app.timeutil import today_cn

HUNDRED = Decimal(100)
BASIS = 10000  # ABC cut-offs are compared in basis points against integer cents


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year + 1, 1, 1)


def _in_year(year: int):
    start, end = year_bounds(year)
    return and_(Transaction.date >= start, Transaction.date < end)


def _cents(column):
    """Money as integer cents: exact sums and comparisons on SQLite and PostgreSQL."""
    return cast(func.round(column * 100), BigInteger)


# --- suggested scores -------------------------------------------------------------
def suggest_scores(session, year: int, user, customer_ids=None) -> dict[int, dict]:
    """Suggested score_sales and score_payment per customer for `year`.

    Over the customers in `user`'s scope with sales in the year (Σ transaction.amount > 0
    for transactions dated in the year):

    * score_sales = 100 × (n − r + 1) / n, where n is the number of those customers and r
      the customer's rank by Σ amount, descending (RANK(): ties share a rank). The top
      customer gets 100, the last 100 / n; a customer without sales in the year gets 0.
    * score_payment = 100 × Σ collected / Σ amount of the year's transactions, at most
      100 (prepayments); without sales in the year there is no suggestion (None).

    Both are rounded half-up to 2 places. Returns {customer_id: {"score_sales": Decimal,
    "score_payment": Decimal | None, "amount": Decimal, "collected": Decimal,
    "rank": int | None, "ranked": int}}; customers of `customer_ids` without sales are
    included with score_sales 0.
    """
    sales = (select(Transaction.customer_id.label("customer_id"),
                    func.sum(_cents(Transaction.amount)).label("amount"),
                    func.sum(_cents(Transaction.collected)).label("collected"))
             .join(Customer, Customer.id == Transaction.customer_id)
             .where(_in_year(year), scope_clause(Customer, user))
             .group_by(Transaction.customer_id)
             .having(func.sum(_cents(Transaction.amount)) > 0)
             .subquery())
    ranked = select(sales.c.customer_id, sales.c.amount, sales.c.collected,
                    func.rank().over(order_by=sales.c.amount.desc()).label("r"),
                    func.count().over().label("n"))
    result = {}
    for row in session.execute(ranked):
        if customer_ids is not None and row.customer_id not in customer_ids:
            continue
        amount, collected = Decimal(row.amount), Decimal(row.collected)
        sales_score = HUNDRED * (row.n - row.r + 1) / row.n
        payment = min(HUNDRED, HUNDRED * collected / amount)
        result[row.customer_id] = {
            "score_sales": sales_score.quantize(CENT, rounding=ROUND_HALF_UP),
            "score_payment": payment.quantize(CENT, rounding=ROUND_HALF_UP),
            "amount": (amount / 100).quantize(CENT), "collected": (collected / 100).quantize(CENT),
            "rank": int(row.r), "ranked": int(row.n)}
    for customer_id in customer_ids or ():
        result.setdefault(customer_id, {
            "score_sales": Decimal("0.00"), "score_payment": None, "amount": Decimal("0.00"),
            "collected": Decimal("0.00"), "rank": None, "ranked": None})
    return result


def fill_suggested(session, evaluation, user) -> None:
    """Blank score_sales / score_payment of a new evaluation get the suggestion."""
    if evaluation.score_sales not in (None, "") and evaluation.score_payment not in (None, ""):
        return
    customer_id = evaluation.customer.id if evaluation.customer else evaluation.customer_id
    if customer_id is None or evaluation.year in (None, ""):
        return
    try:
        year = int(evaluation.year)
    except (TypeError, ValueError):
        return
    suggestion = suggest_scores(session, year, user, {customer_id})[customer_id]
    for field in ("score_sales", "score_payment"):
        if getattr(evaluation, field) in (None, ""):
            setattr(evaluation, field, suggestion[field])


# --- ABC analysis -------------------------------------------------------------------
ABC_PAGE_SIZE = 1000  # rows per page of the API answer by default
ABC_MAX_PAGE_SIZE = 10000
ABC_CLASSES = "ABC"


@dataclass
class AbcPage:
    """One page of the ranking plus figures over every ranked customer (not the page)."""

    rows: list[dict]
    count: int
    abc_counts: dict[str, int]
    total_cents: int
    page: int
    page_size: int

    @property
    def total_amount(self) -> str:
        return _money(self.total_cents)


def abc_analysis(session, year: int, user, by_type: bool = False, rule=None,
                 department_ids=None, page: int = 0,
                 page_size: int = ABC_PAGE_SIZE) -> AbcPage:
    """One page of the ABC analysis of `year` (DESIGN.md §4), ranked, accumulated and
    classed in SQL.

    The customers in `user`'s scope with sales in the year (Σ amount of transactions dated
    in the year, > 0), by amount descending, ties by name (then id). Window functions:
    share = amount / SUM(amount) OVER (), cumulative = SUM(amount) OVER (ORDER BY amount
    DESC, name ROWS UNBOUNDED PRECEDING) — the customer itself included. Class A when
    cumulative ≤ abc_a or the customer is first, B when ≤ abc_b, else C (cut-offs of the
    active rule); `department_ids` narrows to customers of those departments (the charts'
    department filter). With by_type the windows are PARTITION BY customer_type: ranking and
    shares within each type; rows are ordered by type, then amount.

    `page` (0-based) of `page_size` rows comes from one statement (`abc_page_statement`):
    the page's rows carry count, class counts and the total amount, computed as window
    aggregates over every ranked customer. These three are always over all customer types
    together, also with by_type (the sum of the per-type figures). A page past the end
    answers no rows; only then a second, aggregate-only query gives the figures.

    Sums and comparisons are done on integer cents (exact on SQLite and PostgreSQL).
    Rows: amount a decimal string with 2 places; share and cumulative_share floats in
    0–1 rounded to 6 places; rank the position within the ranking (or the type).
    """
    statement = abc_page_statement(session, year, user, by_type, rule, department_ids,
                                   page, page_size)
    rows = session.execute(statement).all()
    if rows:
        first = rows[0]
        count, total = int(first.ranked), int(first.grand_total)
        abc_counts = {k: int(getattr(first, f"class_{k}")) for k in ABC_CLASSES}
    elif page > 0:
        count, total, abc_counts = _abc_totals(session, year, user, by_type, rule,
                                               department_ids)
    else:
        count, total, abc_counts = 0, 0, dict.fromkeys(ABC_CLASSES, 0)
    return AbcPage(rows=[abc_row(r) for r in rows], count=count, abc_counts=abc_counts,
                   total_cents=total, page=page, page_size=page_size)


def abc_count(session, year: int, user, by_type: bool = False, rule=None) -> int:
    """How many rows the analysis of `year` has (what its export writes)."""
    return _abc_totals(session, year, user, by_type, rule, None)[0]


def abc_row(row) -> dict:
    """A row of `abc_statement` as the API answers it."""
    total_cents = Decimal(row.total)
    return {"id": row.id, "name": row.name, "customer_type": row.customer_type,
            "amount": _money(row.cents),
            "share": round(float(Decimal(row.cents) / total_cents), 6),
            "cumulative_share": round(float(Decimal(row.running) / total_cents), 6),
            "abc_class": row.abc_class, "rank": int(row.position)}


def stream_abc_rows(session, year: int, user, by_type: bool = False, rule=None,
                    yield_per: int = 1000):
    """Every row of the analysis (as `abc_row`), read from the database `yield_per` rows
    at a time: for the export, which must not hold all of them."""
    result = session.execute(abc_statement(session, year, user, by_type, rule),
                             execution_options={"yield_per": yield_per})
    try:
        for row in result:
            yield abc_row(row)
    finally:
        result.close()


def _money(cents) -> str:
    return str((Decimal(cents) / 100).quantize(CENT))


def abc_page_statement(session, year: int, user, by_type: bool = False, rule=None,
                       department_ids=None, page: int = 0, page_size: int = ABC_PAGE_SIZE):
    """`abc_statement` plus count, class counts and grand total as window aggregates over
    the whole classified set (ranked, class_A/B/C, grand_total), with LIMIT/OFFSET on top:
    the database reads the year once and returns only the page."""
    c = _classified(session, year, user, by_type, rule, department_ids) \
        .cte("classified").prefix_with("MATERIALIZED")
    totals = _totals_of(c).subquery()
    return (select(*c.c, *totals.c).join_from(c, totals, true())
            .order_by(*_abc_order(c.c, by_type))
            .limit(page_size).offset(page * page_size))


def _totals_of(classified):
    """One row over the classified set: ranked, grand_total, class_A, class_B, class_C (an
    aggregate over the materialized set, not window aggregates carried on every row)."""
    c = classified.c
    return select(func.count().label("ranked"),
                  func.coalesce(func.sum(c.cents), 0).label("grand_total"),
                  *[func.coalesce(func.sum(case((c.abc_class == k, 1), else_=0)), 0)
                    .label(f"class_{k}") for k in ABC_CLASSES])


def _abc_totals(session, year, user, by_type, rule, department_ids):
    """(count, total cents, class counts) over every ranked customer."""
    c = _classified(session, year, user, by_type, rule, department_ids).subquery()
    row = session.execute(_totals_of(c)).one()
    return (int(row.ranked), int(row.grand_total),
            {k: int(getattr(row, f"class_{k}")) for k in ABC_CLASSES})


def abc_statement(session, year: int, user, by_type: bool = False, rule=None,
                  department_ids=None):
    """The ranking of `abc_analysis` (id, name, customer_type, cents, total, running,
    position, abc_class), every row, ordered; the Pareto chart groups its tail in SQL on
    top of it and the export streams it."""
    w = _classified(session, year, user, by_type, rule, department_ids).subquery().c
    return select(*w).order_by(*_abc_order(w, by_type))


def _abc_order(columns, by_type: bool) -> list:
    return [*([columns.customer_type] if by_type else []), columns.cents.desc(),
            columns.name, columns.id]


def _classified(session, year: int, user, by_type: bool = False, rule=None,
                department_ids=None):
    """The customers with sales in the year, ranked and classed (unordered SELECT)."""
    rule = rule or active_rule(session)
    abc_a = Decimal(str(rule.abc_a if rule else DEFAULT_RULE["abc_a"]))
    abc_b = Decimal(str(rule.abc_b if rule else DEFAULT_RULE["abc_b"]))
    # The year's transactions summed per customer first (an index-only range scan of
    # ix_transaction_date_customer_amount), then joined to the customers in scope (and of
    # the departments asked for: the charts' department filter).
    per_customer = (select(Transaction.customer_id.label("customer_id"),
                           func.sum(_cents(Transaction.amount)).label("cents"))
                    .where(_in_year(year))
                    .group_by(Transaction.customer_id)
                    .having(func.sum(_cents(Transaction.amount)) > 0)
                    .subquery())
    sales = (select(Customer.id.label("id"), Customer.name.label("name"),
                    Customer.customer_type.label("customer_type"),
                    per_customer.c.cents.label("cents"))
             .join(per_customer, per_customer.c.customer_id == Customer.id)
             .where(scope_clause(Customer, user))
             .where(*([Customer.department_id.in_(department_ids)]
                      if department_ids is not None else []))
             .subquery())
    partition = [sales.c.customer_type] if by_type else None
    order = [sales.c.cents.desc(), sales.c.name, sales.c.id]
    total = func.sum(sales.c.cents).over(partition_by=partition)
    running = func.sum(sales.c.cents).over(partition_by=partition, order_by=order,
                                           rows=(None, 0))
    position = func.row_number().over(partition_by=partition, order_by=order)
    windowed = select(sales.c.id, sales.c.name, sales.c.customer_type, sales.c.cents,
                      total.label("total"), running.label("running"),
                      position.label("position")).subquery()
    w = windowed.c
    abc_class = case(
        (w.position == 1, literal("A")),
        (w.running * BASIS <= w.total * int(abc_a * BASIS), literal("A")),
        (w.running * BASIS <= w.total * int(abc_b * BASIS), literal("B")),
        else_=literal("C"))
    return select(w.id, w.name, w.customer_type, w.cents, w.total, w.running, w.position,
                  abc_class.label("abc_class"))


# --- provisional reviews ------------------------------------------------------------
def reviews_due(session, user, within_days: int = 0, today: date | None = None) -> list[dict]:
    """Customers in scope with a provisional grade whose review is due by today + N days.

    days_overdue = today − grade_review_due (negative: days left). Most overdue first.
    """
    today = today or today_cn()
    limit = today + timedelta(days=within_days)
    rows = session.execute(
        select(Customer.id, Customer.code, Customer.name, Customer.grade,
               Customer.grade_review_due, ConsoleUser.id.label("owner_id"),
               ConsoleUser.username, ConsoleUser.first_name, ConsoleUser.last_name)
        .join(ConsoleUser, ConsoleUser.id == Customer.owner_id)
        .where(Customer.grade_provisional.is_(True), Customer.grade_review_due.is_not(None),
               Customer.grade_review_due <= limit, scope_clause(Customer, user))
        .order_by(Customer.grade_review_due, Customer.name))
    return [{"id": r.id, "code": r.code, "name": r.name, "grade": r.grade,
             "grade_review_due": r.grade_review_due.isoformat(),
             "days_overdue": (today - r.grade_review_due).days,
             "owner": r.username, "owner_name": f"{r.last_name or ''}{r.first_name or ''}",
             "owner_id": r.owner_id}
            for r in rows]


# --- the annual round (policy 04 5.1.1: 每年初3月份的25―30日) ---------------------------
ROUND_MONTH = 3  # reminders from March 1 while customers lack the year's evaluation


def without_evaluation(session, year: int, user, limit: int = 10) -> tuple[int, list]:
    """Customers in `user`'s scope (not archived) without an evaluation for `year`:
    (how many, the first `limit` of them by code) — one query (COUNT(*) OVER ())."""
    has_one = select(GradeEvaluation.id).where(GradeEvaluation.customer_id == Customer.id,
                                               GradeEvaluation.year == year).exists()
    rows = session.execute(
        select(Customer.id, Customer.code, Customer.name, ConsoleUser.username,
               func.count().over().label("total"))
        .join(ConsoleUser, ConsoleUser.id == Customer.owner_id)
        .where(scope_clause(Customer, user), Customer.status != "archived", ~has_one)
        .order_by(Customer.code).limit(limit)).all()
    return (int(rows[0].total) if rows else 0), rows


# --- yearly drafts --------------------------------------------------------------------
class YearAlreadyBeingCreated(Exception):
    """Another user created some of the same evaluations at the same moment."""


def create_year(session, year: int, user) -> int:
    """Draft evaluations for every customer in `user`'s scope without one for `year`.

    Archived customers are skipped. Each draft belongs to the customer's owner (and
    department), is scored with the active rule and carries the suggested sales and
    payment scores. One transaction: all are created or none. Returns how many.
    """
    rule = active_rule(session)
    if rule is None:
        raise RowRejected(_l("没有启用的评级规则，请系统管理员先在“评级规则”中启用一条"))
    has_one = select(GradeEvaluation.id).where(GradeEvaluation.customer_id == Customer.id,
                                               GradeEvaluation.year == year).exists()
    customers = session.execute(
        select(Customer.id, Customer.owner_id, Customer.department_id)
        .where(scope_clause(Customer, user), Customer.status != "archived", ~has_one)
        .order_by(Customer.id)).all()
    if not customers:
        return 0
    suggestions = suggest_scores(session, year, user, {c.id for c in customers})
    try:
        for c in customers:
            evaluation = GradeEvaluation(
                customer_id=c.id, year=year, owner_id=c.owner_id, department_id=c.department_id,
                status=GRADE_FLOW.initial, rule=rule,
                score_sales=suggestions[c.id]["score_sales"],
                score_payment=suggestions[c.id]["score_payment"])
            recompute(session, evaluation)
            session.add(evaluation)
        session.commit()
    except IntegrityError as e:
        session.rollback()
        raise YearAlreadyBeingCreated() from e
    except Exception:
        session.rollback()
        raise
    return len(customers)
