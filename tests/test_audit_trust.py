"""Audit you can rely on (issue 23 item 9): the address comes from X-Forwarded-For only
through the configured proxies, and changes made in SQL (a reception's actual_cost,
recomputed from its expense lines) are audited too."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.audit import AuditLog
from app.demo import DEMO_PASSWORD
from tests.test_receptions import add_expense, new_customer, received


def login_entry(app, session, username, headers, remote="192.0.2.10"):
    client = app.test_client()
    r = client.post("/api/v1/security/login", headers=headers,
                    environ_base={"REMOTE_ADDR": remote},
                    json={"username": username, "password": DEMO_PASSWORD, "provider": "db"})
    assert r.status_code == 200, r.json
    return session.scalars(select(AuditLog).where(
        AuditLog.action == "login", AuditLog.username == username)
        .order_by(AuditLog.id.desc()).limit(1)).one()


@pytest.fixture
def behind_proxies(app):
    """The test app as if PROXY_COUNT proxies were in front of it."""
    from app import _trust_proxies
    original = app.wsgi_app

    def configure(count):
        app.wsgi_app = original
        app.config["PROXY_COUNT"] = count
        _trust_proxies(app)
    yield configure
    app.wsgi_app, app.config["PROXY_COUNT"] = original, 0


@pytest.mark.parametrize("user", ["admin", "executive", "finance", "supervisor1", "clerk1"])
def test_a_forwarded_address_is_ignored_without_a_configured_proxy(app, session, user):
    entry = login_entry(app, session, user, {"X-Forwarded-For": "10.0.0.9"})
    assert entry.ip == "192.0.2.10"


@pytest.mark.parametrize(("count", "forwarded", "expected"), [
    (0, "10.0.0.9", "192.0.2.10"),
    (1, "10.0.0.9", "10.0.0.9"),
    (1, "10.0.0.9, 203.0.113.7", "203.0.113.7"),  # the client forged the first hop
    (2, "10.0.0.9, 203.0.113.7", "10.0.0.9"),
    (1, "", "192.0.2.10"),
])
def test_the_address_is_taken_through_the_configured_proxies(app, session, behind_proxies,
                                                               count, forwarded, expected):
    behind_proxies(count)
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    assert login_entry(app, session, "clerk1", headers).ip == expected


def test_actual_cost_recomputed_in_sql_is_audited(api, session):
    clerk, supervisor = api("clerk1"), api("supervisor1")
    pk = received(clerk, supervisor, new_customer(clerk))
    line = add_expense(clerk, pk, "120.50").json["id"]
    assert clerk.put(f"/api/v1/reception_expense/{line}", json={"amount": "80.00"}) \
        .status_code == 200
    assert clerk.delete(f"/api/v1/reception_expense/{line}").status_code == 200
    entries = session.scalars(select(AuditLog).where(
        AuditLog.resource == "reception", AuditLog.row_id == pk,
        AuditLog.action == "update").order_by(AuditLog.id)).all()
    costs = [[Decimal(v) for v in e.changes["actual_cost"]] for e in entries
             if "actual_cost" in (e.changes or {})]
    assert costs == [[Decimal("0"), Decimal("120.50")], [Decimal("120.50"), Decimal("80.00")],
                     [Decimal("80.00"), Decimal("0")]]
    assert {e.username for e in entries} == {"clerk1"}
