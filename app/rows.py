"""What every register row goes through before it is saved, on every path
(web form, REST API, import): owner, initial state, blank choices, uniqueness,
edit rights and related rows in scope. Messages are Chinese (RowRejected).
"""
from flask_babel import gettext as _
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from sqlalchemy.orm import ONETOMANY

from app.errors import RowRejected
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
        if isinstance(value, bool) or not str(value).isdigit():
            return missing
        target = session.get(rel.mapper.class_, int(value))
        if target is None or not in_scope(target):
            return missing
    return None


def unique_conflict(session, obj) -> RowRejected | None:
    """A duplicate of a unique column, found before the database refuses it."""
    model = type(obj)
    for column in model.__table__.columns:
        if not column.unique or column.primary_key:
            continue
        value = getattr(obj, column.key, None)
        if value in (None, ""):
            continue
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
    problem = unique_conflict(session, obj) or getattr(obj, "validate", lambda: None)()
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
