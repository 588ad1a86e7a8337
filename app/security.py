"""Security: the console's user model and views, role grants, and password rules.

Roles are data (DESIGN.md §1): `flask init-roles` writes the grants below to the
database, where admins may change them in the console. FAB_ROLES is not used
because built-in roles cannot be edited there.
"""
from types import SimpleNamespace

from flask import current_app, flash, g, has_request_context, jsonify, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, BS3TextFieldWidget
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.forms import ResetPasswordForm
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import (
    AuthDBView,
    ResetMyPasswordView,
    ResetPasswordView,
    UserDBModelView,
    UserInfoEditView,
)
from flask_appbuilder.validators import PasswordComplexityValidator
from flask_appbuilder.widgets import ListWidget
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import logout_user
from werkzeug.exceptions import BadRequest
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, StopValidation

from app import audit, lockout
from app.models.org import ConsoleUser
from app.passwords import password_problem, password_rule
from app.sessions import end_sessions, session_is_current, token_is_current


def blank_if_none(value):
    return "" if value is None else value

ROLES = ("Admin", "Clerk", "Supervisor", "Executive", "Finance")
ROLES_IN_A_DEPARTMENT = ("Clerk", "Supervisor")  # their rows and scope are a department's


def department_problem(role_names, department) -> str | None:
    """Why a user with these roles may not be without a department, or None (Chinese)."""
    if department is None and set(role_names) & set(ROLES_IN_A_DEPARTMENT):
        return _("业务员和部门主管必须属于一个部门，请选择部门")
    return None


class DepartmentForRoles:
    """The user form's 部门: required when the roles chosen are a Clerk's or Supervisor's."""

    def __call__(self, form, field):
        roles = form["roles"].data if "roles" in form else []
        problem = department_problem([r.name for r in roles or ()], field.data)
        if problem:
            raise StopValidation(problem)
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


def password_fields(confirm_label) -> dict:
    """The password pair of every form that sets one, saying the rule it checks."""
    return {
        "password": PasswordField(_l("Password"), description=password_rule(),
                                  validators=[DataRequired(), PasswordComplexityValidator()],
                                  widget=BS3PasswordFieldWidget()),
        "conf_password": PasswordField(
            _l("Confirm Password"), description=confirm_label,
            validators=[DataRequired(), EqualTo("password", message=_l("Passwords must match"))],
            widget=BS3PasswordFieldWidget()),
    }


class ConsolePasswordForm(ResetPasswordForm):
    password = password_fields(_l("Please rewrite the password to confirm"))["password"]
    conf_password = password_fields(_l("Please rewrite the password to confirm"))["conf_password"]


class ConsoleResetMyPasswordView(ResetMyPasswordView):
    class_permission_name = "ResetMyPasswordView"
    form = ConsolePasswordForm


class ConsoleResetPasswordView(ResetPasswordView):
    class_permission_name = "ResetPasswordView"
    form = ConsolePasswordForm


class ConsoleAuthDBView(AuthDBView):
    @property
    def invalid_login_message(self):
        return lock_message() or _("用户名或密码错误，请重试")

    @expose("/logout/", methods=["POST"])
    def logout(self):
        """POST with the CSRF token only: a link or an image must not sign anyone out."""
        user = self._get_authenticated_user()
        logout_user()
        if user is not None:
            self.appbuilder.sm.on_user_logout(user)
        return redirect(current_app.config.get("LOGOUT_REDIRECT_URL",
                                               self.appbuilder.get_url_for_index))


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
    # Without an order PostgreSQL returns rows in heap order, which moves a user to the
    # last page each time a login updates the row.
    base_order = ("username", "asc")
    list_widget = UserListWidget
    show_template = "user_show.html"
    add_columns = ["last_name", "first_name", "username", "active", "email", "department",
                   "roles", "password", "conf_password"]
    edit_columns = ["last_name", "first_name", "username", "active", "email", "department",
                    "roles"]
    add_form_extra_fields = {
        **password_fields(_l("Please rewrite the user's password to confirm")), **NAME_FIELDS}
    edit_form_extra_fields = {**(UserDBModelView.edit_form_extra_fields or {}), **NAME_FIELDS}
    validators_columns = {"department": [DepartmentForRoles()]}
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

    @action("unlock", _l("解除锁定"), None, "fa-unlock", multiple=False)
    def unlock(self, item):
        session = self.datamodel.session
        lockout.clear(session, item.username)
        audit.record(session, "unlock", "ab_user", item.id, detail=item.username)
        session.commit()
        flash(_("%(user)s 的登录锁定已解除", user=item.username), "success")
        return redirect(url_for(f"{self.endpoint}.show", pk=item.id))

    def render_template(self, template, **kwargs):
        if template == self.show_template:
            kwargs["can_handover"] = self.appbuilder.sm.has_access("can_form", "Handover")
        return super().render_template(template, **kwargs)


class ConsoleUserInfoEditView(UserInfoEditView):
    pass


def lock_message() -> str | None:
    """The refusal of a login to a locked account, with when to retry, or None."""
    until = g.get("login_locked_until") if has_request_context() else None
    if until is None:
        return None
    return _("登录失败次数过多，账号已锁定，请于 %(time)s 之后重试",
             time=until.strftime("%Y-%m-%d %H:%M"))


class ConsoleSecurityApi(SecurityApi):
    def response_401(self):
        message = lock_message()
        if message is None:
            return self.response(401, message=_("用户名或密码错误"))
        response = self.response(429, message=message)
        seconds = int((g.login_locked_until - lockout.now_cn()).total_seconds())
        response.headers["Retry-After"] = str(max(seconds, 1))
        return response


class ConsoleSecurityManager(SecurityManager):
    user_model = ConsoleUser
    userdbmodelview = ConsoleUserDBModelView
    userinfoeditview = ConsoleUserInfoEditView
    resetmypasswordview = ConsoleResetMyPasswordView
    resetpasswordview = ConsoleResetPasswordView
    userstatschartview = None  # FAB's chart loads Google Charts from the internet
    authdbview = ConsoleAuthDBView
    security_api = ConsoleSecurityApi

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

    # --- sessions end at logout and at a password change (app/sessions.py) -----
    def load_user(self, pk):
        user = super().load_user(pk)
        if user is not None and not session_is_current(user):
            return None
        return user

    def load_user_jwt(self, _jwt_header, jwt_data):
        user = super().load_user(jwt_data["sub"])
        if user is None or not user.is_active or not token_is_current(user, jwt_data):
            return None
        g.user = user
        return user

    def create_jwt_manager(self, app):
        jwt_manager = super().create_jwt_manager(app)

        @jwt_manager.additional_claims_loader
        def _epoch_claim(identity):
            user = self.get_user_by_id(int(identity))
            return {"epoch": (user.session_epoch or 0) if user is not None else -1}

        def _refused(*_args):  # flask-jwt-extended answers 401/422 in English
            return jsonify(message=_("未登录或登录已过期")), 401

        jwt_manager.invalid_token_loader(_refused)
        jwt_manager.expired_token_loader(_refused)
        jwt_manager.revoked_token_loader(_refused)
        jwt_manager.user_lookup_error_loader(_refused)
        return jwt_manager

    def on_user_logout(self, user) -> None:
        end_sessions(user)
        self.session.commit()

    # --- logins: lockout counted in the database, every attempt audited --------
    def auth_user_db(self, username, password):
        name = (username or "").strip()
        if not name:
            return super().auth_user_db(username, password)
        session = self.session
        ip = request.remote_addr if has_request_context() else None
        until = lockout.locked_until(session, name)
        if until is None:
            user = super().auth_user_db(username, password)
        else:
            user = None
        if user is not None:
            lockout.clear(session, name)
            audit.record(session, "login", "ab_user", user.id, actor=user)
        else:
            known = self.find_user(username=name)
            who = SimpleNamespace(id=getattr(known, "id", None), username=name)
            if until is None:
                until = lockout.note_failure(session, name, ip)
                detail = _("已锁定至 %(time)s", time=until.strftime("%H:%M")) if until else None
            else:
                detail = _("账号锁定中")
            audit.record(session, "login_failed", "ab_user", who.id, actor=who, detail=detail)
            if has_request_context():
                g.login_locked_until = until
        session.commit()
        return user

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
        super().reset_password(userid, password)
        user = self.get_user_by_id(userid)
        if user is not None:
            mine = has_request_context() and getattr(getattr(g, "user", None), "id", None) \
                == user.id
            end_sessions(user, keep_current=mine)
            self.session.commit()


class _AnonymousUser:
    """Stands for 'no user' in permission look-ups (FAB gives it the Public role)."""

    id = None
    is_authenticated = False
    roles: list = []
    groups: list = []
