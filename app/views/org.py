"""部门 register."""
from flask_babel import lazy_gettext as _l

from app.models.org import Department
from app.scope import ScopedInterface
from app.views.base import RegisterApi, RegisterView

DEPARTMENT_LABELS = {"name": _l("部门名称"), "parent": _l("上级部门"),
                     "owner": _l("创建人"), "department": _l("所属部门"),
                     "created_on": _l("创建时间"), "changed_on": _l("修改时间")}


class DepartmentView(RegisterView):
    datamodel = ScopedInterface(Department)
    list_title = _l("部门列表")
    show_title = _l("查看部门")
    add_title = _l("新增部门")
    edit_title = _l("编辑部门")
    label_columns = DEPARTMENT_LABELS
    list_columns = ["name", "parent"]
    show_columns = ["name", "parent", "owner", "created_on", "changed_on"]
    add_columns = edit_columns = ["name", "parent"]
    search_columns = ["name", "parent"]
    base_order = ("name", "asc")


class DepartmentApi(RegisterApi):
    resource_name = "department"
    datamodel = ScopedInterface(Department)
    list_columns = show_columns = ["id", "name", "parent.id", "parent.name", "owner.username",
                                   "created_on", "changed_on", "version"]
    add_columns = edit_columns = ["name", "parent"]
    search_columns = ["name", "parent"]
