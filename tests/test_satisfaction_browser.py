"""The survey, answer and service-request add forms in real Chromium, widgets clicked as a
person would: select2 dropdowns, the date pickers, the level selects."""
import re

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select

from app.models.satisfaction import SatisfactionSurvey, ServiceRequest, SurveyResponse
from app.timeutil import today_cn
from tests.conftest import unique
from tests.test_browser import chrome, live_url, sign_in, submit  # noqa: F401 (fixtures)
from tests.test_satisfaction import new_customer, running_survey


def wait(driver, css):
    return WebDriverWait(driver, 10).until(
        expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, css)))


def choose_select2(driver, field, text):
    """Open a select2 (4.x) dropdown, type to search, pick the highlighted match."""
    driver.find_element(By.CSS_SELECTOR, f"select#{field} + .select2 .select2-selection").click()
    search = wait(driver, ".select2-container--open .select2-search__field")
    search.send_keys(text)
    # Select2 redraws its results as they arrive: an option read mid-redraw is stale
    WebDriverWait(driver, 10, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: any(text in o.text for o in d.find_elements(
            By.CSS_SELECTOR, ".select2-results__option--highlighted")))
    search.send_keys(Keys.ENTER)
    WebDriverWait(driver, 5).until(lambda d: text in d.find_element(
        By.ID, f"select2-{field}-container").text)


def pick_day(driver, field, day: int):
    """Open the date picker of a field and click a day of the shown month."""
    driver.find_element(By.ID, field).click()
    wait(driver, ".datepicker-dropdown")
    cells = driver.find_elements(By.CSS_SELECTOR,
                                 ".datepicker-dropdown td.day:not(.old):not(.new)")
    next(c for c in cells if c.text.strip() == str(day)).click()
    driver.find_element(By.ID, field).send_keys(Keys.ESCAPE)


def test_survey_plan_added_in_chromium(chrome, live_url, session):  # noqa: F811
    sign_in(chrome, live_url, "clerk1")
    title = unique("浏览器调查")
    chrome.get(live_url + "/satisfactionsurveyview/add")
    chrome.find_element(By.NAME, "title").send_keys(title)
    pick_day(chrome, "period_start", 3)
    pick_day(chrome, "period_end", 20)
    Select(chrome.find_element(By.NAME, "method")).select_by_visible_text("电话调查")
    chrome.find_element(By.NAME, "target").send_keys("A 类客户")
    count = chrome.find_element(By.NAME, "issued_count")
    count.clear()
    count.send_keys("25")
    chrome.find_element(By.NAME, "staff").send_keys("王明")
    submit(chrome)
    assert "添加成功" in chrome.page_source or "成功" in chrome.page_source
    row = session.scalars(select(SatisfactionSurvey)
                          .where(SatisfactionSurvey.title == title)).one()
    today = today_cn()
    assert (row.period_start.day, row.period_end.day) == (3, 20)
    assert (row.period_start.year, row.period_start.month) == (today.year, today.month)
    assert (row.method, row.issued_count, row.status) == ("phone", 25, "planned")


def test_answer_entered_on_the_surveys_page_in_chromium(chrome, live_url, api,  # noqa: F811
                                                       session):
    sid = running_survey(api)
    sign_in(chrome, live_url, "clerk1")
    chrome.get(f"{live_url}/satisfactionsurveyview/show/{sid}")
    chrome.find_element(By.CSS_SELECTOR, "a.survey-add-response").click()
    wait(chrome, "form#model_form")
    pick_day(chrome, "answered_on", 1)
    chrome.find_element(By.NAME, "respondent_profile").send_keys("男，45 岁，采购经理")
    Select(chrome.find_element(By.NAME, "price")).select_by_visible_text("不满意")
    Select(chrome.find_element(By.NAME, "service_attitude")).select_by_visible_text("非常满意")
    submit(chrome)
    row = session.scalars(select(SurveyResponse).where(SurveyResponse.survey_id == sid)).one()
    assert (row.price, row.service_attitude, row.delivery, row.valid) == (2, 5, None, True)
    assert row.answered_on.day == 1


def test_service_request_added_in_chromium(chrome, live_url, api, session):  # noqa: F811
    clerk = api("clerk1")
    customer_id = new_customer(clerk)
    name = clerk.get(f"/api/v1/customer/{customer_id}").json["result"]["name"]
    sign_in(chrome, live_url, "clerk1")
    chrome.get(live_url + "/servicerequestview/add")
    choose_select2(chrome, "customer", name)
    received = chrome.find_element(By.NAME, "received_at")
    received.clear()
    pick_day(chrome, "received_at", 1)
    received.send_keys(" 00:30")
    Select(chrome.find_element(By.NAME, "urgency")).select_by_visible_text("紧急")
    chrome.find_element(By.NAME, "content").send_keys("浏览器登记：要求加急补货")
    submit(chrome)
    row = session.scalars(select(ServiceRequest)
                          .where(ServiceRequest.customer_id == customer_id)).one()
    assert row.received_at.day == 1 and (row.received_at.hour, row.received_at.minute) == (0, 30)
    assert (row.respond_due_at.hour, row.respond_due_at.minute) == (1, 30)
    assert re.fullmatch(r"XQ\d{4}-\d{5}", row.code) and row.urgency == "urgent"
