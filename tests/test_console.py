"""Issue 16: forms that keep input, Chinese validator messages, no raw values, the
permission matrix, 离职交接 links, names and labels a user of the console expects."""
import re

from sqlalchemy import func, select

from app.models.customers import Customer, DevelopmentPlan
from tests.conftest import flashes, unique


def text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def new_customer(api, username="clerk1") -> int:
    r = api(username).post("/api/v1/customer/", json={"name": unique("客户")})
    assert r.status_code == 201, r.json
    return r.json["id"]


def count(session, model) -> int:
    return session.scalar(select(func.count(model.id)))


# --- forms keep what was typed ---------------------------------------------------------
def test_refused_plan_stays_on_the_form_with_the_input_and_the_message(browser, api, session):
    customer_id = new_customer(api)
    objective = unique("开发目标")
    before = count(session, DevelopmentPlan)
    r = browser("clerk1").post("/developmentplanview/add", data={
        "customer": str(customer_id), "objective": objective,
        "start_date": "2026-05-01", "end_date": "2026-04-30"})
    assert r.status_code == 200  # the form again, not a redirect to the list
    html = r.get_data(as_text=True)
    assert objective in html and "2026-04-30" in html
    assert "结束日期不能早于开始日期" in flashes(html)
    assert count(session, DevelopmentPlan) == before


def test_refused_edit_keeps_the_input_and_changes_nothing(browser, api, session):
    pk = new_customer(api, "admin")
    r = browser("admin").post(f"/customerview/edit/{pk}", data={
        "name": unique("改名"), "customer_type": "important", "cooperation": "active",
        "status": "active", "credit_limit": "-5"})
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "信用额度不能为负数" in flashes(html)
    assert 'value="-5"' in html
    assert session.get(Customer, pk).credit_limit is None


def test_length_error_is_chinese(browser):
    r = browser("clerk1").post("/customerview/add", data={
        "name": "长" * 300, "customer_type": "important", "cooperation": "active",
        "status": "active"})
    message = flashes(r.get_data(as_text=True))
    assert "不能超过" in message and "longer" not in message


def test_required_error_is_chinese_in_traditional_and_english_in_english(browser):
    b = browser("clerk1")
    b.get("/lang/zh_TW")
    r = b.post("/customerview/add", data={"name": ""})
    assert "必填" in flashes(r.get_data(as_text=True))
    b.get("/lang/en")
    r = b.post("/customerview/add", data={"name": ""})
    assert "required" in flashes(r.get_data(as_text=True))
    b.get("/lang/zh")
