"""待办 (DESIGN.md §8 `GET /api/v1/worklist`, the home page, the dashboard, the navbar
badge): per register and step, the rows on which the user can run the step now.

A row is waiting for a user when the step is their job (their role is named in the
step's `roles` and they are granted `can_<step>`), the row is in their scope, in a source
state of the step, and the step's guard passes — in SQL, through the step's `ready`.
One statement counts the whole list (UNION ALL); the list behind an entry is the
register's list filtered by `waiting()` (`?work=<step>`).
"""
from dataclasses import dataclass

from flask import current_app, g, url_for
from flask_appbuilder.models.filters import BaseFilter
from flask_babel import lazy_gettext as _l
from sqlalchemy import false, func, literal, select, union_all

from app.scope import scope_clause

# Steps that move a row back or out are nobody's to-do; nor are recorded acts that keep
# the state (target None, e.g. 上报集团).
NOT_WORK = ("send_back", "reject")
WORK_ARG = "work"  # the list's query argument: ?work=<step>


@dataclass(frozen=True)
class WorkStep:
    view: object  # the register's web view (its list and permissions)
    step: object

    @property
    def model(self):
        return self.view.datamodel.obj


def is_work(step) -> bool:
    return step.name not in NOT_WORK and step.target is not None


def work_steps(appbuilder, user) -> list[WorkStep]:
    """The steps that are this user's job: named for one of their roles and granted
    (permissions come from the request's cache: no query per step)."""
    sm, seen, out = appbuilder.sm, set(), []
    my_roles = {role.name for role in user.roles}
    for view in appbuilder.baseviews:
        model = getattr(getattr(view, "datamodel", None), "obj", None)
        if not getattr(view, "runs_steps", False) or model in seen or \
                getattr(view, "base_filters", None) or \
                not sm.has_access("can_list", view.class_permission_name):
            continue
        seen.add(model)
        out.extend(WorkStep(view, step) for step in model.workflow.steps
                   if is_work(step) and my_roles & set(step.roles)
                   and sm.has_access(f"can_{step.name}", view.class_permission_name))
    return out


def waiting(model, step, user):
    """The rows of `model` waiting for `user` to run `step` (scope, state, guard)."""
    sources = [s for s in step.sources if s in model.workflow.states]
    clauses = [model.status.in_(sources), scope_clause(model, user)]
    if step.ready is not None:
        clauses.append(step.ready(model, user))
    return clauses


def waiting_for(appbuilder, user, model, name):
    """The rows of `?work=<name>`: those waiting for this user, or none when the step is
    not this user's job."""
    for work in work_steps(appbuilder, user):
        if work.model is model and work.step.name == name:
            return waiting(model, work.step, user)
    return [false()]


class FilterWaiting(BaseFilter):
    """A list filter (value: a step name) keeping the rows waiting for the signed-in user."""

    name = _l("待我执行")
    arg_name = "work"

    def apply(self, query, value):
        return query.filter(*waiting_for(current_app.appbuilder, g.user, self.model, value))


def with_work(datamodel, filters, name):
    """`filters` plus the `?work=<name>` filter (unchanged without a name)."""
    if not name or getattr(datamodel.obj, "workflow", None) is None:
        return filters
    return filters.get_joined_filters(
        datamodel.get_filters([]).add_filter("status", FilterWaiting, name))


def worklist(appbuilder, user) -> list[dict]:
    """[{resource, register, step, label, count, url}] of the entries with rows waiting."""
    steps = work_steps(appbuilder, user)
    if not steps:
        return []
    counts = union_all(*(
        select(literal(i).label("entry"), func.count().label("n"))
        .select_from(w.model).where(*waiting(w.model, w.step, user))
        for i, w in enumerate(steps)))
    rows = dict(appbuilder.session.execute(select(counts.subquery())).all())
    out = []
    for i, w in enumerate(steps):
        if rows.get(i):
            out.append({"resource": w.model.__tablename__, "register": str(w.model.label),
                        "step": w.step.name, "label": str(w.step.label), "count": rows[i],
                        "url": url_for(f"{w.view.endpoint}.list", **{WORK_ARG: w.step.name})})
    return out
