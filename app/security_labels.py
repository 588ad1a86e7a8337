"""Chinese names for roles and permissions in the console's security screens.

Role names and permission names are fixed English identifiers (DESIGN.md §1, §3), but
admins read Chinese: "can approve on DevelopmentPlan" is shown as
"批准（营销经理） · 大客户开发计划 [can_approve]". FAB's role and permission forms
print these rows with repr(), so the two repr methods are replaced here, once,
with labels collected from the registered views (`collect_labels`).
"""
from flask_appbuilder.security.sqla.models import PermissionView, Role
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from app.security import ROLE_LABELS

ACTION_LABELS = {
    "can_list": _l("列表"), "can_show": _l("查看"), "can_add": _l("新增"),
    "can_edit": _l("编辑"), "can_delete": _l("删除"), "can_download": _l("下载"),
    "can_export_xlsx": _l("导出 Excel"), "can_import_xlsx": _l("导入"),
    "can_get": _l("接口读取"), "can_info": _l("接口说明"), "can_post": _l("接口新增"),
    "can_put": _l("接口修改"), "menu_access": _l("菜单"),
    "can_this_form_get": _l("打开表单"), "can_this_form_post": _l("提交表单"),
    "can_userinfo": _l("个人信息"), "resetmypassword": _l("修改本人密码"),
    "resetpasswords": _l("重置密码"), "userinfoedit": _l("编辑本人信息"),
    "can_escalate": _l("上报集团"), "can_create_year": _l("生成本年度评定表"),
    "can_status": _l("查看进度"), "can_form": _l("打开表单"), "handover": _l("离职交接"),
    "copyrole": _l("复制角色"), "can_matrix": _l("查看与修改"), "unlock": _l("解除锁定"),
    "can_save": _l("保存视图"), "can_remove": _l("删除视图"),
}
SECURITY_VIEW_LABELS = {
    "ResetMyPasswordView": _l("修改本人密码"), "ResetPasswordView": _l("重置密码"),
    "UserInfoEditView": _l("个人信息"), "UserDBModelView": _l("用户"),
    "RoleModelView": _l("角色"), "PermissionViewModelView": _l("权限"),
    "ViewMenuModelView": _l("视图与菜单"), "PermissionModelView": _l("权限名"),
    "GroupModelView": _l("用户组"), "LocaleView": _l("语言"), "ExportJob": _l("后台导出"),
    "ExportJobApi": _l("后台导出（接口）"), "Handover": _l("离职交接"),
    "ConsoleUserDBModelView": _l("用户"), "ConsoleUserInfoEditView": _l("个人信息"),
    "UserGroupModelView": _l("用户组"), "MenuApi": _l("菜单（接口）"),
    "PermissionMatrix": _l("权限矩阵"), "ChartPage": _l("图表"), "ChartApi": _l("图表（接口）"),
    "Chart": _l("图表（接口）"),
    "Dashboard": _l("仪表盘"), "SavedView": _l("我的视图"),
    "Worklist": _l("待办（接口）"),
}
_view_labels: dict = {name: (label, False) for name, label in SECURITY_VIEW_LABELS.items()}
_step_labels: dict = {}


def collect_labels(appbuilder) -> None:
    """Register, menu and step names of every registered view (called at start-up)."""
    for view in appbuilder.baseviews:
        model = getattr(getattr(view, "datamodel", None), "obj", None)
        label = getattr(model, "label", None)
        if isinstance(label, (str, LazyString)):  # not a column called label (FAB's Group)
            is_api = view.class_permission_name.endswith("Api")
            _view_labels[view.class_permission_name] = (label, is_api)
        flow = getattr(model, "workflow", None)
        for step in getattr(flow, "steps", ()):
            _step_labels[f"can_{step.name}"] = step.label
    for category in appbuilder.menu.get_list():
        _view_labels.setdefault(category.name, (category.label or category.name, False))
        for child in category.childs:
            _view_labels.setdefault(child.name, (child.label or child.name, False))
            if child.baseview is not None:
                _view_labels.setdefault(child.baseview.class_permission_name,
                                        (child.label or child.name, False))


def view_label(view: str) -> str:
    """A view or register in the reader's language (its API marked 接口)."""
    label, is_api = _view_labels.get(view, (view, False))
    return _("%(register)s（接口）", register=label) if is_api else str(label)


def permission_label(permission: str, view: str) -> str:
    action = ACTION_LABELS.get(permission) or _step_labels.get(permission) or permission
    label, is_api = _view_labels.get(view, (view, False))
    where = _("%(register)s（接口）", register=label) if is_api else str(label)
    return f"{action} · {where}"


def _permission_view_repr(self) -> str:
    return permission_label(self.permission.name, self.view_menu.name)


def _role_repr(self) -> str:
    label = ROLE_LABELS.get(self.name)
    if label is None or str(label) == self.name:
        return self.name
    return _("%(label)s（%(name)s）", label=label, name=self.name)


PermissionView.__repr__ = _permission_view_repr
Role.__repr__ = _role_repr
