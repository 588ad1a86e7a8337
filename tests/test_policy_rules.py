"""Issue 15, the policies read again: complaint deadlines per step (policy 03 五 4.6),
collective complaints, the customer's own deadline, credit by Finance (04 4.2), the
annual grading round (04 5.1.1) and the three-class rule (04 2.0)."""
import io
import re
from datetime import date, datetime

import openpyxl
import prison as rison
import pytest
from sqlalchemy import func, select

from app.models.complaints import Complaint
from app.models.customers import Customer
from app.models.grading import grade_for
from tests.conftest import flashes, unique


def new_customer(client, **fields) -> int:
    r = client.post("/api/v1/customer/", json={"customer_type": "important", "name": unique("规则客户"), **fields})
    assert r.status_code == 201, r.json
    return r.json["id"]


def new_complaint(client, customer, received, category="general", **fields) -> dict:
    body = {"customer": customer, "complainant": "王女士", "category": category,
            "description": "送货延误", "received_at": received, **fields}
    r = client.post("/api/v1/complaint/", json=body)
    assert r.status_code == 201, r.json
    return client.get(f"/api/v1/complaint/{r.json['id']}").json["result"]


def count(session, model) -> int:
    return session.scalar(select(func.count(model.id)))


# --- complaint deadlines: category × collective × customer deadline ------------------
# Per receipt day: the end of its working day (same-day limit), of the next working day
# after that (上报集团), of the 2nd and 3rd working day after receipt, and a customer's
# own deadline.
DAYS = {
    # an ordinary Wednesday
    "weekday": dict(received="2026-03-04T10:00:00", same="2026-03-04T18:00:00",
                    escalate="2026-03-05T18:00:00", second="2026-03-06T18:00:00",
                    third="2026-03-09T18:00:00", customer="2026-03-05T12:00:00"),
    # National Day 2025 (10-01..10-08): everything starts on Thu 10-09; Sat 10-11 is a
    # 调休 working day
    "holiday": dict(received="2025-10-01T10:00:00", same="2025-10-09T18:00:00",
                    escalate="2025-10-10T18:00:00", second="2025-10-10T18:00:00",
                    third="2025-10-11T18:00:00", customer="2025-10-20T17:00:00"),
    # Sat 2026-02-14 is a 调休 working day; the Spring Festival (02-15..02-23) follows
    "workday_swap": dict(received="2026-02-14T10:00:00", same="2026-02-14T18:00:00",
                         escalate="2026-02-24T18:00:00", second="2026-02-25T18:00:00",
                         third="2026-02-26T18:00:00", customer="2026-02-27T09:30:00"),
}
KINDS = [("major", False), ("general", False), ("no_liability", False), ("assist", True),
         ("assist", False)]


def expected(day, category, in_scope, collective, customer_deadline):
    """Policy 4.6 as a table: (due_step, due_at, escalate_due_at)."""
    d = DAYS[day]
    if category == "major" or collective:  # 4.6.1 重大投诉及集体投诉
        return "handle", d["same"], d["escalate"]
    if category == "general":  # 4.6.2 不超过2天内或在顾客要求的期限内解决
        return "resolve", d["customer"] if customer_deadline else d["second"], None
    if category == "no_liability" or in_scope:  # 4.6.3, 4.6.4 范围内当天
        return "handle", d["same"], None
    return "handle", d["third"], None  # 4.6.4 范围外三个工作日


@pytest.fixture(scope="module")
def matrix_customer(app):
    from tests.conftest import Api
    return new_customer(Api(app, "clerk1"))


@pytest.mark.parametrize("customer_deadline", [False, True], ids=["no_cust_due", "cust_due"])
@pytest.mark.parametrize("collective", [False, True], ids=["single", "collective"])
@pytest.mark.parametrize(("category", "in_scope"), KINDS,
                         ids=["major", "general", "no_liability", "assist_in", "assist_out"])
@pytest.mark.parametrize("day", DAYS)
def test_deadline_per_category_collective_and_customer_deadline(
        api, matrix_customer, day, category, in_scope, collective, customer_deadline):
    fields = {"in_scope": in_scope, "parties_count": 6 if collective else 1}
    if customer_deadline:
        fields["customer_due_at"] = DAYS[day]["customer"]
    row = new_complaint(api("clerk1"), matrix_customer, DAYS[day]["received"], category,
                        **fields)
    assert (row["due_step"], row["due_at"], row["escalate_due_at"]) == \
        expected(day, category, in_scope, collective, customer_deadline)
    assert row["is_collective"] is collective
    assert row["customer_due_at"] == (DAYS[day]["customer"] if customer_deadline else None)
    assert row["handled_at"] is None


def test_five_parties_make_a_general_complaint_collective_with_major_deadlines(api):
    clerk = api("clerk1")
    customer = new_customer(clerk)
    cid = new_complaint(clerk, customer, "2026-03-04T10:00:00", parties_count=4)["id"]
    assert clerk.get(f"/api/v1/complaint/{cid}").json["result"]["due_step"] == "resolve"
    assert clerk.put(f"/api/v1/complaint/{cid}", json={"parties_count": 5}).status_code == 200
    row = clerk.get(f"/api/v1/complaint/{cid}").json["result"]
    assert row["is_collective"] is True
    assert (row["due_step"], row["due_at"], row["escalate_due_at"]) == \
        ("handle", "2026-03-04T18:00:00", "2026-03-05T18:00:00")
    # 上报集团 is offered for it, like for a major complaint
    r = clerk.post(f"/api/v1/complaint/{cid}/transition/escalate", json={"comment": "已上报"})
    assert r.status_code == 200, r.json
    assert r.json["result"]["escalated_at"] is not None


def test_customer_deadline_set_later_becomes_the_deadline(api):
    clerk = api("clerk1")
    cid = new_complaint(clerk, new_customer(clerk), "2026-03-04T10:00:00")["id"]
    r = clerk.put(f"/api/v1/complaint/{cid}", json={"customer_due_at": "2026-03-13T17:00:00"})
    assert r.status_code == 200, r.json
    assert clerk.get(f"/api/v1/complaint/{cid}").json["result"]["due_at"] == \
        "2026-03-13T17:00:00"


def test_customer_deadline_before_receipt_is_refused_in_chinese(api, session):
    clerk = api("clerk1")
    customer = new_customer(clerk)
    before = count(session, Complaint)
    r = clerk.post("/api/v1/complaint/", json={
        "customer": customer, "complainant": "王女士", "category": "general",
        "description": "送货延误", "received_at": "2026-03-04T10:00:00",
        "customer_due_at": "2026-03-03T10:00:00"})
    assert r.status_code == 422
    assert "顾客要求的期限不能早于受理时间" in str(r.json["message"])
    assert count(session, Complaint) == before


def test_handle_stamps_handled_at_once_and_resolve_stamps_it_when_skipped(api):
    clerk = api("clerk1")
    customer = new_customer(clerk)
    handled = new_complaint(clerk, customer, "2026-03-04T10:00:00", "major")["id"]
    r = clerk.post(f"/api/v1/complaint/{handled}/transition/handle", json={})
    assert r.status_code == 200, r.json
    first = r.json["result"]["handled_at"]
    assert first is not None
    r = clerk.post(f"/api/v1/complaint/{handled}/transition/resolve",
                   json={"resolution": "已赔偿"})
    assert r.json["result"]["handled_at"] == first  # resolving keeps it
    skipped = new_complaint(clerk, customer, "2026-03-04T10:00:00", "general")["id"]
    r = clerk.post(f"/api/v1/complaint/{skipped}/transition/resolve",
                   json={"resolution": "已补发"})
    assert r.status_code == 200, r.json
    assert r.json["result"]["handled_at"] == r.json["result"]["resolved_at"]


# --- overdue by step ------------------------------------------------------------------
def craft(session, cid, status, handled=None, resolved=None, followed=None):
    complaint = session.get(Complaint, cid, populate_existing=True)
    complaint.status, complaint.handled_at, complaint.resolved_at = status, handled, resolved
    if resolved:
        complaint.resolution = "已处理"
    complaint.followed_up_at = followed
    session.commit()


def overdue_ids(client, opr="complaint_overdue") -> set:
    q = rison.dumps({"filters": [{"col": "status", "opr": opr, "value": 1}],
                     "page_size": 100})
    r = client.get(f"/api/v1/complaint/?q={q}")
    assert r.status_code == 200, r.json
    return {row["id"] for row in r.json["result"]}


def test_handle_deadline_is_met_by_entering_handling_not_by_resolving(
        api, session, dedicated_clerk):
    me = api(dedicated_clerk)
    customer = new_customer(me)
    # entered handling on time (same day), not resolved months later: not overdue
    on_time = new_complaint(me, customer, "2025-03-04T10:00:00", "no_liability")["id"]
    craft(session, on_time, "handling", handled=datetime(2025, 3, 4, 11))
    # never entered handling: overdue
    waiting = new_complaint(me, customer, "2025-03-04T10:00:00", "assist", in_scope=True)["id"]
    # a general complaint handled on time but not resolved: its deadline is for resolving
    unresolved = new_complaint(me, customer, "2025-03-04T10:00:00", "general")["id"]
    craft(session, unresolved, "handling", handled=datetime(2025, 3, 4, 11))
    # a collective complaint handled on time, never escalated
    collective = new_complaint(me, customer, "2025-03-04T10:00:00", "general",
                               parties_count=7)["id"]
    craft(session, collective, "handling", handled=datetime(2025, 3, 4, 11))
    rows = {cid: me.get(f"/api/v1/complaint/{cid}").json["result"]
            for cid in (on_time, waiting, unresolved, collective)}
    assert rows[on_time]["overdue"] is False and rows[on_time]["overdue_handling"] is False
    assert rows[waiting]["overdue_handling"] is True
    assert rows[unresolved]["overdue_handling"] is True
    assert rows[collective]["overdue_handling"] is False
    assert rows[collective]["overdue_escalation"] is True
    assert overdue_ids(me) == {waiting, unresolved, collective}
    assert overdue_ids(me, "complaint_my_overdue") == {waiting, unresolved, collective}
    counts = me.get("/api/v1/complaint/overdue").json["result"]
    assert counts == {"handling": 2, "escalation": 1, "followup": 0, "total": 3, "mine": 3}


def test_overdue_marks_in_the_list_follow_the_step(api, browser, session, dedicated_clerk):
    me = api(dedicated_clerk)
    customer = new_customer(me)
    on_time = new_complaint(me, customer, "2025-03-04T10:00:00", "major")
    craft(session, on_time["id"], "handling", handled=datetime(2025, 3, 4, 11))
    escalated = session.get(Complaint, on_time["id"], populate_existing=True)
    escalated.escalated_at = datetime(2025, 3, 5, 9)
    session.commit()
    late = new_complaint(me, customer, "2025-03-04T10:00:00", "major")
    page = browser(dedicated_clerk).text("/complaintview/list/")
    rows = {code: html for code, html in
            re.findall(r"(TS\d{4}-\d{5})(.*?)</tr>", page, re.S)}
    assert "处理超期" not in rows[on_time["code"]]
    assert "处理超期" in rows[late["code"]]
    assert "超期 1 条" in page


# --- 及时率 on a month with a known answer --------------------------------------------
def test_timely_rate_judges_each_complaint_by_its_step(api, session, dedicated_clerk):
    """June 2025 (no holiday from 06-03 on). Known answer: major 1/2, general 2/3,
    no_liability 1/1, assist 1/1, total 5/7."""
    me = api(dedicated_clerk)
    customer = new_customer(me)
    made = {}

    def add(key, received, category, **fields):
        made[key] = new_complaint(me, customer, received, category, **fields)["id"]

    add("m1", "2025-06-09T10:00:00", "major")  # handle by 06-09 18:00
    add("m2", "2025-06-09T10:00:00", "major")
    add("n1", "2025-06-10T10:00:00", "no_liability")  # handle by 06-10 18:00
    add("a1", "2025-06-13T10:00:00", "assist")  # out of scope: handle by 06-18 18:00
    add("g1", "2025-06-09T10:00:00", "general")  # resolve by 06-11 18:00
    add("g2", "2025-06-09T10:00:00", "general",
        customer_due_at="2025-06-20T18:00:00")  # resolve by the customer's deadline
    add("c1", "2025-06-10T10:00:00", "general", parties_count=6)  # collective: handle 06-10
    add("g3", "2025-06-12T10:00:00", "general")  # still registered: not counted
    craft(session, made["m1"], "resolved", handled=datetime(2025, 6, 9, 11),
          resolved=datetime(2025, 6, 12, 10))  # handled on time; resolving later is fine
    craft(session, made["m2"], "handling", handled=datetime(2025, 6, 10, 9))  # late
    craft(session, made["n1"], "handling", handled=datetime(2025, 6, 10, 17))
    craft(session, made["a1"], "handling", handled=datetime(2025, 6, 18, 18))  # on the dot
    craft(session, made["g1"], "resolved", handled=datetime(2025, 6, 9, 11),
          resolved=datetime(2025, 6, 12, 10))  # resolved late
    craft(session, made["g2"], "resolved", handled=datetime(2025, 6, 9, 11),
          resolved=datetime(2025, 6, 19, 10))
    craft(session, made["c1"], "resolved", handled=datetime(2025, 6, 10, 15),
          resolved=datetime(2025, 6, 16, 10))
    r = me.get("/api/v1/complaint/stats?month=2025-06")
    assert r.status_code == 200, r.json
    rows = {row["category"]: row for row in r.json["result"]}
    assert (rows["major"]["received"], rows["major"]["resolved"]) == (2, 1)
    assert rows["major"]["timely_rate"] == 0.5
    assert (rows["general"]["received"], rows["general"]["resolved"]) == (4, 3)
    assert rows["general"]["timely_rate"] == pytest.approx(2 / 3)
    assert rows["no_liability"]["timely_rate"] == 1.0
    assert rows["no_liability"]["handling_rate"] == 0.0  # not resolved, yet on time
    assert rows["assist"]["timely_rate"] == 1.0
    assert r.json["total"]["timely_rate"] == pytest.approx(5 / 7)
    # the monthly paper form shows the same figures, and handled_at per row
    r = me.get("/api/v1/complaint/form.xlsx?month=2025-06")
    assert r.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(r.data))
    header = [c.value for c in wb["客户投诉登记表"][3]]
    assert "期限环节" in header and "进入处理时间" in header
    stats = {row[0]: row for row in wb["月度统计"].iter_rows(min_row=4, values_only=True)
             if row[0]}
    assert stats["重大责任投诉"][4] == 50
    assert stats["合计"][4] == pytest.approx(71.43)


# --- the migration fills handled_at from the history --------------------------------
MIGRATION_SCRIPT = """
import json, sys
from datetime import datetime
from app import create_app
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "LOG_LEVEL": "ERROR"})
with app.app_context():
    from flask_migrate import upgrade
    import sqlalchemy as sa
    from app.extensions import db
    upgrade(revision="0013_satisfaction")  # the revision before 0015_policy_rules
    with db.engine.begin() as c:
        c.execute(sa.text("INSERT INTO ab_user (id, first_name, last_name, username, active,"
                          " email) VALUES (1, 'a', 'b', 'u', 1, 'u@x')"))
        c.execute(sa.text(
            "INSERT INTO customer (id, code, name, customer_type, cooperation, is_key,"
            " grade_provisional, status, owner_id, created_on, changed_on, version)"
            " VALUES (1, 'KH2025-00001', 'c', 'group', 'active', 0, 0, 'active', 1,"
            " :t, :t, 1)"), {"t": datetime(2025, 3, 1)})
        for cid, category, parties, collective in [(1, 'major', 1, 0), (2, 'general', 1, 0),
                                                   (3, 'general', 6, 1), (4, 'assist', 1, 0)]:
            c.execute(sa.text(
                "INSERT INTO complaint (id, code, customer_id, received_at, channel,"
                " complainant, parties_count, is_collective, category, in_scope,"
                " description, due_at, status, owner_id, created_on, changed_on, version)"
                " VALUES (:id, :code, 1, :r, 'phone', 'p', :n, :col, :cat, 0, 'd', :due,"
                " 'handling', 1, :r, :r, 1)"),
                {"id": cid, "code": f"TS2025-0000{cid}", "r": datetime(2025, 3, 4, 10),
                 "n": parties, "col": collective, "cat": category,
                 "due": datetime(2025, 3, 6, 18)})
        for row_id, step, at in [(1, 'handle', datetime(2025, 3, 4, 11)),
                                 (1, 'resolve', datetime(2025, 3, 5, 9)),
                                 (2, 'resolve', datetime(2025, 3, 5, 12)),
                                 (2, 'handle', datetime(2025, 3, 6, 8)),
                                 (3, 'handle', datetime(2025, 3, 4, 15))]:
            c.execute(sa.text(
                "INSERT INTO transition_log (register, row_id, step, from_state, to_state,"
                " user_id, at) VALUES ('complaint', :r, :s, 'a', 'b', 1, :at)"),
                {"r": row_id, "s": step, "at": at})
    upgrade(revision="0015_policy_rules")
    with db.engine.connect() as c:
        rows = c.execute(sa.text("SELECT id, due_step, handled_at, due_at, escalate_due_at"
                                 " FROM complaint ORDER BY id")).all()
    print(json.dumps([[str(v)[:19] if v is not None else None for v in r] for r in rows]))
"""


def test_migration_fills_handled_at_and_due_step_from_history(tmp_path):
    import json
    import subprocess
    import sys
    url = f"sqlite:///{tmp_path}/migration.db"
    done = subprocess.run([sys.executable, "-c", MIGRATION_SCRIPT, url], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    assert [r[:3] for r in rows] == [
        ["1", "handle", "2025-03-04 11:00:00"],  # the first handle
        ["2", "resolve", "2025-03-05 12:00:00"],  # resolved first: that entered handling
        ["3", "handle", "2025-03-04 15:00:00"],  # collective general: handle step
        ["4", "handle", None],  # no history yet
    ]
    # the collective general complaint gets the major deadlines (Tue 2025-03-04)
    assert rows[2][3:] == ["2025-03-04 18:00:00", "2025-03-05 18:00:00"]
    assert rows[1][3:] == ["2025-03-06 18:00:00", None]  # others keep theirs


# --- credit rating and limit: Finance's (policy 04 4.2) -------------------------------
CREDIT = {"credit_rating": "AAA", "credit_limit": "1000000.00"}


def credit_of(session, pk):
    row = session.get(Customer, pk, populate_existing=True)
    return row.credit_rating, row.credit_limit


@pytest.mark.parametrize("user", ["clerk1", "supervisor1"])
def test_clerk_and_supervisor_cannot_set_credit_over_the_api(api, session, user):
    a = api(user)
    before = count(session, Customer)
    r = a.post("/api/v1/customer/", json={"customer_type": "important", "name": unique("客户"), **CREDIT})
    assert r.status_code == 403
    assert "财务" in r.json["message"]
    assert count(session, Customer) == before
    pk = new_customer(a)
    for body in ({"credit_rating": "AAA"}, {"credit_limit": "1000000"},
                 {"phone": "0571-1", "credit_limit": "5"}):
        r = a.put(f"/api/v1/customer/{pk}", json=body)
        assert r.status_code == 403, body
    row = session.get(Customer, pk, populate_existing=True)
    assert (row.credit_rating, row.credit_limit, row.phone, row.version) == \
        (None, None, None, 1)


def test_finance_sets_credit_over_the_api_and_nothing_else(api, session):
    pk = new_customer(api("clerk3"), phone="0571-2")
    finance = api("finance")
    r = finance.put(f"/api/v1/customer/{pk}", json=CREDIT)
    assert r.status_code == 200, r.json
    assert credit_of(session, pk) == ("AAA", 1000000)
    r = finance.put(f"/api/v1/customer/{pk}", json={"phone": "0571-9", "credit_rating": "A"})
    assert r.status_code == 403
    assert "财务只能修改" in r.json["message"]
    row = session.get(Customer, pk, populate_existing=True)
    assert (row.phone, row.credit_rating) == ("0571-2", "AAA")
    assert finance.post("/api/v1/customer/", json={"customer_type": "important", "name": unique("客户")}).status_code == 403
    assert finance.delete(f"/api/v1/customer/{pk}").status_code == 403


def test_clerk_may_send_back_the_credit_values_unchanged(api, session):
    pk = new_customer(api("clerk1"))
    assert api("finance").put(f"/api/v1/customer/{pk}", json=CREDIT).status_code == 200
    r = api("clerk1").put(f"/api/v1/customer/{pk}",
                          json={"phone": "0571-3", "credit_rating": "AAA",
                                "credit_limit": 1000000})
    assert r.status_code == 200, r.json
    assert credit_of(session, pk) == ("AAA", 1000000)


def test_admin_sets_credit_and_executive_cannot(api, session):
    pk = new_customer(api("clerk1"))
    assert api("executive").put(f"/api/v1/customer/{pk}", json=CREDIT).status_code == 403
    assert credit_of(session, pk) == (None, None)
    assert api("admin").put(f"/api/v1/customer/{pk}", json=CREDIT).status_code == 200
    assert credit_of(session, pk) == ("AAA", 1000000)


@pytest.mark.parametrize("body, message", [({"credit_rating": "AAAA"}, "取值无效"),
                                           ({"credit_limit": "-1.00"}, "信用额度不能为负数")])
def test_finance_bad_credit_is_422_in_chinese(api, session, body, message):
    pk = new_customer(api("clerk1"))
    r = api("finance").put(f"/api/v1/customer/{pk}", json=body)
    assert r.status_code == 422
    assert message in str(r.json["message"])
    assert credit_of(session, pk) == (None, None)


def test_clerk_web_form_shows_credit_read_only_and_ignores_it(api, browser, session):
    pk = new_customer(api("clerk1"))
    assert api("finance").put(f"/api/v1/customer/{pk}",
                              json={"credit_rating": "B", "credit_limit": "500"}).status_code \
        == 200
    b = browser("clerk1")
    page = b.text(f"/customerview/edit/{pk}")
    assert re.search(r'<select[^>]*disabled[^>]*name="credit_rating"|'
                     r'<select[^>]*name="credit_rating"[^>]*disabled', page)
    assert re.search(r'<input[^>]*disabled[^>]*name="credit_limit"|'
                     r'<input[^>]*name="credit_limit"[^>]*disabled', page)
    row = session.get(Customer, pk)
    r = b.post(f"/customerview/edit/{pk}", {
        "name": row.name, "customer_type": "important", "cooperation": "active",
        "status": "active", "phone": "0571-86660000", "credit_rating": "AAA",
        "credit_limit": "1000000"})
    assert r.status_code == 302, flashes(r.get_data(as_text=True))
    row = session.get(Customer, pk, populate_existing=True)
    assert row.phone == "0571-86660000"
    assert (row.credit_rating, row.credit_limit) == ("B", 500)
    add = b.text("/customerview/add")
    assert re.search(r'name="credit_limit"[^>]*disabled|disabled[^>]*name="credit_limit"', add)


def test_clerk_web_add_ignores_posted_credit(browser, session):
    name = unique("客户")
    r = browser("clerk1").post("/customerview/add", {
        "name": name, "customer_type": "important", "cooperation": "active",
        "status": "active", "credit_rating": "AAA", "credit_limit": "1000000"})
    assert r.status_code == 302
    row = session.scalar(select(Customer).where(Customer.name == name))
    assert (row.credit_rating, row.credit_limit) == (None, None)


def test_finance_web_form_has_exactly_the_credit_fields(api, browser, session):
    pk = new_customer(api("clerk3"), phone="0571-5")
    b = browser("finance")
    page = b.text(f"/customerview/edit/{pk}")
    names = set(re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', page))
    assert {"credit_rating", "credit_limit"} <= names
    assert not names & {"name", "phone", "customer_type", "cooperation", "notes"}
    r = b.post(f"/customerview/edit/{pk}", {"credit_rating": "AA", "credit_limit": "300000",
                                            "phone": "0000", "name": "改名"})
    assert r.status_code == 302, flashes(r.get_data(as_text=True))
    row = session.get(Customer, pk, populate_existing=True)
    assert (row.credit_rating, row.credit_limit, row.phone) == ("AA", 300000, "0571-5")
    assert not row.name.startswith("改名")
    assert b.get("/customerview/add").status_code == 403


def test_clerk_import_with_credit_is_refused_and_admin_import_keeps_it(browser, session):
    from tests.test_import import CUSTOMER_HEADER, upload, xlsx
    p = unique("信用导入")
    row = [p, "集团客户", None, None, None, None, "合作中", "否", "AA", 5000, None]
    before = count(session, Customer)
    r = upload(browser("clerk1"), "customerview", xlsx(CUSTOMER_HEADER, [row]))
    assert "财务" in r.get_data(as_text=True)
    assert count(session, Customer) == before
    r = upload(browser("admin"), "customerview", xlsx(CUSTOMER_HEADER, [row]))
    assert "已导入 1 行" in r.get_data(as_text=True)
    customer = session.scalar(select(Customer).where(Customer.name == p))
    assert (customer.credit_rating, customer.credit_limit) == ("AA", 5000)


# --- the annual round reminder (policy 04 5.1.1) -------------------------------------
@pytest.fixture
def on_day(monkeypatch):
    import app.views.grading as views
    return lambda day: monkeypatch.setattr(views, "today_cn", lambda: day)


def test_annual_round_reminder_from_march_first_until_evaluated(api, browser, on_day,
                                                                dedicated_clerk):
    me = api(dedicated_clerk)
    customer = new_customer(me)
    name = me.get(f"/api/v1/customer/{customer}").json["result"]["name"]
    year = date.today().year
    on_day(date(year, 2, 28))
    assert "年度客户分级评定" not in browser(dedicated_clerk).text("/")
    on_day(date(year, 3, 1))
    page = browser(dedicated_clerk).text("/")
    assert f"{year} 年度客户分级评定" in page and name in page
    assert "还有 1 个客户没有" in page
    r = me.post("/api/v1/grade_evaluation/", json={"customer": customer, "year": year})
    assert r.status_code == 201, r.json
    assert "年度客户分级评定" not in browser(dedicated_clerk).text("/")


def test_annual_round_reminder_is_for_clerks_and_supervisors(api, browser, on_day):
    new_customer(api("clerk1"))  # supervisor1's department has a customer to evaluate
    on_day(date(date.today().year, 3, 26))
    assert "年度客户分级评定" in browser("supervisor1").text("/")
    for user in ("executive", "finance", "admin"):
        assert "年度客户分级评定" not in browser(user).text("/"), user


# --- three classes (policy 04 2.0) ------------------------------------------------------
def test_d_threshold_zero_gives_three_classes_and_the_form_says_so(browser):
    assert grade_for(0, 85, 70, 0) == "C"
    assert grade_for(54, 85, 70, 55) == "D"
    page = browser("admin").text("/gradingruleview/add")
    assert "设为 0 则不设 D 级" in page



# --- the web form's 顾客要求的期限 -------------------------------------------------------
def web_complaint(browser, api, follow=False, **fields):
    customer = new_customer(api("clerk1"))
    description = unique("网页投诉")
    r = browser("clerk1").post("/complaintview/add", {
        "customer": str(customer), "received_at": "2026-03-04 10:00:00", "channel": "phone",
        "complainant": "钱先生", "parties_count": "1", "category": "general",
        "description": description, **fields}, follow_redirects=follow)
    return r, description


def test_web_form_date_alone_means_the_end_of_that_working_day(api, browser, session):
    r, description = web_complaint(browser, api, customer_due_at="2026-03-13")
    assert r.status_code == 302, flashes(r.get_data(as_text=True))
    row = session.scalar(select(Complaint).where(Complaint.description == description))
    assert row.customer_due_at == row.due_at == datetime(2026, 3, 13, 18, 0)


def test_web_form_bad_customer_deadline_is_refused_in_chinese(api, browser, session):
    before = count(session, Complaint)
    r, _description = web_complaint(browser, api, customer_due_at="2026-13-45")
    assert r.status_code == 200
    text = flashes(r.get_data(as_text=True))
    assert re.search(r"[\u4e00-\u9fff]", text) and "Not a valid" not in text, text
    r, _description = web_complaint(browser, api, follow=True,
                                    customer_due_at="2026-03-01 09:00:00")
    assert "顾客要求的期限不能早于受理时间" in flashes(r.get_data(as_text=True))
    assert count(session, Complaint) == before


def test_show_page_names_the_step_the_deadline_is_for(api, browser):
    clerk = api("clerk1")
    customer = new_customer(clerk)
    major = new_complaint(clerk, customer, "2026-03-04T10:00:00", "major")["id"]
    general = new_complaint(clerk, customer, "2026-03-04T10:00:00", "general")["id"]
    b = browser("clerk1")
    assert "处理期限（进入处理）：2026-03-04 18:00" in b.text(f"/complaintview/show/{major}")
    assert "处理期限（处理完毕）：2026-03-06 18:00" in b.text(f"/complaintview/show/{general}")
