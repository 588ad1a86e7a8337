# ruff: noqa: F811
"""Filters by label in Chromium on three registers: a choice chosen by its Chinese label
(客户档案 合作状态, 客户投诉 投诉类别), a boolean 是/否, and a date range 介于 (交易记录);
a saved view shared with the department and reopened; the search box."""
import re

import pytest
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import unique
from tests.test_browser import body_text, chrome, live_url, sign_in  # noqa: F401, F811


@pytest.fixture(scope="module")
def rows(app):
    from tests.conftest import Api
    clerk = Api(app, "clerk1")
    prefix = unique("浏览器筛选")
    for cooperation, is_key in (("active", True), ("prospect", False), ("active", False)):
        r = clerk.post("/api/v1/customer/", json={
            "name": f"{prefix}-{cooperation}-{int(is_key)}", "customer_type": "group",
            "cooperation": cooperation, "is_key": is_key})
        assert r.status_code == 201, r.json
    customer = clerk.post("/api/v1/customer/", json={"customer_type": "important", "name": prefix + "-交易"}).json["id"]
    for day in ("2019-05-01", "2019-05-20", "2019-06-02"):
        assert clerk.post("/api/v1/transaction/", json={
            "customer": customer, "date": day, "product": prefix, "amount": "1.00"}
        ).status_code == 201
    for category in ("major", "general"):
        assert clerk.post("/api/v1/complaint/", json={
            "customer": customer, "complainant": "李女士", "category": category,
            "description": prefix}).status_code == 201
    return prefix, customer


def add_filter(chrome, column):
    toggle = chrome.find_element("css selector", "#filter_form .dropdown-toggle")
    if not toggle.is_displayed():  # the 搜索 panel opens by itself only with filters set
        chrome.find_element("css selector", 'a[href="#accordion1_href"]').click()
        WebDriverWait(chrome, 5).until(lambda _d: toggle.is_displayed())
    toggle.click()
    chrome.find_element("css selector", f'a.console-filter-add[data-column="{column}"]').click()
    return chrome.find_elements("css selector", f'tr.console-filter[data-column="{column}"]')[-1]


def search(chrome):
    form = chrome.find_element("css selector", "#filter_form")
    form.find_element("css selector", "button[type=submit]").click()
    WebDriverWait(chrome, 10).until(expected_conditions.staleness_of(form))


def set_date(chrome, element, value):
    """What the date picker does when a day is picked (its popup is the browser's own)."""
    chrome.execute_script("arguments[0].value = arguments[1];"
                          "arguments[0].dispatchEvent(new Event('change'))", element, value)


def test_choice_by_label_then_a_boolean(chrome, live_url, rows):
    prefix, _customer = rows
    sign_in(chrome, live_url, "supervisor1")
    chrome.get(f"{live_url}/customerview/list/?_flt_0_name={prefix}")
    row = add_filter(chrome, "cooperation")
    assert [o.text for o in Select(row.find_element("css selector", "select.filter-op")
                                   ).options] == ["等于", "不等于"]
    Select(row.find_element("css selector", "select.filter_val")).select_by_visible_text("合作中")
    search(chrome)
    assert "_flt_0_cooperation=active" in chrome.current_url
    found = set(re.findall(re.escape(prefix) + r"-\w+-\d", body_text(chrome)))
    assert found == {f"{prefix}-active-1", f"{prefix}-active-0"}
    # the page comes back with the filter shown by its label, and a boolean is added to it
    row = chrome.find_element("css selector", 'tr.console-filter[data-column="cooperation"]')
    assert Select(row.find_element("css selector", "select.filter_val")
                  ).first_selected_option.text == "合作中"
    Select(add_filter(chrome, "is_key").find_element("css selector", "select.filter_val")
           ).select_by_visible_text("否")
    search(chrome)
    found = set(re.findall(re.escape(prefix) + r"-\w+-\d", body_text(chrome)))
    assert found == {f"{prefix}-active-0"}


def test_date_between_on_transactions(chrome, live_url, rows):
    prefix, customer = rows
    sign_in(chrome, live_url, "clerk1")
    chrome.get(f"{live_url}/transactionview/list/?_flt_0_product={prefix}")
    row = add_filter(chrome, "date")
    Select(row.find_element("css selector", "select.filter-op")).select_by_visible_text("介于")
    row = chrome.find_element("css selector", 'tr.console-filter[data-column="date"]')
    set_date(chrome, row.find_element("css selector", "input.filter_from"), "2019-05-01")
    set_date(chrome, row.find_element("css selector", "input.filter_to"), "2019-05-31")
    search(chrome)
    assert "2019-05-01~2019-05-31" in chrome.current_url.replace("%7E", "~")
    text = body_text(chrome)
    assert "2019-05-01" in text and "2019-05-20" in text and "2019-06-02" not in text
    assert re.search(r"记录数目?:\s*2\b", text), text[-300:]


def test_complaint_category_by_label(chrome, live_url, rows):
    prefix, customer = rows
    sign_in(chrome, live_url, "executive")
    chrome.get(f"{live_url}/complaintview/list/?_flt_0_customer={customer}")
    row = add_filter(chrome, "category")
    Select(row.find_element("css selector", "select.filter-op")).select_by_visible_text("不等于")
    Select(chrome.find_element("css selector", 'tr.console-filter[data-column="category"] '
                                               "select.filter_val")
           ).select_by_visible_text("重大责任投诉")
    search(chrome)
    assert "_flt_1_category=major" in chrome.current_url
    text = body_text(chrome)
    table = re.split(r"记录数目?:", text)[-1]
    assert "一般责任投诉" in table and "重大责任投诉" not in table


def test_a_view_saved_shared_and_reopened(chrome, live_url, rows):
    """supervisor1 saves the filtered, sorted list for 销售一部; clerk2 (same department)
    opens it from the 我的视图 menu; the quick search box narrows it further."""
    prefix, _customer = rows
    name = unique("浏览器视图")
    sign_in(chrome, live_url, "supervisor1")
    chrome.get(f"{live_url}/customerview/list/?_flt_0_name={prefix}&_flt_0_cooperation=active"
               "&_oc_CustomerView=name&_od_CustomerView=desc")
    chrome.find_element("css selector", "#saved-views .dropdown-toggle").click()
    chrome.find_element("id", "save-view-toggle").click()
    field = chrome.find_element("id", "save-view-name")
    WebDriverWait(chrome, 5).until(lambda _d: field.is_displayed())
    field.send_keys(name)
    Select(chrome.find_element("id", "save-view-share")).select_by_visible_text("本部门")
    form = chrome.find_element("id", "save-view-form")
    form.find_element("css selector", "button[type=submit]").click()
    WebDriverWait(chrome, 10).until(expected_conditions.staleness_of(form))
    assert "已保存视图" in body_text(chrome)

    sign_in(chrome, live_url, "clerk2")
    chrome.get(f"{live_url}/customerview/list/")
    chrome.find_element("css selector", "#saved-views .dropdown-toggle").click()
    link = chrome.find_element("xpath", f'//a[contains(@class, "saved-view-shared")]'
                                        f'[contains(., "{name}")]')
    link.click()
    WebDriverWait(chrome, 10).until(lambda d: "_flt_0_cooperation=active" in d.current_url)
    assert "_od_CustomerView=desc" in chrome.current_url
    # clerk2 sees their own rows only: clerk1's customers stay out of the shared view
    assert prefix not in body_text(chrome)
    sign_in(chrome, live_url, "supervisor1")
    chrome.get(f"{live_url}/customerview/list/")
    box = chrome.find_element("css selector", "#quick-search input[name=q]")
    box.send_keys(f"{prefix}-active-1")
    form = chrome.find_element("id", "quick-search")
    form.find_element("css selector", "button[type=submit]").click()
    WebDriverWait(chrome, 10).until(expected_conditions.staleness_of(form))
    found = set(re.findall(re.escape(prefix) + r"-\w+-\d", body_text(chrome)))
    assert found == {f"{prefix}-active-1"}
