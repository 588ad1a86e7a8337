"""客户拜访: visit plans with items, visit records, the contact-frequency rule, the
Clerk's home panels and the 客户拜访计划表 paper form (policy 01 二 §3–11, 05 三.1–2)."""
import io
import itertools
from datetime import date, timedelta
from urllib.parse import quote

import openpyxl
import pytest
from sqlalchemy import event, func, select

from app.models.org import ConsoleUser
from app.models.visits import (
    VisitPlan,
    VisitPlanItem,
    VisitRecord,
    add_months,
    contact_reasons,
    cutoff,
)
from app.timeutil import today_cn
from tests.conftest import flashes, unique

_months = itertools.count(0)


def fresh_month() -> str:
    """A month no other test of this run plans for (one plan per department and month)."""
    n = next(_months)
    return f"{1990 + n // 12}-{n % 12 + 1:02d}"


def user_id(session, username) -> int:
    return session.scalar(select(ConsoleUser.id).where(ConsoleUser.username == username))


def count(session, model) -> int:
    return session.scalar(select(func.count(model.id)))


def new_customer(client, **fields) -> int:
    r = client.post("/api/v1/customer/", json={"customer_type": "important", "name": unique("拜访客户"),
                                                "cooperation": "active", **fields})
    assert r.status_code == 201, r.json
    return r.json["id"]


def new_plan(client, month=None) -> int:
    r = client.post("/api/v1/visit_plan/", json={"month": month or fresh_month(),
                                                  "title": "客户拜访计划"})
    assert r.status_code == 201, r.json
    return r.json["id"]


def plan_month(client, plan) -> str:
    return client.get(f"/api/v1/visit_plan/{plan}").json["result"]["month"]


def new_item(client, plan, customer, visitor, deadline=None, **fields):
    month = plan_month(client, plan)
    body = {"visit_plan": plan, "customer": customer, "visitor": visitor,
            "purpose": "了解年度采购计划", "deadline": deadline or f"{month}-20", **fields}
    return client.post("/api/v1/visit_plan_item/", json=body)


def step(client, resource, pk, name, **body):
    return client.post(f"/api/v1/{resource}/{pk}/transition/{name}", json=body)


def approved_plan_with_item(api, session, deadline=None, customer=None, visitor="clerk1"):
    sup, clerk = api("supervisor1"), api(visitor)
    customer = customer or new_customer(clerk)
    plan = new_plan(sup)
    r = new_item(sup, plan, customer, user_id(session, visitor), deadline)
    assert r.status_code == 201, r.json
    assert step(sup, "visit_plan", plan, "submit").status_code == 200
    assert step(api("executive"), "visit_plan", plan, "approve").status_code == 200
    return plan, r.json["id"], customer


def new_record(client, customer, **fields):
    body = {"customer": customer, "visit_date": today_cn().isoformat(),
            "visit_type": "phone", "result": "客户满意", **fields}
    return client.post("/api/v1/visit_record/", json=body)


# --- 客户拜访计划表: workflow and roles --------------------------------------------------------
def test_supervisor_drafts_submits_and_executive_approves_plan(api, session):
    sup = api("supervisor1")
    plan = new_plan(sup)
    r = sup.get(f"/api/v1/visit_plan/{plan}")
    assert r.json["result"]["status"] == "draft"
    assert r.json["result"]["department"]["name"] == "销售一部"
    assert step(sup, "visit_plan", plan, "approve").status_code == 403
    assert step(sup, "visit_plan", plan, "submit").status_code == 200
    assert step(sup, "visit_plan", plan, "submit").status_code == 409
    r = step(api("executive"), "visit_plan", plan, "approve")
    assert r.status_code == 200 and r.json["result"]["status"] == "approved"
    history = sup.get(f"/api/v1/visit_plan/{plan}").json["result"]["history"]
    assert [h["step"] for h in history] == ["submit", "approve"]


def test_clerk_may_not_draft_or_submit_a_plan(api, session):
    clerk = api("clerk1")
    before = count(session, VisitPlan)
    r = clerk.post("/api/v1/visit_plan/", json={"month": fresh_month(), "title": "x"})
    assert r.status_code == 403
    assert count(session, VisitPlan) == before
    plan = new_plan(api("supervisor1"))
    assert clerk.get(f"/api/v1/visit_plan/{plan}").status_code == 404
    assert step(clerk, "visit_plan", plan, "submit").status_code == 404


def test_executive_sends_back_with_a_comment_and_supervisor_submits_again(api):
    sup, ex = api("supervisor1"), api("executive")
    plan = new_plan(sup)
    step(sup, "visit_plan", plan, "submit")
    r = step(ex, "visit_plan", plan, "send_back")
    assert r.status_code == 422 and "意见" in r.json["message"]
    r = step(ex, "visit_plan", plan, "send_back", comment="请补充重点客户")
    assert r.status_code == 200 and r.json["result"]["status"] == "returned"
    r = sup.put(f"/api/v1/visit_plan/{plan}", json={"title": "修改后的计划"})
    assert r.status_code == 200, r.json
    assert step(sup, "visit_plan", plan, "submit").status_code == 200


def test_second_plan_for_the_same_month_is_refused_in_chinese(api, session):
    sup = api("supervisor1")
    month = fresh_month()
    new_plan(sup, month)
    before = count(session, VisitPlan)
    r = sup.post("/api/v1/visit_plan/", json={"month": month, "title": "重复"})
    assert r.status_code == 422
    assert "已存在" in r.json["message"]["month"][0]
    assert count(session, VisitPlan) == before
    # another department may plan the same month
    assert api("supervisor2").post("/api/v1/visit_plan/", json={
        "month": month, "title": "二部计划"}).status_code == 201


@pytest.mark.parametrize("month", ["2026-13", "2026/01", "26-01", "abc"])
def test_malformed_month_is_refused(api, session, month):
    before = count(session, VisitPlan)
    r = api("supervisor1").post("/api/v1/visit_plan/", json={"month": month, "title": "x"})
    assert r.status_code == 422 and "YYYY-MM" in str(r.json["message"])
    assert count(session, VisitPlan) == before


def test_other_department_sees_no_plan(api):
    plan = new_plan(api("supervisor1"))
    assert api("supervisor2").get(f"/api/v1/visit_plan/{plan}").status_code == 404
    assert api("supervisor2").get(f"/api/v1/visit_plan/{plan}/form.xlsx").status_code == 404
    assert api("executive").get(f"/api/v1/visit_plan/{plan}").status_code == 200


# --- 拜访计划明细 -------------------------------------------------------------------------------
def test_item_fills_address_and_contact_from_the_key_decision_maker(api, session):
    clerk, sup = api("clerk1"), api("supervisor1")
    customer = new_customer(clerk, address="上海市浦东新区 1 号")
    clerk.post("/api/v1/contact/", json={"customer": customer, "name": "李四", "phone": "111"})
    clerk.post("/api/v1/contact/", json={"customer": customer, "name": "王总", "title": "总经理",
                                         "phone": "13800000000", "is_decision_maker": True})
    plan = new_plan(sup)
    r = new_item(sup, plan, customer, user_id(session, "clerk1"))
    assert r.status_code == 201, r.json
    item = sup.get(f"/api/v1/visit_plan_item/{r.json['id']}").json["result"]
    assert item["address"] == "上海市浦东新区 1 号"
    assert item["contact_info"] == "王总 总经理 13800000000"
    assert item["seq"] == 1 and item["owner"]["username"] == "clerk1"
    r = new_item(sup, plan, customer, user_id(session, "clerk1"), contact_info="自填 123")
    item = sup.get(f"/api/v1/visit_plan_item/{r.json['id']}").json["result"]
    assert item["contact_info"] == "自填 123" and item["seq"] == 2
    defaults = sup.get(f"/api/v1/visit_plan_item/customer_defaults?customer={customer}")
    assert defaults.json["result"]["contact_info"] == "王总 总经理 13800000000"


def test_item_for_a_customer_outside_the_department_is_refused(api, session):
    other = new_customer(api("clerk3"))  # 销售二部
    sup, admin = api("supervisor1"), api("admin")
    plan = new_plan(sup)
    before = count(session, VisitPlanItem)
    r = new_item(sup, plan, other, user_id(session, "clerk1"))
    assert r.status_code == 422 and "不存在" in str(r.json["message"])
    r = new_item(admin, plan, other, user_id(session, "clerk1"))  # admin sees every customer
    assert r.status_code == 422 and "不属于本计划的部门" in r.json["message"]["customer"][0]
    assert count(session, VisitPlanItem) == before


def test_visitor_must_be_a_clerk_of_the_department(api, session):
    sup = api("supervisor1")
    customer = new_customer(api("clerk1"))
    plan = new_plan(sup)
    before = count(session, VisitPlanItem)
    for username in ("clerk3", "supervisor1"):
        r = new_item(sup, plan, customer, user_id(session, username))
        assert r.status_code == 422 and "业务员" in r.json["message"]["visitor"][0]
    assert count(session, VisitPlanItem) == before


def test_items_are_locked_once_the_plan_is_submitted(api, session):
    sup = api("supervisor1")
    customer = new_customer(api("clerk1"))
    plan = new_plan(sup)
    item = new_item(sup, plan, customer, user_id(session, "clerk1")).json["id"]
    step(sup, "visit_plan", plan, "submit")
    r = new_item(sup, plan, customer, user_id(session, "clerk1"))
    assert r.status_code == 422 and "不能再修改明细" in str(r.json["message"])
    r = sup.put(f"/api/v1/visit_plan_item/{item}", json={"purpose": "改"})
    assert r.status_code == 422
    assert sup.delete(f"/api/v1/visit_plan_item/{item}").status_code == 422
    draft = new_plan(sup)
    r = sup.put(f"/api/v1/visit_plan_item/{item}", json={"visit_plan": draft})
    assert r.status_code == 422 and "不能再修改明细" in str(r.json["message"])
    assert sup.get(f"/api/v1/visit_plan_item/{item}").json["result"]["purpose"] == "了解年度采购计划"


def test_clerk_sees_only_own_items(api, session):
    sup = api("supervisor1")
    plan = new_plan(sup)
    mine = new_item(sup, plan, new_customer(api("clerk1")), user_id(session, "clerk1")).json["id"]
    theirs = new_item(sup, plan, new_customer(api("clerk2")),
                      user_id(session, "clerk2")).json["id"]
    clerk1 = api("clerk1")
    assert clerk1.get(f"/api/v1/visit_plan_item/{mine}").status_code == 200
    assert clerk1.get(f"/api/v1/visit_plan_item/{theirs}").status_code == 404
    ids = {row["id"] for row in clerk1.get(
        "/api/v1/visit_plan_item/?q=(page_size:100,order_column:id,order_direction:desc)"
    ).json["result"]}
    assert mine in ids and theirs not in ids
    assert clerk1.post("/api/v1/visit_plan_item/", json={
        "visit_plan": plan, "customer": 1, "visitor": 1, "purpose": "x",
        "deadline": "2030-01-01"}).status_code == 403


def test_my_tasks_are_the_open_items_of_approved_plans(api, session):
    sup, clerk = api("supervisor1"), api("clerk1")
    customer = new_customer(clerk)
    plan = new_plan(sup)
    item = new_item(sup, plan, customer, user_id(session, "clerk1")).json["id"]
    assert item not in {t["id"] for t in clerk.get("/api/v1/visit_plan_item/mine").json["result"]}
    step(sup, "visit_plan", plan, "submit")
    step(api("executive"), "visit_plan", plan, "approve")
    tasks = {t["id"]: t for t in clerk.get("/api/v1/visit_plan_item/mine").json["result"]}
    assert item in tasks and tasks[item]["overdue"] is True  # a past month
    assert item not in {t["id"] for t in
                        api("clerk2").get("/api/v1/visit_plan_item/mine").json["result"]}
    record = new_record(clerk, customer, visit_plan_item=item).json["id"]
    assert item in {t["id"] for t in clerk.get("/api/v1/visit_plan_item/mine").json["result"]}
    assert step(clerk, "visit_record", record, "submit").status_code == 200
    assert item not in {t["id"] for t in clerk.get("/api/v1/visit_plan_item/mine").json["result"]}
    assert clerk.get(f"/api/v1/visit_plan_item/{item}").json["result"]["done"] is True


def test_clerk_home_page_lists_visit_tasks_with_deadline(api, session, browser):
    customer_name = unique("首页任务客户")
    customer = new_customer(api("clerk1"), name=customer_name)
    approved_plan_with_item(api, session, customer=customer)
    page = browser("clerk1").text("/")
    assert "我的拜访任务" in page and customer_name in page and "已超时限" in page
    assert customer_name not in browser("clerk2").text("/")


# --- 客户拜访记录表 -----------------------------------------------------------------------------
def test_record_flow_submit_review_and_solution_approval(api, session):
    clerk, sup, ex = api("clerk1"), api("supervisor1"), api("executive")
    customer = new_customer(clerk)
    record = new_record(clerk, customer, unsolved="账期要求超出权限").json["id"]
    assert step(clerk, "visit_record", record, "review").status_code == 403
    assert step(clerk, "visit_record", record, "submit").status_code == 200
    assert step(clerk, "visit_record", record, "review").status_code == 403
    assert step(ex, "visit_record", record, "approve_solution").status_code == 409
    assert step(sup, "visit_record", record, "review").status_code == 200
    assert step(sup, "visit_record", record, "approve_solution").status_code == 403
    r = step(ex, "visit_record", record, "approve_solution", proposed_solution="给予 60 天账期")
    assert r.status_code == 200 and r.json["result"]["status"] == "solution_approved"
    assert r.json["result"]["proposed_solution"] == "给予 60 天账期"


def test_solution_approval_only_when_something_is_left_unsolved(api):
    clerk, sup, ex = api("clerk1"), api("supervisor1"), api("executive")
    record = new_record(clerk, new_customer(clerk)).json["id"]
    step(clerk, "visit_record", record, "submit")
    step(sup, "visit_record", record, "review")
    r = step(ex, "visit_record", record, "approve_solution")
    assert r.status_code == 409 and "没有遗留问题" in r.json["message"]


def test_supervisor_sends_a_record_back_with_a_comment(api):
    clerk, sup = api("clerk1"), api("supervisor1")
    record = new_record(clerk, new_customer(clerk)).json["id"]
    step(clerk, "visit_record", record, "submit")
    assert step(sup, "visit_record", record, "send_back").status_code == 422
    r = step(sup, "visit_record", record, "send_back", comment="请补充异议原因")
    assert r.status_code == 200 and r.json["result"]["status"] == "returned"
    r = clerk.put(f"/api/v1/visit_record/{record}", json={"objections": "价格偏高，原料上涨"})
    assert r.status_code == 200, r.json


def test_visit_after_the_deadline_is_marked_late(api, session):
    clerk = api("clerk1")
    deadline = today_cn() - timedelta(days=40)
    month = f"{deadline.year}-{deadline.month:02d}"
    sup = api("supervisor1")
    existing = sup.get("/api/v1/visit_plan/?q=(filters:!((col:month,opr:eq,value:'%s')))"
                       % month).json["result"]
    if existing:  # the demo or another run may have this month already
        pytest.skip("month already planned")
    customer = new_customer(clerk)
    plan = new_plan(sup, month)
    late_item = new_item(sup, plan, customer, user_id(session, "clerk1"),
                         deadline.isoformat()).json["id"]
    early_item = new_item(sup, plan, customer, user_id(session, "clerk1"),
                          deadline.isoformat()).json["id"]
    step(sup, "visit_plan", plan, "submit")
    step(api("executive"), "visit_plan", plan, "approve")
    late = new_record(clerk, customer, visit_plan_item=late_item,
                      visit_date=(deadline + timedelta(days=1)).isoformat())
    on_time = new_record(clerk, customer, visit_plan_item=early_item,
                         visit_date=deadline.isoformat())
    assert late.status_code == 201 and on_time.status_code == 201
    assert clerk.get(f"/api/v1/visit_record/{late.json['id']}").json["result"]["late"] is True
    assert clerk.get(f"/api/v1/visit_record/{on_time.json['id']}").json["result"]["late"] is False


def test_record_of_another_customers_item_is_refused(api, session):
    _plan, item, _customer = approved_plan_with_item(api, session)
    clerk = api("clerk1")
    before = count(session, VisitRecord)
    r = new_record(clerk, new_customer(clerk), visit_plan_item=item)
    assert r.status_code == 422 and "不一致" in r.json["message"]["visit_plan_item"][0]
    assert count(session, VisitRecord) == before


def test_record_of_an_item_of_an_unapproved_plan_is_refused(api, session):
    sup, clerk = api("supervisor1"), api("clerk1")
    customer = new_customer(clerk)
    plan = new_plan(sup)
    item = new_item(sup, plan, customer, user_id(session, "clerk1")).json["id"]
    r = new_record(clerk, customer, visit_plan_item=item)
    assert r.status_code == 422 and "尚未批准" in str(r.json["message"])


def test_contacts_met_must_be_the_customers_contacts(api, session):
    clerk = api("clerk1")
    customer, other = new_customer(clerk), new_customer(clerk)
    own = clerk.post("/api/v1/contact/", json={"customer": customer, "name": "赵经理"}).json["id"]
    stranger = clerk.post("/api/v1/contact/", json={"customer": other, "name": "钱经理"}).json["id"]
    before = count(session, VisitRecord)
    r = new_record(clerk, customer, contacts_met=[stranger])
    assert r.status_code == 422 and "不是客户" in r.json["message"]["contacts_met"][0]
    r = new_record(clerk, customer, contacts_met=["x"])
    assert r.status_code == 422
    clerk3_contact_customer = new_customer(api("clerk3"))
    far = api("clerk3").post("/api/v1/contact/", json={
        "customer": clerk3_contact_customer, "name": "孙经理"}).json["id"]
    r = new_record(clerk, customer, contacts_met=[far])
    assert r.status_code == 422 and "不存在" in r.json["message"]["contacts_met"][0]
    assert count(session, VisitRecord) == before
    r = new_record(clerk, customer, contacts_met=[own])
    assert r.status_code == 201, r.json
    assert clerk.get(f"/api/v1/visit_record/{r.json['id']}").json["result"][
        "contacts_met"] == [{"id": own, "name": "赵经理"}]


def test_visit_in_the_future_is_refused(api, session):
    clerk = api("clerk1")
    before = count(session, VisitRecord)
    r = new_record(clerk, new_customer(clerk),
                   visit_date=(today_cn() + timedelta(days=1)).isoformat())
    assert r.status_code == 422 and "晚于今天" in r.json["message"]["visit_date"][0]
    assert count(session, VisitRecord) == before


def test_clerk_gets_404_on_another_clerks_record(api):
    clerk2 = api("clerk2")
    record = new_record(clerk2, new_customer(clerk2)).json["id"]
    assert api("clerk1").get(f"/api/v1/visit_record/{record}").status_code == 404
    assert api("supervisor2").get(f"/api/v1/visit_record/{record}").status_code == 404
    assert api("supervisor1").get(f"/api/v1/visit_record/{record}").status_code == 200


# --- 联系频率规则 ---------------------------------------------------------------------------------
def contacted(clerk, customer, day, visit_type="phone", submit=True):
    r = new_record(clerk, customer, visit_date=day, visit_type=visit_type)
    assert r.status_code == 201, r.json
    if submit:
        assert step(clerk, "visit_record", r.json["id"], "submit").status_code == 200


def due(client, as_of) -> dict:
    r = client.get(f"/api/v1/customer/contact_due?as_of={as_of}")
    assert r.status_code == 200, r.json
    return {row["id"]: row for row in r.json["result"]}


def test_add_months_and_cutoffs_at_month_ends():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2025, 8, 31), 6) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    # behind iff add_months(last, n) < today  ⇔  last < cutoff(today, n)
    for today in (date(2026, 3, 1), date(2026, 2, 28), date(2026, 3, 31), date(2024, 2, 29)):
        for n in (1, 3, 6):
            c = cutoff(today, n)
            assert add_months(c, n) >= today > add_months(c - timedelta(days=1), n)


def test_key_customer_is_behind_a_day_after_a_month_without_contact(api):
    clerk = api("clerk1")
    customer = new_customer(clerk, is_key=True)
    contacted(clerk, customer, "2026-01-31", "on_site")
    assert customer not in due(clerk, "2026-02-28")
    row = due(clerk, "2026-03-01")[customer]
    assert row["days_overdue"] == 1 and "1 个月未联系" in row["reason"]
    assert row["last_contact"] == "2026-01-31" and row["last_on_site"] == "2026-01-31"
    assert row["is_key"] is True and row["owner"] == "clerk1"


def test_key_customer_called_monthly_but_not_on_site_for_six_months_is_behind(api):
    clerk = api("clerk1")
    customer = new_customer(clerk, is_key=True)
    contacted(clerk, customer, "2026-03-31", "on_site")
    contacted(clerk, customer, "2026-09-20", "phone")
    assert customer not in due(clerk, "2026-09-30")
    row = due(clerk, "2026-10-01")[customer]
    assert row["days_overdue"] == 1 and "6 个月未实地拜访" in row["reason"]
    assert "未联系" not in row["reason"]
    assert row["last_contact"] == "2026-09-20" and row["last_on_site"] == "2026-03-31"


def test_other_customers_need_a_contact_each_quarter(api):
    clerk = api("clerk1")
    customer = new_customer(clerk)
    contacted(clerk, customer, "2026-08-31", "wechat")
    assert customer not in due(clerk, "2026-11-30")
    row = due(clerk, "2026-12-01")[customer]
    assert row["days_overdue"] == 1 and "季度" in row["reason"]
    assert row["last_on_site"] is None


def test_prospects_lost_and_archived_customers_have_no_rule(api):
    clerk = api("clerk1")
    prospect = new_customer(clerk, cooperation="prospect", is_key=True)
    lost = new_customer(clerk, cooperation="lost")
    archived = new_customer(clerk, status="archived")
    rows = due(clerk, "2099-12-31")
    assert prospect not in rows and lost not in rows and archived not in rows


def test_draft_records_do_not_count_and_no_contact_counts_from_creation(api):
    clerk = api("clerk1")
    customer = new_customer(clerk, is_key=True)
    contacted(clerk, customer, today_cn().isoformat(), "on_site", submit=False)
    created = today_cn()
    assert customer not in due(clerk, add_months(created, 1).isoformat())
    row = due(clerk, (add_months(created, 1) + timedelta(days=2)).isoformat())[customer]
    assert row["last_contact"] is None and "建档以来无联系记录" in row["reason"]
    assert row["days_overdue"] >= 1


def test_contact_due_is_in_scope(api):
    clerk2 = api("clerk2")
    customer = new_customer(clerk2)
    assert customer in due(clerk2, "2099-01-01")
    assert customer not in due(api("clerk1"), "2099-01-01")
    assert customer not in due(api("supervisor2"), "2099-01-01")
    assert customer in due(api("supervisor1"), "2099-01-01")


def test_contact_due_rejects_a_malformed_date(api):
    r = api("clerk1").get("/api/v1/customer/contact_due?as_of=2026-02-30")
    assert r.status_code == 400 and "YYYY-MM-DD" in r.json["message"]


def test_contact_due_runs_the_same_number_of_queries_for_more_customers(app, api):
    from app.extensions import db
    clerk = api("clerk2")
    with app.app_context():
        engine = db.engine
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    def measure():
        statements.clear()
        event.listen(engine, "before_cursor_execute", record)
        try:
            r = clerk.get("/api/v1/customer/contact_due?as_of=2099-01-01")
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert r.status_code == 200
        return len(statements), len(r.json["result"])

    queries, rows = measure()
    for _ in range(5):
        contacted(clerk, new_customer(clerk, is_key=True), "2026-01-05", "on_site")
    more_queries, more_rows = measure()
    assert more_rows >= rows + 5
    assert more_queries == queries
    assert sum("visit_record" in s for s in statements) == 1


def test_contact_due_page_and_clerk_home_panel(api, browser):
    name = unique("待联系客户")
    clerk = api("clerk2")
    customer = new_customer(clerk, name=name, is_key=True)
    contacted(clerk, customer, (today_cn() - timedelta(days=200)).isoformat(), "phone")
    page = browser("clerk2").text("/visits/contact_due/")
    assert "待联系客户" in page and name in page and "6 个月未实地拜访" in page
    assert name in browser("clerk2").text("/")
    assert name not in browser("clerk1").text("/visits/contact_due/")


def test_contact_reasons_name_every_rule_broken():
    days, reasons = contact_reasons(True, date(2020, 1, 1), None, None, date(2026, 3, 1))
    assert len(reasons) == 2 and days == (date(2026, 3, 1) - date(2020, 2, 1)).days


# --- 客户拜访计划表: the paper form and the web pages --------------------------------------------
def test_plan_prints_in_the_policy_eight_columns(api, session):
    sup = api("supervisor1")
    customer_name = unique("=打印客户")
    customer = new_customer(api("clerk1"), name=customer_name, address="杭州市")
    plan = new_plan(sup)
    new_item(sup, plan, customer, user_id(session, "clerk1"), visitors="司机小王",
             remarks="带样品")
    step(sup, "visit_plan", plan, "submit")
    step(api("executive"), "visit_plan", plan, "approve")
    r = sup.get(f"/api/v1/visit_plan/{plan}/form.xlsx")
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    wb = openpyxl.load_workbook(io.BytesIO(r.data))
    sheet = wb.worksheets[0]
    assert sheet["A1"].value == "客户拜访计划表"
    assert plan_month(sup, plan) in sheet["A2"].value and "销售一部" in sheet["A2"].value
    assert [c.value for c in sheet[3]][:8] == ["序号", "客户名称", "地址", "联系方式", "拜访人员",
                                               "拜访目的", "拜访时限", "备注"]
    assert sheet.max_column == 8
    first = [c.value for c in sheet[4]]
    assert first[0] == 1 and first[1] == customer_name and first[2] == "杭州市"
    assert "司机小王" in first[4] and first[7] == "带样品"
    assert sheet.cell(row=4, column=2).data_type == "s"
    text = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value)
    assert "制表人" in text and "审批人：客户服务部经理" in text
    assert sheet.page_setup.orientation == "landscape"


def test_plan_page_links_the_form_and_shows_items(api, session, browser):
    sup = api("supervisor1")
    name = unique("计划页客户")
    customer = new_customer(api("clerk1"), name=name)
    plan = new_plan(sup)
    new_item(sup, plan, customer, user_id(session, "clerk1"))
    page = browser("supervisor1").text(f"/visitplanview/show/{plan}")
    assert f"/api/v1/visit_plan/{plan}/form.xlsx" in page
    assert name in page and "增加拜访明细" in page
    for label in ("序号", "客户名称", "地址", "联系方式", "拜访人员", "拜访目的", "拜访时限", "备注"):
        assert label in page


def test_item_form_offers_only_the_departments_customers_and_clerks(api, browser, session):
    other = unique("二部客户")
    new_customer(api("clerk3"), name=other)
    own = unique("一部客户")
    new_customer(api("clerk1"), name=own)
    plan = new_plan(api("supervisor1"))
    web = browser("supervisor1")
    page = web.text(f"/visitplanitemview/add?_flt_0_visit_plan={plan}")
    assert "clerk3" not in page and "supervisor1" not in page

    def offered(name):  # the customer is chosen by typing (Select2 ajax)
        r = web.get(f"/visitplanitemview/search_related/customer?q={quote(name)}")
        assert r.status_code == 200
        return " ".join(row["text"] for row in r.json["results"])
    assert own in offered(own) and other not in offered(other)


def test_item_added_through_the_web_form(api, browser, session):
    customer = new_customer(api("clerk1"), address="苏州市")
    plan = new_plan(api("supervisor1"))
    month = plan_month(api("supervisor1"), plan)
    web = browser("supervisor1")
    r = web.post(f"/visitplanitemview/add?_flt_0_visit_plan={plan}", {
        "customer": customer, "visitor": user_id(session, "clerk2"), "purpose": "送样",
        "deadline": f"{month}-15"}, follow_redirects=True)
    assert r.status_code == 200
    item = session.execute(select(VisitPlanItem).where(
        VisitPlanItem.visit_plan_id == plan)).scalar_one()
    assert item.address == "苏州市" and item.owner_id == user_id(session, "clerk2")


def test_web_duplicate_plan_shows_the_chinese_message(api, browser, session):
    month = fresh_month()
    new_plan(api("supervisor1"), month)
    before = count(session, VisitPlan)
    r = browser("supervisor1").post("/visitplanview/add", {"month": month, "title": "重复"},
                                    follow_redirects=True)
    assert "已存在" in flashes(r.get_data(as_text=True))
    assert count(session, VisitPlan) == before


def test_clerk_has_no_add_plan_page(browser):
    r = browser("clerk1").get("/visitplanview/add")
    assert r.status_code in (302, 403)


@pytest.mark.parametrize("resource", ["visit_plan", "visit_plan_item", "visit_record"])
def test_registers_export_to_excel_in_scope(api, session, resource):
    plan, item, customer = approved_plan_with_item(api, session)
    clerk = api("clerk1")
    record = new_record(clerk, customer, visit_plan_item=item).json["id"]
    step(clerk, "visit_record", record, "submit")
    client = api("supervisor1")
    r = client.get(f"/api/v1/{resource}/export.xlsx")
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    sheet = openpyxl.load_workbook(io.BytesIO(r.data)).worksheets[0]
    header = [c.value for c in sheet[1]]
    expected = {"visit_plan": "计划月份", "visit_plan_item": "已拜访",
                "visit_record": "超出拜访时限"}[resource]
    assert expected in header
    assert sheet.max_row >= 2
    assert api("clerk3").get(f"/api/v1/{resource}/export.xlsx").status_code == 200


@pytest.mark.parametrize("username", ["clerk1", "supervisor1", "executive", "finance", "admin"])
def test_every_role_opens_the_visit_pages(browser, username):
    web = browser(username)
    for path in ("/visitplanview/list/", "/visitplanitemview/list/", "/visitrecordview/list/",
                 "/visits/contact_due/", "/"):
        r = web.get(path)
        assert r.status_code == 200, (path, r.status_code)


def test_executive_and_finance_read_but_do_not_write(api, session):
    plan = new_plan(api("supervisor1"))
    for username in ("executive", "finance"):
        client = api(username)
        assert client.get(f"/api/v1/visit_plan/{plan}").status_code == 200
        assert client.post("/api/v1/visit_plan/", json={"month": fresh_month(),
                                                        "title": "x"}).status_code == 403
        assert client.put(f"/api/v1/visit_plan/{plan}", json={"title": "y"}).status_code == 403
    assert step(api("finance"), "visit_plan", plan, "submit").status_code == 403


def test_record_and_plan_show_pages_offer_the_steps(api, session, browser):
    plan, item, customer = approved_plan_with_item(api, session)
    record = new_record(api("clerk1"), customer, visit_plan_item=item,
                        unsolved="需要经理决定").json["id"]
    page = browser("clerk1").text(f"/visitrecordview/show/{record}")
    assert 'data-step="submit"' in page and "需要经理决定" in page
    page = browser("executive").text(f"/visitplanview/show/{plan}")
    assert "已批准" in page and 'data-step="approve"' not in page
    web = browser("clerk1")
    r = web.post(f"/visitrecordview/action/submit/{record}", {}, follow_redirects=True)
    assert "已提交" in r.get_data(as_text=True)
    assert session.get(VisitRecord, record).status == "submitted"


def test_a_key_customer_only_called_is_behind_on_site_since_creation():
    days, reasons = contact_reasons(True, date(2025, 1, 10), date(2026, 2, 20), None,
                                    date(2026, 3, 1))
    assert reasons == ["重点客户超过 6 个月未实地拜访（建档以来无实地拜访记录）"]
    assert days == (date(2026, 3, 1) - date(2025, 7, 10)).days


# --- the 接待人员 picker: the chosen customer's contacts with their 职务 (issue 22) ----------
CONTACTS_SEEN = {"clerk3": 200, "supervisor2": 200, "admin": 200, "executive": 200,
                 "finance": 200, "clerk1": 404, "supervisor1": 404}


@pytest.mark.parametrize("username,status", CONTACTS_SEEN.items())
def test_contacts_picker_offers_the_customers_contacts_with_their_title(api, username, status):
    owner = api("clerk3")
    customer, other = new_customer(owner), new_customer(owner)
    for body in ({"customer": customer, "name": "周总", "title": "董事长",
                  "is_decision_maker": True},
                 {"customer": customer, "name": "吴工"},
                 {"customer": other, "name": "郑经理", "title": "采购经理"}):
        assert owner.post("/api/v1/contact/", json=body).status_code == 201
    r = api(username).get(f"/api/v1/visit_record/contacts?customer={customer}")
    assert r.status_code == status, r.json
    if status == 200:
        assert [(c["name"], c["title"], c["label"]) for c in r.json["result"]] == [
            ("周总", "董事长", "周总（董事长）"), ("吴工", "", "吴工")]
    for bad in ("x", "", "999999999"):
        assert api(username).get(f"/api/v1/visit_record/contacts?customer={bad}") \
            .status_code == 404


def test_web_form_refuses_a_contact_of_another_customer(api, browser, session):
    clerk = api("clerk1")
    customer, other = new_customer(clerk), new_customer(clerk)
    stranger = clerk.post("/api/v1/contact/", json={"customer": other, "name": "钱经理"}).json["id"]
    before = count(session, VisitRecord)
    r = browser("clerk1").post("/visitrecordview/add", {
        "customer": str(customer), "visit_date": today_cn().isoformat(), "visit_type": "phone",
        "contacts_met": str(stranger), "result": "客户满意"}, follow_redirects=True)
    assert "不是客户" in flashes(r.get_data(as_text=True))
    assert count(session, VisitRecord) == before
