"""Issue 10: passwords on every form, 个人信息, the login race, keys, sessions and logout,
CSRF, and bad input that never gives a 5xx (DESIGN.md §9)."""
import json
import os
import re
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import MissingSecretKey, create_app
from app.demo import DEMO_PASSWORD
from app.keys import key_problem
from app.models.complaints import Complaint
from app.models.customers import Customer, Transaction
from app.models.org import ConsoleUser, Department
from tests.conftest import ROLE_USERS, flashes, unique

STRONG = "Qiang-Mima-2026"
WEAK = ("short1A", "alllowercase1", "ALLUPPER99999")
CJK = re.compile(r"[\u4e00-\u9fff]")
ROOT = Path(__file__).resolve().parent.parent


def new_user(app, role="Clerk", password=DEMO_PASSWORD) -> str:
    username = unique("u")
    with app.app_context():
        sm = app.appbuilder.sm
        assert sm.add_user(username, "测", "试", f"{username}@example.com", sm.find_role(role),
                           password=password)
    return username


def user_row(session, username) -> ConsoleUser:
    return session.scalar(select(ConsoleUser).where(ConsoleUser.username == username)
                          .execution_options(populate_existing=True))


def can_log_in(browser, username, password) -> bool:
    b = browser()
    b.login(username, password)
    return b.get("/users/userinfo/").status_code == 200


def new_customer(api, username="clerk1") -> int:
    r = api(username).post("/api/v1/customer/", json={"customer_type": "important", "name": unique("客户")})
    assert r.status_code == 201, r.json
    return r.json["id"]


# --- 1. passwords, through FAB's own forms ----------------------------------------------
def test_admin_adds_a_user_in_the_web_form_and_weak_passwords_are_refused(app, browser, session):
    admin = browser("admin")
    with app.app_context():
        clerk_role = app.appbuilder.sm.find_role("Clerk").id
    sales_one = str(session.scalar(select(Department.id).where(Department.name == "销售一部")))
    page = admin.text("/users/add")
    assert "至少 8 位" in page
    for weak in WEAK:
        username = unique("web")
        r = admin.post("/users/add", {"first_name": "明", "last_name": "王", "username": username,
                                      "email": f"{username}@example.com", "roles": clerk_role,
                                      "department": sales_one, "active": "y", "password": weak, "conf_password": weak})
        assert r.status_code == 200, r.status_code
        assert "密码" in flashes(r.get_data(as_text=True))
        assert user_row(session, username) is None
    username = unique("web")
    r = admin.post("/users/add", {"first_name": "明", "last_name": "王", "username": username,
                                  "email": f"{username}@example.com", "roles": clerk_role,
                                  "department": sales_one, "active": "y", "password": STRONG, "conf_password": STRONG})
    assert r.status_code == 302, flashes(r.get_data(as_text=True))
    assert user_row(session, username) is not None
    assert can_log_in(browser, username, STRONG)


def test_admin_resets_a_password_in_the_web_form(app, browser, session):
    username = new_user(app)
    pk = user_row(session, username).id
    admin = browser("admin")
    assert "至少 8 位" in admin.text(f"/resetpassword/form?pk={pk}")
    r = admin.post(f"/resetpassword/form?pk={pk}", {"password": "abc", "conf_password": "abc"})
    assert r.status_code == 200 and "密码至少 8 位" in flashes(r.get_data(as_text=True))
    assert can_log_in(browser, username, DEMO_PASSWORD)
    r = admin.post(f"/resetpassword/form?pk={pk}", {"password": STRONG, "conf_password": STRONG})
    assert r.status_code == 302
    assert can_log_in(browser, username, STRONG)
    assert not can_log_in(browser, username, DEMO_PASSWORD)


@pytest.mark.parametrize("role", ["Clerk", "Finance"])
def test_user_changes_own_password_in_the_web_form(app, browser, role):
    username = new_user(app, role)
    me = browser(username)
    page = me.text("/resetmypassword/form")
    assert "至少 8 位" in page and "不会" not in page
    for weak in WEAK:
        r = me.post("/resetmypassword/form", {"password": weak, "conf_password": weak})
        assert r.status_code == 200 and CJK.search(flashes(r.get_data(as_text=True)))
    r = me.post("/resetmypassword/form", {"password": STRONG, "conf_password": "other"})
    assert r.status_code == 200
    r = me.post("/resetmypassword/form", {"password": STRONG, "conf_password": STRONG})
    assert r.status_code == 302
    assert me.get("/users/userinfo/").status_code == 200  # the changing session stays
    assert can_log_in(browser, username, STRONG)


# --- 2. 个人信息 for every role ---------------------------------------------------------------
@pytest.mark.parametrize("role", list(ROLE_USERS))
def test_every_role_opens_its_user_info_and_its_forms(browser, role):
    me = browser(ROLE_USERS[role])
    page = me.text("/")
    assert "/users/userinfo/" in page
    info = me.get("/users/userinfo/")
    assert info.status_code == 200
    html = info.get_data(as_text=True)
    assert "resetmypassword" in html and "userinfoedit" in html
    assert me.get("/users/action/resetmypassword/1").status_code == 302
    assert me.get("/resetmypassword/form").status_code == 200
    assert me.get("/consoleuserinfoeditview/form").status_code == 200


def test_user_edits_own_info_in_the_web_form(app, browser, session):
    username = new_user(app)
    me = browser(username)
    r = me.post("/consoleuserinfoeditview/form", {"first_name": "新", "last_name": "名字",
                                                  "email": f"{username}@example.com"})
    assert r.status_code == 302
    assert user_row(session, username).last_name == "名字"


# --- 3. favicon, and no error or static answer rewrites the session ---------------------------
def test_favicon_is_served_without_touching_the_session(browser):
    b = browser()
    b.get("/login/")
    r = b.get("/favicon.ico")
    assert r.status_code == 200 and r.mimetype.startswith("image/")
    assert "Set-Cookie" not in r.headers


@pytest.mark.parametrize("path", ["/no-such-page", "/static/appbuilder/css/ab.css",
                                  "/customerview/show/999999999"])
def test_error_and_static_answers_do_not_set_the_session_cookie(browser, path):
    for b in (browser(), browser("clerk1")):
        if "show" in path and b.username is None:
            continue  # anonymous: a redirect to the login page, with its flash
        assert b.get("/login/").status_code in (200, 302)
        r = b.get(path)
        assert r.status_code in (200, 302, 404), (path, r.status_code)
        assert "Set-Cookie" not in r.headers, path


def test_login_survives_a_favicon_request_racing_the_login_page(app, browser):
    """The browser's /favicon.ico (sent with the cookie it had) must not undo the CSRF
    token the login page stored."""
    b = browser()
    b.get("/login/")
    with b.client.session_transaction() as sess:
        before = dict(sess)
    html = b.text("/login/")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', html)
    b.get("/favicon.ico")
    b.get("/missing.png")
    with b.client.session_transaction() as sess:
        assert sess.get("csrf_token") and before.get("csrf_token", sess["csrf_token"])
    r = b.client.post("/login/", data={"username": "clerk1", "password": DEMO_PASSWORD,
                                       "csrf_token": token.group(1) if token else b.csrf()})
    assert r.status_code == 302 and "/login" not in r.headers["Location"]


# --- 5. keys come from the environment ----------------------------------------------------
WEAK_KEYS = [
    (None, "is not set"), ("", "is not set"),
    ("dev-only-change-me-8f3c2a91", "history"),  # config.py's defaults in the git history
    ("dev-only-change-me-8f3c2a91-5d0b7e64c1a9", "history"),
    ("test-secret-of-at-least-thirty-two-bytes", "history"),  # the tests' old key
    ("aaaaaaaaaaaaaaaa", "too weak"), ("x" * 64, "too weak"), ("short", "too weak"),
    ("abcd" * 16, "too weak"), ("0123456789abcdef" * 4, "too weak"),
    ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", "too weak"),
    ("bench-" + "x" * 32, "too weak"), ("Password123!", "too weak"),
    ("0123456789abcdef", "too weak"),  # 64 bits of hex
]


@pytest.mark.parametrize("name", ["SECRET_KEY", "JWT_SECRET_KEY"])
@pytest.mark.parametrize("key,reason", WEAK_KEYS)
def test_app_refuses_to_start_with_a_known_or_weak_key(name, key, reason):
    if name == "JWT_SECRET_KEY" and not key:
        return  # no JWT key: tokens are signed with SECRET_KEY
    overrides = {"SECRET_KEY": secrets.token_hex(32), "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    overrides[name] = key
    with pytest.raises(MissingSecretKey) as refused:
        create_app(overrides)
    message = str(refused.value)
    assert message.startswith(name) and reason in message and "token_hex(32)" in message


# Named ids: the keys are drawn anew in each pytest-xdist process, the ids must agree.
@pytest.mark.parametrize("key", [secrets.token_hex(16), secrets.token_hex(32),
                                 secrets.token_urlsafe(32), secrets.token_bytes(32)],
                         ids=["hex16", "hex32", "urlsafe32", "bytes32"])
def test_random_keys_of_128_bits_and_more_are_accepted(key):
    assert key_problem(key) is None


def test_strong_keys_pass_the_start_check():
    from flask import Flask

    from app import _require_secret_keys
    probe = Flask("probe")  # a second create_app() would re-initialise the shared appbuilder
    probe.config.update(SECRET_KEY=secrets.token_hex(32), JWT_SECRET_KEY=secrets.token_urlsafe(32))
    _require_secret_keys(probe)


def test_the_tests_draw_a_strong_key_per_run(app):
    assert key_problem(app.secret_key) is None
    assert app.secret_key == os.environ["SECRET_KEY"]


def test_config_has_no_key_written_in_it(monkeypatch):
    import importlib

    import config
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("JWT_SECRET_KEY", raising=False)
    try:
        assert importlib.reload(config).SECRET_KEY is None
    finally:
        monkeypatch.undo()
        importlib.reload(config)


def test_a_cookie_signed_with_the_old_written_key_is_not_accepted(app):
    from flask.sessions import SecureCookieSessionInterface
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    forged = serializer.dumps({"_user_id": "1", "_fresh": True}).split(".", 1)[1]
    old = app.secret_key
    app.secret_key = "dev-only-change-me-8f3c2a91-5d0b7e64c1a9"
    try:
        forged = SecureCookieSessionInterface().get_signing_serializer(app).dumps(
            {"_user_id": "1", "_fresh": True, "_epoch": 0})
    finally:
        app.secret_key = old
    client = app.test_client()
    client.set_cookie("session", forged)
    assert client.get("/users/list/").status_code in (302, 401, 403)


@pytest.mark.parametrize("name,value,expected", [("SESSION_COOKIE_SECURE", "1", True),
                                                  ("SESSION_COOKIE_SECURE", "0", False),
                                                  ("SESSION_COOKIE_SAMESITE", "Strict", "Strict")])
def test_cookie_settings_come_from_the_environment(monkeypatch, name, value, expected):
    import importlib

    import config
    monkeypatch.setenv(name, value)
    try:
        assert getattr(importlib.reload(config), name) == expected
    finally:
        monkeypatch.undo()
        importlib.reload(config)


def test_makefile_serve_needs_a_key_and_run_makes_one():
    with open("Makefile", encoding="utf-8") as fh:
        text = fh.read()
    assert 'test -n "$$SECRET_KEY"' in text
    assert "secrets.token_hex" in text and "instance/secret_key" in text


# --- 6. sessions and tokens end at logout and at a password change ---------------------------
def _cookie(b):
    return b.client.get_cookie("session").value


def test_a_session_cookie_stops_working_after_logout(app, browser):
    username = new_user(app)
    b = browser(username)
    old = _cookie(b)
    assert b.get("/users/userinfo/").status_code == 200
    r = b.post("/logout/")
    assert r.status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", old)
    assert replay.get("/users/userinfo/").status_code == 302  # to the login page


def test_get_logout_does_not_log_out_and_post_needs_csrf(app, browser):
    b = browser("clerk1")
    assert b.get("/logout/").status_code == 405
    assert b.client.post("/logout/").status_code == 400
    assert b.get("/users/userinfo/").status_code == 200


def test_logout_button_is_a_post_form_with_the_token(browser):
    html = browser("clerk1").text("/")
    form = re.search(r'<form method="post" action="/logout/".*?</form>', html, re.S)
    assert form and 'name="csrf_token"' in form.group(0)
    assert 'href="/logout/"' not in html


def test_tokens_and_cookies_end_at_a_password_change(app, browser, session):
    username = new_user(app)
    client = app.test_client()
    tokens = client.post("/api/v1/security/login", json={
        "username": username, "password": DEMO_PASSWORD, "provider": "db", "refresh": True}).json
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    refresh = {"Authorization": f"Bearer {tokens['refresh_token']}"}
    assert client.get("/api/v1/customer/", headers=bearer).status_code == 200
    other_browser = browser(username)
    old_cookie = _cookie(other_browser)
    me = browser(username)
    r = me.post("/resetmypassword/form", {"password": STRONG, "conf_password": STRONG})
    assert r.status_code == 302
    assert me.get("/users/userinfo/").status_code == 200
    assert client.get("/api/v1/customer/", headers=bearer).status_code == 401
    assert client.post("/api/v1/security/refresh", headers=refresh).status_code == 401
    replay = app.test_client()
    replay.set_cookie("session", old_cookie)
    assert replay.get("/users/userinfo/").status_code == 302
    fresh = client.post("/api/v1/security/login", json={
        "username": username, "password": STRONG, "provider": "db"}).json["access_token"]
    assert client.get("/api/v1/customer/", headers={"Authorization": f"Bearer {fresh}"}
                      ).status_code == 200


def test_admin_reset_ends_the_users_sessions_but_not_the_admins(app, browser, session):
    username = new_user(app)
    victim = browser(username)
    admin = browser("admin")
    pk = user_row(session, username).id
    assert admin.post(f"/resetpassword/form?pk={pk}",
                      {"password": STRONG, "conf_password": STRONG}).status_code == 302
    assert victim.get("/users/userinfo/").status_code == 302
    assert admin.get("/users/userinfo/").status_code == 200


def test_deactivated_user_loses_session_and_token(app, api, browser, session):
    username = new_user(app)
    b = browser(username)
    token = api(username)
    with app.app_context():
        from app.extensions import db
        user = db.session.scalar(select(ConsoleUser).where(ConsoleUser.username == username))
        user.active = False
        db.session.commit()
    assert b.get("/users/userinfo/").status_code == 302
    assert token.get("/api/v1/customer/").status_code == 401


def _user_form(session, username, active: bool) -> dict:
    user = user_row(session, username)
    form = {"last_name": user.last_name, "first_name": user.first_name,
            "username": user.username, "email": user.email,
            # a Clerk or Supervisor must belong to a department on the user form
            "department": str(user.department_id or user_row(session, "clerk1").department_id),
            "roles": [str(role.id) for role in user.roles]}
    if active:
        form["active"] = "y"
    return form


def test_reactivation_does_not_revive_old_cookies_and_tokens(app, browser, session):
    """Admin deactivates the user in the user form, then reactivates them: the cookie,
    access token and refresh token from before stay refused; a new login works."""
    username = new_user(app)
    client = app.test_client()
    tokens = client.post("/api/v1/security/login", json={
        "username": username, "password": DEMO_PASSWORD, "provider": "db", "refresh": True}).json
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    refresh = {"Authorization": f"Bearer {tokens['refresh_token']}"}
    old_cookie = _cookie(browser(username))
    epoch = user_row(session, username).session_epoch
    admin = browser("admin")
    pk = user_row(session, username).id
    for active in (False, True):
        r = admin.post(f"/users/edit/{pk}", _user_form(session, username, active))
        assert r.status_code == 302 and user_row(session, username).active is active
    assert user_row(session, username).session_epoch == epoch + 1
    assert client.get("/api/v1/customer/", headers=bearer).status_code == 401
    assert client.post("/api/v1/security/refresh", headers=refresh).status_code == 401
    replay = app.test_client()
    replay.set_cookie("session", old_cookie)
    assert replay.get("/users/userinfo/").status_code == 302
    assert can_log_in(browser, username, DEMO_PASSWORD)
    fresh = client.post("/api/v1/security/login", json={
        "username": username, "password": DEMO_PASSWORD, "provider": "db"}).json
    assert client.get("/api/v1/customer/", headers={
        "Authorization": f"Bearer {fresh['access_token']}"}).status_code == 200


def test_editing_an_active_user_keeps_their_sessions(app, browser, session):
    username = new_user(app)
    me = browser(username)
    pk = user_row(session, username).id
    form = _user_form(session, username, True)
    form["first_name"] = "改"
    assert browser("admin").post(f"/users/edit/{pk}", form).status_code == 302
    assert user_row(session, username).first_name == "改"
    assert me.get("/users/userinfo/").status_code == 200


# --- 7. CSRF on API writes that ride a session cookie -----------------------------------------
def test_cookie_write_with_a_bogus_bearer_header_still_needs_csrf(browser, session):
    b = browser("clerk1")
    name = unique("csrf")
    r = b.client.post("/api/v1/customer/", json={"customer_type": "important", "name": name},
                      headers={"Authorization": "Bearer x"})
    assert r.status_code == 400
    assert session.scalar(select(func.count()).select_from(Customer)
                          .where(Customer.name == name)) == 0
    r = b.client.post("/api/v1/customer/", json={"customer_type": "important", "name": name},
                      headers={"X-CSRFToken": b.csrf()})
    assert r.status_code == 201


def test_a_bogus_bearer_without_a_session_is_401(app):
    r = app.test_client().post("/api/v1/customer/", json={"customer_type": "important", "name": "x"},
                               headers={"Authorization": "Bearer x"})
    assert r.status_code == 401 and CJK.search(r.json["message"])


# --- 9. bad input never gives a 5xx ------------------------------------------------------------
BIG = "9" * 25
DEEP_RISON = "(" * 500 + ")" * 500
BAD_GETS = [
    "/api/v1/customer/?q=!",
    "/api/v1/customer/?q=" + DEEP_RISON,
    "/api/v1/customer/?q=(page:" + BIG + ",page_size:10)",
    "/api/v1/customer/?q=(page:-1,page_size:10)",
    "/api/v1/customer/?q=(filters:!((col:name,opr:ct,value:'a%00b')))",
    "/api/v1/customer/?q=(filters:!((col:name,opr:ew,value:'a\\')))",
    "/api/v1/customer/?q=(filters:!((col:name,opr:ew,value:'%5C')))",
    "/api/v1/customer/?q=(filters:!((col:nope,opr:eq,value:1)))",
    "/api/v1/customer/export.xlsx?q=(filters:!((col:nope,opr:eq,value:1)))",
    "/api/v1/customer/export.xlsx?q=!",
    f"/api/v1/customer/{BIG}",
    "/api/v1/customer/99999999999",
    "/api/v1/complaint/stats?month=9999-12",
    "/api/v1/complaint/stats?month=0000-01",
    "/api/v1/export_job/not-a-token",
    "/api/v1/export_job/not-a-token/download",
    "/customerview/list/?_flt_0_name=a%00b",
    "/customerview/list/?_flt_2_name=a%5C",
    "/customerview/list/?page_CustomerView=" + BIG,
    "/customerview/list/?page_CustomerView=-3",
    "/customerview/list/?psize_CustomerView=" + BIG,
    f"/customerview/show/{BIG}",
    "/customerview/show/99999999999",
    "/complaintstats/?month=9999-12",
    "/grading/abc/?year=10000",
    "/exports/not-a-token",
    "/customerview/export_xlsx/?_flt_0_nope=x",
    "/customerview/list/?_oc_CustomerView=nope&_od_CustomerView=asc",
    "/api/v1/customer/?q=(order_column:nope,order_direction:asc)",
    "/api/v1/customer/?q=(page:0,page_size:" + BIG + ")",
    "/api/v1/customer/?q=(filters:!((col:credit_limit,opr:gt,value:" + BIG + ")))",
    "/api/v1/customer/?q=(filters:!((col:credit_limit,opr:gt,value:'1e400')))",
    "/customerview/list/?_flt_1_credit_limit=" + BIG,
    "/api/v1/transaction/?q=(filters:!((col:date,opr:gt,value:'9999-99-99')))",
    "/transactionview/list/?_flt_1_date=2026-13-45",
    "/api/v1/customer/_info?q=!",
    "/api/v1/customer/abc?year=99999999999999999999999",
    "/grading/abc/?year=abc",
]


@pytest.mark.parametrize("path", BAD_GETS)
def test_bad_query_input_is_refused_without_a_5xx(api, browser, path):
    if path.startswith("/api/"):
        r = api("clerk1").get(path)
    else:
        r = browser("clerk1").get(path)
    assert r.status_code < 500, (path, r.status_code, r.get_data(as_text=True)[:300])
    if r.status_code in (400, 422):
        body = r.get_data(as_text=True)
        assert CJK.search(body.encode().decode("unicode_escape") if path.startswith("/api/")
                          else body), body[:300]


def _count(session, model, **where):
    query = select(func.count()).select_from(model)
    for k, v in where.items():
        query = query.where(getattr(model, k) == v)
    return session.scalar(query)


BAD_BODIES = [
    ("null", 400), ("[]", 400), ('"a string"', 400), ("[" * 100_000 + "]" * 100_000, 400),
    ('{"name": "a\\u0000b"}', 400), ('{"name": "\\ud800"}', 400), ('{"name": ["x"]}', 422),
    ('{"name": {"a": 1}}', 422), ('{"name": "ok", "scale": 1e20}', 422),
    ('{"name": "ok", "credit_limit": ' + BIG + "}", 400), ("{bad json", 400),
]


@pytest.mark.parametrize("body,status", BAD_BODIES)
def test_bad_json_bodies_are_refused_in_chinese_and_nothing_is_stored(api, session, body,
                                                                       status):
    client = api("clerk1")
    before = _count(session, Customer)
    r = client.post("/api/v1/customer/", data=body, content_type="application/json")
    assert r.status_code in (400, 422), (body[:40], r.status_code, r.get_data(as_text=True))
    assert CJK.search(json.dumps(r.json, ensure_ascii=False)), r.json
    assert _count(session, Customer) == before


@pytest.mark.parametrize("body", ["null", "[]", '"x"', '{"phone": "a\\u0000"}',
                                  '{"phone": ["1"]}', '{"version": ' + BIG + '}'])
def test_bad_put_bodies_are_refused(api, session, body):
    pk = new_customer(api)
    r = api("clerk1").put(f"/api/v1/customer/{pk}", data=body, content_type="application/json")
    assert r.status_code in (400, 409, 422), (body, r.status_code, r.get_data(as_text=True))
    assert session.get(Customer, pk, populate_existing=True).version == 1


@pytest.mark.parametrize("body", ['"submit"', "[1]", '{"comment": ["x"]}',
                                  '{"comment": "a\\u0000"}'])
def test_bad_transition_bodies_are_refused(api, session, body):
    customer = new_customer(api)
    r = api("clerk1").post("/api/v1/development_plan/", json={
        "customer": customer, "objective": unique("目标"), "start_date": "2026-01-01",
        "end_date": "2026-06-30"})
    pk = r.json["id"]
    r = api("clerk1").post(f"/api/v1/development_plan/{pk}/transition/submit", data=body,
                           content_type="application/json")
    assert r.status_code == 400, (body, r.status_code, r.get_data(as_text=True))


def test_nul_byte_in_a_web_form_is_refused(browser, session):
    name = unique("nul")
    r = browser("clerk1").post("/customerview/add", {"name": name + "\x00x"})
    assert r.status_code == 400 and "NUL" in r.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Customer)
                          .where(Customer.name.startswith(name))) == 0


def test_blank_unique_name_twice_is_refused_not_integrity_error(api, session):
    before = _count(session, Department)
    for _ in range(2):
        r = api("admin").post("/api/v1/department/", json={"name": "   "})
        assert r.status_code == 422 and "不能为空" in json.dumps(r.json, ensure_ascii=False)
    assert _count(session, Department) == before


# --- 10. money and dates beyond the columns, on every write path ------------------------------
@pytest.mark.parametrize("amount", ["1e20", "1000000000000.00", "1e13", "99999999999999"])
def test_money_beyond_the_column_is_refused_on_the_api(api, session, amount):
    customer = new_customer(api)
    before = _count(session, Transaction)
    r = api("clerk1").post("/api/v1/transaction/", json={
        "customer": customer, "date": "2026-03-02", "product": unique("产品"), "amount": amount})
    assert r.status_code == 422 and "超出范围" in json.dumps(r.json, ensure_ascii=False)
    assert _count(session, Transaction) == before


@pytest.mark.parametrize("day,message", [("9999-12-31", "1900"), ("0001-01-01", "1900"),
                                         ("1899-12-31", "1900"), ("2026-13-45", "日期"),
                                         ("明天", "日期")])
def test_dates_outside_1900_2100_or_invalid_are_refused_on_the_api(api, session, day, message):
    customer = new_customer(api)
    before = _count(session, Transaction)
    r = api("clerk1").post("/api/v1/transaction/", json={
        "customer": customer, "date": day, "product": unique("产品"), "amount": "1.00"})
    assert r.status_code == 422 and message in json.dumps(r.json, ensure_ascii=False)
    assert _count(session, Transaction) == before


@pytest.mark.parametrize("day,message", [("9999-12-31", "1900"), ("0001-01-01", "1900"),
                                         ("2026-13-45", "日期"), ("明天", "日期")])
def test_dates_outside_1900_2100_or_invalid_are_refused_in_the_web_form(api, browser, session,
                                                                         day, message):
    customer = new_customer(api)
    product = unique("产品")
    r = browser("clerk1").post("/transactionview/add", {
        "customer": customer, "date": day, "product": product, "amount": "1.00",
        "collected": "0.00"}, follow_redirects=True)
    assert r.status_code == 200
    assert message in flashes(r.get_data(as_text=True)), flashes(r.get_data(as_text=True))
    assert _count(session, Transaction, product=product) == 0


def test_money_beyond_the_column_is_refused_in_the_web_form(api, browser, session):
    customer = new_customer(api)
    product = unique("产品")
    r = browser("clerk1").post("/transactionview/add", {
        "customer": customer, "date": "2026-03-02", "product": product,
        "amount": "100000000000000", "collected": "0.00"}, follow_redirects=True)
    assert r.status_code == 200 and "超出范围" in flashes(r.get_data(as_text=True))
    assert _count(session, Transaction, product=product) == 0


def test_parties_count_must_be_a_whole_number(api, session):
    customer = new_customer(api)
    before = _count(session, Complaint)
    r = api("clerk1").post("/api/v1/complaint/", json={
        "customer": customer, "complainant": "张先生", "category": "general",
        "description": "x", "parties_count": 1.5})
    assert r.status_code == 422 and CJK.search(json.dumps(r.json, ensure_ascii=False))
    assert _count(session, Complaint) == before


def test_abc_page_opens_on_the_current_year_despite_a_stray_far_year(api, browser, session):
    from app.timeutil import today_cn
    html = browser("clerk1").text("/grading/abc/")
    assert str(today_cn().year) in html
    assert api("clerk1").get("/api/v1/customer/abc").json["year"] == today_cn().year


def _xlsx(header, rows):
    import io

    import openpyxl
    wb = openpyxl.Workbook()
    wb.active.append(header)
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


@pytest.mark.parametrize("day,amount,message", [
    ("9999-12-31", 1000, "1900"), ("0001-01-01", 1000, "1900"), ("2026-13-45", 1000, "日期"),
    ("明天", 1000, "日期"), ("2026-01-05", "1e20", "超出范围"),
    ("2026-01-05", 100000000000000, "超出范围")])
def test_import_refuses_dates_and_money_beyond_the_columns(api, browser, session, day, amount,
                                                          message):
    name = unique("导入边界")
    assert api("clerk1").post("/api/v1/customer/", json={"customer_type": "important", "name": name}).status_code == 201
    header = ["客户", "交易日期", "产品", "销售额（元）", "利润（元）", "回款额（元）", "预收款",
              "应收款到期日", "备注"]
    product = unique("产品")
    r = browser("clerk1").post("/transactionview/import_xlsx/", {
        "file": (_xlsx(header, [[name, day, product, amount, None, 0, "否", None, None]]),
                 "t.xlsx")}, content_type="multipart/form-data", follow_redirects=True)
    assert r.status_code == 200
    assert message in r.get_data(as_text=True)
    assert _count(session, Transaction, product=product) == 0


# --- 11. races are 409 in Chinese; If-Match and ETag ---------------------------------------------
def test_get_answers_an_etag_and_put_checks_if_match(api, session):
    pk = new_customer(api)
    client = api("clerk1")
    r = client.get(f"/api/v1/customer/{pk}")
    assert r.headers["ETag"] == '"1"'
    assert client.put(f"/api/v1/customer/{pk}", json={"phone": "1"}).status_code == 200
    r = client.client.put(f"/api/v1/customer/{pk}", json={"phone": "2"},
                          headers={**client.headers, "If-Match": '"1"'})
    assert r.status_code == 409 and "已被他人修改" in r.json["message"]
    r = client.client.put(f"/api/v1/customer/{pk}", json={"phone": "3"},
                          headers={**client.headers, "If-Match": '"2"'})
    assert r.status_code == 200
    assert session.get(Customer, pk, populate_existing=True).phone == "3"


def test_a_put_losing_the_race_in_the_database_is_409_in_chinese(app, api, session,
                                                                 monkeypatch):
    """Both PUTs read version 1; the other writer commits in between (as a simultaneous
    PUT would): the loser's UPDATE matches no row."""
    pk = new_customer(api)
    from app.views.base import RegisterApi
    original = RegisterApi.pre_update

    def meanwhile(self, item):
        original(self, item)
        from sqlalchemy import create_engine, text
        engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        with engine.begin() as conn:
            conn.execute(text("UPDATE customer SET version = version + 1, phone = 'other' "
                              "WHERE id = :id"), {"id": pk})
        engine.dispose()
    monkeypatch.setattr(RegisterApi, "pre_update", meanwhile)
    r = api("clerk1").put(f"/api/v1/customer/{pk}", json={"phone": "mine"})
    assert r.status_code == 409, r.get_data(as_text=True)
    assert "已被他人修改" in r.json["message"] and "UPDATE" not in r.json["message"]
    assert session.get(Customer, pk, populate_existing=True).phone == "other"


def test_a_transition_losing_the_race_is_409(app, api, session, monkeypatch):
    customer = new_customer(api)
    pk = api("clerk1").post("/api/v1/development_plan/", json={
        "customer": customer, "objective": unique("目标"), "start_date": "2026-01-01",
        "end_date": "2026-06-30"}).json["id"]
    import app.workflow as workflow
    real_fire = workflow.fire

    def racing_fire(session_, obj, *args, **kwargs):
        from sqlalchemy import create_engine, text
        engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        with engine.begin() as conn:
            conn.execute(text("UPDATE development_plan SET version = version + 1 "
                              "WHERE id = :id"), {"id": obj.id})
        engine.dispose()
        return real_fire(session_, obj, *args, **kwargs)
    import app.views.base as base
    monkeypatch.setattr(base, "fire", racing_fire)
    r = api("clerk1").post(f"/api/v1/development_plan/{pk}/transition/submit", json={})
    assert r.status_code == 409, r.get_data(as_text=True)
    assert CJK.search(r.json["message"])


# --- 12. database unreachable: a Chinese page that needs no database ---------------------------
DOWN_PROBE = textwrap.dedent("""
    import json
    from app import create_app
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql://nobody:x@127.0.0.1:1/none",
                      "RATELIMIT_ENABLED": False, "AUTH_RATE_LIMITED": False,
                      "WTF_CSRF_ENABLED": False, "LOG_LEVEL": "CRITICAL"})
    client = app.test_client()
    out = {}
    for path in ("/", "/login/", "/customerview/list/"):
        r = client.get(path)
        out[path] = [r.status_code, r.get_data(as_text=True)]
    r = client.post("/login/", data={"username": "clerk1", "password": "x"})
    out["web login"] = [r.status_code, r.get_data(as_text=True)]
    r = client.post("/api/v1/security/login", json={"username": "clerk1", "password": "x",
                                                    "provider": "db"})
    out["api login"] = [r.status_code, r.get_json()["message"]]
    print(json.dumps(out))
""")


def test_database_down_gives_a_chinese_page_and_api_message():
    """A separate process: the test app shares FAB's appbuilder with any second app."""
    result = subprocess.run([sys.executable, "-c", DOWN_PROBE], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr[-2000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    for what, (status, body) in out.items():
        assert status in (500, 503), (what, status)
        assert CJK.search(body), (what, body[:200])
        assert "Internal Server Error" not in body and "Fatal" not in body, what


# --- 13. _info shows no catalog header ----------------------------------------------------------
@pytest.mark.parametrize("resource", ["customer", "transaction", "complaint", "department"])
def test_info_descriptions_are_not_the_catalog_header(api, resource):
    r = api("admin").get(f"/api/v1/{resource}/_info")
    assert r.status_code == 200
    text = json.dumps(r.json, ensure_ascii=False)
    assert "Project-Id-Version" not in text and "Content-Type" not in text


# --- every register API, every writable field, values of the wrong kind: never a 5xx -----------
ODD_VALUES = [["x"], {"a": 1}, 10**30, 3_000_000_000, -1e308, 1.5, " ", "9999-12-31",
              "2026-13-45", "x" * 5000, "NaN"]
# Values no column takes: a PUT of them must change nothing (the rows are shared).
NEVER_VALID = [["x"], {"a": 1}, 10**30, -1e308]


def register_apis(app):
    from app.views.base import RegisterApi
    return sorted({(v.resource_name, tuple(v.add_columns or ()))
                   for v in app.appbuilder.baseviews if isinstance(v, RegisterApi)})


def test_odd_values_in_every_field_of_every_register_api_are_never_a_5xx(app, api):
    admin = api("admin")
    customer = new_customer(api, "admin")
    failures = []
    for resource, columns in register_apis(app):
        existing = admin.get(f"/api/v1/{resource}/").json["ids"][:1]
        for column in columns:
            for value in ODD_VALUES:
                body = {"customer": customer, column: value}
                r = admin.post(f"/api/v1/{resource}/", json=body)
                if r.status_code >= 500:
                    failures.append(("POST", resource, column, repr(value)[:30], r.status_code))
                for pk in existing if value in NEVER_VALID else ():
                    r = admin.put(f"/api/v1/{resource}/{pk}", json={column: value})
                    if r.status_code >= 500:
                        failures.append(("PUT", resource, column, repr(value)[:30],
                                         r.status_code))
    assert not failures, failures[:20]


def test_two_racing_transitions_give_one_200_and_one_409(app, api):
    """Two clients run the same step on one row at the same moment, ten times."""
    import threading
    customer = new_customer(api)
    clients = [api("clerk1")]
    for _round in range(10):
        pk = clients[0].post("/api/v1/development_plan/", json={
            "customer": customer, "objective": unique("竞争"), "start_date": "2026-01-01",
            "end_date": "2026-06-30"}).json["id"]
        assert clients[0].post(f"/api/v1/development_plan/{pk}/transition/submit",
                               json={}).status_code == 200
        barrier, answers = threading.Barrier(2), []

        def review(client, pk=pk, barrier=barrier, answers=answers):
            barrier.wait()
            r = client.post(f"/api/v1/development_plan/{pk}/transition/review", json={})
            answers.append((r.status_code, r.get_json().get("message", "")))
        threads = [threading.Thread(target=review, args=(api("supervisor1"),))
                   for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(code for code, _m in answers) == [200, 409], answers
        assert all(CJK.search(m) for code, m in answers if code == 409), answers


@pytest.mark.parametrize("due", ["9999-12-31", "0001-01-01", "2026-13-45"])
def test_a_step_body_with_a_date_outside_1900_2100_is_refused(api, session, due):
    from app.models.complaints import ImprovementMeasure
    clerk = api("clerk1")
    customer = new_customer(api)
    complaint = clerk.post("/api/v1/complaint/", json={
        "customer": customer, "complainant": "张先生", "category": "general",
        "description": "x"}).json["id"]
    pk = clerk.post("/api/v1/improvement_measure/", json={
        "source_type": "complaint", "complaint": complaint, "problem": "p"}).json["id"]
    r = clerk.post(f"/api/v1/improvement_measure/{pk}/transition/start", json={
        "measure": "m", "responsible": "r", "due_date": due})
    assert r.status_code == 422 and CJK.search(r.json["message"]), r.json
    row = session.get(ImprovementMeasure, pk, populate_existing=True)
    assert (row.status, row.due_date) == ("open", None)
