"""The one search box above every list: code, name and the register's main text column.

A register declares what the box searches in `quick_search` on its model (a column, or a
relation's column as "customer.name"). The term is a literal "contains" (% and _ are
letters), answered on SQLite through the FTS5 trigram tables of `search_index` columns and
on PostgreSQL by their pg_trgm indexes (app.search); it is one more filter of the list, so
row scope, the other filters, the sort, the count and the export all apply as before.
The URL carries it as `q=<term>`.
"""
from flask_appbuilder.models.filters import BaseFilter
from flask_babel import gettext as _
from sqlalchemy import and_, column, or_, select, table

from app.guards import InputRefused
from app.search import _like_pattern, fts_name, trigram_searchable

PARAM = "q"
MAX_LENGTH = 100


def _branch(model, path: str, term: str, sqlite: bool):
    """Rows of `model` whose `path` contains the term."""
    name, _dot, rest = path.partition(".")
    if rest:
        relation = model.__mapper__.relationships[name]
        target = relation.mapper.class_
        (local,) = relation.local_columns
        return local.in_(select(target.id).where(_branch(target, rest, term, sqlite)))
    clause = getattr(model, name).ilike(_like_pattern(term), escape="\\")
    if sqlite and name in getattr(model, "search_index", ()) and trigram_searchable(term):
        fts = table(fts_name(model.__tablename__), column("rowid"), column(name))
        ids = select(fts.c.rowid).where(fts.c[name].like(f"%{term}%"))
        clause = and_(model.id.in_(ids), clause)
    return clause


def quick_search_clause(model, term: str, dialect: str):
    return or_(*(_branch(model, path, term, dialect == "sqlite")
                 for path in model.quick_search))


def clean_term(raw) -> str:
    term = (raw or "").strip()
    if len(term) > MAX_LENGTH:
        raise InputRefused(_("搜索内容不能超过 %(n)d 个字", n=MAX_LENGTH))
    return term


def placeholder(model, labels: dict) -> str:
    """搜索：编号 / 客户 / 投诉内容 — the box says what it searches."""
    names = [str(labels.get(path.split(".")[0], path)) for path in model.quick_search]
    return _("搜索：%(columns)s", columns=" / ".join(dict.fromkeys(names)))


class QuickSearch(BaseFilter):
    """The box's term as a filter of the list (no arg_name: not a REST operator)."""

    name = "quick search"

    def apply(self, query, value):
        dialect = self.datamodel.session.get_bind().dialect.name
        return query.filter(quick_search_clause(self.model, value, dialect))


def with_quick_search(filters, datamodel, raw):
    """`filters` plus the box's term (a copy; the filter form keeps showing only its own)."""
    term = clean_term(raw)
    if not term or not getattr(datamodel.obj, "quick_search", ()):
        return filters
    joined = filters.copy()
    joined._add_filter(QuickSearch("id", datamodel), term)
    return joined
