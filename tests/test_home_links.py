"""Every row on the home page is a link to its record or to the list filtered to exactly
those rows, and a visit task opens the visit record form filled from the task (issue 22)."""
import itertools
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.models.visits import VisitRecord
from app.security import ConsoleUser
from app.timeutil import now_cn
from tests.conftest import flashes, unique

ROLES = ["admin", "executive", "finance", "supervisor1", "clerk1", "clerk3"]
_months = itertools.count(0)


def fresh_month() -> str:
    """A month no other plan of the department has (one plan per department and month):
    from 1901, before test_visits (1990 on) and the register samples (2060 on), so its tasks
    come first on the home page (ordered by deadline) however many other files add."""
    n = next(_months)
    return f"{1901 + n // 12}-{n % 12 + 1:02d}"


def created(response) -> int:
    assert response.status_code in (200, 201), response.json
    return response.json["id"]


def step(client, resource, pk, name, **body):
    r = client.post(f"/api/v1/{resource}/{pk}/transition/{name}", json=body)
    assert r.status_code == 200, r.json


def visit_task(api, session, username="clerk1"):
    """An approved plan's item for `username`, naming one of the customer's two contacts."""
    clerk, sup = api(username), api("supervisor1" if username != "clerk3" else "supervisor2")
    customer = created(clerk.post("/api/v1/customer/", json={
        "name": unique("任务客户"), "customer_type": "group", "cooperation": "active"}))
    met = created(clerk.post("/api/v1/contact/", json={"customer": customer, "name": "周经理",
                                                       "phone": "13900001111"}))
    created(clerk.post("/api/v1/contact/", json={"customer": customer, "name": "吴会计"}))
    month = fresh_month()
    plan = created(sup.post("/api/v1/visit_plan/", json={"month": month, "title": "拜访计划"}))
    visitor = session.scalar(select(ConsoleUser.id).where(ConsoleUser.username == username))
    item = created(sup.post("/api/v1/visit_plan_item/", json={
        "visit_plan": plan, "customer": customer, "visitor": visitor, "purpose": "回款沟通",
        "contact_info": "周经理 13900001111", "deadline": f"{month}-20"}))
    step(sup, "visit_plan", plan, "submit")
    step(api("executive"), "visit_plan", plan, "approve")
    return item, customer, met


@pytest.fixture
def busy_home(api, session):
    """Something in every panel of clerk1's and the heads' home pages."""
    clerk = api("clerk1")
    visit_task(api, session)
    customer = created(clerk.post("/api/v1/customer/", json={
        "name": unique("首页客户"), "customer_type": "group", "cooperation": "active"}))
    created(clerk.post("/api/v1/service_request/", json={
        "customer": customer, "received_at": "2026-03-04T09:00:00", "urgency": "normal",
        "content": "补货"}))
    arrival = now_cn().replace(microsecond=0) + timedelta(days=2)
    created(clerk.post("/api/v1/reception/", json={
        "customer": customer, "notice_from": "销售一部", "visitor_names": "王总",
        "visitor_count": 1, "purpose": "考察", "arrival": arrival.isoformat(),
        "departure": (arrival + timedelta(hours=5)).isoformat(), "plan": "座谈"}))


def panel_rows(html) -> list[tuple[str, str]]:
    """(panel title, first cell) of every data row of the home page's panels and 待办."""
    out = []
    for panel in re.findall(r'<div class="panel panel-\w+(?: home-panel)?"[^>]*>(.*?)</table>',
                            html, re.S):
        title = re.search(r"<strong>(.*?)</strong>", panel, re.S).group(1)
        body = panel.split("<tbody>", 1)[-1]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
            if 'class="text-muted"' not in row:
                out.append((title, re.search(r"<td>(.*?)</td>", row, re.S).group(1)))
    return out


@pytest.mark.parametrize("user", ROLES)
def test_every_row_on_the_home_page_is_a_link(browser, busy_home, user):
    html = browser(user).text("/")
    rows = panel_rows(html)
    for title, first in rows:
        assert first.lstrip().startswith("<a href="), (title, first)
    if user == "clerk1":
        titles = {t for t, _ in rows}
        assert {"待办", "我的拜访任务", "我的待响应需求", "我的工作"} <= titles
        assert any(t.startswith("近期来访") for t in titles)


def test_home_page_links_open_their_record(browser, busy_home):
    b = browser("clerk1")
    html = b.text("/")
    links = {href for _, first in panel_rows(html)
             for href in re.findall(r'<a href="([^"]+)"', first)}
    assert links
    for href in links:
        r = b.get(href.replace("&amp;", "&"))
        assert r.status_code == 200, href


def test_visit_task_opens_the_record_form_filled_from_the_task(api, browser, session):
    item, customer, met = visit_task(api, session)
    b = browser("clerk1")
    html = b.text("/")
    url = f"/visitrecordview/add?task={item}"
    assert f'href="{url}"' in html and "填写拜访记录" in html
    form = b.text(url)
    assert f'<option value="{customer}" selected>' in form
    assert re.search(rf'<option selected value="{item}">|<option value="{item}" selected',
                     form)
    assert re.search(rf'<option selected value="{met}">|<option value="{met}" selected', form)
    assert "拜访目的 回款沟通" in flashes(form)
    r = b.post(url, {"customer": customer, "visit_plan_item": item, "contacts_met": met,
                     "visit_date": now_cn().date().isoformat(), "visit_type": "on_site",
                     "result": "已沟通回款"}, follow_redirects=False)
    assert r.status_code == 302
    record = session.scalar(select(VisitRecord).where(VisitRecord.visit_plan_item_id == item))
    assert record is not None and [c.id for c in record.contacts_met] == [met]


@pytest.mark.parametrize("user", ["clerk3", "supervisor2"])
def test_a_task_out_of_scope_fills_nothing(api, browser, session, user):
    item, customer, _met = visit_task(api, session)
    form = browser(user).text(f"/visitrecordview/add?task={item}")
    assert f'value="{customer}" selected' not in form and "回款沟通" not in form
