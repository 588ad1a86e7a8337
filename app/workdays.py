"""China working-day calendar: the single source of truth for counting working days.

A day is a working day when, in order of precedence:

1. an admin override (``workday_override`` row: date -> is_workday) says so;
2. otherwise, for a weekend day: it is an official 调休 weekend workday;
3. otherwise, for a weekday (Mon-Fri): it is not a statutory holiday / day off.

Holiday data comes from the ``holidays`` package (CN calendar). A year is only
trusted when the package carries the State Council's official arrangement for
it (its per-year special/substituted data); for any other year the calendar is
weekends-only (plus overrides) and :func:`year_is_covered` returns ``False`` so
the UI can warn admins to enter the arrangement as overrides.

This module is pure: no Flask, no database. Callers load overrides themselves
and pass them in as ``Mapping[date, bool]``. Datetimes are naive China Standard
Time; a datetime argument is taken by its date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache

import holidays

__all__ = [
    "WORKDAY_END",
    "CHINA_TZ",
    "WorkCalendar",
    "add_workdays",
    "end_of_workday",
    "is_workday",
    "next_workday",
    "workdays_between",
    "year_is_covered",
]

WORKDAY_END = time(18, 0)
"""End of the working day (China Standard Time, naive)."""

CHINA_TZ = timezone(timedelta(hours=8), "CST")
"""China Standard Time (UTC+8, no DST); used only to localise aware datetimes."""

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class _YearData:
    """Official calendar facts for one year, as known to the ``holidays`` package."""

    covered: bool
    days_off: frozenset[date]  # statutory holidays and substituted days off
    weekend_workdays: frozenset[date]  # 调休 Saturdays/Sundays that are working days


@lru_cache(maxsize=None)
def _year_data(year: int) -> _YearData:
    """Build (once per process) the CN holiday facts for ``year``."""
    cn = holidays.country_holidays("CN", years=year)
    # The package keeps the official State Council arrangement (substituted days
    # off and their 调休 working days) in ``special_public_holidays`` keyed by
    # year; for years without it the regular holidays are only estimates and the
    # 调休 weekends are unknown, so we fall back to weekends-only.
    covered = bool(getattr(cn, "special_public_holidays", {}).get(year))
    days_off = frozenset(d for d in cn if d.year == year) if covered else frozenset()
    # ``weekend_workdays`` also holds cross-year dates from other years' notices
    # (e.g. a late-December Saturday worked for next New Year), so keep only ours.
    # Those cross-year ones are official even if this year is otherwise uncovered.
    weekend_workdays = frozenset(d for d in cn.weekend_workdays if d.year == year)
    return _YearData(covered, days_off, weekend_workdays)


def _as_date(d: date | datetime) -> date:
    """Return the (China local) calendar date of a date or datetime."""
    if isinstance(d, datetime):
        if d.tzinfo is not None:
            d = d.astimezone(CHINA_TZ)
        return d.date()
    return d


def year_is_covered(year: int) -> bool:
    """True when the ``holidays`` package has the official arrangement for ``year``.

    When False the calendar treats that year as weekends-only (plus overrides).
    """
    return _year_data(year).covered


def end_of_workday(d: date | datetime) -> datetime:
    """Return ``d`` at :data:`WORKDAY_END` (18:00) as a naive China-time datetime."""
    return datetime.combine(_as_date(d), WORKDAY_END)


class WorkCalendar:
    """China working-day calendar with admin overrides applied on top.

    Cheap to construct (per request): the per-year holiday data is cached at
    module level; only the overrides mapping is copied.
    """

    def __init__(self, overrides: Mapping[date, bool] | None = None) -> None:
        """``overrides`` maps a date to is_workday and always wins over the package data."""
        self._overrides: dict[date, bool] = {
            _as_date(k): bool(v) for k, v in (overrides or {}).items()
        }

    def is_workday(self, d: date | datetime) -> bool:
        """True if ``d`` is a working day."""
        day = _as_date(d)
        override = self._overrides.get(day)
        if override is not None:
            return override
        data = _year_data(day.year)
        if day.weekday() >= 5:
            return day in data.weekend_workdays
        return day not in data.days_off

    def next_workday(self, d: date | datetime, include_self: bool = True) -> date:
        """First working day on or after ``d`` (strictly after if not ``include_self``)."""
        day = _as_date(d)
        if not include_self:
            day += _ONE_DAY
        while not self.is_workday(day):
            day += _ONE_DAY
        return day

    def add_workdays(self, d: date | datetime, n: int) -> date:
        """The ``n``-th working day after ``d`` (``d`` itself not counted).

        ``n == 0`` returns ``next_workday(d, include_self=True)``.
        """
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        day = _as_date(d)
        if n == 0:
            return self.next_workday(day)
        for _ in range(n):
            day = self.next_workday(day, include_self=False)
        return day

    def workdays_between(self, a: date | datetime, b: date | datetime) -> int:
        """Number of working days in the half-open interval ``(a, b]``.

        Signed: if ``b < a`` the result is ``-workdays_between(b, a)``.
        """
        start, end = _as_date(a), _as_date(b)
        if end < start:
            return -self.workdays_between(end, start)
        count = 0
        day = start + _ONE_DAY
        while day <= end:
            count += self.is_workday(day)
            day += _ONE_DAY
        return count

    def end_of_workday(self, d: date | datetime) -> datetime:
        """Return ``d`` at :data:`WORKDAY_END` (18:00), naive China time."""
        return end_of_workday(d)


def is_workday(d: date | datetime, overrides: Mapping[date, bool] | None = None) -> bool:
    """Module-level shortcut for :meth:`WorkCalendar.is_workday`."""
    return WorkCalendar(overrides).is_workday(d)


def next_workday(
    d: date | datetime,
    include_self: bool = True,
    overrides: Mapping[date, bool] | None = None,
) -> date:
    """Module-level shortcut for :meth:`WorkCalendar.next_workday`."""
    return WorkCalendar(overrides).next_workday(d, include_self=include_self)


def add_workdays(
    d: date | datetime, n: int, overrides: Mapping[date, bool] | None = None
) -> date:
    """Module-level shortcut for :meth:`WorkCalendar.add_workdays`."""
    return WorkCalendar(overrides).add_workdays(d, n)


def workdays_between(
    a: date | datetime, b: date | datetime, overrides: Mapping[date, bool] | None = None
) -> int:
    """Module-level shortcut for :meth:`WorkCalendar.workdays_between`."""
    return WorkCalendar(overrides).workdays_between(a, b)
