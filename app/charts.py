"""Declared charts (DESIGN.md §5): a chart is data on a register's view, like its columns.

    class TransactionView(RegisterView):
        charts = [Chart("sales", _l("月度销售与回款"), group_by=month_of("date"),
                        measures=[sum_of("amount"), sum_of("collected")], kind="line")]

One mechanism turns a declaration into ONE `SELECT … GROUP BY` over the register in the
viewer's row scope (`scope_clause`), with the period (`from`, `to`) and department filters,
and answers `{labels, series: [{name, data}], links}` for `GET /api/v1/chart/<resource>/<chart>`
(app.views.charts). Rows never come into Python: only the groups do.

group_by: a column ("category"; enum columns show their Chinese labels), a related column
("customer.grade"), a many-to-one relation ("owner": grouped by id, labelled by name), or
`month_of("date")` (YYYY-MM, every month of the period shown, empty ones as 0).
measures: `count()` (default) or `sum_of("amount")` of a money column (Decimal until JSON).
series: an optional second group-by column: one series per value (e.g. category).
kind: bar, stacked_bar, line, pie, pareto. A chart whose figures are not a plain GROUP BY
(ABC Pareto by window functions, complaint rates) gives `query=fn(session, user, params)`
that answers the same JSON from its own SQL.

A mechanism: never imports a register.
"""
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Callable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, DateTime, String, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement

from app.scope import scope_clause
from app.timeutil import today_cn

KINDS = ("bar", "stacked_bar", "line", "pie", "pareto")
MAX_MONTHS = 120
CENT = Decimal("0.01")
YES_NO = {True: _l("是"), False: _l("否")}


class ChartError(Exception):
    """A bad parameter (400, Chinese message)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- declarations ------------------------------------------------------------------
@dataclass(frozen=True)
class MonthOf:
    column: str


def month_of(column: str) -> MonthOf:
    """Group by the month (YYYY-MM) of a date or datetime column."""
    return MonthOf(column)


@dataclass(frozen=True)
class Measure:
    kind: str  # count | sum
    column: str | None = None
    label: object = None


def count(label=None) -> Measure:
    return Measure("count", None, label)


def sum_of(column: str, label=None) -> Measure:
    """Σ of a money (Numeric) column; the label defaults to the column's label."""
    return Measure("sum", column, label)


@dataclass
class Chart:
    name: str
    title: object
    group_by: object = None  # str | MonthOf
    measures: list = field(default_factory=lambda: [count()])
    series: str | None = None
    kind: str = "bar"
    period: str | None = None  # date column the period filter applies to (default: month_of's)
    months: int = 12  # default period of a month chart: the last N months
    query: Callable | None = None  # fn(session, user, params) -> dict, for non-GROUP-BY figures
    note: object = None  # one line under the chart
    # drill(view, args, params) -> URL of the rows behind a query chart's figures; `args`
    # are the period and department filters of the register's list (default: that list)
    drill: Callable | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"chart kind {self.kind!r} not in {KINDS}")
        if self.query is None and self.group_by is None:
            raise ValueError(f"chart {self.name!r} needs group_by or query")
        if isinstance(self.group_by, MonthOf) and self.period is None:
            self.period = self.group_by.column

    @property
    def by_month(self) -> bool:
        return isinstance(self.group_by, MonthOf)


# --- month of a date, per dialect ----------------------------------------------------
class _month_text(FunctionElement):
    type = String()
    inherit_cache = True


@compiles(_month_text)
def _month_sqlite(element, compiler, **kw):
    return "strftime('%%Y-%%m', %s)" % compiler.process(element.clauses, **kw)


@compiles(_month_text, "postgresql")
def _month_postgresql(element, compiler, **kw):
    return "to_char(%s, 'YYYY-MM')" % compiler.process(element.clauses, **kw)


def month_expr(column):
    return _month_text(column)


# --- parameters ----------------------------------------------------------------------
@dataclass
class Params:
    start: date | None = None  # inclusive
    end: date | None = None  # inclusive
    department_ids: frozenset | None = None
    department_id: int | None = None


def parse_day(text: str | None, end: bool = False) -> date | None:
    """'2026-03-05' → that day; '2026-03' → its first (or, for `end`, last) day."""
    if not text:
        return None
    text = text.strip()
    try:
        if len(text) == 7:
            year, month = (int(p) for p in text.split("-"))
            day = monthrange(year, month)[1] if end else 1
            value = date(year, month, day)
        else:
            value = date.fromisoformat(text)
    except (ValueError, TypeError):
        raise ChartError(_("日期格式应为 YYYY-MM-DD 或 YYYY-MM")) from None
    if not 1900 <= value.year <= 2100:
        raise ChartError(_("日期应在 1900 至 2100 年之间"))
    return value


def first_of_month(day: date, back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def month_labels(start: date, end: date) -> list[str]:
    labels, current = [], first_of_month(start)
    while current <= end:
        labels.append(current.strftime("%Y-%m"))
        current = first_of_month(current, back=-1)
    return labels


def default_period(chart: Chart, params: Params) -> Params:
    """A month chart without a period shows the last `months` months up to this month."""
    if chart.by_month or chart.period:
        today = today_cn()
        if params.end is None:
            params.end = date(today.year, today.month, monthrange(today.year, today.month)[1]) \
                if params.start is None else \
                first_of_month(params.start, back=-chart.months) - timedelta(days=1)
        if params.start is None:
            params.start = first_of_month(params.end, back=chart.months - 1)
    if params.start and params.end and params.start > params.end:
        raise ChartError(_("开始日期不能晚于结束日期"))
    if chart.by_month and len(month_labels(params.start, params.end)) > MAX_MONTHS:
        raise ChartError(_("期间最长 %(n)d 个月", n=MAX_MONTHS))
    return params


def period_clause(column, params: Params):
    """column within [start, end] (whole days; datetimes up to the end of `end`)."""
    clauses = []
    is_datetime = isinstance(column.type, DateTime)
    if params.start is not None:
        start = datetime.combine(params.start, datetime.min.time()) if is_datetime \
            else params.start
        clauses.append(column >= start)
    if params.end is not None:
        stop = params.end + timedelta(days=1)
        clauses.append(column < (datetime.combine(stop, datetime.min.time())
                                 if is_datetime else stop))
    return clauses


# --- one declaration → one SQL aggregate ------------------------------------------------
@dataclass
class _Group:
    expr: object  # the GROUP BY expression
    label: object  # the label expression (same as expr unless a relation)
    labels: dict | None  # enum value → Chinese label
    column: str | None  # the list filter column, when a plain/enum column of the model


def _resolve_group(model, spec, joins: list) -> _Group:
    if isinstance(spec, MonthOf):
        expr = month_expr(getattr(model, spec.column))
        return _Group(expr, expr, None, None)
    if "." in spec:
        relation, attr = spec.split(".", 1)
        target = model.__mapper__.relationships[relation].mapper.class_
        alias = aliased(target)
        joins.append((alias, getattr(model, relation).of_type(alias)))
        expr = getattr(alias, attr)
        labels = getattr(target, "enums", {}).get(attr)
        if labels is None and isinstance(expr.type, Boolean):
            labels = YES_NO
        return _Group(expr, expr, labels, None)
    relationships = model.__mapper__.relationships
    if spec in relationships:  # many-to-one: group by id, label by name
        rel = relationships[spec]
        target = rel.mapper.class_
        alias = aliased(target)
        joins.append((alias, getattr(model, spec).of_type(alias)))
        name = target.display_sql(alias) if hasattr(target, "display_sql") else alias.name
        fk = list(rel.local_columns)[0]
        return _Group(fk, name, None, spec)
    expr = getattr(model, spec)
    labels = model.enums.get(spec)
    if labels is None and isinstance(expr.type, Boolean):
        labels = YES_NO
    return _Group(expr, expr, labels, spec)


def _measure_expr(model, measure: Measure):
    if measure.kind == "count":
        return func.count(model.id)
    return func.coalesce(func.sum(getattr(model, measure.column)), 0)


def _measure_label(model, measure: Measure) -> str:
    if measure.label is not None:
        return str(measure.label)
    if measure.kind == "count":
        return _("记录数")
    return str(model.field_labels.get(measure.column, measure.column))


def _number(value, measure: Measure):
    if value is None:
        return 0
    if measure.kind == "count":
        return int(value)
    return float(Decimal(str(value)).quantize(CENT))


def chart_statement(model, chart: Chart, user, params: Params):
    """The one SELECT … GROUP BY of a declared chart (also used by the benchmark)."""
    joins: list = []
    group = _resolve_group(model, chart.group_by, joins)
    series = _resolve_group(model, chart.series, joins) if chart.series else None
    columns = [group.expr.label("g")]
    group_by = [group.expr]
    if group.label is not group.expr:
        columns.append(group.label.label("gl"))
        group_by.append(group.label)
    if series is not None:
        columns.append(series.expr.label("s"))
        group_by.append(series.expr)
    columns += [_measure_expr(model, m).label(f"m{i}") for i, m in enumerate(chart.measures)]
    stmt = select(*columns).select_from(model)
    for alias, on in joins:
        stmt = stmt.outerjoin(alias, on)
    stmt = stmt.where(scope_clause(model, user))
    if chart.period:
        stmt = stmt.where(*period_clause(getattr(model, chart.period), params))
    if params.department_ids is not None:
        stmt = stmt.where(model.department_id.in_(params.department_ids))
    return stmt.group_by(*group_by), group, series


def _label(value, labels: dict | None) -> str:
    if value is None:
        return _("（未填）")
    if labels and value in labels:
        return str(labels[value])
    return str(value)


def run_chart(session, model, chart: Chart, user, params: Params) -> dict:
    """{title, kind, labels, keys, series: [{name, data}]} of a declared chart."""
    params = default_period(chart, params)
    if chart.query is not None:
        answer = chart.query(session, user, params)
    else:
        stmt, group, series = chart_statement(model, chart, user, params)
        rows = session.execute(stmt).all()
        answer = _shape(model, chart, rows, group, series, params)
    note = answer.get("note") or chart.note
    answer.update({"title": str(chart.title), "kind": chart.kind, "name": chart.name,
                   "note": str(note) if note else None})
    answer.setdefault("period", {"from": params.start.isoformat() if params.start else None,
                                 "to": params.end.isoformat() if params.end else None,
                                 "column": chart.period})
    return answer


def _ordered_keys(found, labels: dict | None, by_month_range: list | None):
    if by_month_range is not None:
        return list(by_month_range)
    if labels:
        known = [k for k in labels if k in found]
        return known + sorted((k for k in found if k not in labels),
                              key=lambda k: (k is None, str(k)))
    return sorted(found, key=lambda k: (k is None, str(k)))


def _shape(model, chart: Chart, rows, group: _Group, series, params: Params) -> dict:
    months = month_labels(params.start, params.end) if chart.by_month else None
    relation = group.label is not group.expr
    names = {row.g: row.gl for row in rows} if relation else {}
    keys = _ordered_keys({row.g for row in rows}, group.labels, months)
    if relation:  # relations: by name
        keys.sort(key=lambda k: (k is None, str(names.get(k) or "")))
    labels = [_label(names.get(k) if relation else k, None if relation else group.labels)
              for k in keys]
    position = {k: i for i, k in enumerate(keys)}
    out = []
    if series is None:
        for i, measure in enumerate(chart.measures):
            data = [0] * len(keys)
            for row in rows:
                if row.g in position:
                    data[position[row.g]] = _number(getattr(row, f"m{i}"), measure)
            out.append({"name": _measure_label(model, measure), "key": measure.column or "count",
                        "data": data})
    else:
        measure = chart.measures[0]
        for value in _ordered_keys({row.s for row in rows}, series.labels, None):
            data = [0] * len(keys)
            for row in rows:
                if row.s == value and row.g in position:
                    data[position[row.g]] = _number(row.m0, measure)
            out.append({"name": _label(value, series.labels), "key": value, "data": data})
    if chart.kind == "pie" and not out:
        out = [{"name": _measure_label(model, chart.measures[0]), "data": []}]
    return {"labels": labels, "keys": [k if not isinstance(k, (date, Decimal)) else str(k)
                                       for k in keys], "series": out,
            "group": group.column, "series_column": chart.series}


__all__ = ["Chart", "ChartError", "Params", "chart_statement", "count", "month_expr",
           "month_of", "month_labels", "parse_day", "run_chart", "sum_of"]
