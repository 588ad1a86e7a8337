"""首页: who I am, my worklist — rows waiting for a step I may run — and the panels
that register families add (my visit tasks, customers behind the contact rule …)."""
from dataclasses import dataclass, field
from typing import Callable

from flask import current_app, g, url_for
from flask_appbuilder import IndexView, expose
from flask_appbuilder.api import BaseApi, safe
from flask_appbuilder.security.decorators import protect
from sqlalchemy.exc import SQLAlchemyError

from app.scope import user_scope
from app.security import ROLE_LABELS, ROLES
from app.worklist import worklist


@dataclass
class Panel:
    """One box on the home page: a title, a small table and a link to the full list."""

    title: str
    columns: list[str] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # per row: the record or filtered list
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


def my_worklist(appbuilder, user) -> list[dict]:
    """The user's 待办, computed once per request (the page and the navbar badge share it)."""
    if "_worklist" not in g:
        g._worklist = worklist(appbuilder, user)
    return g._worklist


def worklist_badge() -> dict | None:
    """For the navbar: the number of 待办 and where they are listed (None when signed out)."""
    user = getattr(g, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        count = sum(entry["count"] for entry in my_worklist(current_app.appbuilder, user))
    except SQLAlchemyError:  # an error page (the database gone) still renders its navbar
        current_app.appbuilder.session.rollback()
        return None
    return {"count": count, "url": url_for("HomeView.index") + "#work"}


class WorklistApi(BaseApi):
    """GET /api/v1/worklist (DESIGN.md §8): the signed-in user's 待办, as on the home page."""

    resource_name = "worklist"
    allow_browser_login = True
    class_permission_name = "Worklist"
    method_permission_name = {"get_list": "get"}
    role_access = {role: ("can_get",) for role in ROLES}

    @expose("", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        return self.response(200, result=my_worklist(self.appbuilder, g.user))


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
                "work": my_worklist(self.appbuilder, user),
                "panels": panels(self.appbuilder, user),
            }
        return self.render_template(self.index_template, appbuilder=self.appbuilder,
                                    user=user, **context)
