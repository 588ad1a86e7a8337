"""In Chromium (issue 22): a head clicks a 待办 row and the 超期投诉 tile and lands on the
filtered lists; the navbar badge opens the 待办; a clerk adds a record, lands on it and
walks back through the breadcrumbs."""
from urllib.parse import unquote, urlencode

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import unique
from tests.test_browser import chrome, live_url, sign_in  # noqa: F401, F811


def click_and_wait(chrome, element):  # noqa: F811
    element.click()
    WebDriverWait(chrome, 10).until(expected_conditions.staleness_of(element))


def test_head_clicks_a_worklist_row_and_the_overdue_tile(chrome, live_url, api):  # noqa: F811
    clerk = api("clerk1")
    customer_name = unique("浏览器待办")
    customer = clerk.post("/api/v1/customer/", json={"name": customer_name,
                                                      "customer_type": "group"}).json["id"]
    record = clerk.post("/api/v1/visit_record/", json={
        "customer": customer, "visit_date": "2026-03-02", "visit_type": "phone",
        "result": "满意"}).json["id"]
    assert clerk.post(f"/api/v1/visit_record/{record}/transition/submit",
                      json={}).status_code == 200
    late = clerk.post("/api/v1/complaint/", json={
        "customer": customer, "complainant": "赵先生", "category": "general",
        "description": "迟到的投诉", "received_at": "2025-02-03T10:00:00"}).json["id"]

    sign_in(chrome, live_url, "supervisor1")
    chrome.get(live_url + "/")
    badge = chrome.find_element(By.ID, "worklist-badge")
    assert int(badge.find_element(By.CLASS_NAME, "badge").text) > 0
    row = chrome.find_element(By.XPATH, "//div[@id='work']//a[contains(@href, "
                                        "'/visitrecordview/list/?work=review')]")
    click_and_wait(chrome, row)
    assert "work=review" in chrome.current_url
    assert "等待您" in chrome.find_element(By.CLASS_NAME, "work-filter").text
    assert chrome.find_elements(By.CSS_SELECTOR, f"a[href='/visitrecordview/show/{record}']")

    chrome.get(live_url + "/")
    link = WebDriverWait(chrome, 20).until(expected_conditions.visibility_of_element_located(
        (By.CSS_SELECTOR, "#tile-complaint-overdue .chart-list-link")))
    click_and_wait(chrome, link)
    assert "/overduecomplaintview/list/" in chrome.current_url
    # other tests' overdue complaints may fill the first page: narrow it to this customer
    joiner = "&" if "?" in chrome.current_url else "?"
    chrome.get(chrome.current_url + joiner + urlencode({"q": customer_name}))
    assert chrome.find_elements(By.CSS_SELECTOR, f"a[href='/overduecomplaintview/show/{late}']")


def test_clerk_adds_lands_on_the_record_and_walks_the_breadcrumbs(chrome, live_url):  # noqa: F811
    sign_in(chrome, live_url, "clerk1")
    name = unique("浏览器客户")
    chrome.get(live_url + "/customerview/add")
    chrome.find_element(By.NAME, "name").send_keys(name)
    for field, value in (("customer_type", "group"), ("cooperation", "active")):
        chrome.find_element(By.CSS_SELECTOR,
                            f"select[name={field}] option[value={value}]").click()
    form = chrome.find_element(By.CSS_SELECTOR, "form#model_form")
    click_and_wait(chrome, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert "/customerview/show/" in chrome.current_url
    crumbs = chrome.find_element(By.CLASS_NAME, "console-breadcrumb").text
    assert "客户管理" in crumbs and "客户档案" in crumbs and name in crumbs
    click_and_wait(chrome, chrome.find_element(
        By.CSS_SELECTOR, ".console-breadcrumb a[href='/customerview/list/']"))
    assert unquote(chrome.current_url).endswith("/customerview/list/")
    chrome.find_element(By.ID, "worklist-badge").click()
    WebDriverWait(chrome, 10).until(lambda c: c.current_url.endswith("/#work"))
    assert chrome.find_element(By.ID, "work").is_displayed()
