"""客户接待 in real Chromium: the reception add form (date pickers clicked) and the inline
expense add form on the show page."""
from decimal import Decimal

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select

from app.models.receptions import Reception, ReceptionExpense
from tests.conftest import unique
from tests.test_browser import ENGLISH, chrome, live_url, sign_in  # noqa: F401  (fixtures)
from tests.test_browser_day import search_customer


def pick_day(driver, field_name, day):
    """Open the field's calendar by clicking its icon and click a day of the shown month."""
    group = driver.find_element(By.NAME, field_name).find_element(By.XPATH, "..")
    group.find_element(By.CSS_SELECTOR, ".input-group-addon").click()
    picker = WebDriverWait(driver, 10).until(expected_conditions.visibility_of_element_located(
        (By.CSS_SELECTOR, ".datepicker-dropdown")))
    cells = picker.find_elements(By.XPATH, ".//td[contains(@class,'day') and "
                                           "not(contains(@class,'old')) and "
                                           f"not(contains(@class,'new')) and text()='{day}']")
    cells[0].click()
    field = driver.find_element(By.NAME, field_name)
    WebDriverWait(driver, 10).until(lambda _d: field.get_attribute("value"))
    field.send_keys(Keys.ESCAPE)  # the calendar stays open until dismissed
    WebDriverWait(driver, 10).until(expected_conditions.invisibility_of_element_located(
        (By.CSS_SELECTOR, ".datepicker-dropdown")))
    return field.get_attribute("value")


def submit(driver, form):
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, 10).until(expected_conditions.staleness_of(form))


def test_clerk_adds_a_reception_and_an_expense_in_chromium(chrome, live_url, api, session):  # noqa: F811
    customer = api("clerk1").post("/api/v1/customer/", json={"customer_type": "important", "name": unique("浏览器接待")})
    assert customer.status_code == 201
    visitors = unique("陈总")
    sign_in(chrome, live_url, "clerk1")
    for path in ("/receptionview/list/", "/receptioncosts/", "/receptionexpenseview/list/",
                 "/receptionview/add"):
        chrome.get(live_url + path)
        text = chrome.find_element(By.TAG_NAME, "body").text
        assert not ENGLISH.search(text), (path, ENGLISH.search(text).group(0))
    search_customer(chrome, "customer", customer.json["result"]["name"])  # type, then pick
    chrome.find_element(By.NAME, "notice_from").send_keys("销售一部")
    chrome.find_element(By.NAME, "visitor_names").send_keys(visitors)
    count = chrome.find_element(By.NAME, "visitor_count")
    count.clear()
    count.send_keys("3")
    chrome.find_element(By.NAME, "purpose").send_keys("考察新品")
    arrival = pick_day(chrome, "arrival", "10")
    departure = pick_day(chrome, "departure", "11")
    assert arrival.endswith("-10") and departure.endswith("-11"), (arrival, departure)
    chrome.find_element(By.NAME, "arrival").send_keys(" 09:30")
    chrome.find_element(By.NAME, "need_meal").click()
    meal = chrome.find_element(By.NAME, "meal_estimate")
    meal.clear()
    meal.send_keys("880.00")
    chrome.find_element(By.NAME, "plan").send_keys("会议室座谈，公司餐厅用餐")
    submit(chrome, chrome.find_element(By.CSS_SELECTOR, "form#model_form"))
    row = session.scalar(select(Reception).where(Reception.visitor_names == visitors))
    assert row is not None, chrome.find_element(By.TAG_NAME, "body").text[:500]
    assert row.arrival.strftime("%d %H:%M") == "10 09:30" and row.departure.day == 11
    assert row.estimated_cost == Decimal("880.00") and row.status == "notified"

    chrome.get(f"{live_url}/receptionview/show/{row.id}")
    form = chrome.find_element(By.CSS_SELECTOR, "form.expense-add")
    Select(form.find_element(By.NAME, "category")).select_by_visible_text("交通")
    form.find_element(By.NAME, "amount").send_keys("126.40")
    form.find_element(By.NAME, "invoice_no").send_keys("FP2026001")
    submit(chrome, form)
    assert f"/receptionview/show/{row.id}" in chrome.current_url
    line = session.scalar(select(ReceptionExpense).where(
        ReceptionExpense.reception_id == row.id))
    assert line.category == "transport" and line.amount == Decimal("126.40")
    assert "126.40" in chrome.find_element(By.CSS_SELECTOR, ".expense-total").text
