"""Indexes for a million rows (issue 18): what the lists offer, an index serves.

The models declare the indexes (app.models.base.list_indexes, index_foreign_keys); the
migrations create them. These tests hold the migrated database, the models and the views
to each other, on SQLite and PostgreSQL.
"""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_appbuilder import Model
from sqlalchemy import String, Text, event, inspect, text
from sqlalchemy.orm import RelationshipProperty

from app.extensions import db
from app.models.base import OWNED
from app.search import is_search_index
from app.views.base import RegisterApi, RegisterView

# Text filters offered with "contains" that no search index serves, and why.
UNINDEXED_TEXT_FILTERS = {
    # a catalogue of products and a list of industries: a term matches a large share of
    # the rows, so the scoped, sorted index scan is as good as a trigram index, and the
    # biggest tables would pay for one on every write
    ("transaction", "product"), ("customer", "industry"),
    # job titles repeat the same few words (经理, 主管 …); found within one customer
    ("contact", "title"),
    # registers of tens to thousands of rows: plans, loans, receptions, surveys, measures
    ("development_plan", "objective"), ("archive_loan", "document"),
    ("archive_loan", "borrower"), ("visit_plan", "month"), ("visit_plan", "title"), ("visit_plan_item", "purpose"),
    ("reception", "notice_from"), ("reception_expense", "invoice_no"),
    ("satisfaction_survey", "title"), ("improvement_measure", "responsible"),
    # reference data of a few rows
    ("grading_rule", "name"), ("department", "name"), ("workday_override", "note"),
}


@pytest.fixture(scope="module")
def schema(app):
    """The migrated database as the inspector sees it: table → list of index column lists
    (indexes, unique constraints and the primary key)."""
    with app.app_context():
        inspector = inspect(db.engine)
        found = {}
        for table in inspector.get_table_names():
            keys = [ix["column_names"] for ix in inspector.get_indexes(table)]
            keys += [uc["column_names"] for uc in inspector.get_unique_constraints(table)]
            keys.append(inspector.get_pk_constraint(table)["constrained_columns"])
            found[table] = keys
        return found


def register_views(app):
    return [v for v in app.appbuilder.baseviews if isinstance(v, (RegisterView, RegisterApi))]


def leads(schema, table, column) -> bool:
    return any(cols[:1] == [column] for cols in schema[table])


def has_index(schema, table, *columns) -> bool:
    return list(columns) in schema[table]


def test_migrations_create_exactly_what_the_models_declare(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "include_object": lambda _o, name, _t, _r, _c: not is_search_index(name)})
        assert compare_metadata(context, Model.metadata) == []


def test_every_sort_a_list_offers_is_served_by_indexes(app, schema):
    checked = 0
    for view in register_views(app):
        model = view.datamodel.obj
        table = model.__tablename__
        where = f"{type(view).__name__} sorts by"
        for name in view.order_columns:
            if name == "id":
                continue
            assert name in model.sortable, f"{where} {name}, not in {model.__name__}.sortable"
            key = [name, *model.sort_ties.get(name, ()), "id"]
            unique = model.__table__.c[name].unique and len(key) == 2
            assert unique or has_index(schema, table, *key), f"{where} {name}"
            if model.row_scope == OWNED:
                assert has_index(schema, table, "owner_id", *key), f"{where} {name}"
                assert has_index(schema, table, "department_id", *key), f"{where} {name}"
            checked += 1
        base = (view.base_order or ("id",))[0]
        assert base == "id" or base in model.sortable, f"{type(view).__name__}: {base}"
    assert checked > 100


def test_every_foreign_key_leads_an_index(app, schema):
    missing = [f"{table.name}.{fk.parent.name}"
               for table in Model.metadata.tables.values() for fk in table.foreign_keys
               if not leads(schema, table.name, fk.parent.name)]
    assert missing == []


def test_every_filter_a_list_offers_is_served(app, schema):
    problems = []
    for view in register_views(app):
        model = view.datamodel.obj
        table = model.__tablename__
        for name in view.search_columns:
            attr = getattr(model, name).property
            if isinstance(attr, RelationshipProperty):
                columns = [c.name for c in attr.local_columns]
                served = any(leads(schema, table, c) for c in columns)
            elif name not in model.enums and isinstance(attr.columns[0].type, (String, Text)):
                served = name in model.search_index or \
                    (table, name) in UNINDEXED_TEXT_FILTERS
            else:
                served = leads(schema, table, name)
            if not served:
                problems.append(f"{type(view).__name__}: {name}")
    assert problems == []


def test_search_index_columns_are_text_columns_the_lists_filter_on(app):
    for view in register_views(app):
        model = view.datamodel.obj
        for name in model.search_index:
            assert isinstance(model.__table__.c[name].type, (String, Text))


BIG_LISTS = ["ComplaintView", "ServiceRequestView", "VisitRecordView"]


@pytest.mark.parametrize("view_name", BIG_LISTS)
def test_a_clerks_sorted_page_needs_no_sort_step(app, browser, view_name):
    """SQLite's plan of the list page a Clerk asks for, sorted by each sortable column
    both ways, reads an index in order: no "USE TEMP B-TREE FOR ORDER BY", nor "… FOR
    RIGHT PART OF ORDER BY" (a sort of each run of equal values)."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    view = next(v for v in app.appbuilder.baseviews if type(v).__name__ == view_name)
    model = view.datamodel.obj
    clerk = browser("clerk1")
    for name in model.sortable:
        for direction in ("asc", "desc"):
            url = f"/{view.route_base.strip('/')}/list/?_oc_{view_name}={name}" \
                  f"&_od_{view_name}={direction}"
            statement, parameters = page_query(engine, clerk, url, model.__tablename__)
            with engine.connect() as conn:
                plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
                details = [row[-1] for row in plan]
            assert not any("USE TEMP B-TREE" in d for d in details), \
                (name, direction, details)


def page_query(engine, client, url, table):
    """The SELECT of the list's page (the one with ORDER BY … LIMIT) a request runs."""
    seen = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        seen.append((statement, parameters))
    event.listen(engine, "before_cursor_execute", capture)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    pages = [(s, p) for s, p in seen
             if f"FROM {table}" in s and "ORDER BY" in s and "LIMIT" in s]
    assert pages, url
    return pages[0]


def test_sqlite_statistics_are_current_after_the_migrations(app):
    with app.app_context(), db.engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            pytest.skip("ANALYZE at the end of the migrations is SQLite's")
        assert conn.execute(text("SELECT count(*) FROM sqlite_master "
                                 "WHERE name = 'sqlite_stat1'")).scalar() == 1


def test_overdue_partial_indexes_match_the_migration():
    """The partial indexes' conditions are written twice: as the model's SQL expressions
    (which the overdue queries use, so the database can prove they imply them) and as
    frozen text in migration 0019. The two must say the same."""
    import importlib.util
    import pathlib

    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateIndex

    from app.models.complaints import Complaint
    path = pathlib.Path(__file__).parent.parent / "migrations/versions/0019_overdue_indexes.py"
    spec = importlib.util.spec_from_file_location("overdue_migration", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    declared = {ix.name: str(CreateIndex(ix).compile(dialect=postgresql.dialect()))
                for ix in Complaint.__table__.indexes if "_overdue_" in ix.name}
    assert len(declared) == 3 * len(migration.OVERDUE_INDEXES) == 9
    for kind, deadline, pending in migration.OVERDUE_INDEXES:
        for suffix, scope in migration.SCOPES:
            name = f"ix_complaint_overdue_{kind}{suffix}"
            columns = ", ".join([*scope, deadline])
            assert declared[name] == (f"CREATE INDEX {name} ON complaint ({columns}) "
                                      f"INCLUDE (id) WHERE {pending}")
