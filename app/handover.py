"""Staff leaving: hand every customer and open row of one user to another, at once."""
import re

from flask_appbuilder import Model
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select, update

from app import audit
from app.models.base import OWNED, RegisterMixin
from app.models.org import Department


def owned_models():
    return [m.class_ for m in Model.registry.mappers
            if issubclass(m.class_, RegisterMixin) and m.class_.row_scope == OWNED]


def open_states(model) -> tuple[str, ...] | None:
    """States a row can still move on from; None when the register has no workflow."""
    flow = model.workflow
    if flow is None:
        return None
    finals = {state for state in flow.states
              if not any(s.starts_from(state) and s.target is not None
                         and s.name not in ("send_back", "reject") for s in flow.steps)}
    return tuple(state for state in flow.states if state not in finals)


def still_open(model):
    """Which of a leaver's rows move (a WHERE clause, or None for all): rows of a workflow
    while open; rows the register declares `pending` (a visit task not yet visited); rows
    without either that belong to a parent with a workflow (`owner_from`, e.g. the expense
    lines of a reception) while the parent is open, so a settled record keeps its lines
    with its historical owner."""
    if model.pending is not None:
        return model.pending()
    states = open_states(model)
    if states is not None:
        return model.status.in_(states)
    relation = sa_inspect(model).relationships.get(getattr(model, "owner_from", None) or "")
    parent = relation.mapper.class_ if relation is not None else None
    parent_states = open_states(parent) if getattr(parent, "workflow", None) else None
    if parent_states is None:
        return None
    foreign_key = next(iter(relation.local_columns))
    return foreign_key.in_(select(parent.id).where(parent.status.in_(parent_states)))


NAME_SEPARATORS = re.compile(r"([、,，;；/\s]+)")


def names_in(text: str | None) -> list[str]:
    """One name or a list such as "王明、客户服务部", split keeping the separators."""
    return NAME_SEPARATORS.split(text or "")


def renamed(text: str | None, old: str, new: str) -> str:
    return "".join(new if part == old else part for part in names_in(text))


def acting_rows(session, model, leaver) -> dict[int, dict]:
    """Open rows of `model` whose `acting` columns name the leaver, whoever owns them:
    row id → {column: value}."""
    rows = {}
    clause = still_open(model)
    for name in model.acting:
        column = getattr(model, name)
        is_user = name.endswith("_id")
        query = select(model.id, column).where(
            column == leaver.id if is_user else column.contains(str(leaver)))
        if clause is not None:
            query = query.where(clause)
        for row_id, value in session.execute(query).all():
            if is_user or str(leaver) in names_in(value):  # 王明 is not 王明华
                rows.setdefault(row_id, {})[name] = value
    return rows


def owned_rows(session, model, leaver) -> set[int]:
    query = select(model.id).where(model.owner_id == leaver.id)
    clause = still_open(model)
    return set(session.scalars(query if clause is None else query.where(clause)))


def rows_to_move(session, leaver) -> dict:
    """model → ids of the rows a handover changes: the leaver's open rows and the open
    rows naming the leaver as the one who acts next."""
    rows = {}
    for model in owned_models():
        ids = owned_rows(session, model, leaver) | set(acting_rows(session, model, leaver))
        if ids:
            rows[model] = ids
    return rows


def hand_over_acting(session, model, leaver, successor) -> None:
    for row_id, values in acting_rows(session, model, leaver).items():
        new, changes = {}, {}
        for name, value in values.items():
            if name.endswith("_id"):  # a user: the audit names the people
                new[name], changes[name[:-3]] = successor.id, [str(leaver), str(successor)]
            else:
                new[name] = renamed(value, str(leaver), str(successor))
                changes[name] = [value, new[name]]
        audit.record(session, "update", model.__tablename__, row_id, changes, detail="离职交接")
        session.execute(update(model).where(model.id == row_id)
                        .values(version=model.version + 1, **new)
                        .execution_options(synchronize_session=False))


def hand_over(session, leaver, successor) -> dict[str, int]:
    """Deactivate `leaver` and give their rows to `successor`, in one transaction.

    Rows of registers without a workflow all move; workflow rows (and the lines of
    workflow rows) move while open, finished ones keep their historical owner; on open rows
    the successor also becomes the one who acts next (`acting`: a task's visitor, a
    reception's host …). Returns table → rows moved or renamed.
    """
    try:
        moved = {model.__tablename__: len(ids)
                 for model, ids in rows_to_move(session, leaver).items()}
        for model in owned_models():
            hand_over_acting(session, model, leaver, successor)
        departments = dict(session.execute(select(Department.id, Department.name)).all())
        for model in owned_models():
            query = update(model).where(model.owner_id == leaver.id)
            moving = select(model.id, model.department_id).where(model.owner_id == leaver.id)
            clause = still_open(model)
            if clause is not None:
                query = query.where(clause)
                moving = moving.where(clause)
            for row_id, department_id in session.execute(moving).all():
                # a bulk UPDATE passes no flush events: the audit entry of each row moved
                changes = {"owner": [str(leaver), str(successor)]}
                if department_id != successor.department_id:
                    changes["department"] = [departments.get(department_id),
                                             departments.get(successor.department_id)]
                audit.record(session, "update", model.__tablename__, row_id, changes,
                             detail="离职交接")
            session.execute(
                query.values(owner_id=successor.id, department_id=successor.department_id,
                             version=model.version + 1)
                .execution_options(synchronize_session=False))
        leaver.active = False
        session.commit()
    except Exception:
        session.rollback()
        raise
    return moved
