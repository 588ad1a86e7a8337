"""Security: the console's user model and views, role grants, and password rules.

Roles are data (DESIGN.md §1): `flask init-roles` writes the grants below to the
database, where admins may change them in the console. FAB_ROLES is not used
because built-in roles cannot be edited there.
"""
from flask import current_app, g, redirect, url_for
from flask_appbuilder.actions import action
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import UserDBModelView, UserInfoEditView
from flask_appbuilder.widgets import ListWidget
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional

from app.models.org import ConsoleUser
from app.passwords import password_problem


def blank_if_none(value):
    return "" if value is None else value

ROLES = ("Admin", "Clerk", "Supervisor", "Executive", "Finance")
ROLE_LABELS = {
    "Admin": _l("系统管理员"),
    "Clerk": _l("业务员"),
    "Supervisor": _l("部门主管"),
    "Executive": _l("总经理"),
    "Finance": _l("财务"),
}

# Permission bundles a view grants to a role (see RegisterView.role_access).
READ = ("can_list", "can_show", "can_get", "can_info", "can_export_xlsx")
WRITE = READ + ("can_add", "can_edit", "can_post", "can_put", "can_import_xlsx")
FULL = WRITE + ("can_delete",)
PERSONAL = ("can_userinfo", "resetmypassword", "can_this_form_get", "can_this_form_post",
            "userinfoedit")


class UserListWidget(ListWidget):
    """FAB's list with a 离职交接 button on each row for admins who may hand over."""

    template = "user_list_widget.html"

    def __init__(self, **kwargs):
        kwargs["can_handover"] = current_app.appbuilder.sm.has_access("can_form", "Handover")
        super().__init__(**kwargs)


NAME_FIELDS = {
    # 姓 may be empty (a title such as 系统管理员 has none); 名 is required.
    "last_name": StringField(_l("姓"), validators=[Optional(), Length(max=64)],
                             widget=BS3TextFieldWidget()),
    "first_name": StringField(_l("名"), validators=[DataRequired(), Length(max=64)],
                              widget=BS3TextFieldWidget()),
}


class ConsoleUserDBModelView(UserDBModelView):
    label_columns = {**UserDBModelView.label_columns, "department": _l("部门"),
                     "last_name": _l("姓"), "first_name": _l("名"), "get_full_name": _l("姓名"),
                     "login_count": _l("登录次数"), "fail_login_count": _l("登录失败次数")}
    list_columns = ["get_full_name", "username", "department", "active", "roles"]
    list_widget = UserListWidget
    show_template = "user_show.html"
    add_columns = ["last_name", "first_name", "username", "active", "email", "department",
                   "roles", "password", "conf_password"]
    edit_columns = ["last_name", "first_name", "username", "active", "email", "department",
                    "roles"]
    add_form_extra_fields = {**(UserDBModelView.add_form_extra_fields or {}), **NAME_FIELDS}
    edit_form_extra_fields = {**(UserDBModelView.edit_form_extra_fields or {}), **NAME_FIELDS}
    search_columns = ["last_name", "first_name", "username", "email", "department",
                      "active", "roles", "last_login"]
    show_fieldsets = [
        (_l("User info"), {"fields": ["username", "active", "department", "roles",
                                      "login_count"]}),
        (_l("Personal Info"), {"fields": ["last_name", "first_name", "email"],
                               "expanded": True}),
        (_l("Audit Info"), {"fields": ["last_login", "fail_login_count", "created_on",
                                       "created_by", "changed_on", "changed_by"],
                            "expanded": False}),
    ]
    user_show_fieldsets = [
        (_l("User info"), {"fields": ["username", "active", "department", "roles"]}),
        (_l("Personal Info"), {"fields": ["last_name", "first_name", "email"],
                               "expanded": True}),
    ]

    formatters_columns = {
        **{column: blank_if_none for column in (
            "login_count", "fail_login_count", "last_login", "created_on", "created_by",
            "changed_on", "changed_by", "email", "department", "last_name")},
        "active": lambda v: _("是") if v else _("否"),
        "roles": lambda roles: "、".join(str(ROLE_LABELS.get(r.name, r.name)) for r in roles),
    }

    @action("handover", _l("离职交接"), None, "fa-exchange", multiple=False)
    def handover(self, item):
        return redirect(url_for("HandoverView.form", user_id=item.id))

    def render_template(self, template, **kwargs):
        if template == self.show_template:
            kwargs["can_handover"] = self.appbuilder.sm.has_access("can_form", "Handover")
        return super().render_template(template, **kwargs)


class ConsoleUserInfoEditView(UserInfoEditView):
    pass


class ConsoleSecurityManager(SecurityManager):
    user_model = ConsoleUser
    userdbmodelview = ConsoleUserDBModelView
    userinfoeditview = ConsoleUserInfoEditView
    userstatschartview = None  # FAB's chart loads Google Charts from the internet

    def register_views(self):
        super().register_views()
        # FAB limits the web login only; the JWT login gets the same limit.
        if self.is_auth_limited:
            for view in self.appbuilder.baseviews:
                if isinstance(view, self.security_api):
                    self.limiter.limit(self.auth_rate_limit, methods=["POST"])(view.blueprint)

    # --- permissions, loaded once per request -------------------------------
    def _permission_set(self, user) -> frozenset:
        cache = g.setdefault("_permission_cache", {})
        key = getattr(user, "id", None)
        if key not in cache:
            cache[key] = frozenset(self.get_user_permissions(user))
        return cache[key]

    def _has_view_access(self, user, permission_name, view_name) -> bool:
        return (permission_name, view_name) in self._permission_set(user)

    def _get_user_permission_view_menus(self, user, permission_name, view_menus_name):
        roles_user = user if user is not None else _AnonymousUser()
        granted = self._permission_set(roles_user)
        names = view_menus_name if view_menus_name is not None else [v for _p, v in granted]
        return {name for name in names if (permission_name, name) in granted}

    # --- passwords: complexity also where FAB skips it -----------------------
    def add_user(self, username, first_name, last_name, email, role=None, password="",
                 hashed_password="", groups=None, commit=True):
        if password:
            problem = password_problem(password)
            if problem:
                raise BadRequest(problem)
        return super().add_user(username, first_name, last_name, email, role=role,
                                password=password, hashed_password=hashed_password,
                                groups=groups, commit=commit)

    def reset_password(self, userid, password):
        problem = password_problem(password)
        if problem:
            raise BadRequest(problem)
        return super().reset_password(userid, password)


class _AnonymousUser:
    """Stands for 'no user' in permission look-ups (FAB gives it the Public role)."""

    id = None
    is_authenticated = False
    roles: list = []
    groups: list = []
