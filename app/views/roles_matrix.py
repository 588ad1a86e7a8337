"""权限矩阵: what a role may do, one row per register, in Chinese.

FAB's role editor lists ~170 raw "can_this_form_post on MenuApi" tags. Here each
register is a row; its web actions, the API permissions of its REST resource, its
workflow steps and anything else it offers are checkboxes in that row. Menu entries
follow: a role sees a register's menu entry when it may list it (as `init-roles` does).
"""
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.security.sqla.models import PermissionView, Role
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.guards import InputRefused, parse_id
from app.security import ROLE_LABELS
from app.security_labels import ACTION_LABELS, view_label

WEB_COLUMNS = (("can_list", _l("列表")), ("can_show", _l("查看")), ("can_add", _l("新增")),
               ("can_edit", _l("编辑")), ("can_delete", _l("删除")),
               ("can_export_xlsx", _l("导出")), ("can_import_xlsx", _l("导入")))
API_COLUMNS = (("can_get", _l("读取")), ("can_post", _l("新增")), ("can_put", _l("修改")),
               ("can_delete", _l("删除")), ("can_export_xlsx", _l("导出")),
               ("can_info", _l("说明")))
MENU = "menu_access"


class Row:
    def __init__(self, name, label):
        self.name, self.label = name, label
        self.web: dict = {}  # permission → PermissionView
        self.api: dict = {}
        self.steps: list = []  # (label, PermissionView)
        self.other: list = []

    @property
    def empty(self):
        return not (self.web or self.api or self.steps or self.other)


def _step_labels(appbuilder) -> dict:
    """view name → {can_<step>: step label} (labels differ between registers)."""
    labels = {}
    for view in appbuilder.baseviews:
        flow = getattr(getattr(getattr(view, "datamodel", None), "obj", None), "workflow", None)
        if flow is not None:
            labels[view.class_permission_name] = {f"can_{s.name}": s.label for s in flow.steps}
    return labels


def build_matrix(appbuilder):
    """Rows in menu order, then the pages without a menu entry; and the menu grants."""
    session = appbuilder.session
    pvs = session.scalars(select(PermissionView)).all()
    by_view: dict = {}
    for pv in pvs:
        by_view.setdefault(pv.view_menu.name, []).append(pv)
    view_names = {v.class_permission_name for v in appbuilder.baseviews}
    menu_items, categories = {}, {}
    order = []
    for category in appbuilder.menu.get_list():
        categories[category.name] = [c.name for c in category.childs]
        for child in category.childs:
            if child.baseview is not None:
                menu_items[child.name] = child.baseview.class_permission_name
                order.append(child.baseview.class_permission_name)
    order += sorted(n for n in view_names if n not in order and not n.endswith("Api"))
    steps = _step_labels(appbuilder)
    rows: dict = {}
    for name in dict.fromkeys(order):
        row = rows[name] = Row(name, view_label(name))
        for pv in by_view.get(name, []):
            perm = pv.permission.name
            if perm in steps.get(name, {}):
                row.steps.append((steps[name][perm], pv))
            elif perm in dict(WEB_COLUMNS):
                row.web[perm] = pv
            elif perm != MENU:
                row.other.append((ACTION_LABELS.get(perm) or perm, pv))
        for pv in by_view.get(name + "Api", []):
            perm = pv.permission.name
            if perm in dict(API_COLUMNS):
                row.api[perm] = pv
            elif perm != MENU:
                row.other.append((_("接口：%(action)s", action=ACTION_LABELS.get(perm) or perm),
                                  pv))
    # APIs without a web view of the same name (e.g. the security API) get rows of their own
    for name in sorted(view_names - set(rows)):
        if name.endswith("Api") and name[:-3] in rows:
            continue
        row = rows[name] = Row(name, view_label(name))
        for pv in by_view.get(name, []):
            if pv.permission.name != MENU:
                row.api[pv.permission.name] = pv
    for row in rows.values():  # steps in the order the workflow runs them
        order_of = list(steps.get(row.name, {}))
        row.steps.sort(key=lambda item: order_of.index(item[1].permission.name))
    menu_pvs = {pv.view_menu.name: pv for pv in pvs if pv.permission.name == MENU}
    return [r for r in rows.values() if not r.empty], menu_items, categories, menu_pvs


def granted_with_menus(checked: set, menu_items, categories, menu_pvs, current: set,
                       listed_views: set) -> set:
    """The checked permissions plus the menu entries they imply: a register's entry when it
    may be listed (or, for a page without a list, used at all), a category when any entry."""
    wanted = set(checked)
    by_view: dict = {}
    for pv in checked:
        by_view.setdefault(pv.view_menu.name, set()).add(pv.permission.name)
    for item, view in menu_items.items():
        perms = by_view.get(view, set())
        if item in menu_pvs and ("can_list" in perms or (perms and view not in listed_views)):
            wanted.add(menu_pvs[item])
    for item, pv in menu_pvs.items():  # entries without a view keep their grant
        if item not in menu_items and item not in categories and pv in current:
            wanted.add(pv)
    granted_items = {pv.view_menu.name for pv in wanted if pv.permission.name == MENU}
    for category, children in categories.items():
        if category in menu_pvs and granted_items & set(children):
            wanted.add(menu_pvs[category])
    return wanted


class PermissionMatrixView(BaseView):
    route_base = "/permission_matrix"
    default_view = "matrix"
    class_permission_name = "PermissionMatrix"

    @expose("/", methods=["GET", "POST"])
    @expose("/<int:role_id>", methods=["GET", "POST"])
    @has_access
    def matrix(self, role_id=None):
        session = self.appbuilder.session
        roles = session.scalars(select(Role).order_by(Role.id)).all()
        if role_id is None:
            role = next((r for r in roles if r.name == "Clerk"), roles[0] if roles else None)
            if role is None:
                abort(404)
            return redirect(url_for(f"{self.endpoint}.matrix", role_id=role.id))
        role = session.get(Role, role_id)
        if role is None:
            abort(404)
        rows, menu_items, categories, menu_pvs = build_matrix(self.appbuilder)
        if request.method == "POST":
            offered = {pv.id: pv for r in rows
                       for pv in [*r.web.values(), *r.api.values(),
                                  *(p for _label, p in r.steps), *(p for _label, p in r.other)]}
            ids = [parse_id(i) for i in request.form.getlist("pv")]
            if None in ids:
                raise InputRefused(_("权限编号不正确，未保存"))
            checked = {offered[i] for i in ids if i in offered}
            listed = {r.name for r in rows if "can_list" in r.web}
            role.permissions = list(granted_with_menus(checked, menu_items, categories,
                                                       menu_pvs, set(role.permissions), listed))
            session.commit()
            flash(_("已保存角色“%(role)s”的权限", role=role_label(role)), "success")
            return redirect(url_for(f"{self.endpoint}.matrix", role_id=role.id))
        return self.render_template(
            "permission_matrix.html", role=role, roles=roles, rows=rows,
            granted={pv.id for pv in role.permissions}, web_columns=WEB_COLUMNS,
            api_columns=API_COLUMNS, role_label=role_label, title=_("权限矩阵"))


def role_label(role) -> str:
    label = ROLE_LABELS.get(role.name)
    return str(label) if label is not None else role.name
