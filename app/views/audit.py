"""操作日志: Admin reads, filters and exports the audit log; nobody edits or deletes it.

Only list, show and export exist (no add/edit/delete permission is even created), and a
signed-in user without the grant gets 403 on the web as well as on the API.
"""
from flask import abort, g, request, url_for
from flask_appbuilder import ModelRestApi, ModelView, expose
from flask_appbuilder.api import get_list_schema, rison, safe
from flask_appbuilder.security.decorators import has_access, permission_name, protect
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app import lockout
from app.audit import ACTIONS, AuditLog, model_for
from app.scope import ScopedInterface
from app.views.base import api_export_plan, export_response, web_export_plan
from app.views.home import Panel, home_panel

LIST = ["at", "username", "action", "resource", "row_id", "detail", "ip"]
SHOW = ["at", "username", "user_id", "action", "resource", "row_id", "changes", "detail", "ip"]
SHOW_WEB = ["at", "username", "user_id", "action", "resource", "row_id", "changes_text",
            "detail", "ip"]
SEARCH = ["at", "username", "action", "resource", "row_id", "ip"]
EXPORTED = ["at", "username", "user_id", "action", "resource", "row_id", "changes_text",
            "detail", "ip"]


def register_name(resource) -> str:
    """客户档案（customer）: the register's name, and the value its filter takes."""
    label = getattr(model_for(resource), "label", None)
    return f"{label}（{resource}）" if label is not None and resource else (resource or "")


def _refuse_signed_in_users_without_grant(view):
    """FAB sends a signed-in user without the grant back to the login page; say 403."""
    @view.blueprint.before_request
    def _admin_only():
        user = getattr(g, "user", None)
        if user is None or not getattr(user, "is_authenticated", False):
            return None
        if request.path.startswith("/api/"):
            return None  # the API answers 403 itself
        if not view.appbuilder.sm.has_access("can_list", view.class_permission_name):
            abort(403)
        return None


class AuditLogView(ModelView):
    route_base = "/auditlog"
    datamodel = ScopedInterface(AuditLog)
    class_permission_name = "AuditLog"
    base_permissions = ["can_list", "can_show", "can_export_xlsx"]
    role_access: dict = {}  # Admin only (init-roles gives Admin every permission)
    list_template = "register/list.html"
    list_title = show_title = _l("操作日志")
    label_columns = dict(AuditLog.field_labels)
    list_columns = LIST
    show_columns = SHOW_WEB
    search_columns = SEARCH
    base_order = ("at", "desc")
    formatters_columns = {
        "action": lambda v: ACTIONS.get(v, v),
        "resource": lambda v: register_name(v),
        "detail": lambda v: v or "",
        "ip": lambda v: v or "",
        "row_id": lambda v: "" if v is None else v,
        "username": lambda v: v or "",
        "user_id": lambda v: "" if v is None else v,
        "changes_text": lambda v: Markup("<br>").join((v or "").split("\n")),
    }

    def create_blueprint(self, appbuilder, *args, **kwargs):
        blueprint = super().create_blueprint(appbuilder, *args, **kwargs)
        _refuse_signed_in_users_without_grant(self)
        return blueprint

    def render_template(self, template, **kwargs):
        kwargs.setdefault("endpoint", self.endpoint)
        kwargs.setdefault("view_permission", self.class_permission_name)
        kwargs.setdefault("import_enabled", False)
        return super().render_template(template, **kwargs)

    @expose("/export_xlsx/")
    @has_access
    def export_xlsx(self):
        return export_response(self, api=False)

    def export_plan(self):
        return web_export_plan(self, EXPORTED)


class AuditLogApi(ModelRestApi):
    resource_name = "audit_log"
    datamodel = ScopedInterface(AuditLog)
    class_permission_name = "AuditLogApi"
    base_permissions = ["can_get", "can_info", "can_export_xlsx"]
    role_access: dict = {}
    allow_browser_login = True
    list_columns = ["id", *SHOW]
    show_columns = ["id", *SHOW]
    search_columns = SEARCH
    order_columns = ["at", "id", "username", "action", "resource", "row_id"]
    base_order = ("at", "desc")

    def response_403(self):
        return self.response(403, message=_("没有权限"))

    def response_404(self):
        return self.response(404, message=_("未找到"))

    @expose("/export.xlsx", methods=["GET"])
    @protect()
    @safe
    @rison(get_list_schema)
    @permission_name("export_xlsx")
    def export_xlsx(self, **kwargs):
        return export_response(self, api=True)

    def export_plan(self):
        return api_export_plan(self, EXPORTED)

@home_panel
def locked_accounts_panel(appbuilder, user):
    """Admins: accounts locked by failed logins now (解除锁定 is on the user's page)."""
    if not appbuilder.sm.has_access("can_list", "AuditLog"):
        return None
    locked = lockout.locked_accounts(appbuilder.session)
    if not locked:
        return None
    return Panel(title=_("已锁定的账号"), columns=[_("用户名"), _("锁定至")],
                 rows=[[name, until.strftime("%Y-%m-%d %H:%M")] for name, until in locked],
                 links=[url_for("ConsoleUserDBModelView.list", _flt_0_username=name)
                        for name, _until in locked],
                 url=url_for("ConsoleUserDBModelView.list"),
                 note=_("连续登录失败 10 次的账号锁定 15 分钟；在用户页面可“解除锁定”"),
                 style="warning")
