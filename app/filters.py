"""List filters that speak the reader's language, one converter for every register.

A choice column (an entry of the model's `enums`, or a workflow's `status`) is filtered
by its labels with 等于 / 不等于; a boolean by 是 / 否; a date or date-and-time by a date
with 等于 / 晚于 / 早于 / 介于 (a date-and-time compares whole days unless the value holds a
time). The URL stays FAB's `_flt_<n>_<column>=<value>` with the stored codes: `n` of a
date keeps FAB's places (1 greater, 2 smaller), so existing links and charts still work.
A value that is not one of these is refused (400) with a Chinese message, never ignored.
"""
from datetime import date, datetime, time, timedelta

from flask_appbuilder.models.filters import BaseFilter, map_args_filter
from flask_appbuilder.models.sqla.filters import (
    FilterEqual,
    FilterGreater,
    FilterNotEqual,
    FilterSmaller,
    get_field_setup_query,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_

from app.guards import InputRefused
from app.search import SearchFilterConverter, SearchFilters

CHOICE, BOOLEAN, DATE, OTHER = "choice", "boolean", "date", "other"
TRUE_WORDS, FALSE_WORDS = {"y", "true", "1", "是"}, {"n", "false", "0", "否"}
RANGE_SEPARATOR = "~"


def choices_of(model, column: str) -> dict:
    """{stored code: label} of a choice column, {} for any other column."""
    flow = getattr(model, "workflow", None)
    if column == "status" and flow is not None:
        return flow.states
    return getattr(model, "enums", {}).get(column) or {}


def label_of(model, column: str) -> str:
    return str(getattr(model, "field_labels", {}).get(column, column))


def kind_of(datamodel, column: str) -> str:
    if "." not in column and choices_of(datamodel.obj, column):
        return CHOICE
    if datamodel.is_boolean(column):
        return BOOLEAN
    if datamodel.is_date(column) or datamodel.is_datetime(column):
        return DATE
    return OTHER


def value_choices(model, column: str, kind: str) -> list[list[str]]:
    """[[code sent in the URL, label shown], …] of a choice or boolean column."""
    if kind == CHOICE:
        return [[code, str(label)] for code, label in choices_of(model, column).items()]
    if kind == BOOLEAN:
        return [["y", _("是")], ["n", _("否")]]
    return []


class _Unlisted:
    """FAB's REST looks filters up by `opr` in one registry shared by every view (the last
    class built wins): these leave FAB's classes there; SearchFilters finds the column's."""

    def __init__(self, *args, **kwargs):
        previous = map_args_filter.get(self.arg_name)
        super().__init__(*args, **kwargs)
        if previous is not None:
            map_args_filter[self.arg_name] = previous


def _blank(value) -> bool:
    return value is None or str(value).strip() == ""


class ChoiceEqual(_Unlisted, FilterEqual):
    name = _l("等于")

    def code(self, value) -> str:
        choices = choices_of(self.model, self.column_name)
        value = str(value).strip()
        if value not in choices:
            raise InputRefused(_("“%(column)s”的取值无效，可选值：%(values)s",
                                 column=label_of(self.model, self.column_name),
                                 values="、".join(f"{c}（{t}）" for c, t in choices.items())))
        return value

    def apply(self, query, value):
        if _blank(value):
            return query
        query, field = get_field_setup_query(query, self.model, self.column_name)
        return query.filter(field == self.code(value))


class ChoiceNotEqual(ChoiceEqual):
    name = _l("不等于")
    arg_name = FilterNotEqual.arg_name

    def apply(self, query, value):
        if _blank(value):
            return query
        query, field = get_field_setup_query(query, self.model, self.column_name)
        # "not 合作中" includes the rows that have no value at all
        return query.filter((field != self.code(value)) | field.is_(None))


class BooleanEqual(_Unlisted, FilterEqual):
    name = _l("等于")

    def apply(self, query, value):
        if _blank(value):
            return query
        word = str(value).strip().lower()
        if word not in TRUE_WORDS | FALSE_WORDS:
            raise InputRefused(_("“%(column)s”应为“是”或“否”",
                                 column=label_of(self.model, self.column_name)))
        query, field = get_field_setup_query(query, self.model, self.column_name)
        return query.filter(field.is_(word in TRUE_WORDS))


def parse_day(value) -> date | datetime:
    """A date (YYYY-MM-DD), or a date and time when the value holds one."""
    if isinstance(value, (date, datetime)):
        return value
    text = str(value).strip().replace("T", " ")
    for fmt in ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return parsed.date() if fmt == "%Y-%m-%d" else parsed
    raise InputRefused(_("日期格式应为 YYYY-MM-DD：%(value)s", value=str(value)[:40]))


class _DateFilter(_Unlisted):
    """Compares a date column with a date, a date-and-time column with a whole day (or
    with the exact moment when the value holds a time)."""

    def bounds(self, value):
        """(first moment, first moment after) of the value, in the column's type."""
        day = parse_day(value)
        if self.datamodel.is_datetime(self.column_name):
            if isinstance(day, datetime):
                return day, day
            start = datetime.combine(day, time.min)
            return start, start + timedelta(days=1)
        day = day.date() if isinstance(day, datetime) else day
        return day, day + timedelta(days=1)

    def apply(self, query, value):
        if _blank(value):
            return query
        query, field = get_field_setup_query(query, self.model, self.column_name)
        return query.filter(self.clause(field, *self.bounds(value)))


class DateOn(_DateFilter, FilterEqual):
    name = _l("等于")

    def clause(self, field, start, end):
        return field == start if start == end else and_(field >= start, field < end)


class DateAfter(_DateFilter, FilterGreater):
    name = _l("晚于")

    def clause(self, field, start, end):
        return field > start if start == end else field >= end


class DateBefore(_DateFilter, FilterSmaller):
    name = _l("早于")

    def clause(self, field, start, _end):
        return field < start


class DateBetween(_DateFilter, BaseFilter):
    """Both days included: `2026-11-01~2026-11-30`; either end may be left open."""

    name = _l("介于")
    arg_name = "between"

    def apply(self, query, value):
        if _blank(value):
            return query
        first, sep, last = str(value).partition(RANGE_SEPARATOR)
        if not sep:
            raise InputRefused(_("“介于”应为两个日期，如 2026-11-01~2026-11-30"))
        query, field = get_field_setup_query(query, self.model, self.column_name)
        lower = self.bounds(first)[0] if not _blank(first) else None
        upper = self.bounds(last) if not _blank(last) else None
        if lower is not None and upper is not None and lower > upper[0]:
            raise InputRefused(_("开始日期不能晚于结束日期"))
        if lower is not None:
            query = query.filter(field >= lower)
        if upper is not None:
            start, end = upper
            query = query.filter(field <= start if start == end else field < end)
        return query


# Places matter: a link's `_flt_<n>_` is the index into these lists.
KIND_FILTERS = {
    CHOICE: [ChoiceEqual, ChoiceNotEqual],
    BOOLEAN: [BooleanEqual],
    DATE: [DateOn, DateAfter, DateBefore, DateBetween],
}


class ConsoleFilterConverter(SearchFilterConverter):
    def convert(self, col_name):
        classes = KIND_FILTERS.get(kind_of(self.datamodel, col_name))
        if classes is None:
            return super().convert(col_name)
        return [cls(col_name, self.datamodel) for cls in classes]


class ConsoleFilters(SearchFilters):
    """A REST filter `opr` means the column's own class of that name (ChoiceEqual for a
    choice column's `eq`), not whichever class FAB's shared registry holds."""

    def add_filter(self, column_name, filter_class, value):
        own = [type(f) for f in self._all_filters.get(column_name, [])
               if f.arg_name == filter_class.arg_name]
        return super().add_filter(column_name, own[0] if own else filter_class, value)
