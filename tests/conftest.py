"""Test set-up: one migrated database per run (SQLite by default, PostgreSQL with
TEST_DATABASE_URL), the demo users of DESIGN.md §1, and HTTP helpers.

Tests share the database, so each creates the rows it needs with unique names and
asserts on those rows (or on counts before/after), never on global totals.
"""
import hashlib
import itertools
import os
import re
import secrets
import tempfile

import pytest
from itsdangerous import URLSafeTimedSerializer

from app import create_app
from app.demo import DEMO_PASSWORD

# A strong key drawn per run (create_app() refuses known and weak ones); subprocess apps of
# some tests get it from the environment.
SECRET_KEY = os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))

ROLE_USERS = {"Admin": "admin", "Clerk": "clerk1", "Supervisor": "supervisor1",
              "Executive": "executive", "Finance": "finance"}
_counter = itertools.count(1)


def unique(prefix: str = "T") -> str:
    """A name no other test uses (tests share one database)."""
    return f"{prefix}{os.getpid()}-{next(_counter)}"


def _database_url(tmp_dir: str) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_dir}/test.db"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return _worker_database(url, worker) if worker else url


def _worker_database(url: str, worker: str) -> str:
    """Under pytest-xdist each worker gets a PostgreSQL database of its own (test_gw0 …),
    created on first use: tests share a database within a run, never across workers."""
    from sqlalchemy import create_engine, make_url, text
    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def app():
    tmp_dir = tempfile.mkdtemp(prefix="console-test-")
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": _database_url(tmp_dir),
        "FAB_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast hashing for tests only
        "RATELIMIT_ENABLED": False,
        "AUTH_RATE_LIMITED": False,
        "FILES_DIR": os.path.join(tmp_dir, "files"),
        "HUEY_IMMEDIATE": True,  # tasks run in the request that enqueues them
        "SECRET_KEY": SECRET_KEY,
        "LOG_LEVEL": "WARNING",
    })
    with app.app_context():
        from flask_migrate import downgrade, upgrade
        if os.environ.get("TEST_DATABASE_URL"):
            downgrade(revision="base")  # a PostgreSQL test database starts empty
        upgrade()
        from app.demo import load_people
        load_people(app.appbuilder)
    yield app


@pytest.fixture
def session(app):
    """A session of its own, outside any app context: requests made while it is open
    must not share `g` or the app's scoped session with the test."""
    from sqlalchemy.orm import Session

    from app.extensions import db
    with app.app_context():
        engine = db.engine
    with Session(engine) as s:
        yield s


class Browser:
    """A Flask test client that signs in and sends forms with their CSRF token."""

    def __init__(self, app, username=None):
        self.app = app
        self.client = app.test_client()
        self.username = username
        if username:
            self.login(username)

    def csrf(self) -> str:
        with self.client.session_transaction() as sess:
            raw = sess.setdefault("csrf_token", hashlib.sha1(os.urandom(64)).hexdigest())
        return URLSafeTimedSerializer(self.app.secret_key, salt="wtf-csrf-token").dumps(raw)

    def login(self, username, password=DEMO_PASSWORD):
        return self.post("/login/", {"username": username, "password": password})

    def get(self, url, **kw):
        return self.client.get(url, **kw)

    def post(self, url, data=None, **kw):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf())
        return self.client.post(url, data=data, **kw)

    def text(self, url) -> str:
        return self.client.get(url).get_data(as_text=True)


class Api:
    """A JSON client with a JWT from /api/v1/security/login."""

    def __init__(self, app, username):
        self.client = app.test_client()
        r = self.client.post("/api/v1/security/login", json={
            "username": username, "password": DEMO_PASSWORD, "provider": "db"})
        assert r.status_code == 200, r.get_data(as_text=True)
        self.headers = {"Authorization": f"Bearer {r.json['access_token']}"}

    def __getattr__(self, method):
        call = getattr(self.client, method)
        return lambda url, **kw: call(url, headers=self.headers, **kw)


@pytest.fixture(scope="module")
def clients(app):
    """One signed-in Api per user for a whole test module (each login costs a hash)."""
    cache = {}

    def client(username):
        if username not in cache:
            cache[username] = Api(app, username)
        return cache[username]
    return client


@pytest.fixture
def dedicated_clerk(app):
    """A Clerk of their own (no department), so their scope holds only this test's rows."""
    username = unique("clerk")
    with app.app_context():
        sm = app.appbuilder.sm
        user = sm.add_user(username, "专", "员", f"{username}@example.com",
                           sm.find_role("Clerk"), password=DEMO_PASSWORD)
        assert user
    return username


@pytest.fixture
def browser(app):
    return lambda username=None: Browser(app, username)


@pytest.fixture
def api(app):
    return lambda username: Api(app, username)


def flashes(html: str) -> str:
    """The text of flashed messages and form errors on a page."""
    return " ".join(re.findall(r'class="alert[^"]*"[^>]*>(.*?)</div>', html, re.S) +
                    re.findall(r'<span class="help-block">(.*?)</span>', html, re.S))


@pytest.fixture(scope="session")
def live(app):
    """The test app behind a real threaded server (tests/live.py)."""
    from tests.live import LiveServer
    server = LiveServer(app)
    yield server
    server.stop()
