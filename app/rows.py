"""What every register row goes through before it is saved, on every path
(web form, REST API, import): owner, initial state, blank choices, uniqueness,
edit rights and related rows in scope. Messages are Chinese (RowRejected).
"""
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import BigInteger, Date, DateTime, Integer, Numeric, String, Text, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import ONETOMANY

from app.errors import RowRejected
from app.guards import parse_id
from app.scope import in_scope


def edit_refusal(obj, user) -> str | None:
    """Why this user may not edit or delete this row now, or None."""
    flow = getattr(obj, "workflow", None)
    if flow is None:
        return None
    if obj.status not in flow.editable:
        return _("“%(state)s”状态的记录不能修改", state=flow.state_label(obj.status))
    if obj.owner_id != getattr(user, "id", None):
        return _("只有经办人本人可以修改草稿或退回的记录")
    return None


def related_out_of_scope(session, model, payload: dict, columns) -> RowRejected | None:
    """A related id the user may not see is refused as if it did not exist (DESIGN.md §8);
    so is anything that is not an id at all."""
    mapper = sa_inspect(model)
    for name in columns:
        rel = mapper.relationships.get(name)
        if rel is None or rel.uselist or name not in payload or payload[name] in (None, ""):
            continue
        value = payload[name]
        if isinstance(value, dict):
            value = value.get("id")
        label = getattr(model, "field_labels", {}).get(name, name)
        missing = RowRejected(_("所选的%(label)s不存在", label=label), name)
        ident = parse_id(value)
        if ident is None:
            return missing
        target = session.get(rel.mapper.class_, ident)
        if target is None or not in_scope(target):
            return missing
    return None


FIRST_YEAR, LAST_YEAR = 1900, 2100  # DESIGN.md §9: dates outside are refused
INT32, INT64 = 2**31 - 1, 2**63 - 1


def _label(obj, column) -> str:
    return str(getattr(type(obj), "field_labels", {}).get(column.key, column.key))


def _value_problem(obj, column, value) -> str | None:
    kind = column.type
    if isinstance(kind, (Date, DateTime)):
        if not isinstance(value, date):
            return _("%(label)s不是有效的日期", label=_label(obj, column))
        if not FIRST_YEAR <= value.year <= LAST_YEAR:
            return _("%(label)s须在 %(a)d 年至 %(b)d 年之间", label=_label(obj, column),
                     a=FIRST_YEAR, b=LAST_YEAR)
    elif isinstance(kind, Numeric):
        try:
            number = Decimal(str(value))
        except (InvalidOperation, ValueError):
            return _("%(label)s应为数字", label=_label(obj, column))
        digits = (kind.precision or 0) - (kind.scale or 0)
        if not number.is_finite() or (kind.precision and abs(number) >= Decimal(10) ** digits):
            return _("%(label)s超出范围（整数部分最多 %(n)d 位）", label=_label(obj, column),
                     n=digits)
    elif isinstance(kind, Integer):
        limit = INT64 if isinstance(kind, BigInteger) else INT32
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > limit:
            return _("%(label)s应为不超过 %(n)d 的整数", label=_label(obj, column), n=limit)
    elif isinstance(kind, String):
        if not isinstance(value, str):
            return _("%(label)s应为文本", label=_label(obj, column))
        if control_characters(value, multiline=isinstance(kind, Text)):
            return _("%(label)s不能含有换行、制表等控制字符", label=_label(obj, column)) \
                if not isinstance(kind, Text) else \
                _("%(label)s不能含有控制字符", label=_label(obj, column))
        if kind.length and len(value) > kind.length:
            return _("%(label)s最多 %(n)d 个字", label=_label(obj, column), n=kind.length)
    return None


LINE_BREAKS = "\t\n\r"


def control_characters(text: str, multiline: bool = False) -> bool:
    """Characters no name, code or one-line field holds (a CR/LF broke the download
    header of a paper form named after a customer); a multi-line text keeps its line
    breaks and tabs."""
    return any((unicodedata.category(c) == "Cc" and not (multiline and c in LINE_BREAKS))
               or (not multiline and c in "\u2028\u2029") for c in text)


def column_problem(obj, only=None) -> RowRejected | None:
    """Values the column cannot hold (or the console refuses) on every write path:
    money beyond Numeric(p, s), dates outside 1900–2100, integers beyond the column,
    over-long text. SQLite would store them and break reports later."""
    for column in type(obj).__table__.columns:
        if column.primary_key or column.key in ("version",) or \
                (only is not None and column.key not in only):
            continue
        value = getattr(obj, column.key, None)
        if value is None:
            continue
        problem = _value_problem(obj, column, value)
        if problem:
            return RowRejected(problem, column.key)
    return None


def unique_conflict(session, obj) -> RowRejected | None:
    """A duplicate of a unique column, found before the database refuses it."""
    model = type(obj)
    for column in model.__table__.columns:
        if not column.unique or column.primary_key:
            continue
        value = getattr(obj, column.key, None)
        if value is None:
            continue
        if isinstance(value, str) and not value.strip():
            label = getattr(model, "field_labels", {}).get(column.key, column.key)
            return RowRejected(_("%(label)s不能为空", label=label), column.key)
        query = select(model.id).where(getattr(model, column.key) == value)
        if obj.id is not None:
            query = query.where(model.id != obj.id)
        with session.no_autoflush:
            if session.execute(query.limit(1)).first():
                label = getattr(model, "field_labels", {}).get(column.key, column.key)
                return RowRejected(_("%(label)s“%(value)s”已存在", label=label, value=value),
                                   column.key)
    return None


def inherit_owner(obj) -> bool:
    """Rows about a customer belong to the customer's owner (model.owner_from)."""
    source = getattr(obj, obj.owner_from) if getattr(obj, "owner_from", None) else None
    if source is None:
        return False
    obj.owner_id, obj.department_id = source.owner_id, source.department_id
    return True


def prepare_new_row(obj, user) -> None:
    """Owner and department come from the signed-in user, whatever the input said."""
    if not inherit_owner(obj):
        obj.owner_id = user.id
        obj.department_id = user.department_id
    flow = getattr(obj, "workflow", None)
    if flow is not None:
        obj.status = flow.initial


def clean_blank_choices(obj) -> None:
    """An empty choice in a form means 'not set', stored as NULL."""
    for column in getattr(obj, "enums", {}):
        if getattr(obj, column, None) == "":
            setattr(obj, column, None)


def check_may_change(obj, user) -> None:
    refusal = edit_refusal(obj, user)
    if refusal:
        raise RowRejected(refusal)


def check_before_save(session, obj) -> None:
    """Every rule a row must pass before it is written; raises RowRejected."""
    clean_blank_choices(obj)
    inherit_owner(obj)
    problem = unique_conflict(session, obj) or getattr(obj, "validate", lambda: None)() or \
        column_problem(obj)
    if problem:
        raise problem


def check_not_referenced(session, obj) -> None:
    """A row other rows still point at is not deleted: say which, in Chinese."""
    for rel in sa_inspect(type(obj)).relationships:
        if rel.direction is not ONETOMANY or rel.viewonly:
            continue
        foreign_key = next(iter(rel.remote_side))
        with session.no_autoflush:
            if session.execute(select(foreign_key).where(foreign_key == obj.id).limit(1)).first():
                child = rel.mapper.class_
                what = getattr(child, "label", None) or child.__tablename__
                raise RowRejected(_("%(row)s还有%(what)s，不能删除；不再使用的请改为归档或停用",
                                    row=obj, what=what))
