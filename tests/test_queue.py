"""Background work on the task queue: exports and large imports run as tasks, as the user
who asked; a job whose worker died runs again or fails in Chinese; periodic tasks run once
per period. (Tests run tasks in the enqueuing request, HUEY_IMMEDIATE, unless one swaps in
a real store; tests/cluster/ runs real consumers.)"""
import io
import os
import socket
import time
from datetime import timedelta

import openpyxl
import prison
import pytest
from sqlalchemy import func, select, update

from app.jobs import ExportJob
from app.models.customers import Customer
from app.timeutil import now_cn
from tests.conftest import unique
from tests.test_import import CUSTOMER_HEADER, xlsx

ROLES = ["admin", "executive", "finance", "supervisor1", "clerk1", "clerk3"]
DEAD = f"{socket.gethostname()}:99999999:dead"


@pytest.fixture
def background(app, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS", -1)  # even 0 rows
    monkeypatch.setitem(app.config, "IMPORT_BACKGROUND_ROWS", 2)


def real_store(app, monkeypatch, tmp_path):
    """A SQLite Huey store of the test's own instead of immediate mode: a request only
    enqueues, and the test plays the consumer (restored after the test)."""
    from app.queue import init_queue
    monkeypatch.setitem(app.config, "HUEY_IMMEDIATE", False)
    monkeypatch.setitem(app.config, "HUEY_SQLITE_PATH", str(tmp_path / "huey.db"))
    monkeypatch.setitem(app.extensions, "huey", app.extensions["huey"])
    monkeypatch.setitem(app.extensions, "huey_tasks", app.extensions["huey_tasks"])
    init_queue(app)
    return app.extensions["huey"]


def add_customers(api, user, prefix, n):
    a = api(user)
    for i in range(n):
        r = a.post("/api/v1/customer/", json={"name": f"{prefix}-{i}", "customer_type": "group",
                                              "cooperation": "active"})
        assert r.status_code == 201, r.json


def by_name(prefix):
    return prison.dumps({"filters": [{"col": "name", "opr": "sw", "value": prefix}]})


def job_row(session, token) -> ExportJob:
    return session.query(ExportJob).filter_by(token=token).populate_existing().one()


def export_job(api, user, prefix):
    r = api(user).get(f"/api/v1/customer/export.xlsx?q={by_name(prefix)}")
    assert r.status_code == 202, r.get_data(as_text=True)
    return r.json["token"]


def sweep(app):
    from app.extensions import db
    from app.jobs import sweep as sweep_jobs
    with app.app_context():
        return sweep_jobs(db.session)


def orphan(session, token, **values):
    """What a kill -9 of the worker leaves: running, its process gone, a broken file."""
    values = {"status": "running", "runner": DEAD, "done_rows": 0, "finished_on": None,
              **values}
    session.execute(update(ExportJob).where(ExportJob.token == token).values(values))
    session.commit()


@pytest.mark.parametrize("user", ROLES)
def test_every_role_exports_in_the_background_its_own_rows_only(
        app, api, background, session, user):
    prefix = unique("队列导出")
    add_customers(api, "clerk1", prefix, 3)
    sees = api(user).get(f"/api/v1/customer/?q={by_name(prefix)}").json["count"]
    assert sees == (0 if user == "clerk3" else 3)  # the out-of-department clerk sees none
    token = export_job(api, user, prefix)
    job = job_row(session, token)
    assert (job.kind, job.status, job.total, job.done_rows) == ("export", "done", sees, sees)
    r = api(user).get(f"/api/v1/export_job/{token}/download")
    ws = openpyxl.load_workbook(io.BytesIO(r.data)).active
    assert ws.max_row == 1 + sees
    other = "clerk3" if user != "clerk3" else "clerk1"
    assert api(other).get(f"/api/v1/export_job/{token}").status_code == 404
    assert api(other).get(f"/api/v1/export_job/{token}/download").status_code == 404


def test_the_request_only_enqueues_and_a_worker_writes_the_file(
        app, api, browser, background, session, monkeypatch, tmp_path):
    """With a real store nothing runs in the request: the job waits, queued, until a
    consumer's worker takes it (here the worker's own two calls, dequeue and execute)."""
    huey = real_store(app, monkeypatch, tmp_path)
    prefix = unique("排队")
    add_customers(api, "clerk1", prefix, 2)
    b = browser("clerk1")
    r = b.get(f"/customerview/export_xlsx/?_flt_0_name={prefix}")
    assert r.status_code == 302 and "/exports/" in r.location
    token = r.location.rstrip("/").rsplit("/", 1)[-1]
    html = b.text(r.location)
    assert "排队中" in html and 'http-equiv="refresh"' in html
    assert job_row(session, token).status == "queued" and huey.pending_count() == 1
    huey.execute(huey.dequeue())
    job = job_row(session, token)
    assert (job.status, job.done_rows, job.attempts) == ("done", 2, 1)
    assert b.get(r.location + "/download").status_code == 200


def test_a_job_whose_worker_was_killed_runs_again_and_rewrites_its_file(
        app, api, background, session):
    prefix = unique("重跑")
    add_customers(api, "clerk1", prefix, 2)
    token = export_job(api, "clerk1", prefix)
    path = job_row(session, token).path(app.config["FILES_DIR"])
    orphan(session, token, attempts=1)
    with open(path, "wb") as fh:
        fh.write(b"half a file")
    with open(path + ".dead0001.part", "wb") as fh:  # the killed attempt's
        fh.write(b"half a file")
    assert sweep(app) == (1, 0)
    job = job_row(session, token)
    assert (job.status, job.done_rows, job.attempts, job.error) == ("done", 2, 2, None)
    assert openpyxl.load_workbook(path).active.max_row == 3
    assert not [n for n in os.listdir(os.path.dirname(path)) if n.endswith(".part")]


def test_a_job_out_of_attempts_is_failed_with_a_chinese_message(
        app, api, browser, background, session):
    prefix = unique("失败")
    add_customers(api, "clerk1", prefix, 1)
    token = export_job(api, "clerk1", prefix)
    orphan(session, token, attempts=2)
    assert sweep(app) == (0, 1)
    html = browser("clerk1").text(f"/exports/{token}")
    assert "失败" in html and "后台进程已停止" in html and 'http-equiv="refresh"' not in html
    r = api("clerk1").get(f"/api/v1/export_job/{token}")
    assert r.json["status"] == "failed" and "后台进程已停止" in r.json["error"]
    assert api("clerk1").get(f"/api/v1/export_job/{token}/download").status_code == 404


def test_a_silent_job_of_another_host_is_run_again_a_live_one_is_left(
        app, api, background, session):
    prefix = unique("心跳")
    add_customers(api, "clerk1", prefix, 1)
    silent, live = export_job(api, "clerk1", prefix), export_job(api, "clerk1", prefix)
    orphan(session, silent, runner="other-host:12:abc", attempts=1,
           heartbeat_at=now_cn() - timedelta(minutes=10))
    orphan(session, live, runner="other-host:12:abc", attempts=1, heartbeat_at=now_cn())
    try:
        sweep(app)
        assert job_row(session, silent).status == "done"
        assert job_row(session, live).status == "running"
    finally:
        session.execute(update(ExportJob).where(ExportJob.token == live).values(status="done"))
        session.commit()


def test_a_retry_of_a_finished_job_changes_nothing(app, background, session, browser):
    from app.importer import run_import
    prefix = unique("一次")
    b = browser("clerk1")
    r = b.post("/customerview/import_xlsx/",
               {"file": (xlsx(CUSTOMER_HEADER, [[f"{prefix}-{i}", "集团客户"] + [None] * 9
                                                for i in range(3)]), "big.xlsx")},
               content_type="multipart/form-data")
    token = r.location.rstrip("/").rsplit("/", 1)[-1]
    job = job_row(session, token)
    with app.test_request_context():
        run_import.delay(job.id)  # a second delivery of the same task
    names = select(func.count(Customer.id)).where(Customer.name.like(f"{prefix}-%"))
    assert session.scalar(names) == 3 and job_row(session, token).attempts == 1


@pytest.mark.parametrize("user", ROLES)
def test_a_large_import_runs_as_a_task_with_the_progress_page(
        app, background, session, browser, user):
    prefix = unique("大导入")
    b = browser(user)
    may_import = b.get("/customerview/import_xlsx/").status_code == 200
    assert may_import == (user in ("admin", "supervisor1", "clerk1", "clerk3"))
    rows = [[f"{prefix}-{i}", "集团客户"] + [None] * 9 for i in range(3)]
    r = b.post("/customerview/import_xlsx/", {"file": (xlsx(CUSTOMER_HEADER, rows), "big.xlsx")},
               content_type="multipart/form-data")
    names = select(func.count(Customer.id)).where(Customer.name.like(f"{prefix}-%"))
    if not may_import:
        assert r.status_code in (302, 403) and "/exports/" not in (r.location or "")
        assert session.scalar(names) == 0
        return
    assert r.status_code == 302 and "/exports/" in r.location, r.get_data(as_text=True)[:300]
    html = b.text(r.location)
    assert "导入 Excel" in html and "已导入 3 行" in html
    assert session.scalar(names) == 3
    job = job_row(session, r.location.rstrip("/").rsplit("/", 1)[-1])
    assert (job.kind, job.status, job.total, job.done_rows) == ("import", "done", 3, 3)
    assert not os.path.exists(job.path(app.config["FILES_DIR"]))  # the upload is gone
    assert browser("clerk2").get(r.location).status_code == 404


def test_a_large_import_with_problems_lists_them_and_imports_nothing(
        app, background, session, browser):
    prefix = unique("坏行")
    rows = [[f"{prefix}-{i}", "集团客户"] + [None] * 9 for i in range(3)]
    rows[1][1] = "不存在的类型"
    b = browser("clerk1")
    r = b.post("/customerview/import_xlsx/", {"file": (xlsx(CUSTOMER_HEADER, rows), "bad.xlsx")},
               content_type="multipart/form-data", follow_redirects=True)
    html = r.get_data(as_text=True)
    assert "未导入任何数据" in html
    assert "<td>3</td><td>客户类型</td>" in html
    names = select(func.count(Customer.id)).where(Customer.name.like(f"{prefix}-%"))
    assert session.scalar(names) == 0
    token = r.request.path.rstrip("/").rsplit("/", 1)[-1]
    assert api_status(app, token)["problems"][0]["row"] == 3


def api_status(app, token):
    from tests.conftest import Api
    return Api(app, "clerk1").get(f"/api/v1/export_job/{token}").json


def test_a_small_import_still_runs_at_once(app, session, browser):
    prefix = unique("小导入")
    rows = [[f"{prefix}-{i}", "集团客户"] + [None] * 9 for i in range(3)]
    r = browser("clerk1").post("/customerview/import_xlsx/",
                               {"file": (xlsx(CUSTOMER_HEADER, rows), "small.xlsx")},
                               content_type="multipart/form-data")
    assert r.status_code == 302 and r.location.endswith("/customerview/list/")


def test_a_periodic_task_runs_once_per_period_whatever_the_consumers(app, session):
    from app.extensions import db
    from app.queue import ScheduledRun, claim_period
    name, minute = unique("periodic"), now_cn().replace(second=0, microsecond=0)
    with app.app_context():
        claims = [claim_period(db.session, name, minute) for _consumer in range(3)]
        later = claim_period(db.session, name, minute + timedelta(minutes=1))
    assert claims == [True, False, False] and later
    assert session.get(ScheduledRun, name).period == minute + timedelta(minutes=1)


def test_the_sweeper_is_a_periodic_task_of_the_queue(app):
    periodic = app.extensions["huey"]._registry.periodic_tasks
    assert "sweep_jobs" in {t.name for t in periodic}


def test_files_older_than_a_day_are_removed(app, tmp_path):
    from app.jobs import remove_old_files
    folder = tmp_path / "exports"
    folder.mkdir()
    old, new, part = folder / "a.xlsx", folder / "b.xlsx", folder / "c.xlsx.1234.part"
    for path in (old, new, part):
        path.write_bytes(b"x")
    two_days_ago = time.time() - 2 * 86400
    for path in (old, part):
        os.utime(path, (two_days_ago, two_days_ago))
    assert remove_old_files(str(tmp_path)) == 2
    assert sorted(os.listdir(folder)) == ["b.xlsx"]


def test_a_job_of_a_user_deactivated_meanwhile_fails_without_running(
        app, api, background, session, dedicated_clerk):
    from app.models.org import ConsoleUser
    prefix = unique("停用")
    add_customers(api, dedicated_clerk, prefix, 1)
    token = export_job(api, dedicated_clerk, prefix)
    orphan(session, token, attempts=1)
    session.execute(update(ConsoleUser).where(ConsoleUser.username == dedicated_clerk)
                    .values(active=False))
    session.commit()
    sweep(app)
    job = job_row(session, token)
    assert job.status == "failed" and "用户已停用" in job.error


def test_two_consumers_firing_the_same_tick_run_the_sweep_once(app, session, monkeypatch):
    from app.jobs import sweep_jobs
    from app.queue import ScheduledRun
    session.merge(ScheduledRun(name=sweep_jobs.name, period=now_cn() - timedelta(days=1)))
    session.commit()
    runs = []
    monkeypatch.setattr("app.jobs.sweep", lambda s: runs.append(1))
    with app.app_context():
        for _consumer in range(2):
            sweep_jobs.delay()
    assert runs == [1]
