"""Issue 15 forms in real Chromium: the complaint's 顾客要求的期限 picked with the date
picker, the customer form's credit fields (read-only for a Clerk, Finance's own form)."""
from datetime import date, datetime

from dateutil.relativedelta import relativedelta
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select

from app.models.complaints import Complaint
from app.models.customers import Customer
from app.timeutil import today_cn
from tests import test_browser
from tests.conftest import unique
from tests.test_browser import body_text, sign_in, submit

# the live server and the Chromium of tests/test_browser.py (module-scoped fixtures)
chrome, live_url = test_browser.chrome, test_browser.live_url


def wait(driver, css):
    return WebDriverWait(driver, 10).until(
        expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, css)))


def test_complaint_customer_deadline_is_picked_in_the_calendar(chrome, live_url, api,
                                                               session):
    name = unique("浏览器投诉客户")
    assert api("clerk1").post("/api/v1/customer/", json={"customer_type": "important", "name": name}).status_code == 201
    description = unique("顾客要求十五号前解决")
    sign_in(chrome, live_url, "clerk1")
    chrome.get(live_url + "/complaintview/add")
    # the customer: a select2 box, typed into and chosen with Enter
    chrome.find_element(By.CSS_SELECTOR,
                        "select[name=customer] + .select2-container .select2-selection").click()
    search = wait(chrome, ".select2-container--open .select2-search__field")
    search.send_keys(name)
    WebDriverWait(chrome, 10).until(lambda c: name in c.find_element(
        By.CSS_SELECTOR, ".select2-container--open .select2-results").text)
    search.send_keys(Keys.ENTER)
    form = chrome.find_element(By.CSS_SELECTOR, "form#model_form")
    form.find_element(By.NAME, "complainant").send_keys("赵经理")
    Select(form.find_element(By.NAME, "category")).select_by_value("general")
    text = form.find_element(By.NAME, "description")
    chrome.execute_script("arguments[0].scrollIntoView({block: 'center'});", text)
    text.click()
    text.send_keys(description)
    # 顾客要求的期限: the calendar icon, next month, the 15th
    field = form.find_element(By.NAME, "customer_due_at")
    chrome.execute_script("arguments[0].scrollIntoView({block: 'center'});", field)
    field.find_element(By.XPATH, "..").find_element(By.CSS_SELECTOR,
                                                    ".input-group-addon").click()
    picker = wait(chrome, ".datepicker-days")
    picker.find_element(By.CSS_SELECTOR, "th.next").click()
    day = next(td for td in picker.find_elements(By.CSS_SELECTOR, "td.day")
               if td.text == "15" and "old" not in td.get_attribute("class")
               and "new" not in td.get_attribute("class"))
    day.click()
    target = date.today().replace(day=15) + relativedelta(months=1)
    assert field.get_attribute("value") == target.isoformat()
    submit(chrome)
    assert "成功" in body_text(chrome) or "已" in body_text(chrome)
    row = session.scalar(select(Complaint).where(Complaint.description == description))
    assert row is not None, body_text(chrome)[:500]
    due = datetime.combine(target, datetime.min.time()).replace(hour=18)
    assert (row.customer_due_at, row.due_at, row.due_step) == (due, due, "resolve")


def test_credit_fields_are_read_only_for_a_clerk_and_finance_sets_them(chrome, live_url,
                                                                      api, session):
    pk = api("clerk1").post("/api/v1/customer/", json={"customer_type": "important", "name": unique("浏览器信用")}).json["id"]
    sign_in(chrome, live_url, "clerk1")
    chrome.get(f"{live_url}/customerview/edit/{pk}")
    assert not chrome.find_element(By.NAME, "credit_rating").is_enabled()
    assert not chrome.find_element(By.NAME, "credit_limit").is_enabled()
    assert chrome.find_element(By.NAME, "phone").is_enabled()

    sign_in(chrome, live_url, "finance")
    chrome.get(f"{live_url}/customerview/edit/{pk}")
    assert not chrome.find_elements(By.NAME, "name")
    Select(chrome.find_element(By.NAME, "credit_rating")).select_by_value("AA")
    limit = chrome.find_element(By.NAME, "credit_limit")
    limit.clear()
    limit.send_keys("300000")
    submit(chrome)
    row = session.get(Customer, pk, populate_existing=True)
    assert (row.credit_rating, row.credit_limit) == ("AA", 300000)
    assert row.changed_on.date() == today_cn()
