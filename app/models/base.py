"""RegisterMixin: the columns every register row carries (DESIGN.md §2)."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    UniqueConstraint,
    delete,
    event,
)
from sqlalchemy.orm import declared_attr, relationship

from app.sequences import next_code
from app.timeutil import now_cn
from app.workflow import TransitionLog

COMMON_LABELS = {"id": "ID", "owner": _l("经办人"), "department": _l("部门"),
                 "created_on": _l("创建时间"), "changed_on": _l("修改时间"),
                 "version": _l("版本"), "status": _l("状态")}

# Row scope kinds a model can declare (see app/scope.py).
OWNED = "owned"  # rows belong to an owner and a department
SHARED = None  # reference data every signed-in user may read


class RegisterMixin:
    """id, owner, department, created_on, changed_on and an optimistic-lock version."""

    row_scope = OWNED
    workflow = None  # a Workflow for registers that are approved
    label = None  # the register's Chinese name (lazy_gettext)
    enums: dict = {}  # column → {stored value: Chinese label}
    owner_from: str | None = None  # a relation whose owner/department new rows inherit
    field_labels: dict = {}  # column → Chinese label, for messages and exports
    sortable: tuple = ()  # columns lists may sort by, each served by indexes (list_indexes)
    sort_ties: dict = {}  # sortable column → columns that order its ties before id
    search_index: tuple = ()  # text columns whose "contains" search an index serves
    quick_search: tuple = ()  # what the list's search box searches (app.quick_search)
    # Columns naming who acts next on an open row, a user id or a person's name as text
    # (离职交接 hands them to the successor, app/handover.py).
    acting: tuple = ()
    # Registers without a workflow: a function giving the clause of rows still to act on.
    pending = None

    id = Column(Integer, primary_key=True)
    created_on = Column(DateTime, default=now_cn, nullable=False)
    changed_on = Column(DateTime, default=now_cn, onupdate=now_cn, nullable=False)
    version = Column(Integer, nullable=False, default=1)

    @declared_attr
    def owner_id(cls):
        return Column(Integer, ForeignKey("ab_user.id"), nullable=False, index=True)

    @declared_attr
    def owner(cls):
        return relationship("ConsoleUser", foreign_keys=[cls.owner_id])

    @declared_attr
    def department_id(cls):
        return Column(Integer, ForeignKey("department.id"), nullable=True, index=True)

    @declared_attr
    def department(cls):
        return relationship("Department", foreign_keys=[cls.department_id])

    @declared_attr
    def __mapper_args__(cls):
        # Concurrent writers of one row: the second UPDATE finds no row and fails.
        return {"version_id_col": cls.version}


@event.listens_for(RegisterMixin, "before_insert", propagate=True)
def _assign_code(_mapper, connection, target):
    """Registers with a `code_prefix` get their code on every path (web, API, import)."""
    prefix = getattr(target, "code_prefix", None)
    if prefix and not target.code:
        target.code = next_code(connection, prefix, (target.created_on or now_cn()).year)


@event.listens_for(RegisterMixin, "after_delete", propagate=True)
def _forget_history(_mapper, connection, target):
    """A deleted row takes its workflow history along (SQLite may reuse its id)."""
    if target.workflow is not None:
        connection.execute(delete(TransitionLog).where(
            TransitionLog.register == target.__tablename__, TransitionLog.row_id == target.id))


def list_indexes(model, sortable: tuple, filters: tuple[str, ...] = ()) -> None:
    """Declare the columns a register's lists may sort by, with the indexes that serve each
    sort as seen by every scope: all rows (column, id), and on owned registers a Clerk's
    (owner_id, column, id) and a Supervisor's (department_id, column, id). FAB adds id as
    the tie-breaker of every sort, so with these a page is an index range scan, never a sort
    of the scoped set. A sortable entry may be a tuple (column, *ties): its ties are ordered
    by those columns before id (ScopedInterface), and its indexes hold them too.
    `filters` are the non-text columns the lists filter on but do not sort by: each gets
    (column, id) unless an index already leads with it."""
    table = model.__table__
    keys = [(entry,) if isinstance(entry, str) else tuple(entry) for entry in sortable]
    for name, *ties in keys:
        key = [table.c[c] for c in (name, *ties)] + [table.c.id]
        if ties or not table.c[name].unique:  # a unique column's own index serves it
            Index(f"ix_{table.name}_sort_{name}", *key)
        if model.row_scope == OWNED:
            Index(f"ix_{table.name}_owner_{name}", table.c.owner_id, *key)
            Index(f"ix_{table.name}_dept_{name}", table.c.department_id, *key)
    for name in filters:
        if not leads_an_index(table.c[name]):
            Index(f"ix_{table.name}_filter_{name}", table.c[name], table.c.id)
    model.sortable = tuple(name for name, *_ties in keys)
    model.sort_ties = {name: tuple(ties) for name, *ties in keys if ties}


def leads_an_index(column) -> bool:
    """Whether an index, a unique constraint or the primary key starts with `column`."""
    table = column.table
    leading = [list(ix.columns)[:1] for ix in table.indexes]
    leading += [list(c.columns)[:1] for c in table.constraints
                if isinstance(c, (UniqueConstraint, PrimaryKeyConstraint))]
    return any(first and first[0] is column for first in leading)


def index_foreign_keys(metadata) -> None:
    """Every foreign key column leads an index (joins, the related lists, and the check
    before a referenced row is deleted). Run once after every model is mapped."""
    for table in metadata.tables.values():
        for fk in table.foreign_keys:
            if not leads_an_index(fk.parent):
                Index(f"ix_{table.name}_{fk.parent.name}", fk.parent)
