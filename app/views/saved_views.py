"""我的视图 on the web (save from a list, open from its menu, delete one's own) and over
REST at /api/v1/saved_view/ (own views and those shared with me; only own ones change)."""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, ModelRestApi, expose
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.errors import RowRejected
from app.models.saved_views import SavedView
from app.saved_views import check, list_args, visible_clause
from app.security import ROLES
from app.views.base import RegisterView, translate_messages

EVERYONE_WEB = {role: ("can_save", "can_remove") for role in ROLES}
EVERYONE_API = {role: ("can_get", "can_post", "can_put", "can_delete") for role in ROLES}


def register_views(appbuilder) -> dict[str, RegisterView]:
    """Each register's list view by register name (its main view: the first added)."""
    found: dict[str, RegisterView] = {}
    for view in appbuilder.baseviews:
        if isinstance(view, RegisterView):
            found.setdefault(view.datamodel.obj.__tablename__, view)
    return found


def sortable_of(appbuilder, register: str):
    """The register's sort columns; None when it is unknown or its list is not the user's."""
    view = register_views(appbuilder).get(register)
    if view is None or not appbuilder.sm.has_access("can_list", view.class_permission_name):
        return None
    return list(view.order_columns or ())


def stamp_owner(item, user) -> None:
    item.user_id = user.id
    item.owner_name = user.get_full_name() or user.username


class NotYours(RowRejected):
    def __init__(self):
        super().__init__(_("只能修改或删除自己创建的视图"))


class SavedViewWebView(BaseView):
    route_base = "/savedviews"
    class_permission_name = "SavedView"
    role_access = EVERYONE_WEB

    def _list_view(self, name):
        view = next((v for v in self.appbuilder.baseviews
                     if isinstance(v, RegisterView) and v.__class__.__name__ == name), None)
        if view is None or not self.appbuilder.sm.has_access("can_list",
                                                              view.class_permission_name):
            abort(404)
        return view

    @expose("/save", methods=["POST"])
    @has_access
    def save(self):
        view = self._list_view(request.form.get("view", ""))
        session = self.appbuilder.session
        item = SavedView(register=view.datamodel.obj.__tablename__,
                         name=request.form.get("name", ""),
                         filters=request.form.get("filters", ""),
                         sort=request.form.get("sort", ""),
                         shared_with=request.form.get("shared_with", ""))
        stamp_owner(item, g.user)
        back = url_for(f"{view.endpoint}.list", **list_args(
            view.__class__.__name__, request.form.get("filters", "").lstrip("?"),
            request.form.get("sort", "")))
        try:
            check(session, item, g.user, list(view.order_columns or ()))
        except RowRejected as e:
            session.rollback()
            flash(e.message, "danger")
            return redirect(back)
        session.add(item)
        session.commit()
        flash(_("已保存视图：%(n)s", n=item.name), "success")
        return redirect(url_for(f"{view.endpoint}.list", **list_args(
            view.__class__.__name__, item.filters, item.sort)))

    @expose("/remove/<int:pk>", methods=["POST"])
    @has_access
    def remove(self, pk):
        view = self._list_view(request.form.get("view", ""))
        session = self.appbuilder.session
        item = session.get(SavedView, pk)
        if item is None or item.user_id != g.user.id:
            abort(404)
        session.delete(item)
        session.commit()
        flash(_("已删除视图：%(n)s", n=item.name), "success")
        return redirect(url_for(f"{view.endpoint}.list"))


class VisibleToMe(BaseFilter):
    """Base filter of the API: my views and the ones shared with me."""

    def apply(self, query, value):
        return query.filter(visible_clause(g.user))


class SavedViewApi(ModelRestApi):
    resource_name = "saved_view"
    datamodel = SQLAInterface(SavedView)
    class_permission_name = "SavedViewApi"
    allow_browser_login = True
    role_access = EVERYONE_API
    base_filters = [["id", VisibleToMe, None]]
    list_columns = show_columns = ["id", "register", "name", "filters", "sort", "shared_with",
                                   "owner_name", "user.id", "department.id", "created_on"]
    add_columns = edit_columns = ["register", "name", "filters", "sort", "shared_with"]
    order_columns = ["name", "register", "created_on", "id"]
    search_columns = ["register", "name", "shared_with"]
    label_columns = {**SavedView.field_labels, "user.id": _l("用户 ID"),
                     "department.id": _l("部门 ID")}
    list_title = show_title = _l("我的视图")

    def pre_add(self, item):
        stamp_owner(item, g.user)
        self._check(item)

    def pre_update(self, item):
        if item.user_id != g.user.id:
            raise NotYours()
        self._check(item)

    def pre_delete(self, item):
        if item.user_id != g.user.id:
            raise NotYours()

    def _check(self, item):
        with self.datamodel.session.no_autoflush:
            check(self.datamodel.session, item, g.user,
                  sortable_of(self.appbuilder, item.register))

    def _refused(self, e: RowRejected):
        self.datamodel.session.rollback()
        status = 403 if isinstance(e, NotYours) else 422
        return self.response(status, message=translate_messages(e.messages()))

    def post_headless(self):
        try:
            return super().post_headless()
        except RowRejected as e:
            return self._refused(e)

    def put_headless(self, pk):
        try:
            return super().put_headless(pk)
        except RowRejected as e:
            return self._refused(e)

    def delete_headless(self, pk):
        try:
            return super().delete_headless(pk)
        except RowRejected as e:
            return self._refused(e)

    def response_400(self, message=None):
        return self.response(400, message=translate_messages(message) or _("请求参数不正确"))

    def response_422(self, message=None):
        return super().response_422(message=translate_messages(message))

    def response_404(self):
        return self.response(404, message=_("未找到"))

