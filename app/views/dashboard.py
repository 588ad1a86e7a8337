"""仪表盘 (DESIGN.md §5): the department heads' page — tiles of declared charts with one
period and department filter — and the Clerks' 我的工作 panel on the home page.

A tile is one line: `Tile("<resource>", "<chart>")` naming a chart a register view declares
(app.charts.Chart). Tiles of registers that are not installed, or that the viewer may not
list, are left out. Supervisors, Executives and Admins open the console on this page.
"""
from dataclasses import dataclass

from flask import g, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.models.complaints import Complaint
from app.scope import user_scope
from app.security import ROLE_LABELS
from app.views.charts import chart_page_context, chart_views, find_chart
from app.views.home import Panel, home_panel, my_worklist, panels

HEADS = ("Supervisor", "Executive", "Admin")


@dataclass(frozen=True)
class Tile:
    resource: str
    chart: str
    wide: bool = False


# DESIGN.md §5, in the order the heads read them.
TILES = [
    Tile("customer", "by_grade"),
    Tile("customer", "by_type"),
    Tile("customer", "abc", wide=True),
    Tile("transaction", "sales", wide=True),
    Tile("complaint", "trend", wide=True),
    Tile("complaint", "by_category"),
    Tile("complaint", "overdue"),
    Tile("visit_plan_item", "planned_vs_done", wide=True),
    Tile("survey_response", "by_dimension", wide=True),
    Tile("reception", "cost_per_month", wide=True),
    Tile("customer", "contact_due", wide=True),
    Tile("service_request", "in_time", wide=True),
]


def tiles_for(appbuilder) -> list[dict]:
    """The tiles the signed-in user may see (their register's can_list), in TILES order."""
    views, sm, out = chart_views(appbuilder), appbuilder.sm, []
    for tile in TILES:
        view = views.get(tile.resource)
        chart = find_chart(view, tile.chart) if view is not None else None
        if chart is None or not sm.has_access("can_list", view.class_permission_name):
            continue
        out.append({"id": f"{tile.resource}-{tile.chart}", "name": tile.chart,
                    "title": str(chart.title), "wide": tile.wide,
                    "src": url_for("ChartApi.chart", resource=tile.resource, name=tile.chart)})
    return out


def is_head(user) -> bool:
    return any(role.name in HEADS for role in user.roles)


def dashboard_context(appbuilder, user) -> dict:
    return {"tiles": tiles_for(appbuilder), "work": my_worklist(appbuilder, user),
            "panels": panels(appbuilder, user),
            "roles": [str(ROLE_LABELS.get(r.name, r.name)) for r in user.roles],
            "scope": user_scope(user), **chart_page_context(appbuilder)}


class DashboardView(BaseView):
    """仪表盘: for Supervisor, Executive and Admin."""

    route_base = "/dashboard"
    default_view = "index"
    class_permission_name = "Dashboard"
    role_access = {"Supervisor": ("can_list",), "Executive": ("can_list",)}
    method_permission_name = {"index": "list"}

    @expose("/")
    @has_access
    def index(self):
        return self.render_template("charts/dashboard.html", title=_("仪表盘"),
                                    action=url_for("DashboardView.index"), user=g.user,
                                    **dashboard_context(self.appbuilder, g.user))


def home_dashboard(index_view, user):
    """The home page of a head who may open the dashboard: the dashboard itself (with the
    to-do table and panels), or None for everyone else."""
    if user is None or not is_head(user) or \
            not index_view.appbuilder.sm.has_access("can_list", "Dashboard"):
        return None
    return index_view.render_template("charts/dashboard.html", title=_("仪表盘"),
                                      action=url_for("DashboardView.index"), user=user,
                                      appbuilder=index_view.appbuilder,
                                      **dashboard_context(index_view.appbuilder, user))


# --- 我的工作 (Clerks) -----------------------------------------------------------------
@home_panel
def my_work(appbuilder, user):
    """我的工作: my overdue complaints. Drafts and returned rows are in the 待办 (submit,
    declare …); visit tasks and customers behind the contact rule are their families'
    own panels."""
    if user is None or not any(role.name == "Clerk" for role in user.roles) or \
            not appbuilder.sm.has_access("can_list", "Complaint"):
        return None
    n = appbuilder.session.scalar(select(func.count()).select_from(Complaint).where(
        Complaint.overdue, Complaint.owner_id == user.id))
    return Panel(title=_("我的工作"), columns=[_("事项"), _("记录数")],
                 rows=[[_("我的超期投诉"), n]],
                 links=[url_for("MyOverdueComplaintView.list")], style="info")
