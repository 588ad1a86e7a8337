"""工作日调整 (workday_override) and the one calendar every deadline rule uses.

`work_calendar(session)` is the ONLY way a rule gets a calendar: the China calendar of
app.workdays (statutory holidays and 调休 weekend workdays from the `holidays` package)
with the admins' `workday_override` rows on top (an override always wins). Within a
request the calendar is built once and kept on flask.g; a change to an override in the
same request drops it.
"""
from datetime import date

from flask import g, has_app_context, has_request_context
from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Column, Date, String, event, select

from app.models.base import COMMON_LABELS, SHARED, RegisterMixin, list_indexes
from app.timeutil import today_cn
from app.workdays import WorkCalendar, year_is_covered

_CACHE_KEY = "_work_calendar"


class WorkdayOverride(RegisterMixin, Model):
    """One day whose working/rest status differs from the official calendar (or fills a
    year the `holidays` package does not know yet)."""

    __tablename__ = "workday_override"
    row_scope = SHARED
    label = _l("工作日调整")
    quick_search = ("note",)
    field_labels = {**COMMON_LABELS, "date": _l("日期"), "is_workday": _l("工作日"),
                    "note": _l("说明")}

    date = Column(Date, unique=True, nullable=False)
    is_workday = Column(Boolean, nullable=False, default=True)
    note = Column(String(200))

    def __repr__(self) -> str:
        if self.date is None:
            return ""
        kind = _l("工作日") if self.is_workday else _l("休息日")
        return f"{self.date.isoformat()} {kind}"


list_indexes(WorkdayOverride, ("date",), filters=("is_workday",))


def load_overrides(session) -> dict[date, bool]:
    """date → is_workday of every override (`session` may be a Session or a Connection)."""
    rows = session.execute(select(WorkdayOverride.date, WorkdayOverride.is_workday)).all()
    return {day: bool(is_workday) for day, is_workday in rows}


def work_calendar(session) -> WorkCalendar:
    """The working-day calendar with overrides; cached on flask.g within a request."""
    if has_request_context():
        cached = g.get(_CACHE_KEY)
        if cached is None:
            cached = WorkCalendar(load_overrides(session))
            setattr(g, _CACHE_KEY, cached)
        return cached
    return WorkCalendar(load_overrides(session))


def forget_work_calendar() -> None:
    if has_app_context():
        g.pop(_CACHE_KEY, None)


@event.listens_for(WorkdayOverride, "after_insert")
@event.listens_for(WorkdayOverride, "after_update")
@event.listens_for(WorkdayOverride, "after_delete")
def _override_changed(_mapper, _connection, _target):
    forget_work_calendar()


def uncovered_years(today: date | None = None) -> list[int]:
    """The current and next year when the `holidays` package lacks their official
    arrangement (those years count weekends only, plus overrides)."""
    year = (today or today_cn()).year
    return [y for y in (year, year + 1) if not year_is_covered(y)]


def calendar_warning(today: date | None = None) -> str | None:
    """The admins' warning about years the calendar does not know, or None."""
    years = uncovered_years(today)
    if not years:
        return None
    from flask_babel import gettext as _
    return _("日历中还没有 %(years)s 年的法定节假日安排，这一年暂按周末计算工作日。"
             "国务院公布该年安排后，请在“工作日调整”中录入该年的节假日与调休上班日。",
             years="、".join(str(y) for y in years))
