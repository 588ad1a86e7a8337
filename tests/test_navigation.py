"""Navigation that lands where you expect (issue 22): after add or edit the saved record,
a refused delete back on the list it came from with the reason, a bulk step back on the
same filtered list, breadcrumbs (menu › list › record) on show and edit pages."""
import re
from urllib.parse import quote

import pytest
from sqlalchemy import select

from app.models.customers import Customer
from tests.conftest import flashes, unique

ROLES_THAT_ADD = ["admin", "supervisor1", "clerk1", "clerk3"]


def location(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response.headers["Location"]


def add_customer(b, name):
    return b.post("/customerview/add", {"name": name, "customer_type": "group",
                                        "cooperation": "active"})


@pytest.mark.parametrize("user", ROLES_THAT_ADD)
def test_after_add_the_saved_record_opens(browser, session, user):
    b, name = browser(user), unique("新增后")
    where = location(add_customer(b, name))
    pk = session.scalar(select(Customer.id).where(Customer.name == name))
    assert where == f"/customerview/show/{pk}"
    assert name in b.text(where)


@pytest.mark.parametrize("user", ROLES_THAT_ADD)
def test_after_edit_the_saved_record_opens(browser, session, user):
    b, name = browser(user), unique("编辑后")
    pk = int(location(add_customer(b, name)).rsplit("/", 1)[1])
    version = session.scalar(select(Customer.version).where(Customer.id == pk))
    r = b.post(f"/customerview/edit/{pk}", {"name": name + "改", "customer_type": "group",
                                            "cooperation": "active",
                                            "expected_version": version})
    assert location(r) == f"/customerview/show/{pk}"
    assert name + "改" in b.text(f"/customerview/show/{pk}")


def test_add_on_a_related_register_opens_that_record(browser, session, api):
    b = browser("clerk1")
    customer = api("clerk1").post("/api/v1/customer/", json={
        "name": unique("联系人客户"), "customer_type": "group"}).json["id"]
    where = location(b.post("/contactview/add", {"customer": customer, "name": "孙经理"}))
    assert re.fullmatch(r"/contactview/show/\d+", where)


def test_refused_delete_stays_on_the_list_it_came_from_with_the_reason(browser, api, session):
    clerk = api("clerk1")
    name = unique("有联系人")
    customer = clerk.post("/api/v1/customer/", json={"name": name,
                                                      "customer_type": "group"}).json["id"]
    assert clerk.post("/api/v1/contact/", json={"customer": customer,
                                                 "name": "钱经理"}).status_code == 201
    b = browser("clerk1")
    origin = f"/customerview/list/?_flt_2_name={quote(name)}&page_CustomerView=0"
    r = b.post(f"/customerview/delete/{customer}", headers={"Referer": "http://localhost"
                                                                       + origin})
    assert location(r) == origin
    assert session.get(Customer, customer) is not None
    page = b.text(origin)
    assert re.search(r"联系人|引用|使用", flashes(page)), flashes(page)


def test_a_delete_from_the_show_page_lands_on_the_list(browser, session):
    b, name = browser("clerk1"), unique("删除")
    pk = int(location(add_customer(b, name)).rsplit("/", 1)[1])
    r = b.post(f"/customerview/delete/{pk}",
               headers={"Referer": f"http://localhost/customerview/show/{pk}"})
    assert location(r) == "/customerview/list/"
    assert session.get(Customer, pk) is None


def test_a_delete_from_another_site_lands_on_the_list(browser, session):
    b = browser("clerk1")
    pk = int(location(add_customer(b, unique("外站"))).rsplit("/", 1)[1])
    r = b.post(f"/customerview/delete/{pk}", headers={"Referer": "https://evil.example/x"})
    assert location(r) == "/customerview/list/"


def test_bulk_review_of_two_rows_returns_to_the_same_filtered_list(api, browser, session):
    clerk, records = api("clerk1"), []
    customer = clerk.post("/api/v1/customer/", json={"name": unique("批量"),
                                                      "customer_type": "group"}).json["id"]
    for _ in range(2):
        r = clerk.post("/api/v1/visit_record/", json={
            "customer": customer, "visit_date": "2026-03-02", "visit_type": "phone",
            "result": "客户满意"})
        records.append(r.json["id"])
        assert clerk.post(f"/api/v1/visit_record/{r.json['id']}/transition/submit",
                          json={}).status_code == 200
    b = browser("supervisor1")
    origin = f"/visitrecordview/list/?_flt_0_customer={customer}&_flt_0_status=submitted"
    r = b.client.post("/visitrecordview/action_post",
                      data={"action": "review", "rowid": [str(pk) for pk in records],
                            "csrf_token": b.csrf()},
                      headers={"Referer": "http://localhost" + origin})
    assert location(r) == origin
    for pk in records:
        assert api("supervisor1").get(f"/api/v1/visit_record/{pk}").json["result"][
            "status"] == "reviewed"


def crumbs(html) -> list[str]:
    block = re.search(r'<ol class="breadcrumb console-breadcrumb">(.*?)</ol>', html, re.S)
    assert block, "no breadcrumbs"
    return [re.sub(r"<[^>]+>", "", li).strip()
            for li in re.findall(r"<li[^>]*>(.*?)</li>", block.group(1), re.S)]


@pytest.mark.parametrize("user", ["admin", "executive", "finance", "supervisor1", "clerk1"])
def test_show_and_edit_pages_have_breadcrumbs(api, browser, user):
    name = unique("面包屑")
    pk = api("clerk1").post("/api/v1/customer/", json={"name": name,
                                                        "customer_type": "group"}).json["id"]
    b = browser(user)
    html = b.text(f"/customerview/show/{pk}")
    assert crumbs(html)[:2] == ["客户管理", "客户档案"] and name in crumbs(html)[2]
    assert 'href="/customerview/list/"' in html
    if user in ("admin", "supervisor1", "clerk1"):
        edit = b.text(f"/customerview/edit/{pk}")
        assert crumbs(edit)[-1] == "编辑" and name in crumbs(edit)[2]
        assert f'<a href="/customerview/show/{pk}">' in edit
