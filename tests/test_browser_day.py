"""A day's work in real Chromium (issue 16): every add and edit form of every register
submitted once with its widgets clicked (Select2 customer search, date pickers), a
customer → contact → complaint through to the Supervisor's 结案, a development plan
through to the approvals, an export opened with openpyxl, an admin creating a user,
granting a step in the 权限矩阵 and handing a leaver over, zh_TW and en — and no request
ever leaves 127.0.0.1.

Registers are table-driven: a new register is one line in FORMS.
"""
import glob
import os
import re
import tempfile
import time
from urllib.parse import urlparse

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select

from tests.conftest import unique
from tests.test_browser import CHROMIUM, DRIVER, live_url  # noqa: F401  (fixture)

DOWNLOADS = tempfile.mkdtemp(prefix="console-downloads-")


@pytest.fixture(scope="module")
def chrome():
    import shutil
    if not (shutil.which(CHROMIUM) and shutil.which(DRIVER)):
        if os.environ.get("CI"):
            pytest.fail("CI must install chromium and chromium-driver")
        pytest.skip("Debian chromium/chromium-driver not installed")
    from tools.screenshot import driver
    browser = driver(download_dir=DOWNLOADS)
    yield browser
    browser.quit()


@pytest.fixture(autouse=True)
def stays_on_127_0_0_1(chrome):
    """Whatever a test does, the browser asks nothing of any host but the console's."""
    from tools.screenshot import requested_urls
    requested_urls(chrome)
    yield
    outside = [u for u in requested_urls(chrome)
               if urlparse(u).scheme in ("http", "https", "ws", "wss")
               and urlparse(u).hostname != "127.0.0.1"]
    assert not outside, outside


def wait(chrome, condition, timeout=10):
    return WebDriverWait(chrome, timeout).until(condition)


def sign_in(chrome, live_url, user, lang="zh"):  # noqa: F811
    from tools.screenshot import login
    chrome.delete_all_cookies()
    login(chrome, live_url, user)
    chrome.get(f"{live_url}/lang/{lang}")


def field(chrome, name):
    return chrome.find_element(By.CSS_SELECTOR, f"form#model_form [name='{name}']")


# --- widgets, clicked as a person would ---------------------------------------------------
def type_text(chrome, name, value):
    el = field(chrome, name)
    el.clear()
    el.send_keys(value)


def choose(chrome, name, label):
    Select(field(chrome, name)).select_by_visible_text(label)


def search_customer(chrome, name, text):
    """Select2 ajax: open the box, type, click the match."""
    box = field(chrome, name).find_element(By.XPATH, "following-sibling::span[contains(@class,'select2')]")
    box.find_element(By.CSS_SELECTOR, ".select2-selection").click()
    search = wait(chrome, EC.visibility_of_element_located(
        (By.CSS_SELECTOR, ".select2-container--open .select2-search__field")))
    search.send_keys(text)
    xpath = f"//li[contains(@class,'select2-results__option') and contains(., '{text}')]"
    for _attempt in range(10):  # the list is redrawn when the answer to the typing arrives
        try:
            wait(chrome, EC.element_to_be_clickable((By.XPATH, xpath))).click()
            break
        except StaleElementReferenceException:
            time.sleep(0.2)
    assert field(chrome, name).get_attribute("value"), (name, text)


def pick_date(chrome, name, months_ahead=1, day=15):
    """bootstrap-datepicker: click the field, page to the month, click the day."""
    field(chrome, name).click()
    picker = wait(chrome, EC.visibility_of_element_located(
        (By.CSS_SELECTOR, ".datepicker-dropdown .datepicker-days")))
    arrow = "next" if months_ahead >= 0 else "prev"
    for _i in range(abs(months_ahead)):
        picker.find_element(By.CSS_SELECTOR, f"th.{arrow}").click()
    picker.find_element(By.XPATH, f".//td[contains(@class,'day') and not(contains(@class,'old'))"
                                  f" and not(contains(@class,'new')) and normalize-space()='{day}']").click()
    field(chrome, name).send_keys(Keys.ESCAPE)
    assert re.match(r"\d{4}-\d{2}-\d{2}", field(chrome, name).get_attribute("value"))


def tick(chrome, name):
    field(chrome, name).click()


def submit(chrome):
    form = chrome.find_element(By.CSS_SELECTOR, "form#model_form")
    invalid = chrome.execute_script(
        "return Array.from(document.querySelectorAll('form#model_form :invalid'))"
        ".map(e => e.name + ': ' + e.validationMessage)")
    assert not invalid, invalid  # the browser would refuse to send the form
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(chrome, EC.staleness_of(form))
    text = chrome.find_element(By.TAG_NAME, "body").text
    alerts = " ".join(e.text for e in chrome.find_elements(By.CSS_SELECTOR, ".alert-danger"))
    return text, alerts


def fill(chrome, spec, ctx):
    for name, kind, value in spec:
        value = value(ctx) if callable(value) else value
        {"text": type_text, "select": choose, "customer": search_customer, "date": pick_date,
         "tick": lambda c, n, _v: tick(c, n)}[kind](chrome, name, value)


# --- every add and edit form, once (one line per register) -----------------------------
# (list path, user, add fields, the text field the edit changes)
FORMS = [
    ("customerview", "clerk1", [("name", "text", lambda c: c["customer"]),
                                ("customer_type", "select", "重要客户"),
                                ("cooperation", "select", "合作中"),
                                ("is_key", "tick", None)], "industry"),
    ("contactview", "clerk1", [("customer", "customer", lambda c: c["customer"]),
                               ("name", "text", lambda c: unique("联系人")),
                               ("birthday", "date", -13)], "title"),
    ("transactionview", "clerk1", [("customer", "customer", lambda c: c["customer"]),
                                   ("date", "date", -1), ("product", "text", "钢材"),
                                   ("amount", "text", "12345.60"),
                                   ("collected", "text", "1000")], "notes"),
    ("developmentplanview", "clerk1", [("customer", "customer", lambda c: c["customer"]),
                                       ("objective", "text", lambda c: unique("开发目标")),
                                       ("start_date", "date", 1), ("end_date", "date", 3)],
     "steps"),
    ("archiveloanview", "clerk1", [("customer", "customer", lambda c: c["customer"]),
                                   ("document", "text", lambda c: unique("合同")),
                                   ("borrower", "text", "王明"), ("due_on", "date", 1)],
     "purpose"),
    ("complaintview", "clerk1", [("customer", "customer", lambda c: c["customer"]),
                                 ("channel", "select", "电话"),
                                 ("complainant", "text", "李先生"),
                                 ("category", "select", "一般责任投诉"),
                                 ("description", "text", lambda c: unique("投诉内容"))],
     "contact_info"),
    ("improvementmeasureview", "clerk1", [("complaint", "customer", "TS"),
                                          ("problem", "text", lambda c: unique("问题")),
                                          ("measure", "text", "加强培训"),
                                          ("responsible", "text", "王明"),
                                          ("due_date", "date", 1)], "result"),
    # the customer last: choosing it asks for suggested scores, which fill empty fields only
    ("gradeevaluationview", "clerk1", [("year", "text", "2026"),
                                       *[(f, "text", "80") for f in (
                                           "score_sales", "score_price", "score_payment",
                                           "score_cooperation", "score_potential",
                                           "score_credit")],
                                       ("customer", "customer", lambda c: c["customer"])],
     None),
    ("departmentview", "admin", [("name", "text", lambda c: unique("部门"))], "name"),
    ("workdayoverrideview", "admin", [("date", "date", 14), ("note", "text", "调休")], "note"),
    # untick 启用: activating a rule would retire the rule the other tests grade with
    ("gradingruleview", "admin", [("name", "text", lambda c: unique("规则")),
                                  ("active", "tick", None)], "notes"),
]


@pytest.fixture(scope="module")
def day(app, live_url):  # noqa: F811
    """The customer the day's forms are about, made through the API by clerk1."""
    from tests.conftest import Api
    name = unique("浏览器客户")
    r = Api(app, "clerk1").client
    token = Api(app, "clerk1").headers
    created = r.post("/api/v1/customer/", json={"customer_type": "important", "name": name}, headers=token)
    assert created.status_code == 201
    return {"customer": name, "customer_id": created.json["id"]}


@pytest.mark.parametrize("path,user,spec,edit", FORMS, ids=[f[0] for f in FORMS])
def test_every_form_is_submitted_once_with_its_widgets(chrome, live_url, day, path, user,  # noqa: F811
                                                       spec, edit):
    sign_in(chrome, live_url, user)
    ctx = dict(day)
    if path == "customerview":
        ctx["customer"] = unique("表单客户")
    chrome.get(f"{live_url}/{path}/add")
    fill(chrome, spec, ctx)
    text, errors = submit(chrome)
    assert not errors, (path, errors)
    assert "/add" not in chrome.current_url, (path, text[:300])
    if edit is None:
        return
    # the newest row of this user: the list sorted by id, first row's edit link
    chrome.get(f"{live_url}/{path}/list/?_oc_{path_view(path)}=id&_od_{path_view(path)}=desc")
    link = chrome.find_element(By.CSS_SELECTOR, f"a[href*='/{path}/edit/']")
    link.click()
    wait(chrome, EC.presence_of_element_located((By.CSS_SELECTOR, "form#model_form")))
    type_text(chrome, edit, unique("改"))
    text, errors = submit(chrome)
    assert not errors, (path, errors)
    assert "/edit/" not in chrome.current_url, (path, text[:300])


def path_view(path):
    names = {"customerview": "CustomerView", "contactview": "ContactView",
             "transactionview": "TransactionView", "developmentplanview": "DevelopmentPlanView",
             "archiveloanview": "ArchiveLoanView", "complaintview": "ComplaintView",
             "improvementmeasureview": "ImprovementMeasureView",
             "departmentview": "DepartmentView", "workdayoverrideview": "WorkdayOverrideView",
             "gradingruleview": "GradingRuleView", "gradeevaluationview": "GradeEvaluationView"}
    return names[path]


# --- a day's work, start to finish ---------------------------------------------------------
def add(chrome, live_url, path, spec, ctx):  # noqa: F811
    chrome.get(f"{live_url}/{path}/add")
    fill(chrome, spec, ctx)
    _text, errors = submit(chrome)
    assert not errors and "/add" not in chrome.current_url, errors


def run_step(chrome, live_url, path, pk, step, comment=None, fields=()):  # noqa: F811
    """On the row's page: fill what the step needs, click the step's one button."""
    chrome.get(f"{live_url}/{path}/show/{pk}")
    buttons = chrome.find_elements(By.CSS_SELECTOR, f"button[data-step='{step}']")
    assert len(buttons) == 1, (step, len(buttons))  # one place per step
    form = buttons[0].find_element(By.XPATH, "ancestor::form")
    for name, value in fields:
        form.find_element(By.NAME, name).send_keys(value)
    if comment:
        form.find_element(By.NAME, "comment").send_keys(comment)
    buttons[0].click()
    wait(chrome, EC.staleness_of(form))
    text = chrome.find_element(By.TAG_NAME, "body").text
    assert not chrome.find_elements(By.CSS_SELECTOR, ".alert-danger"), text[:400]
    return text


def test_clerk_customer_contact_complaint_to_the_supervisors_close(chrome, live_url,  # noqa: F811
                                                                   session):
    from app.models.complaints import Complaint
    from app.models.customers import Contact, Customer
    sign_in(chrome, live_url, "clerk1")
    ctx = {"customer": unique("一天客户"), "contact": unique("联系人"),
           "description": unique("质量投诉")}
    add(chrome, live_url, "customerview", FORMS[0][2], ctx)
    add(chrome, live_url, "contactview", [("customer", "customer", ctx["customer"]),
                                          ("name", "text", ctx["contact"])], ctx)
    add(chrome, live_url, "complaintview", [
        ("customer", "customer", ctx["customer"]), ("complainant", "text", ctx["contact"]),
        ("category", "select", "一般责任投诉"), ("description", "text", ctx["description"])], ctx)
    customer = session.scalar(select(Customer).where(Customer.name == ctx["customer"]))
    assert session.scalar(select(Contact).where(Contact.name == ctx["contact"])).customer_id \
        == customer.id
    pk = session.scalar(select(Complaint.id).where(Complaint.description == ctx["description"]))
    run_step(chrome, live_url, "complaintview", pk, "handle")
    run_step(chrome, live_url, "complaintview", pk, "resolve",
             fields=[("resolution", "更换批次并致歉")])
    run_step(chrome, live_url, "complaintview", pk, "follow_up",
             fields=[("followup_result", "客户满意")])
    sign_in(chrome, live_url, "supervisor1")
    run_step(chrome, live_url, "complaintview", pk, "close")
    complaint = session.get(Complaint, pk, populate_existing=True)
    assert complaint.status == "closed" and complaint.resolved_at and complaint.followed_up_at


def test_development_plan_through_review_and_approval(chrome, live_url, day, session):  # noqa: F811
    from app.models.customers import DevelopmentPlan
    sign_in(chrome, live_url, "clerk1")
    objective = unique("开发目标")
    add(chrome, live_url, "developmentplanview", [
        ("customer", "customer", day["customer"]), ("objective", "text", objective),
        ("start_date", "date", 1), ("end_date", "date", 2)], day)
    pk = session.scalar(select(DevelopmentPlan.id).where(DevelopmentPlan.objective == objective))
    run_step(chrome, live_url, "developmentplanview", pk, "submit")
    sign_in(chrome, live_url, "supervisor1")
    run_step(chrome, live_url, "developmentplanview", pk, "review", comment="同意")
    sign_in(chrome, live_url, "executive")
    run_step(chrome, live_url, "developmentplanview", pk, "approve")
    assert session.get(DevelopmentPlan, pk, populate_existing=True).status == "approved"


def test_export_opens_in_openpyxl_with_money_formatted(chrome, live_url, day, app):  # noqa: F811
    import openpyxl

    from app.timeutil import today_cn
    from tests.conftest import Api
    product = unique("导出产品")
    clerk = Api(app, "clerk1")
    r = clerk.client.post("/api/v1/transaction/", headers=clerk.headers, json={
        "customer": day["customer_id"], "date": "2026-03-02", "product": product,
        "amount": "160955.85", "collected": "0"})
    assert r.status_code == 201, r.json
    sign_in(chrome, live_url, "clerk1")
    for old in glob.glob(os.path.join(DOWNLOADS, "*")):
        os.remove(old)
    chrome.get(f"{live_url}/transactionview/list/?_flt_0_product={product}")
    assert "160,955.85" in chrome.find_element(By.TAG_NAME, "body").text
    chrome.find_element(By.CSS_SELECTOR, "a[href*='/transactionview/export_xlsx/']").click()
    expected = os.path.join(DOWNLOADS, f"交易记录_{today_cn():%Y%m%d}.xlsx")
    for _i in range(100):
        if os.path.exists(expected):
            break
        time.sleep(0.1)
    sheet = openpyxl.load_workbook(expected).active
    header = [c.value for c in sheet[1]]
    assert "销售额（元）" in header
    amount = sheet.cell(row=2, column=header.index("销售额（元）") + 1)
    assert amount.number_format == "#,##0.00" and amount.value == 160955.85
    assert sheet.max_row == 2  # the filtered list, nothing else


def test_admin_creates_a_user_grants_a_step_and_hands_a_leaver_over(chrome, live_url, app,  # noqa: F811
                                                                    session):
    from flask_appbuilder.security.sqla.models import Role

    from app.models.org import ConsoleUser
    username = unique("newclerk")
    sign_in(chrome, live_url, "admin")
    chrome.get(f"{live_url}/users/add")
    type_text(chrome, "last_name", "欧阳")
    type_text(chrome, "first_name", "娜娜")
    type_text(chrome, "username", username)
    type_text(chrome, "email", f"{username}@example.com")
    roles = field(chrome, "roles").find_element(By.XPATH, "following-sibling::span")
    roles.click()
    wait(chrome, EC.element_to_be_clickable((By.XPATH,
        "//li[contains(@class,'select2-results__option') and contains(., '业务员')]"))).click()
    field(chrome, "department").find_element(By.XPATH, "following-sibling::span").click()
    wait(chrome, EC.element_to_be_clickable((By.XPATH,
        "//li[contains(@class,'select2-results__option') and contains(., '销售一部')]"))).click()
    type_text(chrome, "password", "Newclerk@2026")
    type_text(chrome, "conf_password", "Newclerk@2026")
    text, errors = submit(chrome)
    assert not errors, errors
    assert "/users/add" not in chrome.current_url, text[:500]
    user = session.scalar(select(ConsoleUser).where(ConsoleUser.username == username))
    assert user.get_full_name() == "欧阳娜娜"
    # a role of its own, granted 审核计划 in the matrix
    with app.app_context():
        role_id = app.appbuilder.sm.add_role(unique("Reviewer")).id
    chrome.get(f"{live_url}/permission_matrix/{role_id}")
    box = chrome.find_element(By.CSS_SELECTOR,
                              "tr[data-row='DevelopmentPlan'] input[data-step='can_review']")
    box.click()
    chrome.find_element(By.CSS_SELECTOR, ".permission-matrix button[type=submit]").click()
    wait(chrome, EC.staleness_of(box))
    granted = {(p.permission.name, p.view_menu.name)
               for p in session.get(Role, role_id, populate_existing=True).permissions}
    assert ("can_review", "DevelopmentPlan") in granted
    # the new user leaves: 离职交接 from the user's page, with a confirmation
    chrome.get(f"{live_url}/users/show/{user.id}")
    chrome.find_element(By.CSS_SELECTOR, "a.user-handover").click()
    Select(wait(chrome, EC.presence_of_element_located((By.NAME, "successor")))
           ).select_by_value(str(session.scalar(select(ConsoleUser.id).where(
               ConsoleUser.username == "clerk2"))))
    chrome.find_element(By.CSS_SELECTOR, "form button[type=submit].btn-danger").click()
    confirm = wait(chrome, EC.presence_of_element_located((By.CSS_SELECTOR, ".handover-confirm")))
    assert "0 条记录" in confirm.text
    chrome.find_element(By.CSS_SELECTOR, "form button[type=submit].btn-danger").click()
    wait(chrome, EC.staleness_of(confirm))
    assert session.get(ConsoleUser, user.id, populate_existing=True).active is False


@pytest.mark.parametrize("lang,brand,greeting", [("zh_TW", "大客戶管理臺", "您好"),
                                                  ("en", "Key Account Console", "Hello")])
def test_traditional_and_english(chrome, live_url, lang, brand, greeting):  # noqa: F811
    sign_in(chrome, live_url, "clerk1", lang=lang)
    chrome.get(f"{live_url}/")
    text = chrome.find_element(By.TAG_NAME, "body").text
    chrome.get(f"{live_url}/lang/zh")
    assert brand in text and greeting in text
