"""操作日志 (audit_log): who did what to which row, field by field (DESIGN.md §9).

Written by the shared save path, never by a register: SQLAlchemy session events collect
every insert, update and delete of an audited row (every RegisterMixin register and the
users) with each field's old and new value, a workflow transition (a new TransitionLog)
turns the row's entry into a "transition", and the login path, the exporter, the
importer and the handover add their own entries with `record()`. Entries are written in
the same transaction as the change, once per row and transaction, just before commit.

The log is append-only: no view or API edits or deletes it, a flush that would is
refused, and the database refuses UPDATE and DELETE on the table (migration 0017).
"""
import functools
import json
from datetime import date, datetime
from decimal import Decimal

from flask import g, has_request_context, request
from flask_appbuilder import Model
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    cast,
    event,
    insert,
    select,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import MANYTOMANY, MANYTOONE, Session
from sqlalchemy.types import TypeDecorator

from app.timeutil import now_cn

ACTIONS = {
    "create": _l("新增"), "update": _l("修改"), "delete": _l("删除"),
    "transition": _l("流程"), "login": _l("登录"), "login_failed": _l("登录失败"),
    "export": _l("导出"), "import": _l("导入"), "unlock": _l("解除锁定"),
}
# Columns that every write touches by itself: not worth an entry of their own.
SKIPPED = {"id", "version", "created_on", "changed_on", "created_by_fk", "changed_by_fk"}
MASK = "******"
PENDING = "audit_pending"
NAMES = "audit_names"


class JSONText(TypeDecorator):
    """JSON kept as readable text (Chinese as is) on every database."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else json.dumps(value, ensure_ascii=False)

    def process_result_value(self, value, dialect):
        return None if value is None else json.loads(value)


class AuditLog(Model):
    """One audited act. `changes` maps a field to [old, new]."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_row", "resource", "row_id"),)

    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, default=now_cn, index=True)
    user_id = Column(Integer, nullable=True, index=True)  # no FK: a user may be deleted
    username = Column(String(100), nullable=True, index=True)
    action = Column(String(20), nullable=False, index=True)
    resource = Column(String(50), nullable=True)
    row_id = Column(Integer, nullable=True)
    changes = Column(JSONText, nullable=True)
    detail = Column(Text, nullable=True)
    ip = Column(String(64), nullable=True)

    # what the list, show and export views read (like a register's declarations)
    label = _l("操作日志")
    enums = {"action": ACTIONS}
    workflow = None
    row_scope = None
    field_labels = {"at": _l("时间"), "username": _l("用户"), "user_id": _l("用户 ID"),
                    "action": _l("操作"), "resource": _l("登记表"), "row_id": _l("记录 ID"),
                    "changes": _l("变更内容"), "changes_text": _l("变更内容"),
                    "detail": _l("说明"), "ip": _l("地址")}

    def __repr__(self) -> str:
        return f"{self.action} {self.resource or ''} {self.row_id or ''}".strip()

    @hybrid_property
    def changes_text(self) -> str:
        """'字段：旧 → 新' lines with the register's labels (show page); the JSON in SQL."""
        return "\n".join(f"{label}：{old} → {new}"
                         for label, old, new in change_lines(self.resource, self.changes))

    @changes_text.expression
    def changes_text(cls):
        return cast(cls.changes, Text)


def change_lines(resource, changes) -> list[tuple[str, str, str]]:
    """(label, old, new) as people read them: the register's labels, enum and state
    labels, times to the minute; snapshots kept for the record (JSON columns) are left out."""
    model = model_for(resource)
    labels = getattr(model, "field_labels", {}) or {}
    enums = getattr(model, "enums", {}) or {}
    flow = getattr(model, "workflow", None)
    columns = model.__table__.columns if model is not None else {}
    lines = []
    for field, pair in (changes or {}).items():
        kind = columns[field].type if field in columns else None
        if isinstance(kind, JSON):
            continue
        old, new = (list(pair) + [None, None])[:2] if isinstance(pair, list) else (None, pair)
        choices = flow.states if field == "status" and flow is not None else enums.get(field, {})
        lines.append((str(labels.get(field, field)), _shown(old, choices, kind),
                      _shown(new, choices, kind)))
    return lines


def _shown(value, choices, kind=None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return "、".join(str(v) for v in value) or "—"
    if isinstance(value, bool):
        return gettext("是") if value else gettext("否")
    if isinstance(kind, DateTime) and isinstance(value, str):
        try:
            return f"{datetime.fromisoformat(value):%Y-%m-%d %H:%M}"
        except ValueError:
            return value
    return str(choices.get(value, value)) if isinstance(value, str) else str(value)


def action_text(entry) -> str:
    """新增, 修改 …; a transition names its step as the register does: 流程（回访：意见）."""
    label, detail = str(ACTIONS.get(entry.action, entry.action)), entry.detail
    if entry.action == "transition" and detail:
        name, _sep, comment = detail.partition("：")
        flow = getattr(model_for(entry.resource), "workflow", None)
        chosen = flow.by_name.get(name) if flow is not None else None
        if chosen is not None:
            detail = str(chosen.label) + (f"：{comment}" if comment else "")
    return f"{label}（{detail}）" if detail else label


def row_history(session, entries) -> list[dict]:
    """A row's 变更记录 for its show page: when, who (by name), what, each change."""
    users = model_for("ab_user")
    usernames = {e.username for e in entries if e.username}
    names = {user.username: str(user) for user in session.scalars(
        select(users).where(users.username.in_(usernames)))} if usernames else {}
    return [{"at": f"{e.at:%Y-%m-%d %H:%M}", "who": names.get(e.username, e.username or ""),
             "action": action_text(e), "lines": change_lines(e.resource, e.changes),
             "ip": e.ip or ""} for e in entries]


def model_for(resource):
    """The mapped class of a table; the most derived one (the console's user, not FAB's)."""
    found = [m.class_ for m in Model.registry.mappers
             if getattr(m.class_, "__tablename__", None) == resource]
    return max(found, key=lambda cls: len(cls.__mro__), default=None)


# --------------------------------------------------------------------------
# Who and where
# --------------------------------------------------------------------------
def _actor():
    if not has_request_context():
        return None, None, None
    user = getattr(g, "user", None)
    ip = request.remote_addr or ""  # a proxy's X-Forwarded-For only through PROXY_COUNT
    if user is None or not getattr(user, "is_authenticated", False):
        return None, None, ip or None
    return user.id, user.username, ip or None


def _json(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, bytes):
        return None
    return str(value)


def is_audited(obj) -> bool:
    from app.models.base import RegisterMixin
    return isinstance(obj, RegisterMixin) or getattr(type(obj), "audited", False)


def _value(obj, key, value):
    return MASK if value is not None and key in getattr(type(obj), "audit_mask", ()) else \
        _json(value)


def _fields(obj):
    """(scalar column keys, many-to-one relationships, many-to-many relationships)."""
    mapper = sa_inspect(type(obj))
    skipped = SKIPPED | set(getattr(type(obj), "audit_skip", ()))
    to_one = [r for r in mapper.relationships if r.direction is MANYTOONE and not r.viewonly
              and len(r.local_columns) == 1]
    fk_keys = {mapper.get_property_by_column(list(r.local_columns)[0]).key for r in to_one}
    scalars = [p.key for p in mapper.column_attrs if p.key not in skipped | fk_keys]
    to_many = [r for r in mapper.relationships if r.direction is MANYTOMANY and not r.viewonly]
    return scalars, [r for r in to_one if r.key not in skipped], to_many


def _display(session, model, ident):
    """How a related row is named; remembered for the transaction (an import of many rows
    of one owner asks once)."""
    if ident is None:
        return None
    names = session.info.setdefault(NAMES, {})
    if (model, ident) not in names:
        with session.no_autoflush:
            obj = session.get(model, ident)
        names[(model, ident)] = str(obj) if obj is not None else str(ident)
    return names[(model, ident)]


@functools.lru_cache(maxsize=None)
def _foreign_key_attribute(model, rel) -> str:
    return sa_inspect(model).get_property_by_column(list(rel.local_columns)[0]).key


def _row_changes(session, obj, new: bool) -> dict:
    state = sa_inspect(obj)
    scalars, to_one, to_many = _fields(obj)
    changes = {}
    for key in scalars:
        if new:
            value = state.dict.get(key)
            if value is not None and value != "":
                changes[key] = [None, _value(obj, key, value)]
            continue
        hist = state.attrs[key].history
        if hist.added or hist.deleted:
            old = hist.deleted[0] if hist.deleted else None
            value = hist.added[0] if hist.added else None
            if old != value:
                changes[key] = [_value(obj, key, old), _value(obj, key, value)]
    for rel in to_one:
        fk = _foreign_key_attribute(type(obj), rel)
        col_hist, rel_hist = state.attrs[fk].history, state.attrs[rel.key].history
        old_id = None if new else (col_hist.deleted or col_hist.unchanged or (None,))[0]
        if rel_hist.added:
            target = rel_hist.added[0]
            new_id = getattr(target, "id", None) if target is not None else None
            new_text = str(target) if target is not None else None
        else:
            new_id = col_hist.added[0] if col_hist.added else old_id
            if new and new_id is None:
                new_id = state.dict.get(fk)
            new_text = None
        if new_id != old_id or (new and new_text is not None):
            target_model = rel.mapper.class_
            old_shown = _display(session, target_model, old_id)
            new_shown = new_text if new_text is not None else \
                _display(session, target_model, new_id)
            if old_shown != new_shown:
                changes[rel.key] = [old_shown, new_shown]
    for rel in to_many:
        hist = state.attrs[rel.key].history
        if hist.added or hist.deleted or (new and hist.unchanged):
            before = sorted(str(x) for x in [*hist.unchanged, *hist.deleted])
            after = sorted(str(x) for x in [*hist.unchanged, *hist.added])
            if before != after:
                changes[rel.key] = [None if new else before, after]
    return changes


def _deleted_values(obj) -> dict:
    state = sa_inspect(obj)
    scalars, to_one, _many = _fields(obj)
    values = {k: [_value(obj, k, state.dict.get(k)), None] for k in scalars
              if state.dict.get(k) not in (None, "")}
    for rel in to_one:
        target = state.dict.get(rel.key)
        if target is not None:
            values[rel.key] = [str(target), None]
    return values


# --------------------------------------------------------------------------
# Entries collected per transaction, written before commit
# --------------------------------------------------------------------------
def _pending(session) -> dict:
    return session.info.setdefault(PENDING, {})


def _merge(session, key, action, changes=None, detail=None, actor=None):
    """One entry per row and transaction: a later flush of the same row folds in."""
    pending = _pending(session)
    entry = pending.get(key)
    if entry is None:
        who = _actor()
        if actor is not None:
            who = (actor.id, actor.username, who[2])
        pending[key] = {"action": action, "changes": dict(changes or {}), "detail": detail,
                        "user_id": who[0], "username": who[1], "ip": who[2], "at": now_cn()}
        return
    if action == "delete" or (action == "transition" and entry["action"] != "create"):
        entry["action"] = action
    for field, (old, new) in (changes or {}).items():
        if field in entry["changes"] and action != "delete":
            entry["changes"][field] = [entry["changes"][field][0], new]
        else:
            entry["changes"][field] = [old, new]
    if detail:
        entry["detail"] = f"{entry['detail']}；{detail}" if entry["detail"] else detail


def record(session, action, resource=None, row_id=None, changes=None, detail=None,
           actor=None) -> None:
    """Add an entry that is written with the session's next commit (login, export, import,
    bulk updates); `actor` names the user when the request has none yet (login)."""
    key = (resource, row_id) if row_id is not None and action in ("update", "delete") \
        else (action, resource, row_id, len(_pending(session)))
    _merge(session, key, action, changes, detail, actor)
    _pending(session)[key]["resource"] = resource
    _pending(session)[key]["row_id"] = row_id


@event.listens_for(Session, "before_flush")
def _before_flush(session, _context, _instances):
    from app.workflow import TransitionLog
    for obj in [*session.dirty, *session.deleted]:
        if isinstance(obj, AuditLog):
            raise PermissionError("audit_log is append-only")
    for obj in session.dirty:
        if is_audited(obj) and session.is_modified(obj) and obj not in session.deleted:
            changes = _row_changes(session, obj, new=False)
            if changes:
                _merge(session, (obj.__tablename__, obj.id), "update", changes)
    for obj in session.deleted:
        if is_audited(obj):
            _merge(session, (obj.__tablename__, obj.id), "delete", _deleted_values(obj))
    for obj in session.new:
        if isinstance(obj, TransitionLog):
            detail = obj.step + (f"：{obj.comment}" if obj.comment else "")
            _merge(session, (obj.register, obj.row_id), "transition",
                   {"status": [obj.from_state, obj.to_state]}, detail)
    session.info["audit_new"] = [o for o in session.new if is_audited(o)]


@event.listens_for(Session, "after_flush")
def _after_flush(session, _context):
    for obj in session.info.pop("audit_new", []):
        if obj.id is not None:
            _merge(session, (obj.__tablename__, obj.id), "create",
                   _row_changes(session, obj, new=True))


@event.listens_for(Session, "before_commit")
def _before_commit(session):
    session.flush()
    session.info.pop(NAMES, None)
    pending = session.info.pop(PENDING, {})
    if not pending:
        return
    rows = []
    for key, entry in pending.items():
        resource = entry.get("resource", key[0] if len(key) == 2 else None)
        row_id = entry.get("row_id", key[1] if len(key) == 2 else None)
        rows.append({"at": entry["at"], "user_id": entry["user_id"],
                     "username": entry["username"], "ip": entry["ip"],
                     "action": entry["action"], "resource": resource, "row_id": row_id,
                     "changes": entry["changes"] or None, "detail": entry["detail"]})
    session.connection().execute(insert(AuditLog.__table__), rows)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session, _previous):
    session.info.pop(PENDING, None)
    session.info.pop(NAMES, None)
    session.info.pop("audit_new", None)


def row_entries(session, resource, row_id, since=None, limit=200) -> list:
    """The 变更记录 of one row from `since` (its creation) on, newest first: entries of an
    earlier row that had the same id (a deleted one, before ids stopped being reused) are
    not this row's."""
    query = select(AuditLog).where(AuditLog.resource == resource, AuditLog.row_id == row_id)
    if since is not None:
        query = query.where(AuditLog.at >= since)
    return session.scalars(
        query.order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit)).all()


def may_see_row_changes(user) -> bool:
    """Admin, and the Supervisor of the row (the row is already in their scope)."""
    return any(r.name in ("Admin", "Supervisor") for r in getattr(user, "roles", []) or [])
