"""List export: a view's columns, filters, sort and row scope → one streamed .xlsx.

The rows come from the same query the list runs (ScopedInterface.apply_all: the user's
filters, sort and row scope), narrowed to plain columns and read with yield_per as Core
rows, never ORM objects. Headers and enum labels come from the model's declarations.
Exports above EXPORT_BACKGROUND_ROWS run in a background thread as an ExportJob.
"""
import logging
import os
import socket
import threading
import time
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import timedelta

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    select,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, aliased, relationship

from app.excel import MAX_DATA_ROWS, XlsxColumn, write_list
from app.timeutil import now_cn

YIELD_PER = 1000
log = logging.getLogger(__name__)


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
# Background exports
# --------------------------------------------------------------------------
class ExportJob(Model):
    """A long export running in the background; the file lands in EXPORT_DIR."""

    __tablename__ = "export_job"
    STATES = {"running": _l("导出中"), "done": _l("已完成"), "failed": _l("失败")}

    id = Column(Integer, primary_key=True)
    token = Column(String(36), unique=True, nullable=False, default=lambda: str(uuid.uuid4()))
    user_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False, index=True)
    user = relationship("ConsoleUser")
    title = Column(String(200), nullable=False)
    filename = Column(String(300), nullable=False)
    status = Column(String(20), nullable=False, default="running")
    total = Column(Integer, nullable=False, default=0)
    done_rows = Column(Integer, nullable=False, default=0)
    error = Column(Text)
    created_on = Column(DateTime, nullable=False, default=now_cn)
    finished_on = Column(DateTime)
    # host:pid:process id of the server writing the file; it says it is alive every
    # HEARTBEAT seconds in heartbeat_at
    runner = Column(String(200), default=lambda: PROCESS)
    heartbeat_at = Column(DateTime, default=now_cn)

    def path(self, export_dir) -> str:
        return os.path.join(export_dir, f"{self.token}.xlsx")


# --------------------------------------------------------------------------
# Jobs whose server went away, files nobody fetched
# --------------------------------------------------------------------------
PROCESS = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
HEARTBEAT = 30  # seconds between the writer's signs of life
PROGRESS_SECONDS = 1.0  # the job page polls; a fresher count would not be seen
STALE_AFTER = timedelta(minutes=3)  # no sign of life for this long: the writer is gone
KEEP_FILES = timedelta(days=1)
SERVER_GONE = _l("导出未完成：导出所在的服务器已重启或停止，请重新导出")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def writer_gone(job, now) -> bool:
    """Whether the process writing a running job no longer exists."""
    host, _sep, rest = (job.runner or "").partition(":")
    pid, _sep, _process = rest.partition(":")
    if job.runner == PROCESS:
        return False
    if host == socket.gethostname() and pid.isascii() and pid.isdigit() and not _pid_alive(int(pid)):
        return True  # this machine, and that process is gone
    last = job.heartbeat_at or job.created_on
    return last is None or now - last > STALE_AFTER


def fail_abandoned_jobs(session, now=None) -> int:
    """Mark running jobs whose writer is gone as failed, with a message; the caller commits."""
    now = now or now_cn()
    count = 0
    for job in session.scalars(select(ExportJob).where(ExportJob.status == "running")):
        if writer_gone(job, now):
            job.status, job.error, job.finished_on = "failed", str(SERVER_GONE), now
            count += 1
    return count


def remove_old_files(export_dir, now_ts=None) -> int:
    """Delete export files (and leftovers) older than a day; returns how many."""
    now_ts = now_ts if now_ts is not None else time.time()
    removed = 0
    if not os.path.isdir(export_dir):
        return 0
    for name in os.listdir(export_dir):
        path = os.path.join(export_dir, name)
        if name.endswith((".xlsx", ".part")) and os.path.isfile(path) and \
                now_ts - os.path.getmtime(path) > KEEP_FILES.total_seconds():
            os.remove(path)
            removed += 1
    return removed


def tidy_exports(session, export_dir) -> None:
    """Both of the above; called whenever a job starts or someone looks at one."""
    remove_old_files(export_dir)
    if fail_abandoned_jobs(session):
        session.commit()


def start_background_export(app, engine, job_id, statement, columns, title, total):
    """Write the file in a thread with its own session; progress goes to the job row.

    The job is always closed out, done or failed with a reason: progress is best-effort
    (a busy database only delays the next update) and the final update has its own session.
    """

    last_update = 0.0

    def progress(n):
        nonlocal last_update
        # at most one update a second: a commit per 1,000 rows cost the job ~10 % at 1M
        if time.monotonic() - last_update < PROGRESS_SECONDS and (total is None or n < total):
            return  # close_job records the final count
        last_update = time.monotonic()
        try:
            with Session(engine) as s:
                s.query(ExportJob).filter_by(id=job_id).update({"done_rows": n})
                s.commit()
        except SQLAlchemyError:
            log.warning("export %s: progress not recorded at %d rows", job_id, n)

    finished = threading.Event()

    def beat():  # a sign of life for fail_abandoned_jobs() on any server; best-effort
        while not finished.wait(HEARTBEAT):
            try:
                with Session(engine) as s:
                    s.query(ExportJob).filter_by(id=job_id, status="running").update(
                        {"heartbeat_at": now_cn()})
                    s.commit()
            except SQLAlchemyError:
                log.warning("export %s: heartbeat not recorded", job_id)

    def run():
        status, rows, error = "failed", 0, None
        path = None
        threading.Thread(target=beat, name=f"export-{job_id}-beat", daemon=True).start()
        try:
            with app.app_context(), Session(engine) as session:
                export_dir = app.config["EXPORT_DIR"]
                os.makedirs(export_dir, exist_ok=True)
                path = session.get(ExportJob, job_id).path(export_dir)
                with open(path + ".part", "wb") as fh:
                    rows = write_export(session, statement, columns, title, fh, total=total,
                                        progress=progress)
                os.replace(path + ".part", path)
                status = "done"
        except Exception as e:  # the user sees why on the job page
            log.exception("export %s failed", job_id)
            error = str(e) or type(e).__name__
            if path and os.path.exists(path + ".part"):
                os.remove(path + ".part")
        finally:
            finished.set()
            close_job(engine, job_id, status, rows, error)

    thread = threading.Thread(target=run, name=f"export-{job_id}", daemon=True)
    thread.start()
    return thread


def close_job(engine, job_id, status, rows, error, attempts=5):
    """Mark the job done or failed; retried, since a busy SQLite may refuse one write."""
    values = {"status": status, "error": error, "finished_on": now_cn()}
    if status == "done":
        values["done_rows"] = rows
    for attempt in range(attempts):
        try:
            with Session(engine) as s:
                s.query(ExportJob).filter_by(id=job_id).update(values)
                s.commit()
            return
        except SQLAlchemyError:
            log.warning("export %s: closing attempt %d failed", job_id, attempt + 1)
            time.sleep(0.5 * (attempt + 1))
    log.error("export %s could not be closed out", job_id)


def too_many(total: int) -> bool:
    return total > MAX_DATA_ROWS
