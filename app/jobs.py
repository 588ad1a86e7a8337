"""Background jobs: a long export or a large import, run as a task on the queue.

The web request writes an ExportJob row (what was asked, by whom) and enqueues the job's
task; the progress page and the download read the row and FILES_DIR, so any server answers.
A task runs the job as its user (a request context of its own with that user signed in:
row scope, locale and audit as in the request that asked for it). The runner writes a sign
of life every JOB_HEARTBEAT_SECONDS; sweep_jobs runs a job whose worker went away again
(JOB_ATTEMPTS in all), then fails it with a Chinese message, so none stays "running".
"""
import glob
import json
import logging
import os
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta

from flask import current_app, g
from flask_appbuilder import Model
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Text, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, relationship

from app.queue import on_consumer_start, periodic
from app.timeutil import now_cn

log = logging.getLogger(__name__)
# host:pid:random — the process running a job; its heartbeat is taken only while it holds it
PROCESS = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
PROGRESS_SECONDS = 1.0  # the job page polls; a fresher count would not be seen
KEEP_FILES = timedelta(days=1)
USER_GONE = _l("提交任务的用户已停用，任务未执行")
WORKER_GONE = _l("任务未完成：执行任务的后台进程已停止，重试后仍未完成，请重新提交")


class ExportJob(Model):
    """A long export or large import on the task queue; its files live in FILES_DIR."""

    __tablename__ = "export_job"
    STATES = {"queued": _l("排队中"), "running": _l("进行中"), "done": _l("已完成"),
              "failed": _l("失败")}
    KINDS = {"export": _l("导出 Excel"), "import": _l("导入 Excel")}

    id = Column(Integer, primary_key=True)
    token = Column(String(36), unique=True, nullable=False, default=lambda: str(uuid.uuid4()))
    user_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False, index=True)
    user = relationship("ConsoleUser")
    kind = Column(String(20), nullable=False, default="export")
    title = Column(String(200), nullable=False)
    filename = Column(String(300), nullable=False)
    status = Column(String(20), nullable=False, default="queued")
    total = Column(Integer, nullable=False, default=0)
    done_rows = Column(Integer, nullable=False, default=0)
    error = Column(Text)
    # what the request asked (JSON): the view, its query string, the user's locale and
    # address; an import's problems come back in `result`
    params = Column(Text)
    result = Column(Text)
    attempts = Column(Integer, nullable=False, default=0)
    created_on = Column(DateTime, nullable=False, default=now_cn)
    finished_on = Column(DateTime)
    runner = Column(String(200))
    heartbeat_at = Column(DateTime, default=now_cn)

    @property
    def asked(self) -> dict:
        return json.loads(self.params or "{}")

    @property
    def problems(self) -> list:
        return json.loads(self.result or "[]")

    def path(self, files_dir) -> str:
        folder = "exports" if self.kind == "export" else "imports"
        return os.path.join(files_dir, folder, f"{self.token}.xlsx")


def files_dir() -> str:
    return current_app.config["FILES_DIR"]


def request_params(request, **extra) -> str:
    """What a task needs to run the request again as its user."""
    from flask_babel import get_locale
    return json.dumps({"args": list(request.args.items(multi=True)),
                       "locale": str(get_locale() or "zh"),
                       "addr": request.remote_addr, **extra}, ensure_ascii=False)


def find_view(class_name):
    """The registered view (or API) a job was asked from."""
    for view in current_app.appbuilder.baseviews:
        if type(view).__name__ == class_name:
            return view
    raise LookupError(class_name)


@contextmanager
def as_user(job):
    """A request context of the job's own, with its user signed in: the row scope, the
    language and the audit entries of the request that asked for it."""
    asked = job.asked
    app = current_app._get_current_object()
    with app.test_request_context("/", query_string=asked.get("args") or [],
                                  environ_base={"REMOTE_ADDR": asked.get("addr") or ""}):
        g.user = app.appbuilder.sm.get_user_by_id(job.user_id)
        if g.user is None or not g.user.is_active:
            raise PermissionError(str(USER_GONE))
        with force_locale(asked.get("locale") or "zh"):
            yield g.user


# --------------------------------------------------------------------------
# Running a job: claim, heartbeat, progress, close
# --------------------------------------------------------------------------
JOB_TASKS: dict = {}  # kind → the task that runs it (for sweep_jobs)


def job_task(kind):
    def register(declared):
        JOB_TASKS[kind] = declared
        return declared
    return register


class Progress:
    """done_rows at most once a second: a commit per 1,000 rows cost ~10 % at 1M rows."""

    def __init__(self, engine, job_id, total):
        self.engine, self.job_id, self.total, self.last = engine, job_id, total, 0.0

    def __call__(self, n):
        if time.monotonic() - self.last < PROGRESS_SECONDS and (not self.total or n < self.total):
            return
        self.last = time.monotonic()
        _update(self.engine, self.job_id, {"done_rows": n}, "progress")


def _update(engine, job_id, values, what) -> int:
    """Best-effort write by the process holding the job; 0 when another one took it over."""
    try:
        with Session(engine) as s:
            n = s.execute(update(ExportJob).where(ExportJob.id == job_id,
                                                  ExportJob.runner == PROCESS).values(values))
            s.commit()
            return n.rowcount
    except SQLAlchemyError:
        log.warning("job %s: %s not recorded", job_id, what)
        return 0


def run_job(job_id, work) -> None:
    """Run `work(job, progress) -> (rows, result)` for a queued job, as its user.

    Only a queued job is taken: one running elsewhere, done or failed is left alone (a
    duplicate delivery or a late retry). The job is always closed out, done or failed with
    a reason.
    """
    from app.extensions import db
    engine = db.engine
    with Session(engine) as s:
        claimed = s.execute(update(ExportJob).where(
            ExportJob.id == job_id, ExportJob.status == "queued").values(
            status="running", runner=PROCESS, heartbeat_at=now_cn(),
            attempts=ExportJob.attempts + 1))
        s.commit()
    if not claimed.rowcount:
        log.info("job %s: already closed, not run again", job_id)
        return
    finished = threading.Event()
    beat_every = current_app.config["JOB_HEARTBEAT_SECONDS"]

    def beat():
        while not finished.wait(beat_every):
            _update(engine, job_id, {"heartbeat_at": now_cn()}, "heartbeat")

    threading.Thread(target=beat, name=f"job-{job_id}-beat", daemon=True).start()
    status, rows, result, error = "failed", 0, None, None
    try:
        job = db.session.get(ExportJob, job_id)
        with as_user(job):
            rows, result = work(job, Progress(engine, job_id, job.total))
        status = "done"
    except Exception as e:  # the user sees why on the job page
        log.exception("job %s failed", job_id)
        db.session.rollback()
        error = str(e) or type(e).__name__
    finally:
        finished.set()
        close_job(engine, job_id, status, rows, result, error)


def mark_done(session, job_id, rows) -> None:
    """Close the job inside the caller's transaction: its rows and "done" commit together,
    so a retry after a crash never writes them twice."""
    session.execute(update(ExportJob).where(ExportJob.id == job_id, ExportJob.runner == PROCESS)
                    .values(status="done", done_rows=rows, finished_on=now_cn()))


def close_job(engine, job_id, status, rows, result, error, attempts=5):
    """Mark the job done or failed; retried, since a busy SQLite may refuse one write."""
    values = {"status": status, "error": error, "finished_on": now_cn(), "result": result}
    if status == "done":
        values["done_rows"] = rows
    for attempt in range(attempts):
        try:
            with Session(engine) as s:
                s.execute(update(ExportJob).where(ExportJob.id == job_id,
                                                  ExportJob.runner == PROCESS).values(values))
                s.commit()
            return
        except SQLAlchemyError:
            log.warning("job %s: closing attempt %d failed", job_id, attempt + 1)
            time.sleep(0.5 * (attempt + 1))
    log.error("job %s could not be closed out", job_id)


def write_atomically(path, write) -> object:
    """`write(fileobj)` into a temporary file renamed over `path`: a retry rewrites it, and
    removes what a killed attempt left half-written."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    for left in glob.glob(glob.escape(path) + ".*.part"):
        os.remove(left)
    part = f"{path}.{uuid.uuid4().hex[:8]}.part"
    try:
        with open(part, "wb") as fh:
            answer = write(fh)
        os.replace(part, path)
        return answer
    finally:
        if os.path.exists(part):
            os.remove(part)


# --------------------------------------------------------------------------
# Jobs whose worker went away, files nobody fetched
# --------------------------------------------------------------------------
def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def worker_gone(job, now, stale_after: timedelta) -> bool:
    """Whether the process running a job no longer exists (or no longer says so)."""
    host, _sep, rest = (job.runner or "").partition(":")
    pid, _sep, _process = rest.partition(":")
    if job.runner == PROCESS:
        return False
    if host == socket.gethostname() and pid.isascii() and pid.isdigit() and not _pid_alive(int(pid)):
        return True  # this machine, and that process is gone
    last = job.heartbeat_at or job.created_on
    return last is None or now - last > stale_after


def sweep(session, now=None) -> tuple[int, int]:
    """Run again (or fail) the running jobs whose worker is gone; returns (rerun, failed)."""
    config = current_app.config
    now = now or now_cn()
    stale_after = timedelta(seconds=config["JOB_STALE_SECONDS"])
    again, failed = [], 0
    for job in session.scalars(select(ExportJob).where(ExportJob.status == "running")):
        if not worker_gone(job, now, stale_after):
            continue
        # a job from before the queue (no params) cannot be asked again
        if job.attempts < config["JOB_ATTEMPTS"] and job.kind in JOB_TASKS and job.params:
            job.status, job.runner, job.heartbeat_at, job.done_rows = "queued", None, now, 0
            again.append(job)
        else:
            job.status, job.error, job.finished_on = "failed", str(WORKER_GONE), now
            failed += 1
    session.commit()
    for job in again:
        log.warning("job %s: its worker is gone, running it again", job.id)
        JOB_TASKS[job.kind].delay(job.id)
    return len(again), failed


def remove_old_files(folder, now_ts=None) -> int:
    """Delete job files (and leftovers) older than a day; returns how many."""
    now_ts = now_ts if now_ts is not None else time.time()
    removed = 0
    for sub in ("exports", "imports"):
        path_dir = os.path.join(folder, sub)
        if not os.path.isdir(path_dir):
            continue
        for name in os.listdir(path_dir):
            path = os.path.join(path_dir, name)
            if name.endswith((".xlsx", ".part")) and os.path.isfile(path) and \
                    now_ts - os.path.getmtime(path) > KEEP_FILES.total_seconds():
                os.remove(path)
                removed += 1
    return removed


@periodic(minute="*")
def sweep_jobs():
    """Every minute: orphaned jobs run again or failed, day-old files removed."""
    from app.extensions import db
    sweep(db.session)
    remove_old_files(files_dir())


@on_consumer_start
def resume_orphaned_jobs():
    """A worker that starts (again) picks up at once the jobs a dead one left."""
    from app.extensions import db
    sweep(db.session)
