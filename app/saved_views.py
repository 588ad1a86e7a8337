"""我的视图: who may see and share a saved list URL, its checks, and the views each
register ships (`Preset`, declared beside the register's view).

Sharing (DESIGN §1 roles): everyone keeps views for themselves; a Supervisor (and an
Admin) shares with their own department; only an Admin shares with everyone. A view
shared with a department is seen by the users of that department, nobody else.
"""
import re
from calendar import monthrange
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select

from app.errors import RowRejected
from app.models.saved_views import (
    ALL,
    DEPARTMENT,
    FILTERS_LENGTH,
    NAME_LENGTH,
    NONE,
    SHARES,
    SavedView,
)
from app.quick_search import PARAM as QUICK_PARAM
from app.timeutil import today_cn

FILTER_ARG = re.compile(r"_flt_\d_[A-Za-z_][A-Za-z0-9_]*")
DIRECTIONS = ("asc", "desc")


def role_names(user) -> set[str]:
    return {r.name for r in getattr(user, "roles", ())}


def shares_for(user) -> list[str]:
    """What this user may share with, widest last."""
    roles = role_names(user)
    offered = [NONE]
    if roles & {"Admin", "Supervisor"} and user.department_id is not None:
        offered.append(DEPARTMENT)
    if "Admin" in roles:
        offered.append(ALL)
    return offered


def visible_clause(user):
    """The user's own views and those shared with them."""
    branches = [SavedView.user_id == user.id, SavedView.shared_with == ALL]
    if user.department_id is not None:
        branches.append(and_(SavedView.shared_with == DEPARTMENT,
                             SavedView.department_id == user.department_id))
    return or_(*branches)


def visible_views(session, user, register: str) -> list[SavedView]:
    return session.scalars(select(SavedView).where(
        SavedView.register == register, visible_clause(user)).order_by(SavedView.name)).all()


def clean_filters(raw: str) -> str:
    """Only the list's filter and search arguments, re-encoded."""
    raw = (raw or "").lstrip("?")
    if len(raw) > FILTERS_LENGTH:
        raise RowRejected(_("筛选条件过长（最多 %(n)d 个字符）", n=FILTERS_LENGTH), "filters")
    pairs = [(k, v) for k, v in parse_qsl(raw, keep_blank_values=False)
             if FILTER_ARG.fullmatch(k) or k == QUICK_PARAM]
    return urlencode(pairs)


def check(session, view: SavedView, user, sortable) -> None:
    """Name, sort and sharing of a view before it is written (RowRejected in Chinese).
    `sortable`: the register's sort columns, or None when the register is unknown."""
    if sortable is None:
        raise RowRejected(_("未知的登记簿：%(r)s", r=view.register or ""), "register")
    view.name = (view.name or "").strip()
    if not view.name:
        raise RowRejected(_("请填写视图名称"), "name")
    if len(view.name) > NAME_LENGTH:
        raise RowRejected(_("视图名称最多 %(n)d 个字", n=NAME_LENGTH), "name")
    view.filters = clean_filters(view.filters)
    view.sort = (view.sort or "").strip()
    if view.sort:
        column, _sep, direction = view.sort.partition(" ")
        if column not in sortable or direction not in DIRECTIONS:
            raise RowRejected(_("不能按该列排序：%(c)s", c=view.sort), "sort")
    view.shared_with = view.shared_with or NONE
    if view.shared_with not in SHARES:
        raise RowRejected(_("“共享给”的取值无效，可选值：%(v)s", v="、".join(SHARES)),
                          "shared_with")
    if view.shared_with not in shares_for(user):
        raise RowRejected(_("您不能把视图共享给“%(s)s”", s=SHARES[view.shared_with]),
                          "shared_with")
    view.department_id = user.department_id if view.shared_with == DEPARTMENT else None
    taken = session.scalar(select(SavedView.id).where(
        SavedView.user_id == user.id, SavedView.register == view.register,
        SavedView.name == view.name, SavedView.id != (view.id or 0)))
    if taken is not None:
        raise RowRejected(_("已有同名视图：%(n)s", n=view.name), "name")


def list_args(view_name: str, filters: str, sort: str) -> dict:
    """The list URL's arguments of a saved view, for the list of `view_name`."""
    args: dict = {}
    for key, value in parse_qsl(filters or ""):
        args.setdefault(key, []).append(value)
    if sort:
        column, _sep, direction = sort.partition(" ")
        args[f"_oc_{view_name}"], args[f"_od_{view_name}"] = column, direction
    return args


def this_month() -> str:
    """介于 the first and the last day of the current month."""
    today = today_cn()
    last = today.replace(day=monthrange(today.year, today.month)[1])
    return f"{today.replace(day=1).isoformat()}~{last.isoformat()}"


@dataclass
class Preset:
    """A view a register ships: `filters` column → (filter class, value or a callable
    giving it); `roles` who get it in their menu (None: everyone who sees the list);
    `endpoint`: another list of the same register (e.g. 我的超期投诉)."""

    name: object
    filters: dict = field(default_factory=dict)
    sort: str = ""
    roles: tuple | None = None
    endpoint: str | None = None

    def offered_to(self, user) -> bool:
        return self.roles is None or bool(role_names(user) & set(self.roles))

    def query(self, search_filters: dict) -> str:
        pairs = []
        for column, (kind, value) in self.filters.items():
            places = [i for i, f in enumerate(search_filters.get(column, []))
                      if type(f) is kind]
            if not places:
                raise LookupError(f"{column} has no {kind.__name__} filter")
            pairs.append((f"_flt_{places[0]}_{column}", value() if callable(value) else value))
        return urlencode(pairs)
