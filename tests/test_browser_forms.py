"""Every add and edit form of every register, and FAB's user forms, driven once in headless
Chromium as a person would: date pickers clicked, date-and-time fields clicked into and out
of (their time must survive), the form saved.

Table-driven: a register added later appends one `Form(...)` line to FORMS (and, for its
edit form, a row made in `rows()`).
"""
import re
from dataclasses import dataclass, field

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from app.demo import DEMO_PASSWORD
from app.models.complaints import Complaint
from app.models.org import Department
from tests.conftest import Api, unique
from tests.test_browser import chrome, live_url, sign_in  # noqa: F401  (fixtures)

U = "{unique}"  # a fresh unique text for this field
RECEIVED = "2026-11-30T12:46:12"  # a complaint's 受理时间: date and time, to the second


@dataclass
class Form:
    name: str
    path: str  # {row} is replaced by the id of rows()[name]
    user: str
    values: dict = field(default_factory=dict)  # field name → value (U: unique text)
    done: str = "alert-success"  # what the page after saving shows


FORMS = [
    Form("customer add", "/customerview/add", "clerk1", {"name": U, "customer_type": "group"}),
    Form("customer edit", "/customerview/edit/{row}", "clerk1", {"phone": "0571-1"}),
    Form("contact add", "/contactview/add", "clerk1", {"customer": "{customer}", "name": U}),
    Form("contact edit", "/contactview/edit/{row}", "clerk1", {"title": "经理"}),
    Form("transaction add", "/transactionview/add", "clerk1",
         {"customer": "{customer}", "product": U, "amount": "100.00", "collected": "0"}),
    Form("transaction edit", "/transactionview/edit/{row}", "clerk1", {"product": U}),
    Form("development plan add", "/developmentplanview/add", "clerk1",
         {"customer": "{customer}", "objective": U, "end_date": "2026-12-31"}),
    Form("development plan edit", "/developmentplanview/edit/{row}", "clerk1",
         {"objective": U, "end_date": "2026-12-31"}),
    Form("archive loan add", "/archiveloanview/add", "clerk1",
         {"customer": "{customer}", "document": U, "borrower": "王明",
          "due_on": "2026-12-31"}),
    Form("archive loan edit", "/archiveloanview/edit/{row}", "clerk1",
         {"purpose": U, "due_on": "2026-12-31"}),
    Form("complaint add", "/complaintview/add", "clerk1",
         {"customer": "{customer}", "received_at": RECEIVED, "complainant": U,
          "category": "general", "description": U}),
    Form("complaint edit", "/complaintview/edit/{row}", "clerk1", {"complainant": U}),
    Form("improvement measure add", "/improvementmeasureview/add", "clerk1",
         {"source_type": "complaint", "complaint": "{complaint}", "problem": U, "measure": U}),
    Form("improvement measure edit", "/improvementmeasureview/edit/{row}", "clerk1",
         {"measure": U}),
    Form("grade evaluation add", "/gradeevaluationview/add", "clerk1",
         {"customer": "{customer}", "year": "2026"}),
    Form("grade evaluation edit", "/gradeevaluationview/edit/{row}", "clerk1",
         {"score_credit": "3"}),
    Form("grading rule add", "/gradingruleview/add", "admin", {"name": U, "active": False}),
    Form("grading rule edit", "/gradingruleview/edit/{row}", "admin", {"notes": U}),
    Form("department add", "/departmentview/add", "admin", {"name": U}),
    Form("department edit", "/departmentview/edit/{row}", "admin", {"name": U}),
    Form("workday override add", "/workdayoverrideview/add", "admin", {"note": U}),
    Form("workday override edit", "/workdayoverrideview/edit/{row}", "admin", {"note": U}),
    # FAB's own forms
    Form("user add", "/users/add", "admin",
         {"first_name": "明", "last_name": "王", "username": U, "email": U + "@example.com",
          "roles": "{clerk_role}", "department": "{department}", "password": "Qiang-Mima-2026",
          "conf_password": "Qiang-Mima-2026"}),
    Form("user reset password", "/resetpassword/form?pk={row}", "admin",
         {"password": "Qiang-Mima-2027", "conf_password": "Qiang-Mima-2027"}, "alert-info"),
    Form("own user info", "/consoleuserinfoeditview/form", "{own}", {"last_name": "改名"},
         "alert-info"),
    Form("own password", "/resetmypassword/form", "{own}",
         {"password": "Qiang-Mima-2028", "conf_password": "Qiang-Mima-2028"}, "alert-info"),
]


@pytest.fixture(scope="module")
def rows(app):
    """The rows the edit forms open, made over the API; and the users the user forms need."""
    clerk, admin = Api(app, "clerk1"), Api(app, "admin")

    def post(client, resource, **body):
        r = client.post(f"/api/v1/{resource}/", json=body)
        assert r.status_code == 201, (resource, r.json)
        return r.json["id"]

    customer = post(clerk, "customer", customer_type="important", name=unique("表单客户"))
    complaint = post(clerk, "complaint", customer=customer, complainant="张先生",
                     category="general", description="空调不制冷",
                     received_at="2026-11-30T09:15:42")
    with app.app_context():
        sm = app.appbuilder.sm
        own, other = unique("own"), unique("other")
        for username in (own, other):
            sm.add_user(username, "表", "单", f"{username}@example.com", sm.find_role("Clerk"),
                        password=DEMO_PASSWORD)
        other_id = sm.find_user(username=other).id
        clerk_role = sm.find_role("Clerk").id
        department = app.appbuilder.session.scalar(
            select(Department.id).where(Department.name == "销售一部"))
    made = {
        "customer": customer, "clerk_role": clerk_role, "own": own, "department": department,
        "customer edit": customer,
        "contact edit": post(clerk, "contact", customer=customer, name=unique("联系人")),
        "transaction edit": post(clerk, "transaction", customer=customer, date="2026-03-02",
                                 product=unique("产品"), amount="10.00"),
        "development plan edit": post(clerk, "development_plan", customer=customer,
                                      objective=unique("目标"), start_date="2026-01-01",
                                      end_date="2026-06-30"),
        "archive loan edit": post(clerk, "archive_loan", customer=customer,
                                  document=unique("资料"), borrower="王明", due_on="2026-12-31"),
        "complaint edit": complaint, "complaint": complaint,
        "improvement measure edit": post(clerk, "improvement_measure", source_type="complaint",
                                         complaint=post(clerk, "complaint", customer=customer,
                                                        complainant="李先生", category="general",
                                                        description="噪音"),
                                         problem=unique("问题"), measure=unique("措施")),
        "grade evaluation edit": post(clerk, "grade_evaluation", customer=post(
            clerk, "customer", customer_type="group", name=unique("评定客户")), year=2025, score_sales=5,
            score_price=4, score_payment=4, score_cooperation=3, score_potential=3,
            score_credit=3),
        "department edit": post(admin, "department", name=unique("部门")),
        "user reset password": other_id,
    }
    rule = admin.get("/api/v1/grading_rule/").json["ids"][0]
    made["grading rule edit"] = rule
    override = admin.post("/api/v1/workday_override/", json={
        "date": "2099-10-08", "is_workday": True, "note": unique("调休")})
    made["workday override edit"] = override.json["id"] if override.status_code == 201 else \
        admin.get("/api/v1/workday_override/").json["ids"][0]
    return made


def _fill(value: str, rows: dict) -> str:
    if value == U:
        return unique("表单")
    if U in value:
        return value.replace(U, unique("表单"))
    return value.format(**{k: v for k, v in rows.items() if isinstance(v, (int, str))})


def pick_date(web, element):
    """Click into a date field, click a day in FAB's picker: the field holds that date."""
    element.click()
    picker = WebDriverWait(web, 5).until(expected_conditions.visibility_of_element_located(
        (By.CSS_SELECTOR, ".datepicker-dropdown")))
    picker.find_element(By.CSS_SELECTOR, "td.day:not(.old):not(.new)").click()
    assert re.fullmatch(r"\d{4}-\d{2}-01", element.get_attribute("value")), \
        element.get_attribute("value")
    web.find_element(By.TAG_NAME, "h1" if web.find_elements(By.TAG_NAME, "h1")
                        else "body").click()


def set_value(web, element, value):
    kind = element.get_attribute("type")
    if element.tag_name == "select":
        web.execute_script(
            "var s = arguments[0], v = arguments[1];"
            "var vals = Array.isArray(v) ? v : [v];"
            # a search-as-you-type (Select2 ajax) box holds only the chosen option: add it
            # as Select2 does when a match is clicked (test_browser_day types and clicks)
            "vals.forEach(x => { if (!Array.from(s.options).some(o => o.value == x))"
            " { s.add(new Option(x, x)); } });"
            "Array.from(s.options).forEach(o => o.selected = vals.includes(o.value));"
            "if (window.jQuery) { jQuery(s).trigger('change'); }", element, value)
    elif kind == "checkbox":
        if element.is_selected() != bool(value):
            element.click()
    elif kind in ("datetime-local", "date"):
        web.execute_script("arguments[0].value = arguments[1];"
                              "arguments[0].dispatchEvent(new Event('change'))", element, value)
    else:
        element.clear()
        element.send_keys(value)


def click_in_and_out(web, element):
    """What broke 受理时间: clicking into the field and out again."""
    before = element.get_attribute("value")
    element.click()
    web.find_element(By.TAG_NAME, "body").click()
    assert element.get_attribute("value") == before, (before, element.get_attribute("value"))
    return before


def drive(web, form_spec: Form, rows: dict) -> dict:
    form = web.find_element(By.CSS_SELECTOR, "form#model_form")
    seen = {}
    for element in form.find_elements(By.CSS_SELECTOR, "input, select, textarea"):
        name = element.get_attribute("name")
        kind = element.get_attribute("type")
        if not name or kind in ("hidden", "submit") or name == "csrf_token":
            continue
        classes = element.find_element(By.XPATH, "..").get_attribute("class") or ""
        if "appbuilder_date" in classes and element.is_displayed():
            pick_date(web, element)
            seen[name] = "date picked"
        if kind == "datetime-local":
            value = click_in_and_out(web, element)
            # the browser leaves ":00" seconds out of the value; the server reads both
            assert re.fullmatch(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?)?", value), value
            seen[name] = value
        if name in form_spec.values:
            raw = form_spec.values[name]
            set_value(web, element, raw if isinstance(raw, bool) else _fill(raw, rows))
            if kind == "datetime-local":
                assert click_in_and_out(web, element) == raw
        elif element.get_attribute("required") and not element.get_attribute("value"):
            if element.tag_name == "select":
                options = [o.get_attribute("value") for o in
                           element.find_elements(By.TAG_NAME, "option") if o.get_attribute("value")]
                set_value(web, element, options[0])
            elif kind == "number":
                set_value(web, element, "1")
            else:
                set_value(web, element, _fill(U, rows))
    missing = set(form_spec.values) - {e.get_attribute("name") for e in
                                       form.find_elements(By.CSS_SELECTOR, "[name]")}
    assert not missing, f"{form_spec.name}: no fields {missing}"
    form.find_element(By.CSS_SELECTOR, "button[type=submit], input[type=submit]").click()
    WebDriverWait(web, 15).until(expected_conditions.staleness_of(form))
    return seen


@pytest.mark.parametrize("spec", FORMS, ids=[f.name for f in FORMS])
def test_every_form_is_filled_and_saved_in_chromium(chrome, live_url, rows, spec):  # noqa: F811
    user = spec.user.format(**rows)
    sign_in(chrome, live_url, user)
    path = spec.path.format(row=rows.get(spec.name, ""), **{
        k: v for k, v in rows.items() if isinstance(v, (int, str))})
    chrome.get(live_url + path)
    assert chrome.find_elements(By.CSS_SELECTOR, "form#model_form"), (path, chrome.title)
    drive(chrome, spec, rows)
    html = chrome.page_source
    errors = re.findall(r'<span class="help-block">(.*?)</span>', html, re.S)
    assert spec.done in html, (spec.name, chrome.current_url, errors,
                               re.findall(r'class="alert[^"]*"[^>]*>(.*?)</div>', html, re.S))


def test_complaint_time_survives_the_form_to_the_database(chrome, live_url, rows,  # noqa: F811
                                                          session):
    """受理时间 with seconds, entered in the browser, is stored with its time."""
    sign_in(chrome, live_url, "clerk1")
    spec = next(f for f in FORMS if f.name == "complaint add")
    complainant = unique("时间")
    chrome.get(live_url + spec.path)
    drive(chrome, Form(spec.name, spec.path, spec.user,
                       {**spec.values, "complainant": complainant}), rows)
    stored = session.scalars(select(Complaint.received_at)
                             .where(Complaint.complainant == complainant)).all()
    assert [t.isoformat() for t in stored] == [RECEIVED]


def test_complaint_edit_form_shows_the_time_and_keeps_it(chrome, live_url, rows):  # noqa: F811
    sign_in(chrome, live_url, "clerk1")
    chrome.get(f"{live_url}/complaintview/edit/{rows['complaint edit']}")
    field_ = chrome.find_element(By.NAME, "received_at")
    assert field_.get_attribute("type") == "datetime-local"
    assert click_in_and_out(chrome, field_) == "2026-11-30T09:15:42"


def test_logout_in_the_user_menu_is_a_post_that_ends_the_session(chrome, live_url):  # noqa: F811
    sign_in(chrome, live_url, "clerk1")
    chrome.get(live_url + "/users/userinfo/")
    chrome.find_element(By.CSS_SELECTOR, "a.dropdown-toggle .fa-user").click()
    button = chrome.find_element(By.ID, "logout-button")
    WebDriverWait(chrome, 5).until(expected_conditions.element_to_be_clickable(button))
    button.click()
    WebDriverWait(chrome, 10).until(expected_conditions.staleness_of(button))
    chrome.get(live_url + "/users/userinfo/")
    assert "/login" in chrome.current_url


@pytest.mark.parametrize("user", ["clerk1", "finance", "executive"])
def test_profile_in_the_user_menu_opens_for_every_role(chrome, live_url, user):  # noqa: F811
    sign_in(chrome, live_url, user)
    chrome.get(live_url + "/")
    chrome.find_element(By.CSS_SELECTOR, "a.dropdown-toggle .fa-user").click()
    chrome.find_element(By.CSS_SELECTOR, "a[href='/users/userinfo/']").click()
    WebDriverWait(chrome, 10).until(expected_conditions.url_contains("/users/userinfo/"))
    assert "没有权限" not in chrome.find_element(By.TAG_NAME, "body").text
    chrome.find_element(By.CSS_SELECTOR, "a[id$='-resetmypassword']").click()
    WebDriverWait(chrome, 10).until(expected_conditions.url_contains("/resetmypassword/form"))
    assert "至少 8 位" in chrome.find_element(By.TAG_NAME, "body").text


def test_twelve_logins_in_a_row_all_succeed(chrome, live_url):  # noqa: F811
    """The login page's favicon request once raced its cookie (about 1 login in 12 failed)."""
    for _ in range(12):
        sign_in(chrome, live_url, "clerk1")
        assert "/login" not in chrome.current_url, chrome.find_element(By.TAG_NAME, "body").text
        assert "请求无效" not in chrome.find_element(By.TAG_NAME, "body").text
    icon = chrome.execute_async_script(
        "var done = arguments[0]; fetch('/favicon.ico').then(r => done(r.status));")
    assert icon == 200


def test_datetime_filter_in_the_list_search_picks_a_day(chrome, live_url, rows):  # noqa: F811
    """The search form's 受理时间 filter is a date picker (a date-and-time column is
    filtered by whole days: issue 22), and it filters."""
    sign_in(chrome, live_url, "clerk1")
    chrome.get(live_url + "/complaintview/list/")
    toggle = chrome.find_element(By.CSS_SELECTOR, "#filter_form .dropdown-toggle")
    if not toggle.is_displayed():  # the search panel starts folded
        chrome.find_element(By.CSS_SELECTOR, "a.accordion-toggle").click()
        WebDriverWait(chrome, 5).until(expected_conditions.visibility_of(toggle))
    toggle.click()
    chrome.find_element(By.CSS_SELECTOR, "a.filter[name='received_at']").click()
    value = WebDriverWait(chrome, 5).until(expected_conditions.presence_of_element_located(
        (By.CSS_SELECTOR, "#filter_form input[type='date']")))
    set_value(chrome, value, "2026-11-30")
    assert click_in_and_out(chrome, value) == "2026-11-30"
    errors = [e for e in chrome.get_log("browser") if e["level"] == "SEVERE"
              and "favicon" not in e["message"]]
    assert not errors, errors
    form = chrome.find_element(By.ID, "filter_form")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(chrome, 10).until(expected_conditions.staleness_of(form))
    assert "_flt_0_received_at=2026-11-30" in chrome.current_url, chrome.current_url
    assert "系统错误" not in chrome.find_element(By.TAG_NAME, "body").text


def test_customer_filter_in_the_list_search_is_typed_not_listed(chrome, live_url, app):  # noqa: F811
    """A list's 客户 filter searches as you type (a big register cannot be one dropdown),
    filters the list, and shows the chosen customer again on the filtered page."""
    clerk = Api(app, "clerk1")
    name = unique("筛选客户")
    customer = clerk.post("/api/v1/customer/", json={"customer_type": "important", "name": name}).json["id"]
    r = clerk.post("/api/v1/complaint/", json={
        "customer": customer, "complainant": "李女士", "category": "general",
        "description": unique("筛选投诉")})
    assert r.status_code == 201, r.json
    sign_in(chrome, live_url, "clerk1")
    chrome.get(live_url + "/complaintview/list/")
    toggle = chrome.find_element(By.CSS_SELECTOR, "#filter_form .dropdown-toggle")
    if not toggle.is_displayed():
        chrome.find_element(By.CSS_SELECTOR, "a.accordion-toggle").click()
        WebDriverWait(chrome, 5).until(expected_conditions.visibility_of(toggle))
    toggle.click()
    chrome.find_element(By.CSS_SELECTOR, "a.filter[name='customer']").click()
    box = WebDriverWait(chrome, 5).until(expected_conditions.element_to_be_clickable(
        (By.CSS_SELECTOR, "#filter_form select.console-search-select + .select2 "
                          ".select2-selection")))
    box.click()
    search = WebDriverWait(chrome, 5).until(expected_conditions.visibility_of_element_located(
        (By.CSS_SELECTOR, ".select2-container--open .select2-search__field")))
    search.send_keys(name)
    WebDriverWait(chrome, 10).until(expected_conditions.element_to_be_clickable(
        (By.XPATH, f"//li[contains(@class,'select2-results__option') and "
                   f"contains(., '{name}')]"))).click()
    form = chrome.find_element(By.ID, "filter_form")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(chrome, 10).until(expected_conditions.staleness_of(form))
    assert f"_customer={customer}" in chrome.current_url, chrome.current_url
    rows = chrome.find_elements(By.CSS_SELECTOR, "table.table:not(.filters) tbody tr")
    assert rows and all(name in row.text for row in rows)
    chosen = chrome.find_element(By.CSS_SELECTOR, "#filter_form select.console-search-select "
                                                  "+ .select2 .select2-selection__rendered")
    assert name in chosen.get_attribute("textContent")  # the search panel may be folded
