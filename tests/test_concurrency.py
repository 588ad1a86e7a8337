"""Concurrency (issue 24): transitions on one row and on different rows, and two imports at
once, under the threaded live server (tests/live.py), on SQLite and PostgreSQL; and PUTs on
different rows under gunicorn (2 processes × 4 threads) over a SQLite file database made
for the test. Every answer belongs to its own request; never a 5xx."""
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import pytest
from sqlalchemy import func, select

from app.demo import DEMO_PASSWORD
from app.models.customers import Customer
from app.models.receptions import Reception
from app.workflow import TransitionLog
from tests.conftest import unique
from tests.live import LiveServer, run_together
from tests.test_import import CUSTOMER_HEADER, xlsx
from tests.test_receptions import ARRIVAL, DEPARTURE
from tools.cluster import Client, free_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RACERS = 6


def _ok(answer, status=200):
    assert answer[0] == status, answer
    return answer[1]


def new_reception(live, purpose) -> int:
    customer = _ok(live.call("POST", "/api/v1/customer/", "clerk1", {
        "name": unique("并发接待"), "customer_type": "group"}), 201)["id"]
    return _ok(live.call("POST", "/api/v1/reception/", "clerk1", {
        "customer": customer, "notice_from": "销售一部", "visitor_names": "王总",
        "visitor_count": 1, "purpose": purpose, "arrival": ARRIVAL, "departure": DEPARTURE,
        "plan": "座谈"}), 201)["id"]


def history(session, pk) -> list:
    session.expire_all()
    return session.scalars(select(TransitionLog.step).where(
        TransitionLog.register == Reception.__tablename__,
        TransitionLog.row_id == pk)).all()


def test_concurrent_transitions_on_one_row_one_wins(live, session):
    """Six clerks' 提交 of one reception at once, four times: one 200, the rest 409 in
    Chinese, never a 5xx, and the history holds one entry."""
    for _round in range(4):
        pk = new_reception(live, unique("同一行"))
        answers = run_together(live, [("POST", f"/api/v1/reception/{pk}/transition/request",
                                        "clerk1", {"comment": "并发"})] * RACERS)
        codes = sorted(status for status, _a in answers)
        assert codes == [200] + [409] * (RACERS - 1), answers
        for status, answer in answers:
            if status == 409:
                assert any("\u4e00" <= ch <= "\u9fff" for ch in answer["message"]), answer
        assert history(session, pk) == ["request"]


def test_concurrent_transitions_on_different_rows_each_get_their_own_row(live, session):
    purposes = [unique("各自一行") for _ in range(RACERS)]
    rows = [new_reception(live, p) for p in purposes]
    for _round in range(2):  # 提交, then the supervisor's 批准, each at once
        step, user = ("request", "clerk1") if _round == 0 else ("approve", "supervisor1")
        answers = run_together(live, [("POST", f"/api/v1/reception/{pk}/transition/{step}",
                                       user, {}) for pk in rows])
        for pk, purpose, (status, answer) in zip(rows, purposes, answers):
            assert status == 200, (pk, answer)
            assert answer["id"] == pk and answer["result"]["purpose"] == purpose, answer
    for pk in rows:
        assert history(session, pk) == ["request", "approve"]


def test_two_concurrent_imports_land_whole_or_not_at_all(live, session):
    """Two clerks upload different customer files at the same moment (web form, CSRF,
    cookies), five times: each file's rows are all there or none, never a 5xx."""
    clients = {}
    for user in ("clerk1", "clerk2"):
        clients[user] = Client(f"http://127.0.0.1:{live.port}")
        assert clients[user].login(user, DEMO_PASSWORD).status == 302
    for _round in range(5):
        files = {user: [unique(f"并发导入{user}") for _ in range(8)] for user in clients}
        answers = upload_together(clients, files)
        session.expire_all()
        for user, names in files.items():
            assert answers[user] < 500, answers
            found = session.scalar(select(func.count(Customer.id)).where(
                Customer.name.in_(names)))
            assert found in (0, len(names)), (user, answers[user], found)
            if answers[user] == 302:  # landed: the importer owns every row
                owners = set(session.scalars(select(Customer.owner_id).where(
                    Customer.name.in_(names))))
                assert len(owners) == 1 and found == len(names), (user, owners)


def upload_together(clients, files) -> dict:
    """Each client uploads its own customers file at the same moment: {user: status}."""
    answers, barrier = {}, threading.Barrier(len(clients))

    def run(user):
        content = xlsx(CUSTOMER_HEADER, [[n, "集团客户"] + [None] * 9
                                         for n in files[user]]).getvalue()
        barrier.wait()
        answers[user] = clients[user].upload("/customerview/import_xlsx/", "c.xlsx",
                                             content).status
    threads = [threading.Thread(target=run, args=(u,)) for u in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


# --- gunicorn -------------------------------------------------------------------------
SETUP = """
import sys
from app import create_app
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "LOG_LEVEL": "WARNING",
                  "FAB_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})  # fast, for tests
with app.app_context():
    from flask_migrate import upgrade
    upgrade()
    from app.roles import init_roles
    init_roles(app.appbuilder)
    sm = app.appbuilder.sm
    assert sm.add_user("clerk1", "业务", "员", "clerk1@example.com", sm.find_role("Clerk"),
                       password=sys.argv[2])
"""


@pytest.fixture(scope="module")
def gunicorn():
    """`gunicorn -w 2 --threads 4` on a free port over a migrated SQLite file with one
    Clerk (clerk1), a fresh SECRET_KEY; stopped (its process group) at the end."""
    tmp = tempfile.mkdtemp(prefix="console-gunicorn-")
    url = f"sqlite:///{tmp}/gunicorn.db"
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32),
           "FILES_DIR": os.path.join(tmp, "files"), "LOG_LEVEL": "WARNING"}
    env.pop("TEST_DATABASE_URL", None)
    setup = subprocess.run([sys.executable, "-c", SETUP, url, DEMO_PASSWORD], cwd=ROOT,
                           env=env, capture_output=True, text=True, timeout=120)
    assert setup.returncode == 0, setup.stderr[-3000:]
    port = free_port()
    log = open(os.path.join(tmp, "gunicorn.log"), "wb")
    process = subprocess.Popen(
        [os.path.join(ROOT, ".venv", "bin", "gunicorn"), "-w", "2", "--threads", "4",
         "-b", f"127.0.0.1:{port}", "app:create_app()"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 40
    while True:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5).status == 200:
                break
        except OSError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, \
            open(log.name, errors="replace").read()[-3000:]
        time.sleep(0.3)
    server = LiveServer.__new__(LiveServer)  # its client only: call() and token()
    server.port, server.tokens = port, {}
    try:
        yield server
    finally:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
        log.close()


def test_gunicorn_concurrent_puts_on_different_rows_each_get_their_own_answer(gunicorn):
    rows = [_ok(gunicorn.call("POST", "/api/v1/customer/", "clerk1", {
        "name": unique("工作进程"), "customer_type": "group"}), 201)["id"] for _ in range(8)]
    wrong, codes = [], []
    for batch in range(10):
        answers = run_together(gunicorn, [
            ("PUT", f"/api/v1/customer/{pk}", "clerk1", {"address": f"地址 {pk}-{batch}"})
            for pk in rows])
        for pk, (status, answer) in zip(rows, answers):
            codes.append(status)
            if status != 200 or answer["result"]["address"] != f"地址 {pk}-{batch}":
                wrong.append((pk, batch, status, answer))
    assert not [c for c in codes if c >= 500], codes
    assert wrong == [], wrong[:5]
    for pk in rows:
        status, answer = gunicorn.call("GET", f"/api/v1/customer/{pk}", "clerk1")
        assert status == 200 and answer["result"]["address"] == f"地址 {pk}-9", answer
