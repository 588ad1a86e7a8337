"""Content-Security-Policy (issue 23 item 1): every answer carries it; scripts run only
from the console's own files or inline blocks with this request's nonce; pages have no
inline event handlers and no javascript: URLs, for every kind of page and role."""
import re

import pytest

from tests.conftest import unique

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.I)
HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)


def directives(response) -> dict:
    header = response.headers.get("Content-Security-Policy", "")
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def check_page(response, where):
    policy = directives(response)
    script = policy.get("script-src", [])
    assert "'self'" in script and "'unsafe-inline'" not in script, (where, script)
    assert "'unsafe-eval'" not in script and "*" not in script, where
    assert policy.get("object-src") == ["'none'"], where
    assert policy.get("base-uri") == ["'self'"], where
    assert policy.get("frame-ancestors") == ["'self'"], where
    html = response.get_data(as_text=True)
    nonces = [n[len("'nonce-"):-1] for n in script if n.startswith("'nonce-")]
    for attributes in SCRIPT_TAG.findall(html):
        if "src=" in attributes or 'type="application/json"' in attributes:
            continue
        found = re.search(r'nonce="([^"]*)"', attributes)
        assert found and found.group(1) in nonces, (where, attributes)
    assert not HANDLER.search(html), (where, HANDLER.search(html).group(0)[:120])
    assert "javascript:" not in html.lower(), where
    return nonces


@pytest.fixture(scope="module")
def rows(app):
    from tests.conftest import Api
    clerk = Api(app, "clerk1")
    customer = clerk.post("/api/v1/customer/", json={"customer_type": "important", "name": unique("CSP客户")}).json["id"]
    complaint = clerk.post("/api/v1/complaint/", json={
        "customer": customer, "complainant": "王先生", "category": "general",
        "description": "CSP"}).json.get("id")
    return {"customer": customer, "complaint": complaint}


PAGES = {
    "clerk1": ["/", "/customerview/list/", "/customerview/add", "/customerview/show/{customer}",
               "/customerview/edit/{customer}", "/complaintview/show/{complaint}",
               "/complaintview/list/?_flt_0_status=registered", "/contactview/add",
               "/charts/customer/", "/users/userinfo/", "/resetmypassword/form",
               "/visitrecordview/add", "/receptionview/add"],
    "supervisor1": ["/", "/dashboard/", "/customerview/show/{customer}",
                    "/gradeevaluationview/add", "/transactionview/list/", "/visitplanview/add"],
    "executive": ["/", "/dashboard/", "/charts/transaction/"],
    "finance": ["/", "/transactionview/list/"],
    "admin": ["/", "/dashboard/", "/users/list/", "/users/show/1", "/users/edit/1",
              "/users/add", "/permission_matrix/", "/auditlog/list/",
              "/customerview/show/{customer}"],
}


@pytest.mark.parametrize("user", sorted(PAGES))
def test_every_page_carries_the_policy_and_no_inline_script_without_its_nonce(browser, rows,
                                                                              user):
    b = browser(user)
    seen = []
    for path in PAGES[user]:
        path = path.format(**rows)
        r = b.get(path, follow_redirects=True)
        assert r.status_code == 200, (user, path, r.status_code)
        seen += check_page(r, f"{user} {path}")
    assert seen and len(seen) == len(set(seen))  # a nonce per answer, never reused


@pytest.mark.parametrize("path,status", [("/login/", 200), ("/no-such-page", 404),
                                         ("/customerview/show/999999999", 404)])
def test_anonymous_and_error_pages_carry_the_policy(browser, path, status):
    r = browser().get(path) if status != 404 or path == "/no-such-page" else \
        browser("clerk1").get(path)
    assert r.status_code == status
    check_page(r, path)


def test_json_and_static_answers_carry_the_policy(api, browser):
    for r in (api("clerk1").get("/api/v1/customer/"), browser().get("/static/js/charts.js"),
              browser().get("/favicon.ico")):
        assert directives(r).get("object-src") == ["'none'"]
        assert r.headers.get("X-Content-Type-Options") == "nosniff"


def test_a_nonce_is_new_on_every_answer(browser):
    b = browser()
    first = directives(b.get("/login/"))["script-src"]
    second = directives(b.get("/login/"))["script-src"]
    assert first != second and any(n.startswith("'nonce-") for n in first)
