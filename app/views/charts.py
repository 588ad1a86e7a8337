"""Charts declared on register views (app.charts): the JSON endpoint
`GET /api/v1/chart/<resource>/<chart>?from=&to=&department=` and the 图表 page of each
register (/charts/<resource>/), both in the viewer's row scope and behind the register's
own `can_list`: a register the user may not list has no charts for them (404).
"""
from calendar import monthrange
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from flask import abort, current_app, g, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.api import BaseApi, safe
from flask_appbuilder.models.sqla.filters import (
    FilterEqual,
    FilterGreater,
    FilterRelationOneToManyEqual,
    FilterSmaller,
)
from flask_appbuilder.security.decorators import has_access, permission_name, protect
from flask_babel import get_locale
from sqlalchemy import DateTime, select

from app.charts import ChartError, Params, parse_day, run_chart
from app.guards import MapsApiErrors, parse_id
from app.models.org import Department, department_subtree
from app.scope import ALL, DEPARTMENT, user_scope

ECHARTS_VERSION = "5.6.0"
ECHARTS_PATH = f"vendor/echarts/{ECHARTS_VERSION}/echarts.min.js"
EVERY_ROLE = ("Clerk", "Supervisor", "Executive", "Finance")


def chart_views(appbuilder) -> dict:
    """resource → the registered view instance that declares its charts."""
    found = {}
    for view in appbuilder.baseviews:
        charts = getattr(view, "charts", None)
        model = getattr(getattr(view, "datamodel", None), "obj", None)
        if charts and model is not None:
            found.setdefault(model.__tablename__, view)
    return found


def find_view(appbuilder, resource):
    """The view behind `resource` if the user may list it, else None (→ 404)."""
    view = chart_views(appbuilder).get(resource)
    if view is None or not appbuilder.sm.has_access("can_list", view.class_permission_name):
        return None
    return view


def find_chart(view, name):
    return next((c for c in view.charts if c.name == name), None)


def request_params(session) -> Params:
    """from, to (YYYY-MM-DD or YYYY-MM) and department (an id: it and its sub-departments)."""
    params = Params(start=parse_day(request.args.get("from")),
                    end=parse_day(request.args.get("to"), end=True))
    department = request.args.get("department")
    if department:
        dept_id = parse_id(department)
        if dept_id is None or session.get(Department, dept_id) is None:
            raise ChartError(_msg_department())
        params.department_id = dept_id
        params.department_ids = department_subtree(session, dept_id)
    return params


def _msg_department() -> str:
    from flask_babel import gettext as _
    return _("部门不存在")


# --- links to the filtered list behind a chart ----------------------------------------
def filter_arg(view, column, kind):
    filters = view._filters.get_search_filters().get(column)
    if not filters:
        return None
    for index, flt in enumerate(filters):
        if isinstance(flt, kind):
            return f"_flt_{index}_{column}"
    return None


def _range_args(view, model, column, start, end) -> dict:
    """column within [start, end] as the list's strict > and < filters."""
    args = {}
    is_datetime = isinstance(getattr(model, column).type, DateTime)
    greater = filter_arg(view, column, FilterGreater)
    smaller = filter_arg(view, column, FilterSmaller)
    if greater and start is not None:
        before = start - timedelta(days=1)
        args[greater] = (datetime.combine(start, datetime.min.time()) - timedelta(seconds=1)
                         ).strftime("%Y-%m-%d %H:%M:%S") if is_datetime else before.isoformat()
    if smaller and end is not None:
        after = end + timedelta(days=1)
        args[smaller] = f"{after.isoformat()} 00:00:00" if is_datetime else after.isoformat()
    return args


def list_links(view, chart, answer: dict, params: Params) -> tuple[str, list]:
    """(the list filtered by period and department, one link per label or None)."""
    model = view.datamodel.obj
    endpoint = f"{view.endpoint}.list"
    base = {}
    if params.department_id is not None:
        arg = filter_arg(view, "department", FilterRelationOneToManyEqual)
        if arg:
            base[arg] = params.department_id
    if chart.period:
        base.update(_range_args(view, model, chart.period, params.start, params.end))
    list_url = chart.drill(view, base, params) if chart.drill else \
        url_for(endpoint) + ("?" + urlencode(base) if base else "")
    links = []
    group = answer.get("group")
    for key in answer.get("keys", []):
        args = dict(base)
        if chart.by_month and chart.period:
            start = date.fromisoformat(key + "-01")
            end = start.replace(day=monthrange(start.year, start.month)[1])
            args.update(_range_args(view, model, chart.period, max(start, params.start),
                                    min(end, params.end)))
        elif group and key is not None:
            relation = group in model.__mapper__.relationships
            arg = filter_arg(view, group, FilterRelationOneToManyEqual if relation
                              else FilterEqual)
            if not arg:
                links.append(None)
                continue
            args[arg] = key
        else:
            links.append(None)
            continue
        links.append(url_for(endpoint) + "?" + urlencode(args))
    return list_url, links


def chart_answer(appbuilder, view, chart) -> dict:
    session = appbuilder.session
    params = request_params(session)
    answer = run_chart(session, view.datamodel.obj, chart, g.user, params)
    list_url, links = list_links(view, chart, answer, params)
    answer.setdefault("list_url", list_url)
    answer.setdefault("links", links)
    answer["resource"] = view.datamodel.obj.__tablename__
    return answer


class ChartApi(MapsApiErrors, BaseApi):
    """GET /api/v1/chart/<resource>/<chart> (DESIGN.md §8)."""

    resource_name = "chart"
    allow_browser_login = True
    class_permission_name = "Chart"
    role_access = {role: ("can_get",) for role in EVERY_ROLE}

    @expose("/<resource>/<name>", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def chart(self, resource, name):
        view = find_view(self.appbuilder, resource)
        chart = find_chart(view, name) if view is not None else None
        if chart is None:
            return self.response(404, message=_not_found())
        try:
            return self.response(200, **chart_answer(self.appbuilder, view, chart))
        except ChartError as e:
            return self.response(400, message=e.message)

    @expose("/<resource>/", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def charts(self, resource):
        """The charts a register declares: [{name, title, kind}]."""
        view = find_view(self.appbuilder, resource)
        if view is None:
            return self.response(404, message=_not_found())
        return self.response(200, result=[{"name": c.name, "title": str(c.title),
                                           "kind": c.kind} for c in view.charts])


def _not_found() -> str:
    from flask_babel import gettext as _
    return _("未找到")


def echarts_locale() -> str:
    locale = str(get_locale() or "zh")
    return "EN" if locale.startswith("en") else "ZH"


def scoped_departments(session, user) -> list:
    """The departments the viewer's rows can be in (DESIGN.md §1): all for the wide roles,
    the own department tree for a Supervisor, the own department for everyone else."""
    query = select(Department.id, Department.name).order_by(Department.name)
    scope = user_scope(user)
    if scope != ALL:
        ids = user.department_tree_ids() if scope == DEPARTMENT else \
            {user.department_id} - {None}
        query = query.where(Department.id.in_(ids))
    return session.execute(query).all()


def chart_page_context(appbuilder) -> dict:
    """What a page drawing charts needs: the vendored ECharts, the locale, departments."""
    departments = scoped_departments(appbuilder.session, g.user)
    return {"echarts_src": url_for("static", filename=ECHARTS_PATH),
            "charts_js": url_for("static", filename="js/charts.js"),
            "echarts_locale": echarts_locale(), "departments": departments,
            "period_from": request.args.get("from", ""), "period_to": request.args.get("to", ""),
            "department": request.args.get("department", "")}


class ChartPageView(BaseView):
    """图表: every chart a register declares, with the period and department filter."""

    route_base = "/charts"
    default_view = "page"
    class_permission_name = "ChartPage"
    role_access = {role: ("can_list",) for role in EVERY_ROLE}
    method_permission_name = {"page": "list"}

    @expose("/<resource>/")
    @has_access
    def page(self, resource):
        view = find_view(self.appbuilder, resource)
        if view is None:
            abort(404)
        model = view.datamodel.obj
        from flask_babel import gettext as _
        tiles = [{"src": url_for("ChartApi.chart", resource=resource, name=c.name),
                  "title": str(c.title), "wide": c.by_month or c.kind == "pareto",
                  "name": c.name} for c in view.charts]
        return self.render_template(
            "charts/page.html", title=_("%(register)s · 图表", register=model.label),
            tiles=tiles, list_url=url_for(f"{view.endpoint}.list"),
            **chart_page_context(self.appbuilder))


def chart_url_for(view) -> str | None:
    """The 图表 page of a register view (for its list page's button), or None."""
    if not getattr(view, "charts", None) or current_app is None:
        return None
    return url_for("ChartPageView.page", resource=view.datamodel.obj.__tablename__)
