"""PostgreSQL: with tools/audit_owner.sql applied, the app's role can read and append to
audit_log but not truncate, delete, update, drop it or disable its trigger (issue 23 item
9). Builds a database of its own (the app role `console`, an owner role made with
`su postgres`); skipped on SQLite or without local superuser access."""
import os
import secrets
import shutil
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
URL = os.environ.get("TEST_DATABASE_URL", "")
OWNER = "console_audit_test"
REFUSED = ["TRUNCATE audit_log", "DELETE FROM audit_log", "UPDATE audit_log SET detail = 'x'",
           "ALTER TABLE audit_log DISABLE TRIGGER ALL",
           "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
           "DROP TABLE audit_log", "ALTER TABLE audit_log OWNER TO CURRENT_USER",
           "DROP FUNCTION audit_log_append_only() CASCADE",
           "DROP TRIGGER audit_log_append_only ON audit_log"]

pytestmark = pytest.mark.skipif(
    not URL.startswith("postgresql") or os.geteuid() != 0 or not shutil.which("psql"),
    reason="PostgreSQL with local superuser access (su postgres) only")


def as_superuser(sql, database="postgres", **variables):
    args = ["psql", "-qAt", "-v", "ON_ERROR_STOP=1", "-d", database]
    for name, value in variables.items():
        args += ["-v", f"{name}={value}"]
    command = " ".join(f"'{a}'" for a in args)
    return subprocess.run(["su", "postgres", "-c", command], input=sql, text=True,
                          capture_output=True, check=True).stdout


@pytest.fixture(scope="module")
def audit_database():
    url = make_url(URL)
    name = f"{url.database}_audit_owner"
    as_superuser(f"DROP DATABASE IF EXISTS {name};")
    as_superuser(f"CREATE DATABASE {name} OWNER {url.username};")
    if not as_superuser(f"SELECT 1 FROM pg_roles WHERE rolname = '{OWNER}';").strip():
        as_superuser(f"CREATE ROLE {OWNER} NOLOGIN;")
    database_url = url.set(database=name).render_as_string(hide_password=False)
    env = {**os.environ, "DATABASE_URL": database_url,
           "SECRET_KEY": secrets.token_hex(32)}
    subprocess.run([sys.executable, "-m", "flask", "--app", "run.py", "db", "upgrade"],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    engine = create_engine(database_url)
    yield name, engine
    engine.dispose()
    as_superuser(f"DROP DATABASE IF EXISTS {name};")


def refused(engine, statement) -> bool:
    with engine.connect() as connection:
        try:
            connection.execute(text(statement))
        except DBAPIError as error:
            connection.rollback()
            return any(reason in str(error.orig) for reason in (
                "permission denied", "must be owner", "audit_log is append-only"))
        connection.rollback()
    return False


def test_the_app_role_owns_audit_log_until_the_script_runs_then_may_only_append(
        audit_database):
    name, engine = audit_database
    assert not refused(engine, "TRUNCATE audit_log")  # the owner may: why the script exists
    with open(os.path.join(ROOT, "tools", "audit_owner.sql")) as script:
        as_superuser(script.read(), database=name, app=make_url(URL).username, owner=OWNER)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO audit_log (at, action, detail) "
                                "VALUES (now(), 'login', 'owner test')"))
        assert connection.execute(text(
            "SELECT count(*) FROM audit_log WHERE detail = 'owner test'")).scalar() == 1
    assert [s for s in REFUSED if not refused(engine, s)] == []
    with engine.connect() as connection:
        assert connection.execute(text(
            "SELECT count(*) FROM audit_log WHERE detail = 'owner test'")).scalar() == 1
        assert connection.execute(text(
            "SELECT tgenabled FROM pg_trigger WHERE tgname = 'audit_log_append_only'"
        )).scalar() == "O"
