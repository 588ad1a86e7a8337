"""List filters by label (DESIGN §2 enums): choices 等于/不等于, booleans 是/否, dates
早于/晚于/介于, over the web list and the REST API, with row scope still applied."""
import json
import re

import pytest

from tests.conftest import unique

ROLES = ["admin", "executive", "finance", "supervisor1", "clerk1", "clerk3"]
SEES_CLERK1 = {"admin", "executive", "finance", "supervisor1", "clerk1"}


def filter_data(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="console-filter-data">(.*?)</script>',
                  html, re.S)
    assert m, html[:500]
    return json.loads(m.group(1))


@pytest.fixture(scope="module")
def customers(app):
    """Four customers of clerk1 under one prefix: cooperation × is_key."""
    from tests.conftest import Api
    clerk = Api(app, "clerk1")
    prefix = unique("筛选客户")
    rows = {}
    for cooperation, is_key in (("active", True), ("active", False), ("prospect", True),
                                ("lost", False)):
        name = f"{prefix}-{cooperation}-{int(is_key)}"
        r = clerk.post("/api/v1/customer/", json={
            "name": name, "customer_type": "group", "cooperation": cooperation,
            "is_key": is_key})
        assert r.status_code == 201, r.get_data(as_text=True)
        rows[name] = r.json["id"]
    return prefix, rows


def names_in(html: str, prefix: str) -> set:
    return set(re.findall(re.escape(prefix) + r"-[a-z]+-\d", html))


def test_choice_column_offers_its_labels_and_date_columns_their_operators(browser):
    data = filter_data(browser("clerk1").text("/customerview/list/"))
    cooperation = data["columns"]["cooperation"]
    assert cooperation["kind"] == "choice"
    assert [o["name"] for o in cooperation["operators"]] == ["等于", "不等于"]
    assert ["active", "合作中"] in cooperation["choices"]
    assert data["columns"]["is_key"]["choices"] == [["y", "是"], ["n", "否"]]
    received = filter_data(browser("clerk1").text("/complaintview/list/"))["columns"]
    assert [o["name"] for o in received["received_at"]["operators"]] == \
        ["等于", "晚于", "早于", "介于"]
    assert received["status"]["kind"] == "choice" and received["status"]["choices"]
    assert all(label != code for code, label in received["status"]["choices"])


@pytest.mark.parametrize("username", ROLES)
def test_choice_and_boolean_filters_by_code_each_role_in_scope(browser, customers, username):
    prefix, rows = customers
    b = browser(username)
    active = names_in(b.text(f"/customerview/list/?_flt_0_name={prefix}"
                             "&_flt_0_cooperation=active"), prefix)
    not_active = names_in(b.text(f"/customerview/list/?_flt_0_name={prefix}"
                                 "&_flt_1_cooperation=active"), prefix)
    key = names_in(b.text(f"/customerview/list/?_flt_0_name={prefix}&_flt_0_is_key=y"),
                   prefix)
    not_key = names_in(b.text(f"/customerview/list/?_flt_0_name={prefix}&_flt_0_is_key=n"),
                       prefix)
    if username not in SEES_CLERK1:
        assert active == not_active == key == not_key == set()
        return
    assert active == {f"{prefix}-active-1", f"{prefix}-active-0"}
    assert not_active == {f"{prefix}-prospect-1", f"{prefix}-lost-0"}
    assert key == {f"{prefix}-active-1", f"{prefix}-prospect-1"}
    assert not_key == {f"{prefix}-active-0", f"{prefix}-lost-0"}
    # the filter row comes back as the chosen place and code (the page shows its label)
    data = filter_data(b.text("/customerview/list/?_flt_1_cooperation=active"))
    assert ["cooperation", 1, "active"] in data["active"]


def record_count(html: str) -> int:
    m = re.search(r"记录数目?:</strong>\s*([\d,]+)", html)
    assert m, html[:300]
    return int(m.group(1).replace(",", ""))


@pytest.fixture(scope="module")
def dated(app):
    """clerk1's transactions (a date column) and complaints (a date-and-time column) of
    one customer, around 15 March 2019."""
    from tests.conftest import Api
    clerk = Api(app, "clerk1")
    customer = clerk.post("/api/v1/customer/", json={"customer_type": "important", "name": unique("日期筛选")}).json["id"]
    for day in ("2019-03-01", "2019-03-15", "2019-03-31", "2019-04-01"):
        r = clerk.post("/api/v1/transaction/", json={
            "customer": customer, "date": day, "product": "筛选", "amount": "10.00"})
        assert r.status_code == 201, r.json
    for at in ("2019-03-15T10:00:00", "2019-03-15T23:30:00", "2019-03-16T08:00:00"):
        r = clerk.post("/api/v1/complaint/", json={
            "customer": customer, "complainant": "张先生", "category": "general",
            "description": "日期筛选", "received_at": at})
        assert r.status_code == 201, r.json
    return customer


DATE_CASES = [  # (operator place, value, transactions, complaints)
    (0, "2019-03-15", 1, 2),
    (1, "2019-03-15", 2, 1),  # 晚于: the days after
    (2, "2019-03-16", 2, 2),  # 早于: the days before
    (3, "2019-03-15~2019-03-31", 2, 3),  # 介于: both days included
    (3, "2019-03-16~", 2, 1),
    (3, "~2019-03-01", 1, 0),
    (1, "2019-03-15 23:00:00", 2, 2),  # a time given: that moment, not the whole day
]


@pytest.mark.parametrize("username", ROLES)
def test_date_operators_on_a_date_and_a_datetime_column(browser, dated, username):
    b = browser(username)
    for place, value, transactions, complaints in DATE_CASES:
        seen = 0 if username not in SEES_CLERK1 else None
        t = record_count(b.text(f"/transactionview/list/?_flt_0_customer={dated}"
                                f"&_flt_{place}_date={value}"))
        c = record_count(b.text(f"/complaintview/list/?_flt_0_customer={dated}"
                                f"&_flt_{place}_received_at={value}"))
        assert (t, c) == ((seen, seen) if seen is not None else (transactions, complaints)), \
            (place, value)


@pytest.mark.parametrize("username", ["admin", "supervisor1", "clerk1", "clerk3"])
def test_api_filters_by_the_same_operators(api, customers, dated, username):
    prefix, rows = customers
    a = api(username)

    def ids(resource, *filters):
        q = ",".join(f"(col:{c},opr:{o},value:'{v}')" for c, o, v in filters)
        r = a.get(f"/api/v1/{resource}/?q=(filters:!({q}),page_size:100)")
        assert r.status_code == 200, r.json
        return r.json["count"]

    visible = username != "clerk3"
    assert ids("customer", ("name", "sw", prefix), ("cooperation", "eq", "active")) == \
        (2 if visible else 0)
    assert ids("customer", ("name", "sw", prefix), ("cooperation", "neq", "active")) == \
        (2 if visible else 0)
    assert ids("customer", ("name", "sw", prefix), ("is_key", "eq", "true")) == \
        (2 if visible else 0)
    assert ids("complaint", ("customer", "rel_o_m", dated),
               ("received_at", "between", "2019-03-15~2019-03-15")) == (2 if visible else 0)
    assert ids("transaction", ("customer", "rel_o_m", dated), ("date", "gt", "2019-03-15"),
               ("date", "lt", "2019-04-01")) == (1 if visible else 0)


BAD_FILTERS = [
    ("/customerview/list/?_flt_0_cooperation=合作中x", "合作状态"),
    ("/customerview/list/?_flt_0_is_key=maybe", "是"),
    ("/transactionview/list/?_flt_3_date=2019-04-01~2019-03-01", "开始日期"),
    ("/transactionview/list/?_flt_3_date=2019-04-01", "介于"),
    ("/complaintview/list/?_flt_1_received_at=15/03/2019", "YYYY-MM-DD"),
    ("/api/v1/customer/?q=(filters:!((col:cooperation,opr:eq,value:nope)))", "合作状态"),
    ("/api/v1/transaction/?q=(filters:!((col:date,opr:between,value:'x~y')))", "YYYY-MM-DD"),
]


@pytest.mark.parametrize("url,words", BAD_FILTERS)
def test_a_value_that_is_not_a_choice_or_a_date_is_refused_in_chinese(browser, api, url,
                                                                      words):
    r = api("clerk1").get(url) if url.startswith("/api/") else browser("clerk1").get(url)
    assert r.status_code == 400, (url, r.status_code)
    body = r.json["message"] if url.startswith("/api/") else r.get_data(as_text=True)
    assert words in body, body[:300]


def test_old_links_keep_working(browser, customers, dated):
    """Dashboard and home links send `_flt_0_<choice>=<code>`; charts send a period as
    晚于 (place 1) and 早于 (place 2) with a date and time."""
    prefix, rows = customers
    b = browser("supervisor1")
    assert record_count(b.text(f"/customerview/list/?_flt_0_name={prefix}"
                               "&_flt_0_cooperation=prospect")) == 1
    assert record_count(b.text(f"/complaintview/list/?_flt_0_customer={dated}"
                               "&_flt_1_received_at=2019-03-14 23:59:59"
                               "&_flt_2_received_at=2019-03-16 00:00:00")) == 2
