"""The demo company as `make run` sets it up, in a fresh instance of its own (SQLite):
what the set-up prints, and a staff handover (离职交接) on its data."""
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

HANDOVER_SCRIPT = """
import json, sys
from sqlalchemy import select
from app import create_app
from app.handover import hand_over, owned_rows, rows_to_move
from app.models.org import ConsoleUser
from app.models.visits import my_tasks
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "LOG_LEVEL": "ERROR",
                  "RATELIMIT_ENABLED": False, "AUTH_RATE_LIMITED": False})


def tasks_over_api(username):
    client = app.test_client()
    token = client.post("/api/v1/security/login", json={
        "username": username, "password": "Demo@2026", "provider": "db"}).json["access_token"]
    r = client.get("/api/v1/visit_plan_item/mine", headers={"Authorization": f"Bearer {token}"})
    return sorted(row["id"] for row in r.json["result"])


leaver_tasks, successor_tasks = tasks_over_api("clerk1"), tasks_over_api("clerk2")
with app.app_context():
    session = app.appbuilder.session
    users = {u.username: u for u in session.scalars(select(ConsoleUser))}
    leaver, successor = users["clerk1"], users["clerk2"]
    before = {"leaver_tasks": leaver_tasks, "successor_tasks": successor_tasks,
              "changing": {m.__tablename__: len(ids)
                           for m, ids in rows_to_move(session, leaver).items()},
              "acting": {m.__tablename__: sorted(m.acting)
                         for m in rows_to_move(session, leaver) if m.acting}}
    moved = hand_over(session, leaver, successor)
    session.expire_all()
    after = {"leaver_tasks": [t["id"] for t in my_tasks(session, leaver)],
             "left": {m.__tablename__: len(ids) for m, ids in rows_to_move(session, leaver).items()},
             "open_owned": sum(len(owned_rows(session, m, leaver))
                               for m in rows_to_move(session, leaver))}
after["successor_tasks"] = tasks_over_api("clerk2")
print(json.dumps({"before": before, "moved": moved, "after": after}))
"""


def run(args, env, timeout=600):
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-3000:])
    return done


@pytest.fixture(scope="module")
def demo_company(tmp_path_factory):
    """`make run`'s steps (migrate, load-demo, db-optimize) in a fresh instance; their output."""
    folder = tmp_path_factory.mktemp("demo_company")
    url = f"sqlite:///{folder}/console.db"
    env = {**os.environ, "DATABASE_URL": url, "EXPORT_DIR": str(folder / "exports"),
           "FAB_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}
    env.pop("LOG_LEVEL", None)
    flask = [sys.executable, "-m", "flask", "--app", "run.py"]
    lines = []
    for command in (["db", "upgrade"], ["load-demo"], ["db-optimize"]):
        done = run([*flask, *command], env)
        lines += (done.stdout + done.stderr).splitlines()
    return url, lines


def test_set_up_prints_what_a_user_needs_and_not_fabs_permission_detail(demo_company):
    _url, lines = demo_company
    assert not [line for line in lines if "Created Permission" in line or
                "flask_appbuilder" in line]
    assert len(lines) < 40, "\n".join(lines)
    assert any("customers: 200 new of 200" in line for line in lines)
    assert "demo accounts: admin (Admin), clerk1 (Clerk)" in lines[-2]
    assert "password Demo@2026" in lines[-2]


def test_fab_detail_shows_at_debug(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "LOG_LEVEL": "DEBUG"}
    done = run([sys.executable, "-c", "import logging\nfrom app import create_app\n"
                "create_app()\nprint(logging.getLogger('flask_appbuilder').level)"], env)
    assert done.stdout.split()[-1] == "10"


def test_handover_on_the_demo_company_leaves_the_leaver_no_open_task(demo_company):
    url, _lines = demo_company
    done = run([sys.executable, "-c", HANDOVER_SCRIPT, url], dict(os.environ))
    report = json.loads(done.stdout.strip().splitlines()[-1])
    before, after = report["before"], report["after"]
    # the demo gives the leaver visit tasks, and names them on open rows of other kinds
    assert before["leaver_tasks"] and before["changing"]["visit_plan_item"]
    assert before["acting"].keys() >= {"visit_plan_item", "reception"}
    assert report["moved"] == before["changing"]
    # afterwards nothing open is theirs or names them; their tasks are the successor's
    assert after == {"leaver_tasks": [], "left": {}, "open_owned": 0,
                     "successor_tasks": sorted(before["successor_tasks"]
                                               + before["leaver_tasks"])}
