"""客户接待: the workflow by role over web and API, approval by authority at the limit,
expense lines locked after settlement, Finance's scope, the yearly costs and the
客户接待记录表 paper form."""
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select

from app.models.receptions import Reception, ReceptionExpense
from tests.conftest import flashes, unique

ARRIVAL, DEPARTURE = "2025-08-12T09:00:00", "2025-08-13T16:00:00"


def new_customer(client) -> int:
    r = client.post("/api/v1/customer/", json={"customer_type": "important", "name": unique("接待客户")})
    assert r.status_code == 201, r.json
    return r.json["id"]


def reception_body(customer, **fields):
    return {"customer": customer, "notice_from": "销售一部", "visitor_names": "王总、李经理",
            "visitor_count": 2, "purpose": "考察生产线", "arrival": ARRIVAL,
            "departure": DEPARTURE, "need_meal": True, "meal_estimate": "1200.00",
            "need_lodging": True, "lodging_estimate": "800.50",
            "plan": "机场接站，会议室座谈，酒店用餐住宿", **fields}


def new_reception(client, customer, **fields) -> int:
    r = client.post("/api/v1/reception/", json=reception_body(customer, **fields))
    assert r.status_code == 201, r.json
    return r.json["id"]


def get(client, pk) -> dict:
    r = client.get(f"/api/v1/reception/{pk}")
    assert r.status_code == 200, r.json
    return r.json["result"]


def step(client, pk, name, **body):
    return client.post(f"/api/v1/reception/{pk}/transition/{name}", json=body)


def ok(response):
    assert response.status_code == 200, response.json
    return response.json["result"]


def add_expense(client, pk, amount, category="meal", **fields):
    return client.post("/api/v1/reception_expense/",
                       json={"reception": pk, "category": category, "amount": amount,
                             "invoice_no": fields.pop("invoice_no", "FP001"), **fields})


def count(session, model) -> int:
    return session.scalar(select(func.count(model.id)))


@pytest.fixture
def clerk(api):
    return api("clerk1")


@pytest.fixture
def supervisor(api):
    return api("supervisor1")


@pytest.fixture
def customer(clerk):
    return new_customer(clerk)


def received(clerk, supervisor, customer, **fields) -> int:
    """A reception run up to received by its clerk and supervisor."""
    pk = new_reception(clerk, customer, **fields)
    ok(step(clerk, pk, "request"))
    ok(step(supervisor, pk, "approve"))
    ok(step(clerk, pk, "receive", content="参观车间并座谈", outcome="达成合作意向",
            people_met="总经理"))
    return pk


# --- the record and its rules ------------------------------------------------------------
def test_new_reception_is_notified_with_the_estimate_as_a_decimal_sum(clerk, customer):
    row = get(clerk, new_reception(clerk, customer))
    assert row["status"] == "notified"
    assert Decimal(str(row["estimated_cost"])) == Decimal("2000.50")
    assert Decimal(str(row["actual_cost"])) == Decimal("0")
    assert row["owner"]["username"] == "clerk1" and row["expenses"] == []


def test_estimate_leaves_out_a_request_not_needed(clerk, customer):
    row = get(clerk, new_reception(clerk, customer, need_lodging=False))
    assert Decimal(str(row["estimated_cost"])) == Decimal("1200.00")


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"departure": "2025-08-11T09:00:00"}, "departure", "离开时间不能早于到达时间"),
    ({"meal_estimate": "-1"}, "meal_estimate", "不能为负数"),
    ({"lodging_estimate": "abc"}, "_schema", "请输入"),
    ({"visitor_count": 0}, "visitor_count", "来访人数至少为 1"),
    ({"need_meal": True, "meal_estimate": "0"}, "meal_estimate", "请填写用餐预算"),
    ({"arrival": "1800-01-01T09:00:00"}, "arrival", "1900"),
])
def test_bad_reception_input_is_refused_in_chinese(clerk, customer, session, fields, field,
                                                   message):
    before = count(session, Reception)
    r = clerk.post("/api/v1/reception/", json=reception_body(customer, **fields))
    assert r.status_code in (400, 422), r.json
    assert message in str(r.json["message"])
    assert count(session, Reception) == before


def test_clerk_cannot_pick_another_clerks_customer(api, clerk, session):
    other = new_customer(api("clerk3"))
    before = count(session, Reception)
    r = clerk.post("/api/v1/reception/", json=reception_body(other))
    assert r.status_code == 422 and "不存在" in str(r.json["message"])
    assert count(session, Reception) == before


# --- workflow by role (API) -------------------------------------------------------------
def test_each_step_by_its_role_up_to_settlement(api, clerk, supervisor, customer):
    finance, pk = api("finance"), new_reception(clerk, customer)
    assert step(supervisor, pk, "approve").status_code == 409  # not requested yet
    assert step(api("finance"), pk, "request").status_code == 403
    assert ok(step(clerk, pk, "request"))["status"] == "requested"
    assert step(clerk, pk, "approve").status_code == 403
    approved = ok(step(supervisor, pk, "approve", comment="同意"))
    assert approved["status"] == "approved" and approved["approved_by"]["username"] == "supervisor1"
    assert step(clerk, pk, "receive").status_code == 422  # the record is needed
    row = ok(step(clerk, pk, "receive", content="座谈", outcome="签约意向", people_met="刘总"))
    assert row["status"] == "received" and row["people_met"] == "刘总"
    assert step(clerk, pk, "verify").status_code == 403
    assert ok(step(supervisor, pk, "verify"))["verified_by"]["username"] == "supervisor1"
    assert step(supervisor, pk, "settle").status_code == 403
    r = step(finance, pk, "settle")
    assert r.status_code == 422 and "费用明细" in r.json["message"]  # nothing to settle yet
    assert add_expense(finance, pk, "300.00").status_code == 201
    settled = ok(step(finance, pk, "settle"))
    assert settled["status"] == "settled" and settled["settled_by"]["username"] == "finance"
    history = [h["step"] for h in get(clerk, pk)["history"]]
    assert history == ["request", "approve", "receive", "verify", "settle"]


def test_request_needs_the_plan(clerk, customer):
    pk = new_reception(clerk, customer, plan=None)
    r = step(clerk, pk, "request")
    assert r.status_code == 422 and "接待方案" in r.json["message"]
    assert ok(step(clerk, pk, "request", plan="会议室座谈"))["plan"] == "会议室座谈"


def test_send_back_and_reject_need_a_comment(clerk, supervisor, customer):
    pk = new_reception(clerk, customer)
    ok(step(clerk, pk, "request"))
    assert step(supervisor, pk, "send_back").status_code == 422
    assert ok(step(supervisor, pk, "send_back", comment="请细化用餐标准"))["status"] == "returned"
    r = clerk.put(f"/api/v1/reception/{pk}", json={"meal_estimate": "900.00"})
    assert r.status_code == 200, r.json
    ok(step(clerk, pk, "request"))
    assert step(supervisor, pk, "reject").status_code == 422
    assert ok(step(supervisor, pk, "reject", comment="不另行接待"))["status"] == "rejected"


def test_requested_reception_can_no_longer_be_edited(clerk, customer, session):
    pk = new_reception(clerk, customer)
    ok(step(clerk, pk, "request"))
    r = clerk.put(f"/api/v1/reception/{pk}", json={"meal_estimate": "9000.00"})
    assert r.status_code == 422 and "不能修改" in str(r.json["message"])
    assert session.get(Reception, pk).meal_estimate == Decimal("1200.00")


# --- approval by authority (RECEPTION_EXECUTIVE_LIMIT, default 5,000 元) -------------------
@pytest.mark.parametrize(("meal", "lodging", "supervisor_may"), [
    ("3000.00", "2000.00", True),  # exactly 5,000.00
    ("3000.00", "2000.01", False),  # 5,000.01
    ("4999.99", "0.01", True),
])
def test_supervisor_approves_up_to_the_limit_only(api, clerk, supervisor, customer, meal,
                                                  lodging, supervisor_may):
    pk = new_reception(clerk, customer, meal_estimate=meal, lodging_estimate=lodging)
    ok(step(clerk, pk, "request"))
    r = step(supervisor, pk, "approve")
    if supervisor_may:
        assert r.status_code == 200, r.json
        return
    assert r.status_code == 403
    assert "5,000.01" in r.json["message"] and "总经理" in r.json["message"]
    assert get(clerk, pk)["status"] == "requested"
    assert ok(step(api("executive"), pk, "approve"))["approved_by"]["username"] == "executive"


def test_limit_comes_from_the_setting(app, clerk, supervisor, customer):
    pk = new_reception(clerk, customer)  # 2,000.50
    ok(step(clerk, pk, "request"))
    old = app.config["RECEPTION_EXECUTIVE_LIMIT"]
    app.config["RECEPTION_EXECUTIVE_LIMIT"] = "2000"
    try:
        assert step(supervisor, pk, "approve").status_code == 403
    finally:
        app.config["RECEPTION_EXECUTIVE_LIMIT"] = old
    assert step(supervisor, pk, "approve").status_code == 200


def test_web_hides_approve_above_the_limit_and_refuses_the_post(browser, clerk, customer):
    pk = new_reception(clerk, customer, meal_estimate="6000.00")
    ok(step(clerk, pk, "request"))
    web = browser("supervisor1")
    html = web.text(f"/receptionview/show/{pk}")
    assert 'data-step="approve"' not in html and "须总经理审批" in html
    page = web.post(f"/receptionview/action/approve/{pk}", follow_redirects=True)
    assert "须由总经理审批" in flashes(page.get_data(as_text=True))
    assert get(clerk, pk)["status"] == "requested"
    assert "above-limit" in web.text("/receptionview/list/")
    executive = browser("executive")
    assert 'data-step="approve"' in executive.text(f"/receptionview/show/{pk}")
    executive.post(f"/receptionview/action/approve/{pk}")
    assert get(clerk, pk)["status"] == "approved"


def test_web_steps_by_role(browser, clerk, customer):
    pk = new_reception(clerk, customer)
    web_clerk, web_supervisor = browser("clerk1"), browser("supervisor1")
    web_clerk.post(f"/receptionview/action/request/{pk}")
    assert get(clerk, pk)["status"] == "requested"
    page = web_clerk.post(f"/receptionview/action/approve/{pk}", follow_redirects=True)
    assert get(clerk, pk)["status"] == "requested"
    assert flashes(page.get_data(as_text=True))
    web_supervisor.post(f"/receptionview/action/approve/{pk}")
    html = web_clerk.text(f"/receptionview/show/{pk}")
    assert 'name="content"' in html  # the 客户接待记录表 inputs of the receive step
    web_clerk.post(f"/receptionview/action/receive/{pk}",
                   data={"content": "座谈", "outcome": "满意", "people_met": "张总"})
    assert get(clerk, pk)["status"] == "received"
    web_supervisor.post(f"/receptionview/action/verify/{pk}")
    assert get(clerk, pk)["status"] == "verified"
    web_finance = browser("finance")
    assert 'data-step="settle"' not in web_finance.text(f"/receptionview/show/{pk}")
    page = web_finance.post(f"/receptionview/action/settle/{pk}", follow_redirects=True)
    assert "费用明细" in flashes(page.get_data(as_text=True))  # nothing to settle yet
    web_finance.post("/receptionexpenseview/add", data={"reception": pk, "category": "meal",
                                                        "amount": "450.00"})
    assert 'data-step="settle"' in web_finance.text(f"/receptionview/show/{pk}")
    web_supervisor.post(f"/receptionview/action/settle/{pk}")
    assert get(clerk, pk)["status"] == "verified"  # only Finance settles
    web_finance.post(f"/receptionview/action/settle/{pk}")
    row = get(clerk, pk)
    assert row["status"] == "settled" and Decimal(str(row["actual_cost"])) == Decimal("450.00")


# --- expense lines ----------------------------------------------------------------------
def test_actual_cost_is_the_decimal_sum_of_the_lines(api, clerk, supervisor, customer):
    pk = received(clerk, supervisor, customer)
    for amount in ("0.10", "0.20", "1234.56"):
        assert add_expense(clerk, pk, amount).status_code == 201
    finance_line = add_expense(api("finance"), pk, "100.01", "transport")
    assert finance_line.status_code == 201, finance_line.json
    row = get(clerk, pk)
    assert Decimal(str(row["actual_cost"])) == Decimal("1334.87")
    assert [e["amount"] for e in row["expenses"]] == ["0.10", "0.20", "1234.56", "100.01"]
    line = finance_line.json["id"]
    assert api("finance").put(f"/api/v1/reception_expense/{line}",
                              json={"amount": "99.00"}).status_code == 200
    assert Decimal(str(get(clerk, pk)["actual_cost"])) == Decimal("1333.86")
    assert api("finance").delete(f"/api/v1/reception_expense/{line}").status_code == 200
    assert Decimal(str(get(clerk, pk)["actual_cost"])) == Decimal("1234.86")


@pytest.mark.parametrize(("amount", "message"), [("-5.00", "不能为负数"), ("0", "必须大于 0"),
                                                 ("十元", "请输入"), ("1e20", "超出上限"),
                                                 ("1e30", "请输入数字"), ("NaN", "请输入数字")])
def test_bad_expense_amount_is_refused_in_chinese(clerk, supervisor, customer, session, amount,
                                                  message):
    pk = received(clerk, supervisor, customer)
    before = count(session, ReceptionExpense)
    r = add_expense(clerk, pk, amount)
    assert r.status_code in (400, 422) and message in str(r.json["message"]), r.json
    assert count(session, ReceptionExpense) == before


def test_bad_expense_category_is_refused(clerk, supervisor, customer):
    pk = received(clerk, supervisor, customer)
    r = add_expense(clerk, pk, "10.00", category="travel")
    assert r.status_code == 422 and "取值无效" in str(r.json["message"])


def test_settled_expenses_are_locked_on_every_path(api, browser, clerk, supervisor, customer,
                                                   session):
    finance = api("finance")
    pk = received(clerk, supervisor, customer)
    line = add_expense(clerk, pk, "500.00").json["id"]
    ok(step(supervisor, pk, "verify"))
    ok(step(finance, pk, "settle"))
    before = count(session, ReceptionExpense)
    for who in (clerk, finance, api("admin")):
        r = add_expense(who, pk, "1.00")
        assert r.status_code == 422 and "已锁定" in str(r.json["message"]), r.json
        r = who.put(f"/api/v1/reception_expense/{line}", json={"amount": "1.00"})
        assert r.status_code == 422 and "已锁定" in str(r.json["message"]), r.json
        r = who.delete(f"/api/v1/reception_expense/{line}")
        assert r.status_code == 422 and "已锁定" in str(r.json["message"]), r.json
    web = browser("finance")
    html = web.text(f"/receptionview/show/{pk}")
    assert "费用明细已锁定" in html and "expense-add" not in html
    assert f'value="{pk}"' not in web.text("/receptionexpenseview/add")  # not offered
    page = web.post(f"/receptionexpenseview/edit/{line}",
                    data={"category": "meal", "amount": "1.00", "invoice_no": "X"},
                    follow_redirects=True)
    assert "已锁定" in flashes(page.get_data(as_text=True))
    page = web.post("/receptionexpenseview/add", data={"reception": pk, "category": "meal",
                                                       "amount": "1.00"},
                    follow_redirects=True)
    assert "此项为必填项" in flashes(page.get_data(as_text=True))  # a settled one is no choice
    web.post(f"/receptionexpenseview/delete/{line}")
    session.expire_all()
    assert count(session, ReceptionExpense) == before
    assert session.get(ReceptionExpense, line).amount == Decimal("500.00")
    assert session.get(Reception, pk).actual_cost == Decimal("500.00")
    r = clerk.put(f"/api/v1/reception/{pk}", json={"purpose": "改"})
    assert r.status_code == 422


def test_settled_line_is_refused_even_below_the_views(app, clerk, supervisor, customer, api):
    """The lock is on the model too: a write that skips the views is refused."""
    from app.errors import RowRejected
    from app.extensions import db
    pk = received(clerk, supervisor, customer)
    line = add_expense(clerk, pk, "10.00").json["id"]
    ok(step(supervisor, pk, "verify"))
    ok(step(api("finance"), pk, "settle"))
    with app.app_context():
        expense = db.session.get(ReceptionExpense, line)
        expense.amount = Decimal("1.00")
        with pytest.raises(RowRejected):
            db.session.commit()
        db.session.rollback()


def test_inline_expense_add_and_edit_on_the_show_page(browser, clerk, supervisor, customer,
                                                      session):
    pk = received(clerk, supervisor, customer)
    web = browser("finance")
    html = web.text(f"/receptionview/show/{pk}")
    assert "expense-add" in html
    r = web.post("/receptionexpenseview/add", data={"reception": pk, "category": "lodging",
                                                    "amount": "688.00", "invoice_no": "FP9"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/receptionview/show/{pk}")
    line = session.scalar(select(ReceptionExpense).where(ReceptionExpense.reception_id == pk))
    assert line.owner.username == "clerk1" and line.amount == Decimal("688.00")
    html = web.text(f"/receptionview/show/{pk}")
    assert f'data-expense="{line.id}"' in html and "688.00" in html
    r = web.post(f"/receptionexpenseview/edit/{line.id}",
                 data={"category": "lodging", "amount": "-1", "invoice_no": "FP9",
                       "expected_version": line.version}, follow_redirects=True)
    assert "不能为负数" in flashes(r.get_data(as_text=True))
    web.post(f"/receptionexpenseview/edit/{line.id}",
             data={"category": "lodging", "amount": "700.00", "invoice_no": "FP9",
                   "expected_version": line.version})
    session.expire_all()
    assert session.get(ReceptionExpense, line.id).amount == Decimal("700.00")
    assert session.get(Reception, pk).actual_cost == Decimal("700.00")


def test_expense_of_a_reception_out_of_scope_is_refused(api, clerk, supervisor, customer):
    pk = received(clerk, supervisor, customer)
    r = add_expense(api("clerk3"), pk, "10.00")
    assert r.status_code == 422 and "不存在" in str(r.json["message"])


# --- scope --------------------------------------------------------------------------------
def test_finance_sees_every_reception_others_their_scope(api, clerk, customer):
    pk = new_reception(clerk, customer)
    assert api("finance").get(f"/api/v1/reception/{pk}").status_code == 200
    assert api("supervisor1").get(f"/api/v1/reception/{pk}").status_code == 200
    assert api("supervisor2").get(f"/api/v1/reception/{pk}").status_code == 404
    assert api("clerk2").get(f"/api/v1/reception/{pk}").status_code == 404
    assert api("clerk3").get(f"/api/v1/reception/{pk}/form.xlsx").status_code == 404
    assert api("clerk3").post(f"/api/v1/reception/{pk}/transition/request",
                              json={}).status_code == 404


def test_finance_reads_but_does_not_write_receptions(api, customer, session):
    before = count(session, Reception)
    r = api("finance").post("/api/v1/reception/", json=reception_body(customer))
    assert r.status_code == 403
    assert count(session, Reception) == before


# --- costs --------------------------------------------------------------------------------
def test_costs_per_month_in_scope_with_decimal_sums(api, dedicated_clerk):
    own = api(dedicated_clerk)
    customer = new_customer(own)
    first = new_reception(own, customer, arrival="2024-03-05T09:00:00",
                          departure="2024-03-05T18:00:00")
    new_reception(own, customer, arrival="2024-03-20T09:00:00",
                  departure="2024-03-21T18:00:00", meal_estimate="0.10",
                  lodging_estimate="0.20")
    new_reception(own, customer, arrival="2024-07-01T09:00:00",
                  departure="2024-07-01T18:00:00", need_lodging=False)
    rejected = new_reception(own, customer, arrival="2024-07-02T09:00:00",
                             departure="2024-07-02T18:00:00")
    own.post(f"/api/v1/reception/{rejected}/transition/request", json={})
    assert api("executive").post(f"/api/v1/reception/{rejected}/transition/reject",
                                 json={"comment": "不接待"}).status_code == 200
    assert add_expense(own, first, "10.05").status_code == 201
    r = own.get("/api/v1/reception/costs?year=2024")
    assert r.status_code == 200, r.json
    months = {row["month"]: row for row in r.json["result"]}
    assert len(months) == 12
    assert months["2024-03"] == {"month": "2024-03", "count": 2, "estimated": "2000.80",
                                 "actual": "10.05"}
    assert months["2024-07"] == {"month": "2024-07", "count": 1, "estimated": "1200.00",
                                 "actual": "0.00"}
    assert months["2024-01"]["count"] == 0 and months["2024-01"]["estimated"] == "0.00"
    assert r.json["total"] == {"count": 3, "estimated": "3200.80", "actual": "10.05"}


def test_finance_costs_include_every_department(api, clerk, customer):
    other = api("clerk3")
    mine = new_reception(clerk, customer, arrival="2023-05-05T09:00:00",
                         departure="2023-05-05T10:00:00")
    theirs = new_reception(other, new_customer(other), arrival="2023-05-06T09:00:00",
                           departure="2023-05-06T10:00:00")
    assert mine and theirs

    def may(user):
        return {r["month"]: r["count"] for r in
                api(user).get("/api/v1/reception/costs?year=2023").json["result"]}["2023-05"]
    assert may("finance") - may("supervisor1") >= 1  # finance also sees 销售二部
    assert may("finance") >= 2 and may("supervisor2") >= 1


@pytest.mark.parametrize("year", ["20x4", "1800", "12345"])
def test_costs_need_a_valid_year(api, year):
    r = api("finance").get(f"/api/v1/reception/costs?year={year}")
    assert r.status_code == 400 and "YYYY" in r.json["message"]


def test_costs_page_shows_the_same_table(api, browser, dedicated_clerk):
    own = api(dedicated_clerk)
    new_reception(own, new_customer(own), arrival="2022-02-02T09:00:00",
                  departure="2022-02-02T10:00:00")
    html = browser(dedicated_clerk).text("/receptioncosts/?year=2022")
    assert "接待费用统计" in html and 'data-month="2022-02"' in html
    row = html.split('data-month="2022-02"')[1].split("</tr>")[0]
    assert "<td class=\"text-right\">1</td>" in row and "2,000.50" in row
    page = browser("finance").get("/receptioncosts/?year=abc", follow_redirects=True)
    assert page.status_code == 200 and "YYYY" in page.get_data(as_text=True)


# --- the show page and the paper form -----------------------------------------------------
def test_show_page_has_decision_makers_complaints_and_form_link(browser, clerk, customer):
    r = clerk.post("/api/v1/contact/", json={"customer": customer, "name": "赵董",
                                             "is_decision_maker": True, "hobbies": "高尔夫",
                                             "personality": "严谨守时"})
    assert r.status_code == 201, r.json
    clerk.post("/api/v1/contact/", json={"customer": customer, "name": "普通联系人",
                                         "hobbies": "钓鱼"})
    r = clerk.post("/api/v1/complaint/", json={"customer": customer, "complainant": "赵董",
                                               "category": "general",
                                               "description": "交货延误三天"})
    assert r.status_code == 201, r.json
    pk = new_reception(clerk, customer)
    html = browser("clerk1").text(f"/receptionview/show/{pk}")
    assert "高尔夫" in html and "严谨守时" in html and "钓鱼" not in html
    assert "交货延误三天" in html
    assert f"/api/v1/reception/{pk}/form.xlsx" in html


def test_paper_form_with_ten_expenses_prints_on_one_a4_page(api, clerk, supervisor, customer):
    pk = received(clerk, supervisor, customer, plan="接站；座谈；" * 30)
    for n in range(10):
        assert add_expense(clerk, pk, f"{100 + n}.50", invoice_no=f"=FP{n}",
                           remarks="发票已附" * 5).status_code == 201
    r = clerk.get(f"/api/v1/reception/{pk}/form.xlsx")
    assert r.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(r.data)).active
    assert sheet["A1"].value == "客户接待记录表"
    assert sheet.page_setup.paperSize == 9 and sheet.page_setup.orientation == "portrait"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    # 1 × 1 pages; OOXML omits the default 1 (a register form says fitToHeight="0")
    assert sheet.page_setup.fitToWidth in (None, 1) and sheet.page_setup.fitToHeight in (None, 1)
    assert b'fitToHeight="0"' not in zipfile.ZipFile(io.BytesIO(r.data)).read(
        "xl/worksheets/sheet1.xml")
    values = [v for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
    assert "=FP9" in values and "王总、李经理" in values
    amounts = [row for row in sheet.iter_rows(values_only=True) if row[0] in range(1, 11)]
    assert len(amounts) == 10
    total = [row for row in sheet.iter_rows(values_only=True) if row[1] == "合计"]
    assert total and Decimal(str(total[0][2])) == Decimal("1050.00")
    text = " ".join(str(v) for v in values)
    assert "接待人：" in text and "核实人（客户关系主管）：" in text and "财务结算：" in text
    signed = next(c for row in sheet.iter_rows() for c in row
                  if str(c.value).startswith("核实人（客户关系主管）"))
    # the long middle signature gets two columns (spread by width, not by count)
    assert f"C{signed.row}:D{signed.row}" in {str(r) for r in sheet.merged_cells.ranges}


# --- web forms ----------------------------------------------------------------------------
def test_reception_added_through_the_web_form(browser, clerk, customer, session):
    web = browser("clerk1")
    visitors = unique("来访")
    r = web.post("/receptionview/add", data={
        "customer": customer, "notice_from": "市场部", "visitor_names": visitors,
        "visitor_count": "3", "purpose": "参观", "arrival": "2025-09-01 09:00:00",
        "departure": "2025-09-01 17:00:00", "need_meal": "y", "meal_estimate": "600.00",
        "lodging_estimate": "0"})
    assert r.status_code == 302
    row = session.scalar(select(Reception).where(Reception.visitor_names == visitors))
    assert row.status == "notified" and row.estimated_cost == Decimal("600.00")
    before = count(session, Reception)
    page = web.post("/receptionview/add", data={
        "customer": customer, "notice_from": "市场部", "visitor_names": unique("来访"),
        "visitor_count": "3", "purpose": "参观", "arrival": "2025-09-01 09:00:00",
        "departure": "2025-08-31 17:00:00", "meal_estimate": "0", "lodging_estimate": "0"},
        follow_redirects=True)
    assert "离开时间不能早于到达时间" in flashes(page.get_data(as_text=True))
    assert count(session, Reception) == before


def test_reception_list_exports_to_excel(browser, clerk, customer):
    new_reception(clerk, customer)
    r = browser("clerk1").get("/receptionview/export_xlsx/")
    assert r.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(r.data)).active
    assert "预计费用" in [c.value for c in sheet[1]]


def test_another_clerks_reception_and_lines_are_404_on_every_exit(api, browser, clerk,
                                                                  supervisor, customer):
    pk = received(clerk, supervisor, customer, visitor_names=unique("孙总"))
    line = add_expense(clerk, pk, "20.00").json["id"]
    other, web = api("clerk2"), browser("clerk2")
    for url in (f"/receptionview/show/{pk}", f"/receptionview/edit/{pk}",
                f"/receptionexpenseview/show/{line}", f"/receptionexpenseview/edit/{line}"):
        assert web.get(url).status_code == 404, url
    assert web.post(f"/receptionview/action/verify/{pk}").status_code == 404
    assert other.get(f"/api/v1/reception_expense/{line}").status_code == 404
    assert other.put(f"/api/v1/reception_expense/{line}",
                     json={"amount": "1.00"}).status_code == 404
    visitors = get(clerk, pk)["visitor_names"]
    assert visitors not in web.text("/receptionview/list/")
    assert f'value="{pk}"' not in web.text("/receptionexpenseview/add")
    assert f'value="{pk}"' in browser("clerk1").text("/receptionexpenseview/add")
    sheet = openpyxl.load_workbook(io.BytesIO(
        other.get("/api/v1/reception/export.xlsx").data)).active
    assert visitors not in [c for row in sheet.iter_rows(values_only=True) for c in row]


def test_reception_history_and_export_carry_the_steps(api, clerk, supervisor, customer):
    pk = received(clerk, supervisor, customer, visitor_names=unique("周总"))
    history = get(clerk, pk)["history"]
    assert [(h["step"], h["user"]) for h in history] == [
        ("request", "clerk1"), ("approve", "supervisor1"), ("receive", "clerk1")]
    r = api("finance").get("/api/v1/reception/export.xlsx")
    assert r.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(r.data)).active
    header = [c.value for c in sheet[1]]
    assert "来访人员" in header and "实际费用" in header and "状态" in header


def test_home_page_lists_visits_of_the_next_two_weeks(browser, clerk, customer):
    from datetime import timedelta

    from app.timeutil import now_cn
    soon, later = now_cn() + timedelta(days=2), now_cn() + timedelta(days=30)
    coming = unique("近访")
    far = unique("远访")
    new_reception(clerk, customer, visitor_names=coming, arrival=soon.isoformat(),
                  departure=(soon + timedelta(hours=3)).isoformat())
    new_reception(clerk, customer, visitor_names=far, arrival=later.isoformat(),
                  departure=(later + timedelta(hours=3)).isoformat())
    html = browser("clerk1").text("/")
    assert "近期来访" in html and coming in html and far not in html
    assert coming not in browser("clerk3").text("/")


def test_handover_leaves_settled_receptions_and_their_lines_with_the_leaver(
        app, api, browser, session, supervisor):
    from app.demo import DEMO_PASSWORD, ensure_user
    from app.models.org import ConsoleUser
    username = unique("leaver")
    with app.app_context():
        user, _ = ensure_user(app.appbuilder, username, "钱离职", "Clerk", "销售一部",
                              DEMO_PASSWORD)
        leaver_id = user.id
    own = api(username)
    customer = new_customer(own)
    settled = received(own, supervisor, customer)
    settled_line = add_expense(own, settled, "80.00").json["id"]
    ok(step(supervisor, settled, "verify"))
    ok(step(api("finance"), settled, "settle"))
    open_one = received(own, supervisor, customer)
    open_line = add_expense(own, open_one, "90.00").json["id"]
    clerk2 = session.scalar(select(ConsoleUser).where(ConsoleUser.username == "clerk2"))
    assert browser("admin").post(f"/handover/{leaver_id}",
                                 {"successor": clerk2.id, "confirm": "1"}).status_code == 302
    owners = [session.get(model, pk, populate_existing=True).owner_id
              for model, pk in ((Reception, settled), (ReceptionExpense, settled_line),
                                (Reception, open_one), (ReceptionExpense, open_line))]
    assert owners == [leaver_id, leaver_id, clerk2.id, clerk2.id]
