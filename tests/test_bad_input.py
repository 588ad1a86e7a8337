"""Bad input answers 400/422 with a Chinese message and stores nothing (issue 23 item 6),
on every path the review probed: related ids that are not ASCII ids, step bodies of the
wrong JSON type, relation filters that are not ids, out-of-range query numbers, damaged
or out-of-range imports, the permission matrix, and control characters in names."""
import io
import re
import zipfile

import openpyxl
import pytest
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import func, select

from app.models.customers import Contact, Customer, Transaction
from app.models.receptions import Reception
from tests.conftest import flashes, unique
from tests.test_import import CUSTOMER_HEADER, upload, xlsx
from tests.test_receptions import new_customer, new_reception

CJK = re.compile(r"[\u4e00-\u9fff]")
NOT_IDS = ["²", "١٢", "99999999999999999999", 2**40, "1e3", "-1", "1 2", 1.5, True, "0"]
TRANSACTION_HEADER = ["客户", "交易日期", "产品", "销售额（元）", "利润（元）", "回款额（元）",
                      "预收款", "应收款到期日", "备注"]


def refused(r, statuses=(400, 422)):
    assert r.status_code in statuses, (r.status_code, r.get_data(as_text=True)[:300])
    assert CJK.search(str(r.json["message"])), r.json
    return str(r.json["message"])


def count(session, model, *where):
    return session.scalar(select(func.count(model.id)).where(*where))


@pytest.mark.parametrize("value", NOT_IDS, ids=repr)
def test_a_related_id_that_is_not_an_id_is_refused(api, session, value):
    clerk = api("clerk1")
    customer = new_customer(clerk)
    before = count(session, Contact)
    refused(clerk.post("/api/v1/contact/", json={"customer": value, "name": unique("联")}))
    assert count(session, Contact) == before
    contact = clerk.post("/api/v1/contact/", json={"customer": customer, "name": unique("联")})
    refused(clerk.put(f"/api/v1/contact/{contact.json['id']}", json={"customer": value}))
    session.expire_all()
    assert session.get(Contact, contact.json["id"]).customer_id == customer
    pk = new_reception(clerk, customer)
    refused(clerk.post("/api/v1/reception_expense/", json={
        "reception": value, "category": "meal", "amount": "1.00"}))
    r = clerk.get(f"/api/v1/visit_plan_item/customer_defaults?customer={value}")
    assert r.status_code == 404 and CJK.search(r.json["message"])
    r = clerk.get(f"/api/v1/grade_evaluation/suggest?year=2025&customer={value}")
    assert r.status_code in (404, 422), r.json
    assert session.get(Reception, pk) is not None


@pytest.mark.parametrize("body", [{"comment": 5}, {"comment": True}, {"comment": 1.5},
                                  {"plan": 5}, {"plan": True}, {"comment": ["a"]},
                                  {"plan": {"a": 1}}], ids=repr)
def test_a_step_body_of_the_wrong_json_type_is_refused(api, session, body):
    clerk = api("clerk1")
    pk = new_reception(clerk, new_customer(clerk), plan=None)
    refused(clerk.post(f"/api/v1/reception/{pk}/transition/request", json=body))
    session.expire_all()
    row = session.get(Reception, pk)
    assert row.status == "notified" and row.plan is None


@pytest.mark.parametrize("value", ["'abc'", "'²'", "99999999999", "'1;2'", "-3"])
@pytest.mark.parametrize("path", ["/api/v1/contact/", "/api/v1/contact/export.xlsx",
                                  "/api/v1/reception_expense/"])
def test_a_relation_filter_that_is_not_an_id_is_refused(api, path, value):
    column = "reception" if "expense" in path else "customer"
    for user in ("admin", "clerk1"):
        r = api(user).get(f"{path}?q=(filters:!((col:{column},opr:rel_o_m,value:{value})))")
        assert "记录编号" in refused(r, (400,))


@pytest.mark.parametrize("department", ["99999999999999999999", "²", "-1", "abc", "2147483648",
                                        "9223372036854775808"])
def test_a_chart_with_a_department_out_of_range_is_refused(api, department):
    for user in ("admin", "executive", "supervisor1", "finance", "clerk1"):
        client = api(user)
        charts = client.get("/api/v1/chart/contact/").json["result"]
        r = client.get(f"/api/v1/chart/contact/{charts[0]['name']}?department={department}")
        assert "部门" in refused(r, (400,))


NUMBERS = ["99999999999999999999", "²", "-1", "1e3", "9223372036854775808"]
QUERY_PATHS = ["/api/v1/reception/costs?year={}", "/api/v1/customer/abc?year={}",
               "/api/v1/customer/abc?year=2025&page={}",
               "/api/v1/customer/abc?year=2025&page_size={}",
               "/api/v1/grade_evaluation/reviews_due?within_days={}",
               "/api/v1/grade_evaluation/suggest?year={}&customer=1",
               "/api/v1/complaint/stats?month={}", "/api/v1/service_request/stats?month={}",
               "/api/v1/customer/contact_due?as_of={}", "/api/v1/customer/?q=(page:{})",
               "/api/v1/customer/{}"]


@pytest.mark.parametrize("value", NUMBERS)
@pytest.mark.parametrize("path", QUERY_PATHS)
def test_out_of_range_numbers_in_query_parameters_are_refused(api, path, value):
    for user in ("admin", "clerk1", "finance"):
        r = api(user).get(path.format(value))
        assert r.status_code in (400, 403, 404, 405, 422), (user, r.status_code, r.data[:200])
        assert CJK.search(str(r.json["message"])), r.json


def damaged_sheet_file() -> io.BytesIO:
    """A customer file whose header reads fine and whose second row is broken XML:
    openpyxl fails only while iterating the rows."""
    good = xlsx(CUSTOMER_HEADER, [[unique("坏表"), "集团客户"] + [None] * 9])
    out = io.BytesIO()
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.split(b'<row r="2"')[0] + b'<row r="2"><c r="A2" t="inlineStr"><is>'
            target.writestr(item, data)
    out.seek(0)
    return out


def test_an_import_with_a_damaged_sheet_is_refused_whole(browser, session):
    before = count(session, Customer)
    r = upload(browser("clerk1"), "customerview", damaged_sheet_file())
    assert r.status_code == 200 and "无法读取" in r.get_data(as_text=True)
    assert count(session, Customer) == before


@pytest.mark.parametrize("amount", ["1e30", 1e30, "-1e30", "1e12", "NaN", "Infinity"])
def test_an_import_with_money_out_of_range_is_refused_whole(api, browser, session, amount):
    name = unique("巨额")
    api("clerk1").post("/api/v1/customer/", json={"customer_type": "important", "name": name})
    before = count(session, Transaction)
    rows = [[name, "2026-01-05", "面料", amount, 1, 1, "否", None, None]]
    r = upload(browser("clerk1"), "transactionview", xlsx(TRANSACTION_HEADER, rows))
    assert r.status_code == 200 and "销售额" in r.get_data(as_text=True)
    assert count(session, Transaction) == before


@pytest.mark.parametrize("value", ["²", "١", "99999999999999999999", "abc", ""])
def test_the_permission_matrix_refuses_a_permission_that_is_not_an_id(app, browser, value):
    with app.app_context():
        sm = app.appbuilder.sm
        role = sm.add_role(unique("矩阵角色"))
        granted = sm.find_permission_view_menu("can_list", "Customer")
        role.permissions = [granted]
        app.appbuilder.session.commit()
        role_id, granted_id, role_model = role.id, granted.id, type(role)
    r = browser("admin").post(f"/permission_matrix/{role_id}", {"pv": [str(granted_id), value]})
    assert r.status_code == 400 and "权限编号" in r.get_data(as_text=True)
    with app.app_context():
        role = app.appbuilder.session.get(role_model, role_id)
        assert [p.id for p in role.permissions] == [granted_id]
    for user in ("clerk1", "supervisor1", "executive", "finance"):
        assert browser(user).post(f"/permission_matrix/{role_id}", {"pv": value}) \
            .status_code in (302, 403)


# inside the name: at its ends the web form and the import strip whitespace away
CONTROL = ["甲\r\n乙", "甲\n乙", "甲\r乙", "甲\t乙", "甲\x1b[31m乙", "甲\x7f乙", "甲\u2028乙",
           "甲\x85乙"]


@pytest.mark.parametrize("name", CONTROL, ids=repr)
def test_control_characters_in_a_name_are_refused_on_every_path(api, browser, session, name):
    clerk = api("clerk1")
    before = count(session, Customer)
    assert "控制字符" in refused(clerk.post("/api/v1/customer/", json={"customer_type": "important", "name": name}))
    customer = new_customer(clerk)
    assert "控制字符" in refused(clerk.put(f"/api/v1/customer/{customer}",
                                         json={"name": name}))
    assert "控制字符" in refused(clerk.post("/api/v1/contact/", json={
        "customer": customer, "name": name}))
    page = browser("clerk1").post("/customerview/add", {"name": name, "customer_type": "group"})
    assert page.status_code == 200 and "控制字符" in flashes(page.get_data(as_text=True))
    if not ILLEGAL_CHARACTERS_RE.search(name):  # what an .xlsx cannot hold at all
        html = upload(browser("clerk1"), "customerview", xlsx(
            CUSTOMER_HEADER, [[name, "集团客户"] + [None] * 9])).get_data(as_text=True)
        assert "控制字符" in html
    session.expire_all()
    assert count(session, Customer) == before + 1  # only new_customer's
    assert "\r" not in session.get(Customer, customer).name


def test_multi_line_text_keeps_its_line_breaks(api, session):
    clerk = api("clerk1")
    customer = new_customer(clerk)
    r = clerk.post("/api/v1/contact/", json={"customer": customer, "name": unique("联"),
                                             "notes": "第一行\r\n第二行\t制表"})
    assert r.status_code == 201, r.json
    refused(clerk.put(f"/api/v1/contact/{r.json['id']}", json={"notes": "响铃\x07"}))


def test_a_download_named_after_old_data_with_line_breaks_has_a_safe_name(api, session):
    """Names stored before the rule: the paper form's file name is cleaned, not a 500."""
    clerk = api("clerk1")
    customer = new_customer(clerk)
    scores = {"score_sales": 90, "score_price": 80, "score_payment": 100,
              "score_cooperation": 70, "score_potential": 60, "score_credit": 50}
    evaluation = clerk.post("/api/v1/grade_evaluation/", json={
        "customer": customer, "year": 2025, **scores}).json["id"]
    row = session.get(Customer, customer)
    row.name = unique("旧\r\n数据\"/")
    session.commit()
    r = clerk.get(f"/api/v1/grade_evaluation/{evaluation}/form.xlsx")
    assert r.status_code == 200
    disposition = r.headers["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition and "filename*=UTF-8''" in disposition
    assert openpyxl.load_workbook(io.BytesIO(r.data)).active["A1"].value
