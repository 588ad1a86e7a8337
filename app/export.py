"""List export: a view's columns, filters, sort and row scope → one streamed .xlsx.

The rows come from the same query the list runs (ScopedInterface.apply_all: the user's
filters, sort and row scope), narrowed to plain columns and read with yield_per as Core
rows, never ORM objects. Headers and enum labels come from the model's declarations.
Exports above EXPORT_BACKGROUND_ROWS run on the task queue as an ExportJob (app.jobs).
"""
import threading
import unicodedata
from dataclasses import dataclass

from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric
from sqlalchemy.orm import aliased

from app.excel import MAX_DATA_ROWS, XlsxColumn, write_list
from app.jobs import files_dir, find_view, job_task, run_job, write_atomically
from app.queue import task

YIELD_PER = 1000


@dataclass
class ExportColumn:
    xlsx: XlsxColumn
    expression: object


def _kind(sql_type) -> str:
    if isinstance(sql_type, Boolean):
        return "bool"
    if isinstance(sql_type, DateTime):
        return "datetime"
    if isinstance(sql_type, Date):
        return "date"
    if isinstance(sql_type, Numeric):
        scale = getattr(sql_type, "scale", None)
        return "money" if scale == 2 else "percent" if scale == 4 else "decimal"
    if isinstance(sql_type, Integer):
        return "int"
    return "text"


def display_expression(model, alias):
    """How a related row is named in a cell: model.display_sql(alias), else its name."""
    if hasattr(model, "display_sql"):
        return model.display_sql(alias)
    return getattr(alias, "name", alias.id)


def export_columns(model, names, labels) -> tuple[list[ExportColumn], list]:
    """Columns for `names` (the view's list and show columns) and the joins they need."""
    mapper = model.__mapper__
    columns, joins = [], []
    for name in dict.fromkeys(names):
        label = str(labels.get(name, name))
        if name in mapper.relationships:
            rel = mapper.relationships[name]
            if rel.uselist:
                continue
            alias = aliased(rel.mapper.class_)
            local = list(rel.local_columns)[0]
            joins.append((alias, getattr(model, local.key) == alias.id))
            columns.append(ExportColumn(XlsxColumn(name, label),
                                        display_expression(rel.mapper.class_, alias)))
        elif name in mapper.columns:
            column = mapper.columns[name]
            choices = dict(model.enums.get(name) or {})
            if name == "status" and model.workflow is not None:
                choices = dict(model.workflow.states)
            if choices:
                xlsx = XlsxColumn(name, label, "enum", {k: str(v) for k, v in choices.items()})
            else:
                xlsx = XlsxColumn(name, label, _kind(column.type))
            columns.append(ExportColumn(xlsx, getattr(model, name)))
        elif hasattr(getattr(model, name, None), "__clause_element__"):  # a hybrid property
            expression = getattr(model, name)
            kind = _kind(getattr(expression, "type", None))
            columns.append(ExportColumn(XlsxColumn(name, label, kind), expression))
    return columns, joins


def export_statement(datamodel, filters, order_column, order_direction, columns, joins):
    """The list's own query (filters, sort, row scope), narrowed to the export columns."""
    query = datamodel.apply_all(datamodel.session.query(datamodel.obj), filters,
                                order_column or "", order_direction or "")
    query = query.with_entities(*[c.expression for c in columns])
    for alias, onclause in joins:
        query = query.outerjoin(alias, onclause)
    if not order_column:
        query = query.order_by(datamodel.obj.id)
    return query.statement


def count_rows(datamodel, filters) -> int:
    """Exact, unlike a list's capped count: the export writes every row."""
    return datamodel.exact_count(filters)


def write_export(session, statement, columns, title, fileobj, total=None, progress=None) -> int:
    result = session.execute(statement, execution_options={"yield_per": YIELD_PER})
    try:
        return write_list(fileobj, title, [c.xlsx for c in columns], result, total=total,
                          progress=progress)
    finally:
        result.close()


def export_filename(title, day) -> str:
    return safe_filename(f"{title}_{day:%Y%m%d}.xlsx")


def safe_filename(name: str, limit: int = 120) -> str:
    """A download name built from user text (a customer's name): no control, separator
    or path characters, no quotes, not too long. Werkzeug's send_file writes a non-ASCII
    name as RFC 5987 filename*=UTF-8''… with an ASCII fallback."""
    stem, dot, ext = str(name).rpartition(".")
    if not dot:
        stem, ext = ext, ""
    cleaned = "".join("_" if _unsafe_in_filename(c) else c for c in stem).strip(" ._")
    return (cleaned or "download")[:limit] + (f".{ext}" if dot else "")


def _unsafe_in_filename(char: str) -> bool:
    return char in '\\/:*?"<>|' or (char != " " and unicodedata.category(char)[0] in "CZ")


# --------------------------------------------------------------------------
# Background exports: a task writes the file into FILES_DIR
# --------------------------------------------------------------------------
_PLAN_LOCK = threading.Lock()  # a FAB view's filter object is shared state


@job_task("export")
@task()
def run_export(job_id):
    run_job(job_id, _write_job_file)


def _write_job_file(job, progress):
    """The view's export, asked again by the job's user: the same filters, sort and scope.
    A view with an export of its own (not a list's, e.g. the ABC analysis) names its
    writer in the job, `writer(fileobj, job, progress) -> rows`."""
    view = find_view(job.asked["view"])
    writer = job.asked.get("writer")
    if writer:
        if not writer.endswith("_job_file"):  # only a method declared as a job's writer
            raise LookupError(writer)
        write = getattr(view, writer)
        return write_atomically(job.path(files_dir()),
                                lambda fh: write(fh, job, progress)), None
    with _PLAN_LOCK:
        filters, order_column, order_direction, names = view.export_plan()
        columns, joins = export_columns(view.datamodel.obj, names, view.label_columns)
        statement = export_statement(view.datamodel, filters, order_column, order_direction,
                                     columns, joins)
    session = view.datamodel.session
    rows = write_atomically(job.path(files_dir()), lambda fh: write_export(
        session, statement, columns, job.title, fh, total=job.total, progress=progress))
    return rows, None


def too_many(total: int) -> bool:
    return total > MAX_DATA_ROWS
