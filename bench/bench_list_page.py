"""Benchmark the list page: SQL statements and time per request, with the per-request
permission cache (ConsoleSecurityManager) against FAB's stock check (one query per
permission), in one run. Prints ratios; no thresholds.

    python bench/bench_list_page.py [--requests 30] [--customers 500]
"""
import argparse
import os
import secrets
import sys
import tempfile
import time

from sqlalchemy import event

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from flask_appbuilder.security.sqla.manager import SecurityManager  # noqa: E402

from app import create_app  # noqa: E402
from app.demo import DEMO_PASSWORD  # noqa: E402
from app.security import ConsoleSecurityManager  # noqa: E402


def build_app(customers: int):
    tmp = tempfile.mkdtemp(prefix="bench-list-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db",
                      "RATELIMIT_ENABLED": False, "AUTH_RATE_LIMITED": False,
                      "WTF_CSRF_ENABLED": False,  # the benchmark measures reads only
                      "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_hex(32),
                      "FAB_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "LOG_LEVEL": "ERROR"})
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
        from app.demo import load_people
        load_people(app.appbuilder)
        from app.models.customers import Customer
        from app.models.org import ConsoleUser
        session = app.appbuilder.session
        clerk = session.query(ConsoleUser).filter_by(username="clerk1").one()
        session.add_all(Customer(name=f"基准客户{i:05d}", customer_type="group",
                                 owner_id=clerk.id, department_id=clerk.department_id)
                        for i in range(customers))
        session.commit()
    return app


def measure(app, requests: int) -> tuple[float, float]:
    """(statements per request, seconds per request) for clerk1's customer list."""
    client = app.test_client()
    client.post("/login/", data={"username": "clerk1", "password": DEMO_PASSWORD})
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
    counter = {"n": 0}

    def count(*_args):
        counter["n"] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        client.get("/customerview/list/")  # warm-up
        counter["n"] = 0
        start = time.perf_counter()
        for _ in range(requests):
            r = client.get("/customerview/list/")
            assert r.status_code == 200, (r.status_code, r.location)
        elapsed = time.perf_counter() - start
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return counter["n"] / requests, elapsed / requests


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--customers", type=int, default=500)
    args = parser.parse_args()
    app = build_app(args.customers)
    cached = measure(app, args.requests)
    # FAB's own checks: one permission query per has_access, one per menu look-up.
    originals = {name: getattr(ConsoleSecurityManager, name)
                 for name in ("_has_view_access", "_get_user_permission_view_menus")}
    for name in originals:
        setattr(ConsoleSecurityManager, name, getattr(SecurityManager, name))
    try:
        stock = measure(app, args.requests)
    finally:
        for name, func in originals.items():
            setattr(ConsoleSecurityManager, name, func)
    print(f"list page, {args.customers} customers, {args.requests} requests each")
    print(f"  per-request cache : {cached[0]:6.1f} statements, {cached[1] * 1000:7.1f} ms")
    print(f"  FAB stock checks  : {stock[0]:6.1f} statements, {stock[1] * 1000:7.1f} ms")
    print(f"  ratio stock/cache : statements x{stock[0] / cached[0]:.2f}, "
          f"time x{stock[1] / cached[1]:.2f}")


if __name__ == "__main__":
    main()
