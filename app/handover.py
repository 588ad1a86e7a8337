"""Staff leaving: hand every customer and open row of one user to another, at once."""
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
    while open; rows without one that belong to a parent with a workflow (`owner_from`,
    e.g. the expense lines of a reception) while the parent is open, so a settled
    record keeps its lines with its historical owner."""
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


def hand_over(session, leaver, successor) -> dict[str, int]:
    """Deactivate `leaver` and give their rows to `successor`, in one transaction.

    Rows of registers without a workflow all move; workflow rows (and the lines of
    workflow rows) move while open, finished ones keep their historical owner. Returns table → rows moved.
    """
    moved = {}
    try:
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
            result = session.execute(
                query.values(owner_id=successor.id, department_id=successor.department_id,
                             version=model.version + 1)
                .execution_options(synchronize_session=False))
            if result.rowcount:
                moved[model.__tablename__] = result.rowcount
        leaver.active = False
        session.commit()
    except Exception:
        session.rollback()
        raise
    return moved
