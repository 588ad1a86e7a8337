"""Tests for app.workdays on real China calendar dates (State Council notices)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import holidays
import pytest

from app.workdays import (
    WORKDAY_END,
    WorkCalendar,
    add_workdays,
    end_of_workday,
    is_workday,
    next_workday,
    workdays_between,
    year_is_covered,
)

D = date


def _days(start: date, end: date) -> list[date]:
    """All dates in [start, end]."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar()


# --- Official arrangements ----------------------------------------------------------


@pytest.mark.parametrize(
    ("off_from", "off_to", "weekend_workdays"),
    [
        # 2025 Spring Festival: 01-28..02-04 off; Sun 01-26 and Sat 02-08 worked.
        (D(2025, 1, 28), D(2025, 2, 4), [D(2025, 1, 26), D(2025, 2, 8)]),
        # 2025 Labour Day: 05-01..05-05 off; Sun 04-27 worked.
        (D(2025, 5, 1), D(2025, 5, 5), [D(2025, 4, 27)]),
        # 2025 National Day + Mid-Autumn: 10-01..10-08 off; Sun 09-28, Sat 10-11 worked.
        (D(2025, 10, 1), D(2025, 10, 8), [D(2025, 9, 28), D(2025, 10, 11)]),
        # 2026 New Year: 01-01..01-03 off; Sun 01-04 worked.
        (D(2026, 1, 1), D(2026, 1, 3), [D(2026, 1, 4)]),
        # 2026 Spring Festival: 02-15..02-23 off; Sat 02-14 and Sat 02-28 worked.
        (D(2026, 2, 15), D(2026, 2, 23), [D(2026, 2, 14), D(2026, 2, 28)]),
        # 2026 Labour Day: 05-01..05-05 off; Sat 05-09 worked.
        (D(2026, 5, 1), D(2026, 5, 5), [D(2026, 5, 9)]),
        # 2026 National Day: 10-01..10-07 off; Sun 09-20 and Sat 10-10 worked.
        (D(2026, 10, 1), D(2026, 10, 7), [D(2026, 9, 20), D(2026, 10, 10)]),
    ],
)
def test_official_holiday_blocks(
    cal: WorkCalendar, off_from: date, off_to: date, weekend_workdays: list[date]
) -> None:
    for day in _days(off_from, off_to):
        assert not cal.is_workday(day), day
    # Each block is exactly the official one: the days either side are worked.
    assert cal.is_workday(off_from - timedelta(days=1))
    assert cal.is_workday(off_to + timedelta(days=1))
    assert cal.next_workday(off_from) == off_to + timedelta(days=1)
    for day in weekend_workdays:
        assert day.weekday() >= 5
        assert cal.is_workday(day), day


def test_2026_single_day_holidays(cal: WorkCalendar) -> None:
    # Qingming 04-04..06 (Mon 04-06 off), Dragon Boat Fri 06-19, Mid-Autumn Fri 09-25.
    assert not cal.is_workday(D(2026, 4, 6))
    assert cal.is_workday(D(2026, 4, 7))
    assert not cal.is_workday(D(2026, 6, 19))
    assert not cal.is_workday(D(2026, 9, 25))
    assert cal.is_workday(D(2026, 9, 24))


def test_cross_year_weekend_workday(cal: WorkCalendar) -> None:
    # The 2002 New Year notice made Sat/Sun 2001-12-29/30 working days.
    assert cal.is_workday(D(2001, 12, 29))
    assert cal.is_workday(D(2001, 12, 30))
    assert not cal.is_workday(D(2002, 1, 3))


@pytest.mark.parametrize("year", range(2001, 2027))
def test_matches_package_for_covered_years(cal: WorkCalendar, year: int) -> None:
    assert year_is_covered(year)
    cn = holidays.country_holidays("CN", years=year)
    for day in _days(D(year, 1, 1), D(year, 12, 31)):
        assert cal.is_workday(day) == cn.is_working_day(day), day


# --- Ordinary weeks -----------------------------------------------------------------


def test_ordinary_week(cal: WorkCalendar) -> None:
    fri, sat, sun, mon = D(2025, 3, 7), D(2025, 3, 8), D(2025, 3, 9), D(2025, 3, 10)
    assert cal.is_workday(fri) and cal.is_workday(mon)
    assert not cal.is_workday(sat) and not cal.is_workday(sun)
    assert cal.next_workday(fri) == fri
    assert cal.next_workday(fri, include_self=False) == mon
    assert cal.next_workday(sat) == mon
    assert cal.add_workdays(fri, 1) == mon
    assert cal.add_workdays(fri, 0) == fri
    assert cal.add_workdays(sat, 0) == mon
    assert cal.add_workdays(fri, 5) == D(2025, 3, 14)
    assert cal.workdays_between(fri, mon) == 1
    assert cal.workdays_between(fri, fri) == 0
    assert cal.workdays_between(mon, fri) == -1


# --- add_workdays / workdays_between across holiday blocks -------------------------


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (D(2025, 1, 24), 1, D(2025, 1, 26)),  # Fri -> Sun 调休 workday
        (D(2025, 1, 24), 2, D(2025, 1, 27)),
        (D(2025, 1, 24), 3, D(2025, 2, 5)),  # jumps the Spring Festival block
        (D(2025, 9, 30), 1, D(2025, 10, 9)),  # jumps National Day
        (D(2025, 9, 26), 1, D(2025, 9, 28)),  # Fri -> Sun 调休 workday
        (D(2025, 10, 3), 0, D(2025, 10, 9)),  # n=0 from inside the block
        (D(2025, 12, 31), 1, D(2026, 1, 4)),  # across year end into Sun 调休 workday
        (D(2026, 2, 13), 1, D(2026, 2, 14)),  # Fri -> Sat 调休 workday
        (D(2026, 2, 13), 2, D(2026, 2, 24)),
        (D(2026, 9, 30), 1, D(2026, 10, 8)),
    ],
)
def test_add_workdays_across_holidays(
    cal: WorkCalendar, start: date, n: int, expected: date
) -> None:
    assert cal.add_workdays(start, n) == expected
    assert add_workdays(start, n) == expected
    if n >= 1:
        assert cal.workdays_between(start, expected) == n


def test_add_workdays_rejects_negative(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError):
        cal.add_workdays(D(2025, 3, 7), -1)


def test_workdays_between_counts_half_open_interval(cal: WorkCalendar) -> None:
    # (2025-09-30, 2025-10-11]: Oct 9, 10, 11(Sat 调休) -> 3.
    assert cal.workdays_between(D(2025, 9, 30), D(2025, 10, 11)) == 3
    # Whole 2026 Spring Festival block from Fri 02-13: only Sat 02-14 and 02-24.
    assert workdays_between(D(2026, 2, 13), D(2026, 2, 24)) == 2


# --- Overrides ----------------------------------------------------------------------


def test_override_extra_holiday_and_extra_workday() -> None:
    extra_off, extra_on = D(2025, 3, 10), D(2025, 3, 8)  # Mon off, Sat worked
    cal = WorkCalendar({extra_off: False, extra_on: True})
    assert not cal.is_workday(extra_off)
    assert cal.is_workday(extra_on)
    assert cal.add_workdays(D(2025, 3, 7), 1) == extra_on
    assert cal.add_workdays(D(2025, 3, 7), 2) == D(2025, 3, 11)
    assert cal.next_workday(extra_off) == D(2025, 3, 11)
    assert cal.workdays_between(D(2025, 3, 7), D(2025, 3, 11)) == 2


def test_override_beats_package_both_ways() -> None:
    official_workday, official_day_off = D(2026, 10, 10), D(2026, 10, 7)
    overrides = {official_workday: False, official_day_off: True}
    assert is_workday(official_workday) and not is_workday(official_day_off)
    assert not is_workday(official_workday, overrides)
    assert is_workday(official_day_off, overrides)
    assert next_workday(D(2026, 10, 1), overrides=overrides) == official_day_off


def test_override_keys_may_be_datetimes() -> None:
    cal = WorkCalendar({datetime(2025, 3, 10, 9, 30): False})
    assert not cal.is_workday(D(2025, 3, 10))


# --- Years the package does not cover -----------------------------------------------


def test_uncovered_year_is_weekends_only() -> None:
    year = 2099
    assert year_is_covered(2025) and year_is_covered(2026)
    assert not year_is_covered(year)
    cal = WorkCalendar()
    # The package still *estimates* holidays for that year; they must be ignored.
    estimated = holidays.country_holidays("CN", years=year)
    assert any(d.weekday() < 5 for d in estimated)
    for day in _days(D(year, 1, 1), D(year, 12, 31)):
        assert cal.is_workday(day) == (day.weekday() < 5), day
    assert cal.add_workdays(D(year, 1, 1), 1) == D(year, 1, 2)  # Thu -> Fri
    assert cal.add_workdays(D(year, 1, 2), 1) == D(year, 1, 5)  # Fri -> Mon


def test_uncovered_year_overrides_apply() -> None:
    cal = WorkCalendar({D(2099, 1, 1): False, D(2099, 1, 3): True})
    assert not cal.is_workday(D(2099, 1, 1))
    assert cal.is_workday(D(2099, 1, 3))


# --- Datetime inputs and end of workday ---------------------------------------------


def test_datetime_inputs_are_taken_by_date(cal: WorkCalendar) -> None:
    assert cal.is_workday(datetime(2026, 1, 4, 23, 59))
    assert not cal.is_workday(datetime(2026, 1, 3, 8, 0))
    assert cal.next_workday(datetime(2026, 1, 1, 12, 0)) == D(2026, 1, 4)
    assert cal.add_workdays(datetime(2025, 3, 7, 17, 0), 1) == D(2025, 3, 10)
    # An aware datetime is read in China time: 2026-01-03 17:00 UTC = 01-04 01:00 CST.
    assert cal.is_workday(datetime(2026, 1, 3, 17, 0, tzinfo=timezone.utc))


def test_end_of_workday() -> None:
    assert WORKDAY_END.hour == 18 and WORKDAY_END.minute == 0
    expected = datetime(2026, 1, 4, 18, 0)
    assert end_of_workday(D(2026, 1, 4)) == expected
    assert end_of_workday(datetime(2026, 1, 4, 9, 15)) == expected
    assert WorkCalendar().end_of_workday(D(2026, 1, 4)) == expected
    assert end_of_workday(D(2026, 1, 4)).tzinfo is None
