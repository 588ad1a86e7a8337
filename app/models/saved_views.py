"""我的视图 (DESIGN §2 `saved_view`): a list's filters and sort saved under a name.

A view is the list's URL (filters as `_flt_<n>_<column>=value` and `q`, sort as
"column asc|desc"), never rows: opening it runs the list again in the opener's scope.
Deleting a user keeps their shared views (the owner's name stays) and drops the others.
"""
from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    event,
    update,
)
from sqlalchemy.orm import relationship

from app.models.org import ConsoleUser, Department
from app.timeutil import now_cn

NONE, DEPARTMENT, ALL = "none", "department", "all"
SHARES = {NONE: _l("仅自己"), DEPARTMENT: _l("本部门"), ALL: _l("所有人")}
NAME_LENGTH = 100
FILTERS_LENGTH = 2000


class SavedView(Model):
    __tablename__ = "saved_view"
    __table_args__ = (UniqueConstraint("user_id", "register", "name",
                                       name="uq_saved_view_user_register_name"),)
    label = _l("我的视图")
    field_labels = {"user": _l("用户"), "owner_name": _l("创建人"), "register": _l("登记簿"),
                    "name": _l("名称"), "filters": _l("筛选条件"), "sort": _l("排序"),
                    "shared_with": _l("共享给"), "department": _l("部门"),
                    "created_on": _l("创建时间")}
    enums = {"shared_with": SHARES}

    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True)
    user = relationship(ConsoleUser, foreign_keys=[user_id])
    owner_name = Column(String(100), nullable=False)
    department_id = Column(Integer, ForeignKey("department.id"), nullable=True)
    department = relationship(Department, foreign_keys=[department_id])
    register = Column(String(50), nullable=False, index=True)
    name = Column(String(NAME_LENGTH), nullable=False)
    filters = Column(Text, nullable=False, default="")
    sort = Column(String(100), nullable=False, default="")
    shared_with = Column(String(20), nullable=False, default=NONE)
    created_on = Column(DateTime, nullable=False, default=now_cn)

    def __repr__(self) -> str:
        return self.name


@event.listens_for(ConsoleUser, "before_delete")
def _keep_shared_views(_mapper, connection, user):
    """A leaver's shared views stay for the others (their name kept); private ones go."""
    table = SavedView.__table__
    connection.execute(delete(table).where(table.c.user_id == user.id,
                                           table.c.shared_with == NONE))
    connection.execute(update(table).where(table.c.user_id == user.id).values(user_id=None))
