"""Account lockout: ten failed logins of one account within 15 minutes lock it for 15
minutes on the web and the API, counted in the database (time injected, no sleeping)."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app import lockout
from app.audit import AuditLog
from app.demo import DEMO_PASSWORD
from app.lockout import LoginFailure
from app.models.org import ConsoleUser
from tests.conftest import flashes

START = datetime(2026, 3, 2, 9, 0, 0)


class Clock:
    def __init__(self):
        self.now = START

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(lockout, "now_cn", c)
    return c


def api_login(app, username, password):
    return app.test_client().post("/api/v1/security/login", json={
        "username": username, "password": password, "provider": "db"})


def fail(app, username, times, clock=None, every=None):
    codes = []
    for _ in range(times):
        codes.append(api_login(app, username, "Wrong@2026").status_code)
        if clock is not None and every is not None:
            clock.advance(**every)
    return codes


def test_tenth_failure_locks_the_account_on_the_api(app, clock, dedicated_clerk):
    assert fail(app, dedicated_clerk, 9) == [401] * 9
    r = api_login(app, dedicated_clerk, "Wrong@2026")
    assert r.status_code == 429
    assert "账号已锁定" in r.json["message"] and "2026-03-02 09:15" in r.json["message"]
    assert r.headers["Retry-After"] == "900"
    r = api_login(app, dedicated_clerk, DEMO_PASSWORD)  # the right password does not help
    assert r.status_code == 429 and "09:15" in r.json["message"]


def test_lock_is_released_after_fifteen_minutes(app, clock, dedicated_clerk):
    fail(app, dedicated_clerk, 10)
    clock.advance(minutes=14, seconds=59)
    assert api_login(app, dedicated_clerk, DEMO_PASSWORD).status_code == 429
    clock.advance(seconds=1)
    assert api_login(app, dedicated_clerk, DEMO_PASSWORD).status_code == 200


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(app, clock,
                                                                    dedicated_clerk):
    assert fail(app, dedicated_clerk, 10, clock, {"minutes": 2}) == [401] * 10
    assert api_login(app, dedicated_clerk, DEMO_PASSWORD).status_code == 200


def test_a_successful_login_starts_the_count_again(app, clock, dedicated_clerk):
    fail(app, dedicated_clerk, 9)
    assert api_login(app, dedicated_clerk, DEMO_PASSWORD).status_code == 200
    assert fail(app, dedicated_clerk, 9) == [401] * 9


def test_locked_web_login_says_when_to_retry(app, browser, clock, dedicated_clerk):
    fail(app, dedicated_clerk, 10)
    b = browser()
    r = b.login(dedicated_clerk)
    assert r.status_code == 302
    page = b.text(r.location)
    assert "账号已锁定" in flashes(page) and "09:15" in flashes(page)
    assert b.get("/api/v1/customer/").status_code == 401  # not signed in


def test_web_failures_count_like_api_failures(app, browser, clock, dedicated_clerk):
    b = browser()
    for _ in range(10):
        b.login(dedicated_clerk, "Wrong@2026")
    assert api_login(app, dedicated_clerk, DEMO_PASSWORD).status_code == 429


def test_failures_written_by_another_server_count(app, clock, session, dedicated_clerk):
    """Every app server reads the same table: failures another one wrote lock here too."""
    session.add_all([LoginFailure(username=dedicated_clerk, at=START - timedelta(minutes=i),
                                  ip="10.0.0.9") for i in range(10)])
    session.commit()
    r = api_login(app, dedicated_clerk, DEMO_PASSWORD)
    assert r.status_code == 429 and "09:15" in r.json["message"]


def test_admin_unlocks_an_account(app, browser, clock, session, dedicated_clerk):
    fail(app, dedicated_clerk, 10)
    user_id = session.scalar(select(ConsoleUser.id)
                             .where(ConsoleUser.username == dedicated_clerk))
    r = browser("admin").post(f"/users/action/unlock/{user_id}")
    assert r.status_code == 302
    assert api_login(app, dedicated_clerk, DEMO_PASSWORD).status_code == 200
    actions = session.scalars(select(AuditLog.action).where(
        AuditLog.resource == "ab_user", AuditLog.row_id == user_id)).all()
    assert actions.count("login_failed") == 10 and "unlock" in actions


def test_a_clerk_cannot_unlock(app, browser, clock, session, dedicated_clerk):
    fail(app, dedicated_clerk, 10)
    user_id = session.scalar(select(ConsoleUser.id)
                             .where(ConsoleUser.username == dedicated_clerk))
    r = browser("clerk1").post(f"/users/action/unlock/{user_id}")
    assert r.status_code in (302, 403, 404)
    assert api_login(app, dedicated_clerk, DEMO_PASSWORD).status_code == 429


def test_unknown_accounts_are_locked_alike(app, clock):
    name = f"nobody-{START:%H%M%S}-lock"
    assert fail(app, name, 10)[-1] == 429


def test_admin_home_lists_locked_accounts_and_a_clerk_does_not_see_it(app, browser, clock,
                                                                    dedicated_clerk):
    fail(app, dedicated_clerk, 10)
    html = browser("admin").text("/")
    assert "已锁定的账号" in html and dedicated_clerk in html and "09:15" in html
    assert "已锁定的账号" not in browser("clerk1").text("/")


def spellings(name: str) -> list[str]:
    alternating = "".join(c.upper() if i % 2 else c for i, c in enumerate(name))
    return [name, name.upper(), name.capitalize(), alternating, alternating.swapcase(),
            f"  {name.title()} "]


def test_every_spelling_of_a_name_shares_one_counter_on_web_and_api(app, browser, clock,
                                                                     dedicated_clerk):
    """FAB finds CLERK2 as clerk2: the ten failures count for the account whatever the case,
    and while it is locked no spelling gets in, on the API or the web form."""
    names = spellings(dedicated_clerk)
    assert len(set(names)) == 6
    b = browser()
    for attempt in range(9):
        name = names[attempt % 6]
        if attempt % 2:
            b.login(name, "Wrong@2026")
        else:
            assert api_login(app, name, "Wrong@2026").status_code == 401
    assert api_login(app, names[3], "Wrong@2026").status_code == 429
    for name in names:
        r = api_login(app, name, DEMO_PASSWORD)
        assert r.status_code == 429 and "09:15" in r.json["message"], name
        web = browser()
        page = web.text(web.login(name).location)
        assert "账号已锁定" in flashes(page), name
        assert web.get("/api/v1/customer/").status_code == 401, name
    clock.advance(minutes=15)
    assert api_login(app, names[1], DEMO_PASSWORD).status_code == 200


def test_admin_unlock_clears_the_failures_of_every_spelling(app, browser, clock, session,
                                                            dedicated_clerk):
    fail(app, dedicated_clerk.upper(), 10)
    user_id = session.scalar(select(ConsoleUser.id)
                             .where(ConsoleUser.username == dedicated_clerk))
    assert browser("admin").post(f"/users/action/unlock/{user_id}").status_code == 302
    assert api_login(app, dedicated_clerk.capitalize(), DEMO_PASSWORD).status_code == 200
