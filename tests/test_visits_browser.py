# ruff: noqa: F811
"""客户拜访 in real Chromium: a Supervisor drafts this month's plan and adds an item (the
customer fills address and contact), a Clerk records a visit — select2 boxes and date
pickers clicked as a person would."""
from datetime import date

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from app.models.customers import Customer
from app.models.visits import VisitPlan, VisitPlanItem, VisitRecord
from app.timeutil import today_cn
from tests.conftest import unique
from tests.test_browser import body_text, chrome, live_url, sign_in, submit  # noqa: F401, F811


def wait(chrome, seconds=10):
    return WebDriverWait(chrome, seconds)


def choose(chrome, field, text):
    """Open the select2 box of `field`, type, and click the matching option."""
    container = chrome.find_element(By.CSS_SELECTOR, f"#{field} + .select2-container")
    container.find_element(By.CSS_SELECTOR, ".select2-selection").click()
    search = wait(chrome).until(ec.visibility_of_element_located(
        (By.CSS_SELECTOR, ".select2-container--open .select2-search__field")))
    search.send_keys(text)
    for attempt in range(3):  # results of an ajax box re-render while the typed text arrives
        option = wait(chrome).until(ec.element_to_be_clickable((
            By.XPATH, f"//li[contains(@class,'select2-results__option') and contains(., '{text}')]")))
        try:
            option.click()
            return
        except StaleElementReferenceException:
            if attempt == 2:
                raise


def pick_day(chrome, field, day: int):
    """Open the date picker of `field` (shown at the current month) and click `day`."""
    box = chrome.find_element(By.ID, field)
    box.clear()
    box.click()
    cell = wait(chrome).until(ec.element_to_be_clickable((
        By.XPATH, "//div[contains(@class,'datepicker-dropdown')]//div[contains(@class,"
                  f"'datepicker-days')]//td[contains(@class,'day') and not(contains(@class,'old'))"
                  f" and not(contains(@class,'new')) and normalize-space()='{day}']")))
    cell.click()
    box.send_keys(Keys.ESCAPE)


def test_supervisor_drafts_a_plan_and_adds_an_item(chrome, live_url, api, session):
    customer_name = unique("浏览器拜访客户")
    clerk3 = api("clerk3")
    customer = clerk3.post("/api/v1/customer/", json={"customer_type": "important",
        "name": customer_name, "cooperation": "active", "address": "宁波市江北区 8 号"}).json["id"]
    clerk3.post("/api/v1/contact/", json={"customer": customer, "name": "周总", "title": "董事长",
                                          "phone": "13900000000", "is_decision_maker": True})
    month = today_cn().strftime("%Y-%m")
    sign_in(chrome, live_url, "supervisor2")
    chrome.get(live_url + "/visitplanview/add")
    chrome.find_element(By.NAME, "month").clear()
    chrome.find_element(By.NAME, "month").send_keys(month)
    chrome.find_element(By.NAME, "title").send_keys("本月客户拜访计划")
    submit(chrome)
    plan = session.scalars(select(VisitPlan).where(VisitPlan.month == month,
                                                   VisitPlan.title == "本月客户拜访计划")).one()
    chrome.get(f"{live_url}/visitplanview/show/{plan.id}")
    chrome.find_element(By.CSS_SELECTOR, "a.add-item-link").click()
    wait(chrome).until(ec.presence_of_element_located((By.ID, "purpose")))
    choose(chrome, "customer", customer_name)
    wait(chrome).until(lambda c: c.find_element(By.ID, "contact_info").get_attribute("value"))
    assert chrome.find_element(By.ID, "address").get_attribute("value") == "宁波市江北区 8 号"
    assert chrome.find_element(By.ID, "contact_info").get_attribute("value") == \
        "周总 董事长 13900000000"
    choose(chrome, "visitor", "刘洋")
    chrome.find_element(By.ID, "purpose").send_keys("介绍新品面料")
    pick_day(chrome, "deadline", 28)
    submit(chrome)
    assert "客户拜访计划表" in body_text(chrome)
    item = session.scalars(select(VisitPlanItem).where(VisitPlanItem.visit_plan_id == plan.id)
                           ).one()
    assert item.customer_id == customer and item.contact_info == "周总 董事长 13900000000"
    assert item.deadline == today_cn().replace(day=28)
    assert item.owner_id == item.visitor_id


def test_clerk_records_a_planned_visit(chrome, live_url, api, session):
    """The task chosen first sets its customer; the visit after its 拜访时限 is late."""
    name = unique("浏览器记录客户")
    clerk3, sup2 = api("clerk3"), api("supervisor2")
    customer = clerk3.post("/api/v1/customer/", json={"customer_type": "important", "name": name,
                                                      "cooperation": "active"}).json["id"]
    plan = sup2.post("/api/v1/visit_plan/", json={"month": "1989-12", "title": "旧计划"}).json["id"]
    clerk3_id = clerk3.get(f"/api/v1/customer/{customer}").json["result"]["owner"]["id"]
    item = sup2.post("/api/v1/visit_plan_item/", json={
        "visit_plan": plan, "customer": customer, "visitor": clerk3_id,
        "purpose": "浏览器回访", "deadline": "1989-12-20"}).json["id"]
    sup2.post(f"/api/v1/visit_plan/{plan}/transition/submit", json={})
    api("executive").post(f"/api/v1/visit_plan/{plan}/transition/approve", json={})
    sign_in(chrome, live_url, "clerk3")
    chrome.get(live_url + "/visitrecordview/add")
    wait(chrome).until(ec.presence_of_element_located((By.ID, "needs")))
    choose(chrome, "visit_plan_item", "浏览器回访")
    wait(chrome).until(lambda c: c.execute_script("return $('#customer').val()") == str(customer))
    pick_day(chrome, "visit_date", 1)
    chrome.find_element(By.ID, "needs").send_keys("希望缩短交货周期")
    chrome.find_element(By.ID, "unsolved").send_keys("账期要求超出权限")
    submit(chrome)
    record = session.scalars(select(VisitRecord).where(VisitRecord.customer_id == customer)).one()
    assert record.visit_date == date(today_cn().year, today_cn().month, 1)
    assert record.visit_plan_item_id == item and record.late is True
    assert record.status == "draft" and record.unsolved == "账期要求超出权限"
    assert session.get(Customer, customer).name == name


def test_contacts_met_offers_only_the_chosen_customers_contacts(chrome, live_url, api, session):
    clerk3 = api("clerk3")
    first, second = unique("接待甲客户"), unique("接待乙客户")
    ids = {}
    for name, contacts in ((first, [("周总", "董事长"), ("吴工", None)]),
                           (second, [("郑经理", "采购经理")])):
        ids[name] = clerk3.post("/api/v1/customer/", json={
            "customer_type": "group", "name": name, "cooperation": "active"}).json["id"]
        for person, title in contacts:
            clerk3.post("/api/v1/contact/", json={"customer": ids[name], "name": person,
                                                  "title": title,
                                                  "is_decision_maker": title == "董事长"})
    sign_in(chrome, live_url, "clerk3")
    chrome.get(live_url + "/visitrecordview/add")
    wait(chrome).until(ec.presence_of_element_located((By.ID, "needs")))

    def offered():
        return chrome.execute_script(
            "return $('#contacts_met option').map(function () { return this.text; }).get()")

    assert offered() == []  # no customer chosen yet
    choose(chrome, "customer", first)
    wait(chrome).until(lambda c: offered() == ["周总（董事长）", "吴工"])
    choose(chrome, "contacts_met", "周总")
    choose(chrome, "customer", second)
    wait(chrome).until(lambda c: offered() == ["郑经理（采购经理）"])
    choose(chrome, "contacts_met", "郑经理")
    chrome.find_element(By.ID, "result").send_keys("客户满意")
    submit(chrome)
    record = session.scalars(select(VisitRecord)
                             .where(VisitRecord.customer_id == ids[second])).one()
    assert [c.name for c in record.contacts_met] == ["郑经理"]
