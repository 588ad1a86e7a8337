"""Row scope: which rows of a register a user may see, as one SQL clause.

Every exit a row can leave by (list, show, edit, delete, actions, dropdowns, REST,
export, charts) goes through `scope_clause`, so a row out of scope simply is not
found (404), never "forbidden".
"""
from flask import abort, g, has_request_context
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy import asc, desc, false, func, select, true

from app.filters import ConsoleFilterConverter, ConsoleFilters

ALL = "all"
DEPARTMENT = "department"
OWN = "own"
NONE = "none"

# Role → how far it sees. A user with several roles gets the widest.
ROLE_SCOPES = {
    "Admin": ALL,
    "Executive": ALL,
    "Finance": ALL,
    "Supervisor": DEPARTMENT,
    "Clerk": OWN,
}
# Roles an admin creates in the console see their own rows unless listed above.
DEFAULT_SCOPE = OWN
_WIDTH = {NONE: 0, OWN: 1, DEPARTMENT: 2, ALL: 3}


def current_user():
    """The signed-in user (web session or JWT), or None outside a request/anonymous."""
    if not has_request_context():
        return None
    user = getattr(g, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user


def user_scope(user) -> str:
    if user is None:
        return NONE
    scopes = [ROLE_SCOPES.get(role.name, DEFAULT_SCOPE) for role in user.roles]
    return max(scopes, key=_WIDTH.__getitem__, default=NONE)


def scope_clause(model, user=None):
    """A WHERE clause limiting `model` to the rows `user` may see.

    Without a request (CLI, migrations, demo loader) everything is visible; in a
    request without a signed-in user nothing is.
    """
    if getattr(model, "row_scope", None) is None:
        return true()
    if user is None:
        if not has_request_context():
            return true()
        user = current_user()
    scope = user_scope(user)
    if scope == ALL:
        return true()
    if scope == DEPARTMENT:
        ids = list(user.department_tree_ids())
        if not ids:
            return model.owner_id == user.id
        # One department (the usual case) as an equality, so an index on
        # (department_id, sort column) also serves the list's order.
        return model.department_id == ids[0] if len(ids) == 1 else model.department_id.in_(ids)
    if scope == OWN:
        return model.owner_id == user.id
    return false()


def in_scope(obj, user=None) -> bool:
    """Whether one loaded row is visible to the user (same rule as scope_clause)."""
    model = type(obj)
    if getattr(model, "row_scope", None) is None:
        return True
    user = user if user is not None else current_user()
    if user is None:
        return not has_request_context()
    scope = user_scope(user)
    if scope == ALL:
        return True
    if scope == DEPARTMENT and user.department_id is not None:
        return obj.department_id in user.department_tree_ids()
    if scope in (OWN, DEPARTMENT):
        return obj.owner_id == user.id
    return False


def get_in_scope_or_404(session, model, pk):
    obj = session.get(model, pk)
    if obj is None or not in_scope(obj):
        abort(404)
    return obj


# Lists count matching rows up to this many; past it they say "10,000+" and page no
# further (a full COUNT(*) and a deep OFFSET cost seconds at a million rows). Exports
# and totals count exactly.
COUNT_CAP = 10_000


class CappedCount(int):
    """A count that stopped at COUNT_CAP + 1: shown as "10,000+", pages as cap + 1 rows."""

    capped = True

    def __str__(self):
        return f"{COUNT_CAP:,}+"


def beyond_cap(page, page_size) -> bool:
    return bool(page and page_size) and page * page_size >= COUNT_CAP


class ScopedInterface(SQLAInterface):
    """SQLAInterface whose every query (list, count, get, related dropdowns) is scoped.

    List counts are capped (COUNT_CAP); `exact_count` is for exports and totals.
    Contains-search on a model's `search_index` columns uses the search index.
    """

    filter_converter_class = ConsoleFilterConverter

    def get_filters(self, search_columns=None, search_filters=None):
        return ConsoleFilters(self.filter_converter_class, self,
                              search_columns=search_columns or [], search_filters=search_filters)

    def query_count(self, query, filters=None, select_columns=None) -> int:
        inner = self._apply_inner_all(query, filters, aliases_mapping={})
        # The primary key, not a literal: with no scope WHERE a literal alone loses the FROM
        # (SELECT 1 LIMIT …) and every list of a role that sees all rows counted 1.
        limited = inner.with_entities(self.obj.id).order_by(None)
        limited = limited.limit(COUNT_CAP + 1).subquery()
        n = self.session.scalar(select(func.count()).select_from(limited))
        return CappedCount(n) if n > COUNT_CAP else n

    def exact_count(self, filters=None) -> int:
        inner = self._apply_inner_all(self.session.query(self.obj), filters, aliases_mapping={})
        return inner.order_by(None).count()

    def query(self, filters=None, order_column="", order_direction="", page=None,
              page_size=None, select_columns=None, outer_default_load=False):
        if beyond_cap(page, page_size):
            return self.query_count(self.session.query(self.obj), filters), []
        return super().query(filters, order_column, order_direction, page, page_size,
                             select_columns, outer_default_load)

    def apply_all(self, query, filters=None, order_column="", order_direction="", page=None,
                  page_size=None, select_columns=None, outer_default_load=False):
        """A page's ids first, from the scope and sort indexes alone (LIMIT/OFFSET over ids),
        then its rows with their joined columns: a deep page no longer joins every row it
        skips (the customer, owner and department of 10,000 rows for page 500)."""
        if not (page_size and select_columns):
            return super().apply_all(query, filters, order_column, order_direction, page,
                                     page_size, select_columns, outer_default_load)
        ids = self._apply_inner_all(self.session.query(self.obj), filters, order_column,
                                    order_direction, page, page_size, aliases_mapping={})
        page_ids = ids.with_entities(self.obj.id).subquery()
        return super().apply_all(query.filter(self.obj.id.in_(select(page_ids.c.id))), None,
                                 order_column, order_direction, None, None, select_columns,
                                 outer_default_load)

    def apply_order_by(self, query, order_column, order_direction, aliases_mapping=None,
                       bypass_many_to_many=False, add_pk=False):
        """A sort column with declared ties (list_indexes) orders them, in its direction,
        before the primary key: the order its indexes hold."""
        ties = getattr(self.obj, "sort_ties", {}).get(order_column)
        if not ties:
            return super().apply_order_by(query, order_column, order_direction,
                                          aliases_mapping=aliases_mapping,
                                          bypass_many_to_many=bypass_many_to_many,
                                          add_pk=add_pk)
        direction = asc if order_direction == "asc" else desc
        table = self.obj.__table__
        names = [order_column, *ties, *(["id"] if add_pk else [])]
        return query.order_by(*(direction(table.c[name]) for name in names))

    def apply_filters(self, query, filters):
        query = super().apply_filters(query, filters)
        return query.filter(scope_clause(self.obj))

    def get_related_obj(self, col_name, value):
        obj = super().get_related_obj(col_name, value)
        return obj if obj is not None and in_scope(obj) else None
