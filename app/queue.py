"""The task queue: Huey, built from the config, for all background work.

Work is declared once, where it belongs, and runs in a consumer (`make worker`, or the one
`make run` starts), never in a web worker:

    @task()                      # run_export.delay(job_id) enqueues it
    def run_export(job_id): ...

    @periodic(minute="*/5")      # once per period, however many consumers run
    def send_reminders(): ...

The store is Redis when REDIS_URL is set, else SQLite in instance/; HUEY_IMMEDIATE (tests)
runs a task in the caller. Each task runs in an app context (and database session) of its
own. A periodic task's run is claimed in the database first (ScheduledRun): every consumer's
scheduler fires it, one claim succeeds.
"""
import functools
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_appbuilder import Model
from huey import RedisHuey, SqliteHuey, crontab
from sqlalchemy import Column, DateTime, String, insert, update
from sqlalchemy.exc import IntegrityError

from app.timeutil import now_cn

log = logging.getLogger(__name__)


@dataclass
class Declared:
    fn: object
    options: dict
    schedule: dict | None = None  # crontab(**schedule) for a periodic task
    name: str = field(init=False)

    def __post_init__(self):
        self.name = f"{self.fn.__module__}.{self.fn.__name__}"

    def delay(self, *args):
        """Enqueue on the current app's queue (runs at once under HUEY_IMMEDIATE)."""
        return current_app.extensions["huey_tasks"][self.name](*args)


DECLARED: dict[str, Declared] = {}


def task(**options):
    """Declare a task (Huey options such as retries=1)."""
    def declare(fn):
        declared = Declared(fn, options)
        DECLARED[declared.name] = declared
        return declared
    return declare


def periodic(**schedule):
    """Declare a periodic task: crontab fields, e.g. periodic(minute="*/5")."""
    def declare(fn):
        declared = Declared(fn, {}, schedule)
        DECLARED[declared.name] = declared
        return declared
    return declare


class ScheduledRun(Model):
    """The last period each periodic task was run for: the claim that makes it run once."""

    __tablename__ = "scheduled_run"
    name = Column(String(200), primary_key=True)
    period = Column(DateTime, nullable=False)


def claim_period(session, name: str, period: datetime) -> bool:
    """True for the one consumer that gets to run `name` for `period`."""
    claimed = session.execute(update(ScheduledRun).where(
        ScheduledRun.name == name, ScheduledRun.period < period).values(period=period))
    if claimed.rowcount:
        session.commit()
        return True
    try:
        session.execute(insert(ScheduledRun).values(name=name, period=period))
        session.commit()
        return True
    except IntegrityError:  # the row exists with this period: another consumer has it
        session.rollback()
        return False


def build_huey(config):
    name = "console"
    immediate = bool(config.get("HUEY_IMMEDIATE"))
    if config.get("REDIS_URL"):
        return RedisHuey(name, url=config["REDIS_URL"], immediate=immediate)
    return SqliteHuey(name, filename=config["HUEY_SQLITE_PATH"], immediate=immediate)


def init_queue(app) -> None:
    """Build the app's Huey and register every declared task on it."""
    huey = build_huey(app.config)
    tasks = {}
    for declared in DECLARED.values():
        run = _in_app_context(app, declared)
        if declared.schedule is not None:
            tasks[declared.name] = huey.periodic_task(crontab(**declared.schedule))(run)
        else:
            tasks[declared.name] = huey.task(**declared.options)(run)
    app.extensions["huey"] = huey
    app.extensions["huey_tasks"] = tasks


def _in_app_context(app, declared):
    from app.extensions import db

    @functools.wraps(declared.fn)
    def run(*args):
        with app.app_context():
            try:
                if declared.schedule is not None:
                    period = current_period()
                    if not claim_period(db.session, declared.name, period):
                        log.info("%s: already run for %s by another consumer",
                                 declared.name, period)
                        return None
                return declared.fn(*args)
            finally:
                db.session.remove()
    return run


def current_period() -> datetime:
    """The minute a scheduler tick belongs to: every consumer fires it at about hh:mm:00,
    and one that runs it a little late (or early) still names the same minute."""
    return (now_cn() + timedelta(seconds=30)).replace(second=0, microsecond=0)


STARTUP: list = []


def on_consumer_start(fn):
    """Run `fn` in an app context once when a consumer starts (e.g. resume orphaned jobs)."""
    STARTUP.append(fn)
    return fn


def run_consumer(app, workers: int) -> None:
    """The consumer loop (`flask worker`): runs until SIGTERM/SIGINT."""
    huey = app.extensions["huey"]
    for hook in STARTUP:
        with app.app_context():
            hook()
    huey.create_consumer(workers=workers, worker_type="thread", periodic=True).run()
