"""部门 and the console user: the organisation that users and rows belong to."""
from flask import g, has_app_context
from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import Role, User
from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, ForeignKey, Integer, String, event, select
from sqlalchemy.orm import object_session, relationship

from app.errors import RowRejected
from app.models.base import SHARED, RegisterMixin, list_indexes
from app.sessions import end_sessions


class Department(RegisterMixin, Model):
    __tablename__ = "department"
    row_scope = SHARED

    name = Column(String(100), unique=True, nullable=False)
    parent_id = Column(Integer, ForeignKey("department.id"), nullable=True, index=True)
    parent = relationship("Department", remote_side="Department.id", foreign_keys=[parent_id])

    label = _l("部门")
    field_labels = {"name": _l("部门名称"), "parent": _l("上级部门")}

    def __repr__(self) -> str:
        return self.name

    def validate(self) -> RowRejected | None:
        seen, current = set(), self.parent
        while current is not None and current.id not in seen:
            if current is self or (self.id is not None and current.id == self.id):
                return RowRejected(_l("上级部门不能是本部门或其下级部门"), "parent")
            seen.add(current.id)
            current = current.parent
        return None


list_indexes(Department, ("name",))


class ConsoleUser(User):
    """FAB's user with the department it belongs to (FAB's extendsecurity pattern)."""

    __tablename__ = "ab_user"
    # 操作日志 (app/audit.py): user changes are audited; the password only as "changed",
    # and what every login touches is left out.
    audited = True
    audit_mask = ("password",)
    audit_skip = ("last_login", "login_count", "fail_login_count", "created_by", "changed_by",
                  "session_epoch")
    label = _l("用户")
    field_labels = {"username": _l("用户名"), "first_name": _l("名"), "last_name": _l("姓"),
                    "email": _l("邮箱"), "active": _l("启用"), "password": _l("密码"),
                    "roles": _l("角色"), "department": _l("部门")}
    department_id = Column(
        Integer, ForeignKey("department.id", use_alter=True, name="fk_ab_user_department"),
        nullable=True, index=True,
    )
    department = relationship(Department, foreign_keys=[department_id])
    # Moves on at logout, at a password change and at deactivation: older sessions and
    # tokens end (app/sessions.py).
    session_epoch = Column(Integer, nullable=False, default=0, server_default="0")

    def get_full_name(self) -> str:
        """Chinese order, family name first (王明); Latin names keep "First Last"."""
        first, last = self.first_name or "", self.last_name or ""
        if (first + last).isascii():
            return f"{first} {last}".strip() or self.username
        return f"{last}{first}" or self.username

    def __repr__(self) -> str:
        return self.get_full_name()

    @staticmethod
    def display_sql(alias):
        """The name in a SQL export cell: family name then given name (王明)."""
        return alias.last_name + alias.first_name

    def department_tree_ids(self) -> frozenset[int]:
        """The user's department and every department below it (cached per request)."""
        if self.department_id is None:
            return frozenset()
        cache = g.setdefault("_department_tree", {}) if has_app_context() else {}
        if self.department_id not in cache:
            cache[self.department_id] = department_subtree(object_session(self),
                                                           self.department_id)
        return cache[self.department_id]


@event.listens_for(ConsoleUser.active, "set", active_history=True)
def _deactivation_ends_sessions(user, value, old, _initiator):
    """Deactivation ends sessions like logout does, on every path (user form, 离职交接,
    CLI): reactivating the account must not revive its old cookies and tokens."""
    if old is True and not value:
        end_sessions(user)


def department_subtree(session, dept_id: int) -> frozenset[int]:
    """`dept_id` and every department below it (one query: the tree is small)."""
    children: dict[int | None, list[int]] = {}
    for child, parent in session.execute(select(Department.id, Department.parent_id)):
        children.setdefault(parent, []).append(child)
    found, todo = set(), [dept_id]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(children.get(current, []))
    return frozenset(found)


# 操作日志: an Admin's changes to a role (its name, its permissions, on FAB's role screens
# or the permission matrix) are audited like users'.
Role.audited = True
Role.label = _l("角色")
Role.field_labels = {"name": _l("角色名称"), "permissions": _l("权限")}
