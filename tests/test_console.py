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


# --- required choices start empty; related registers searched as you type ---------------
def test_complaint_add_form_starts_with_empty_category_and_customer(browser):
    html = browser("clerk1").text("/complaintview/add")
    category = re.search(r'<select[^>]*name="category".*?</select>', html, re.S).group(0)
    assert 'selected' not in category.split("</option>", 1)[1]  # nothing but "—" chosen
    customer = re.search(r'<select[^>]*name="customer".*?</select>', html, re.S).group(0)
    assert "console-search-select" in customer and "selected" not in customer
    assert "__None" not in html


def test_customer_search_answers_only_rows_in_scope(browser, api):
    mine = new_customer(api, "clerk1")
    theirs = new_customer(api, "clerk3")
    b = browser("clerk1")
    r = b.get("/contactview/search_related/customer?q=客户")
    ids = {row["id"] for row in r.json["results"]}
    assert theirs not in ids and len(r.json["results"]) <= 20
    name = api("clerk1").get(f"/api/v1/customer/{mine}").json["result"]["name"]
    r = b.get(f"/contactview/search_related/customer?q={name}")
    assert [row["id"] for row in r.json["results"]] == [mine]


def test_customer_out_of_scope_is_refused_on_the_form(browser, api, session):
    from app.models.customers import Contact
    theirs = new_customer(api, "clerk3")
    before = count(session, Contact)
    r = browser("clerk1").post("/contactview/add", data={"customer": str(theirs),
                                                         "name": unique("联系人")})
    assert r.status_code == 200 and "选项无效" in flashes(r.get_data(as_text=True))
    assert count(session, Contact) == before


def test_contact_saved_with_a_searched_customer(browser, api, session):
    from app.models.customers import Contact
    customer_id = new_customer(api)
    name = unique("联系人")
    r = browser("clerk1").post("/contactview/add", data={"customer": str(customer_id),
                                                         "name": name})
    assert r.status_code == 302
    contact = session.scalar(select(Contact).where(Contact.name == name))
    assert contact.customer_id == customer_id
