"""The heads' dashboard (issue 22): their 待办 above the charts, tiles that drill down to
the filtered list, 明细 links that keep the period and department, and a department
dropdown of the viewer's scope only."""
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from app.models.org import Department
from app.views.dashboard import TILES
from tests.conftest import unique

HEADS = ["admin", "executive", "supervisor1"]


def overdue_ids(client, url) -> set[int]:
    """The ids on every page of an overdue list (other tests' rows may fill more than one)."""
    ids, page = set(), 0
    while True:
        html = client.text(url + ("&" if "?" in url else "?") +
                           f"psize_OverdueComplaintView=100&page_OverdueComplaintView={page}")
        found = {int(pk) for pk in re.findall(r"/overduecomplaintview/show/(\d+)", html)}
        if not found - ids:
            return ids
        ids |= found
        page += 1



def department_id(session, name) -> int:
    return session.scalar(select(Department.id).where(Department.name == name))


@pytest.mark.parametrize("user", HEADS)



def test_heads_see_their_worklist_above_the_charts(browser, user):
    html = browser(user).text("/")
    assert 'id="work"' in html and "chart-tile" in html
    assert html.index('id="work"') < html.index("chart-filter") < html.index("chart-tile")


@pytest.mark.parametrize("tile", [t for t in TILES if t.chart != "abc"],
                         ids=lambda t: f"{t.resource}-{t.chart}")
def test_every_detail_link_keeps_the_period_and_the_department(app, api, session, tile):
    dept = department_id(session, "销售一部")
    r = api("admin").get(f"/api/v1/chart/{tile.resource}/{tile.chart}"
                         f"?from=2026-01&to=2026-06&department={dept}")
    assert r.status_code == 200, r.json
    links = [r.json["list_url"], *filter(None, r.json.get("links", []))]
    period = next((c.period for v in app.appbuilder.baseviews for c in getattr(v, "charts", [])
                   if c.name == tile.chart and v.datamodel.obj.__tablename__ == tile.resource),
                  None)
    for link in links:
        args = parse_qs(urlsplit(link).query)
        assert [str(dept)] in [v for k, v in args.items() if k.endswith("department")], link
        if period:
            assert sum(k.endswith(f"_{period}") for k in args) == 2, link
        assert browser_ok(app, link)


def browser_ok(app, link) -> bool:
    from tests.conftest import Browser
    return Browser(app, "admin").get(link).status_code == 200


def test_overdue_tile_drills_down_to_the_overdue_complaints(api, browser, session):
    clerk = api("clerk1")
    customer = clerk.post("/api/v1/customer/", json={
        "name": unique("超期客户"), "customer_type": "group", "cooperation": "active"}).json["id"]

    def complaint(received):
        body = {"customer": customer, "channel": "phone", "complainant": "王先生",
                "category": "general", "description": unique("投诉")}
        r = clerk.post("/api/v1/complaint/", json={**body, **({"received_at": received}
                                                                if received else {})})
        assert r.status_code == 201, r.json
        return r.json["id"]
    late, fresh = complaint("2025-01-06T10:00:00"), complaint(None)
    dept = department_id(session, "销售一部")
    for user, query in (("supervisor1", ""), ("executive", f"?department={dept}")):
        url = api(user).get(f"/api/v1/chart/complaint/overdue{query}").json["list_url"]
        assert url.startswith("/overduecomplaintview/list/")
        shown = overdue_ids(browser(user), url)
        assert late in shown and fresh not in shown
        assert browser(user).get(f"/overduecomplaintview/show/{late}").status_code == 302
    other = api("executive").get(
        f"/api/v1/chart/complaint/overdue?department={department_id(session, '销售二部')}")
    assert late not in overdue_ids(browser("executive"), other.json["list_url"])


def test_contact_due_tile_drills_down_to_the_customers_behind_the_rule(api, browser, session):
    dept = department_id(session, "销售二部")
    url = api("executive").get(f"/api/v1/chart/customer/contact_due?department={dept}") \
        .json["list_url"]
    assert url == f"/visits/contact_due/?department={dept}"
    assert browser("executive").get(url).status_code == 200
    expected = {r["id"] for r in api("executive").get("/api/v1/customer/contact_due")
                .json["result"]}
    html = browser("executive").text(url)
    shown = {int(pk) for pk in re.findall(r"/customerview/show/(\d+)", html)}
    assert shown <= expected
    owners_dept = {r["id"] for r in api("clerk3").get("/api/v1/customer/contact_due")
                   .json["result"]} | {r["id"] for r in api("supervisor2").get(
                       "/api/v1/customer/contact_due").json["result"]}
    assert shown <= owners_dept


@pytest.mark.parametrize(("user", "expected"), [
    ("admin", None), ("executive", None), ("supervisor1", {"销售一部"}),
    ("supervisor2", {"销售二部"}), ("clerk1", {"销售一部"})])
def test_department_dropdown_offers_only_departments_in_scope(browser, session, user, expected):
    html = browser(user).text("/" if user != "clerk1" else "/charts/customer/")
    select_html = re.search(r'<select[^>]*id="chart-department".*?</select>', html, re.S).group(0)
    offered = set(re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', select_html))
    if expected is None:
        expected = set(session.scalars(select(Department.name)))
    assert offered == expected
