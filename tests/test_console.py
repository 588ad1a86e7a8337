"""Issue 16: forms that keep input, Chinese validator messages, no raw values, the
permission matrix, 离职交接 links, names and labels a user of the console expects."""
import json
import re

import pytest
from sqlalchemy import func, select

from app.models.customers import Customer, DevelopmentPlan
from app.models.org import Department
from tests.conftest import flashes, unique


def text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def new_customer(api, username="clerk1") -> int:
    r = api(username).post("/api/v1/customer/", json={"customer_type": "important", "name": unique("客户")})
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


def test_list_filter_searches_customers_instead_of_listing_them(browser, api, session):
    """The filter form of a list over a big register must not carry every customer."""
    mine = new_customer(api, "clerk1")
    theirs = new_customer(api, "clerk3")
    names = {i: api("admin").get(f"/api/v1/customer/{i}").json["result"]["name"]
             for i in (mine, theirs)}
    b = browser("clerk1")

    def filter_form(query="") -> str:  # the filter fields, as JSON for app/static/js/filters.js
        html = b.get("/contactview/list/" + query).get_data(as_text=True)
        data = re.search(r'<script type="application/json" id="console-filter-data">(.*?)'
                         r"</script>", html, re.S).group(1)
        return json.loads(data)["columns"]["customer"]["field"]

    assert names[mine] not in filter_form()
    assert "/contactview/search_related/customer" in filter_form()
    # an active filter keeps its customer selectable (FAB's script selects it by id) …
    assert f'<option value="{mine}">{names[mine]}' in filter_form(f"?_flt_0_customer={mine}")
    # … but never names a customer outside the viewer's scope
    assert names[theirs] not in filter_form(f"?_flt_0_customer={theirs}")
    r = b.get("/contactview/search_related/customer?q=" + names[mine])
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


# --- money, shares and None ------------------------------------------------------------
def test_money_has_separators_and_two_decimals_in_list_and_show(browser, api):
    customer_id = new_customer(api)
    r = api("clerk1").post("/api/v1/transaction/", json={
        "customer": customer_id, "date": "2026-03-02", "product": unique("产品"),
        "amount": "160955.85", "collected": "1000"})
    assert r.status_code == 201, r.json
    b = browser("clerk1")
    show = text(b.get(f"/transactionview/show/{r.json['id']}"))
    assert "160,955.85" in show and "1,000.00" in show and "160955.85" not in show
    listing = text(b.get(f"/customerview/show/{customer_id}"))
    assert "160,955.85" in listing


def test_grading_rule_shows_shares_as_percentages(browser):
    html = text(browser("admin").get("/gradingruleview/list/"))
    assert "75%" in html and "0.7500" not in html


def test_user_show_has_no_none_and_names_in_order(browser, app):
    with app.app_context():
        clerk1 = app.appbuilder.sm.find_user(username="clerk1")
        admin = app.appbuilder.sm.find_user(username="admin")
        assert (clerk1.last_name, clerk1.first_name) == ("王", "明")
        assert (admin.last_name, admin.first_name) == ("", "系统管理员")
        pk = clerk1.id
    html = text(browser("admin").get(f"/users/show/{pk}"))
    assert "None" not in html
    listing = text(browser("admin").get("/users/list/"))
    assert "王明" in listing and "系统管理员" in listing


def test_split_name_knows_compound_surnames():
    from app.demo import split_name
    assert split_name("王明") == ("王", "明")
    assert split_name("欧阳娜娜") == ("欧阳", "娜娜")
    assert split_name("系统管理员") == ("", "系统管理员")


# --- 离职交接 ------------------------------------------------------------------------
def test_user_list_and_show_link_to_the_handover(browser, app):
    with app.app_context():
        pk = app.appbuilder.sm.find_user(username="clerk2").id
    b = browser("admin")
    assert f"/handover/{pk}" in b.text("/users/list/")
    assert f"/handover/{pk}" in b.text(f"/users/show/{pk}")


def test_handover_preselects_nobody_and_confirms_with_the_counts(browser, app, api, session):
    from app.models.org import ConsoleUser
    username = unique("leaver")
    with app.app_context():
        sm = app.appbuilder.sm
        leaver = sm.add_user(username, "离", "职", f"{username}@example.com",
                             sm.find_role("Clerk"), password="Demo@2026")
        leaver_id = leaver.id
        successor_id = sm.find_user(username="clerk2").id
    for _i in range(2):
        new_customer(api, username)
    b = browser("admin")
    form = b.text(f"/handover/{leaver_id}")
    assert re.search(r'<option value="" selected>', form)
    r = b.post(f"/handover/{leaver_id}", {"successor": str(successor_id)})
    page = text(r)
    assert r.status_code == 200 and "确认停用并转交" in page and "2 条记录" in page
    assert session.get(ConsoleUser, leaver_id).active is True  # nothing ran yet
    r = b.post(f"/handover/{leaver_id}", {"successor": str(successor_id), "confirm": "1"})
    assert r.status_code == 302
    assert session.get(ConsoleUser, leaver_id, populate_existing=True).active is False
    assert session.scalar(select(func.count(Customer.id)).where(
        Customer.owner_id == leaver_id)) == 0


# --- labels ----------------------------------------------------------------------------
def test_steps_are_named_by_what_they_do(browser, api):
    customer_id = new_customer(api)
    r = api("clerk1").post("/api/v1/development_plan/", json={
        "customer": customer_id, "objective": unique("目标"), "start_date": "2026-01-01",
        "end_date": "2026-02-01"})
    html = text(browser("clerk1").get(f"/developmentplanview/show/{r.json['id']}"))
    assert "提交" in html and "（" not in re.sub(r"<[^>]+>", "", html).split("流程")[-1][:80]
    assert 'class="btn btn-sm btn-primary show-edit"' in html


def test_home_greeting_and_brand_in_english(browser):
    b = browser("clerk1")
    b.get("/lang/en")
    html = text(b.get("/"))
    b.get("/lang/zh")
    assert "大客户管理台" not in html and "您好" not in html


# --- 权限矩阵 ------------------------------------------------------------------------
def matrix_text(html) -> str:
    return re.sub(r"<[^>]+>", " ", html.split('class="panel panel-default permission-matrix"')[1])


def role_id(app, name) -> int:
    with app.app_context():
        return app.appbuilder.sm.find_role(name).id


def test_matrix_names_registers_actions_and_steps_in_chinese(browser, app):
    html = browser("admin").text(f"/permission_matrix/{role_id(app, 'Supervisor')}")
    words = matrix_text(html)
    assert "客户档案" in words and "审核计划" in words and "处理完毕" in words
    raw = re.findall(r"\b(can_\w+|menu_access|[A-Z][a-z]+(?:[A-Z][a-z]+)+|copyrole|\w+\.label)\b",
                     words)
    assert not raw, raw[:10]


def test_matrix_grants_a_step_and_the_menu_follows_the_list(browser, app, session):
    from flask_appbuilder.security.sqla.models import Role
    with app.app_context():
        sm = app.appbuilder.sm
        name = unique("Role")
        role = sm.add_role(name)
        pk = role.id
        review = sm.find_permission_view_menu("can_review", "DevelopmentPlan").id
        listing = sm.find_permission_view_menu("can_list", "DevelopmentPlan").id
        api_get = sm.find_permission_view_menu("can_get", "DevelopmentPlanApi").id
    b = browser("admin")
    html = b.text(f"/permission_matrix/{pk}")
    assert f'value="{review}"' in html and f'value="{api_get}"' in html
    r = b.post(f"/permission_matrix/{pk}", {"pv": [str(review), str(listing), str(api_get)]})
    assert r.status_code == 302
    role = session.get(Role, pk)
    granted = {(p.permission.name, p.view_menu.name) for p in role.permissions}
    assert {("can_review", "DevelopmentPlan"), ("can_list", "DevelopmentPlan"),
            ("can_get", "DevelopmentPlanApi"), ("menu_access", "Development plans"),
            ("menu_access", "Customers")} <= granted
    b.post(f"/permission_matrix/{pk}", {"pv": [str(review)]})
    session.expire_all()
    granted = {(p.permission.name, p.view_menu.name) for p in session.get(Role, pk).permissions}
    assert granted == {("can_review", "DevelopmentPlan")}


def test_matrix_is_for_admins_only(browser, app):
    r = browser("supervisor1").get(f"/permission_matrix/{role_id(app, 'Clerk')}")
    assert r.status_code in (302, 403)


def test_raw_permission_lists_are_not_in_the_menu(browser):
    html = browser("admin").text("/")
    assert "/permission_matrix/" in html
    for path in ("/permissions/list/", "/viewmenus/list/", "/permissionviews/list/"):
        assert path not in html


def test_admin_adds_a_user_with_a_password_and_a_weak_one_is_refused_in_chinese(browser, app,
                                                                                session):
    from app.models.org import ConsoleUser
    with app.app_context():
        clerk_role = app.appbuilder.sm.find_role("Clerk").id
    username = unique("u")
    form = {"last_name": "欧阳", "first_name": "娜娜", "username": username,
            "email": f"{username}@example.com", "roles": str(clerk_role), "active": "y",
            "department": str(session.scalar(select(Department.id).where(
                Department.name == "销售一部"))),
            "password": "weak", "conf_password": "weak"}
    b = browser("admin")
    r = b.post("/users/add", data=form)
    assert r.status_code == 200 and "密码至少" in flashes(r.get_data(as_text=True))
    assert f'value="{username}"' in r.get_data(as_text=True)  # the input is kept
    r = b.post("/users/add", data={**form, "password": "Strong@2026",
                                   "conf_password": "Strong@2026"})
    assert r.status_code == 302
    user = session.scalar(select(ConsoleUser).where(ConsoleUser.username == username))
    assert user.get_full_name() == "欧阳娜娜"


# --- every page a role reaches from its menu: no raw codes, None or English ----------------
RAW = re.compile(r"__None|\bNone\b|\bcan_[a-z_]+\b|\bTrue\b|\bFalse\b|"
                 r"\b(Search|Add Filter|Record Count|Actions|List|Edit|Delete|Show|Save|Back|"
                 r"Login|Logout|Forbidden|Not Found|Yes|No|Field cannot)\b")


def visible_text(html) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<select\b[^>]*class=\"[^\"]*my_select2[^>]*>.*?</select>", " ", html,
                  flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("username", ["admin", "clerk1", "supervisor1", "executive", "finance"])
def test_pages_of_the_menu_show_no_raw_values(browser, api, username):
    customer_id = new_customer(api)
    api("clerk1").post("/api/v1/transaction/", json={
        "customer": customer_id, "date": "2026-03-02", "product": unique("产品"),
        "amount": "160955.85", "collected": "0"})
    b = browser(username)
    home = b.text("/")
    links = sorted(set(re.findall(r'href="(/[a-z_]+/(?:list/)?)"', home)))
    assert links
    checked = 0
    for link in links:
        r = b.get(link)
        if r.status_code != 200:
            continue
        html = r.get_data(as_text=True)
        found = RAW.search(visible_text(html))
        assert not found, (username, link, found.group(0),
                           visible_text(html)[max(0, found.start() - 80):found.end() + 80])
        checked += 1
        show = re.search(r'href="(/[a-z_]+/show/\d+)', html)
        add = re.search(r'href="(/[a-z_]+/add)"', html)
        for extra in [m.group(1) for m in (show, add) if m]:
            page = visible_text(b.text(extra))
            found = RAW.search(page)
            assert not found, (username, extra, found.group(0),
                               page[max(0, found.start() - 80):found.end() + 80])
    assert checked >= 3, links
