"""首页: who I am, my worklist — rows waiting for a step I may run — and the panels
that register families add (my visit tasks, customers behind the contact rule …)."""
from dataclasses import dataclass, field
from typing import Callable

from flask import g, url_for
from flask_appbuilder import IndexView, expose
from sqlalchemy import func, select

from app.scope import scope_clause, user_scope
from app.security import ROLE_LABELS

FORWARD_EXCLUDED = ("send_back", "reject")


@dataclass
class Panel:
    """One box on the home page: a title, a small table and a link to the full list."""

    title: str
    columns: list[str] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)
    url: str | None = None  # "全部" link to the list behind the panel
    note: str | None = None  # one line above the table (a reminder, a count)
    style: str = "default"  # bootstrap panel style: default, warning, danger, info


# Functions (appbuilder, user) -> Panel | None, added by register families with
# @home_panel; each decides itself whether the user's roles and grants want it.
HOME_PANELS: list[Callable] = []


def home_panel(fn: Callable) -> Callable:
    HOME_PANELS.append(fn)
    return fn


def panels(appbuilder, user) -> list[Panel]:
    return [p for p in (fn(appbuilder, user) for fn in HOME_PANELS) if p is not None]


def worklist(appbuilder, user) -> list[dict]:
    """Per register with a workflow: rows in my scope waiting for a step my role is named
    for (and I am granted), one SQL COUNT each."""
    items, sm, session, seen = [], appbuilder.sm, appbuilder.session, set()
    my_roles = {role.name for role in user.roles}
    for view in appbuilder.baseviews:
        model = getattr(getattr(view, "datamodel", None), "obj", None)
        if not getattr(view, "runs_steps", False) or model in seen or \
                not sm.has_access("can_list", view.class_permission_name):
            continue
        seen.add(model)
        flow = model.workflow
        for step in flow.steps:
            if step.name in FORWARD_EXCLUDED or step.target is None or \
                    not my_roles & set(step.roles) or \
                    not sm.has_access(f"can_{step.name}", view.class_permission_name):
                continue
            sources = [s for s in step.sources if s in flow.states]
            n = session.scalar(select(func.count()).select_from(model).where(
                model.status.in_(sources), scope_clause(model, user)))
            if n:
                items.append({"register": model.label, "step": step.label, "count": n,
                              "url": url_for(f"{view.endpoint}.list",
                                             **{"_flt_0_status": sources[0]})})
    return items


class HomeView(IndexView):
    index_template = "home.html"

    @expose("/")
    def index(self):
        user = g.user if getattr(g.user, "is_authenticated", False) else None
        context = {}
        if user is not None:
            from app.views.dashboard import home_dashboard  # heads open on the dashboard
            page = home_dashboard(self, user)
            if page is not None:
                return page
            context = {
                "roles": [str(ROLE_LABELS.get(r.name, r.name)) for r in user.roles],
                "scope": user_scope(user),
                "work": worklist(self.appbuilder, user),
                "panels": panels(self.appbuilder, user),
            }
        return self.render_template(self.index_template, appbuilder=self.appbuilder,
                                    user=user, **context)
