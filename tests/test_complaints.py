"""客户投诉: deadlines on the China calendar, workflow, escalation, overdue marking,
monthly statistics, row scope, improvement measures and workday overrides."""
from datetime import date, datetime, timedelta

import prison as rison
import pytest
from sqlalchemy import func, select

from app.models.calendar import WorkdayOverride, work_calendar
from app.models.complaints import Complaint, ImprovementMeasure
from app.timeutil import now_cn
from app.workdays import WorkCalendar, end_of_workday
from tests.conftest import flashes, unique


def new_customer(client) -> int:
    r = client.post("/api/v1/customer/", json={"customer_type": "important", "name": unique("投诉客户")})
    assert r.status_code == 201, r.json
    return r.json["id"]


def new_complaint(client, customer, received=None, category="general", **fields):
    body = {"customer": customer, "complainant": "张先生", "category": category,
            "description": "空调不制冷", **fields}
    if received is not None:
        body["received_at"] = received
    r = client.post("/api/v1/complaint/", json=body)
    assert r.status_code == 201, r.json
    return r.json["id"]


def get(client, complaint_id) -> dict:
    r = client.get(f"/api/v1/complaint/{complaint_id}")
    assert r.status_code == 200, r.json
    return r.json["result"]


def step(client, complaint_id, name, **body):
    return client.post(f"/api/v1/complaint/{complaint_id}/transition/{name}", json=body)


def count(session, model=Complaint) -> int:
    return session.scalar(select(func.count(model.id)))


@pytest.fixture
def clerk(api):
    return api("clerk1")


@pytest.fixture
def customer(clerk):
    return new_customer(clerk)


# --- deadlines (DESIGN.md §4) ---------------------------------------------------------
DEADLINES = [
    # category, in_scope, received, due_at, escalate_due_at
    # ordinary weekdays
    ("major", False, "2026-03-04T10:00:00", "2026-03-04T18:00:00", "2026-03-05T18:00:00"),
    ("general", False, "2026-03-04T10:00:00", "2026-03-06T18:00:00", None),
    ("no_liability", False, "2026-03-04T10:00:00", "2026-03-04T18:00:00", None),
    ("assist", True, "2026-03-04T10:00:00", "2026-03-04T18:00:00", None),
    ("assist", False, "2026-03-04T10:00:00", "2026-03-09T18:00:00", None),
    # Fridays: the next working day is Monday
    ("major", False, "2026-03-06T09:00:00", "2026-03-06T18:00:00", "2026-03-09T18:00:00"),
    ("general", False, "2026-03-06T09:00:00", "2026-03-10T18:00:00", None),
    ("general", False, "2026-03-05T09:00:00", "2026-03-09T18:00:00", None),
    ("assist", False, "2026-03-06T09:00:00", "2026-03-11T18:00:00", None),
    # received on an ordinary weekend: the next working day counts
    ("major", False, "2026-03-07T11:00:00", "2026-03-09T18:00:00", "2026-03-10T18:00:00"),
    ("general", False, "2026-03-07T11:00:00", "2026-03-10T18:00:00", None),
    ("no_liability", False, "2026-03-08T11:00:00", "2026-03-09T18:00:00", None),
    ("assist", True, "2026-03-08T11:00:00", "2026-03-09T18:00:00", None),
    # statutory holidays: National Day 2025 (10-01..10-08), Spring Festival 2026 (02-15..02-23)
    ("major", False, "2025-10-01T10:00:00", "2025-10-09T18:00:00", "2025-10-10T18:00:00"),
    ("general", False, "2025-10-01T10:00:00", "2025-10-10T18:00:00", None),
    ("general", False, "2025-09-30T10:00:00", "2025-10-10T18:00:00", None),
    ("no_liability", False, "2025-10-01T10:00:00", "2025-10-09T18:00:00", None),
    ("assist", False, "2025-10-01T10:00:00", "2025-10-11T18:00:00", None),  # Sat 调休
    ("major", False, "2026-02-16T10:00:00", "2026-02-24T18:00:00", "2026-02-25T18:00:00"),
    ("general", False, "2026-02-16T10:00:00", "2026-02-25T18:00:00", None),
    ("no_liability", False, "2026-02-16T10:00:00", "2026-02-24T18:00:00", None),
    ("assist", True, "2026-02-16T10:00:00", "2026-02-24T18:00:00", None),
    # 调休 weekend workdays: Sun 2026-01-04, Sat 2026-02-14, Sat 2026-02-28
    ("major", False, "2026-01-04T10:00:00", "2026-01-04T18:00:00", "2026-01-05T18:00:00"),
    ("general", False, "2026-01-04T10:00:00", "2026-01-06T18:00:00", None),
    ("no_liability", False, "2026-02-14T10:00:00", "2026-02-14T18:00:00", None),
    ("major", False, "2026-02-14T10:00:00", "2026-02-14T18:00:00", "2026-02-24T18:00:00"),
    ("general", False, "2026-02-13T10:00:00", "2026-02-24T18:00:00", None),
    ("assist", False, "2026-02-12T10:00:00", "2026-02-24T18:00:00", None),
    ("assist", True, "2026-02-28T10:00:00", "2026-02-28T18:00:00", None),
    ("general", False, "2026-02-27T10:00:00", "2026-03-02T18:00:00", None),
    ("major", False, "2026-02-28T10:00:00", "2026-02-28T18:00:00", "2026-03-02T18:00:00"),
    # received after the end of a working day: a same-day deadline moves on
    ("major", False, "2026-03-04T19:30:00", "2026-03-05T18:00:00", "2026-03-06T18:00:00"),
    ("no_liability", False, "2026-03-06T20:00:00", "2026-03-09T18:00:00", None),
]


@pytest.mark.parametrize(("category", "in_scope", "received", "due", "escalate"), DEADLINES)
def test_deadline_follows_the_china_calendar(clerk, customer, category, in_scope, received,
                                             due, escalate):
    row = get(clerk, new_complaint(clerk, customer, received, category, in_scope=in_scope))
    assert (row["due_at"], row["escalate_due_at"]) == (due, escalate)
    assert row["followup_due_at"] is None


def test_deadlines_are_recomputed_when_category_or_receipt_changes(clerk, customer):
    cid = new_complaint(clerk, customer, "2026-03-04T10:00:00", "general")
    r = clerk.put(f"/api/v1/complaint/{cid}", json={"category": "major"})
    assert r.status_code == 200, r.json
    row = get(clerk, cid)
    assert (row["due_at"], row["escalate_due_at"]) == ("2026-03-04T18:00:00",
                                                       "2026-03-05T18:00:00")
    clerk.put(f"/api/v1/complaint/{cid}", json={"received_at": "2026-02-16T09:00:00"})
    assert get(clerk, cid)["due_at"] == "2026-02-24T18:00:00"
    clerk.put(f"/api/v1/complaint/{cid}", json={"category": "assist", "in_scope": False})
    row = get(clerk, cid)
    assert (row["due_at"], row["escalate_due_at"]) == ("2026-02-26T18:00:00", None)


def test_followup_deadline_is_two_working_days_after_resolution_on_every_path(
        clerk, customer, session):
    cid = new_complaint(clerk, customer, "2026-02-12T10:00:00", "general")
    complaint = session.get(Complaint, cid)
    complaint.resolved_at = datetime(2026, 2, 13, 15, 0)  # Fri → Sat 02-14 (调休), 02-24
    complaint.status = "resolved"
    session.commit()
    row = get(clerk, cid)
    assert row["followup_due_at"] == "2026-02-24T18:00:00"
    assert row["due_at"] == "2026-02-14T18:00:00"  # unchanged by the resolution


def test_resolve_stamps_resolved_at_and_sets_followup_deadline(clerk, customer):
    cid = new_complaint(clerk, customer, "2026-03-04T10:00:00", "general")
    assert step(clerk, cid, "handle").status_code == 200
    r = step(clerk, cid, "resolve", resolution="更换压缩机")
    assert r.status_code == 200, r.json
    row = r.json["result"]
    assert row["status"] == "resolved" and row["resolution"] == "更换压缩机"
    resolved = datetime.fromisoformat(row["resolved_at"])
    assert abs(resolved - now_cn()) < timedelta(minutes=2)
    expected = end_of_workday(WorkCalendar().add_workdays(resolved, 2))
    assert row["followup_due_at"] == expected.isoformat()


def test_workday_override_added_by_admin_changes_the_deadline(api, clerk, customer):
    admin = api("admin")
    # Mon 2025-06-09, general: Tue 06-10 and Wed 06-11 are the two working days after.
    assert get(clerk, new_complaint(clerk, customer, "2025-06-09T10:00:00"))["due_at"] == \
        "2025-06-11T18:00:00"
    r = admin.post("/api/v1/workday_override/",
                   json={"date": "2025-06-10", "is_workday": False, "note": "停电放假"})
    assert r.status_code == 201, r.json
    rest_day = r.json["id"]
    r = admin.post("/api/v1/workday_override/",
                   json={"date": "2025-06-14", "is_workday": True, "note": "周六补班"})
    assert r.status_code == 201, r.json
    workday = r.json["id"]
    try:
        row = get(clerk, new_complaint(clerk, customer, "2025-06-09T10:00:00"))
        assert row["due_at"] == "2025-06-12T18:00:00"
        row = get(clerk, new_complaint(clerk, customer, "2025-06-14T10:00:00", "no_liability"))
        assert row["due_at"] == "2025-06-14T18:00:00"
        row = get(clerk, new_complaint(clerk, customer, "2025-06-10T10:00:00", "major"))
        assert (row["due_at"], row["escalate_due_at"]) == ("2025-06-11T18:00:00",
                                                           "2025-06-12T18:00:00")
    finally:
        assert admin.delete(f"/api/v1/workday_override/{rest_day}").status_code == 200
        assert admin.delete(f"/api/v1/workday_override/{workday}").status_code == 200


def test_only_admin_adds_workday_overrides_others_read(api, session):
    before = count(session, WorkdayOverride)
    r = api("clerk1").post("/api/v1/workday_override/",
                           json={"date": "2025-06-21", "is_workday": True})
    assert r.status_code == 403
    assert api("supervisor1").get("/api/v1/workday_override/").status_code == 200
    assert count(session, WorkdayOverride) == before


def test_duplicate_workday_override_is_refused_in_chinese(api, session):
    admin = api("admin")
    first = admin.post("/api/v1/workday_override/", json={"date": "2025-06-22",
                                                         "is_workday": True}).json["id"]
    try:
        before = count(session, WorkdayOverride)
        r = admin.post("/api/v1/workday_override/", json={"date": "2025-06-22",
                                                         "is_workday": False})
        assert r.status_code == 422
        assert "已存在" in str(r.json["message"])
        assert count(session, WorkdayOverride) == before
    finally:
        admin.delete(f"/api/v1/workday_override/{first}")


def test_work_calendar_is_built_once_per_request_and_sees_overrides(app, session):
    from app.extensions import db
    with app.test_request_context("/"):
        first = work_calendar(db.session)
        assert work_calendar(db.session) is first
    override = WorkdayOverride(date=date(2025, 6, 28), is_workday=True, owner_id=1)
    session.add(override)
    session.commit()
    try:
        assert work_calendar(session).is_workday(date(2025, 6, 28))
        assert not WorkCalendar().is_workday(date(2025, 6, 28))
    finally:
        session.delete(override)
        session.commit()


# --- registration rules ---------------------------------------------------------------
def test_received_at_in_the_future_is_refused_in_chinese_and_nothing_saved(
        clerk, customer, session):
    before = count(session)
    future = (now_cn() + timedelta(days=1)).isoformat()
    r = clerk.post("/api/v1/complaint/", json={
        "customer": customer, "complainant": "李女士", "category": "general",
        "description": "噪音", "received_at": future})
    assert r.status_code == 422
    assert "受理时间不能晚于当前时间" in str(r.json["message"])
    assert count(session) == before


def test_received_at_defaults_to_now_and_code_is_assigned(clerk, customer):
    row = get(clerk, new_complaint(clerk, customer))
    assert abs(datetime.fromisoformat(row["received_at"]) - now_cn()) < timedelta(minutes=2)
    assert row["code"].startswith(f"TS{now_cn().year}-")
    assert row["status"] == "registered"


@pytest.mark.parametrize(("parties", "collective"), [(1, False), (4, False), (5, True),
                                                     (12, True)])
def test_is_collective_is_computed_from_parties_count(clerk, customer, parties, collective):
    row = get(clerk, new_complaint(clerk, customer, parties_count=parties))
    assert row["is_collective"] is collective


def test_parties_count_below_one_is_refused(clerk, customer, session):
    before = count(session)
    r = clerk.post("/api/v1/complaint/", json={
        "customer": customer, "complainant": "王", "category": "general",
        "description": "x", "parties_count": 0})
    assert r.status_code == 422
    assert "投诉户数至少为 1" in str(r.json["message"])
    assert count(session) == before


def test_unknown_category_is_refused_in_chinese(clerk, customer, session):
    before = count(session)
    r = clerk.post("/api/v1/complaint/", json={
        "customer": customer, "complainant": "王", "category": "serious", "description": "x"})
    assert r.status_code == 422
    assert "取值无效" in str(r.json["message"])
    assert count(session) == before


@pytest.mark.parametrize("field, value", [("due_at", "2030-01-01T18:00:00"),
                                          ("is_collective", True),
                                          ("escalate_due_at", "2030-01-01T18:00:00"),
                                          ("overdue", False), ("status", "closed")])
def test_computed_fields_are_not_writable(clerk, customer, field, value):
    cid = new_complaint(clerk, customer, "2026-03-04T10:00:00")
    r = clerk.put(f"/api/v1/complaint/{cid}", json={field: value})
    assert r.status_code == 422
    row = get(clerk, cid)
    assert row["due_at"] == "2026-03-06T18:00:00" and row["status"] == "registered"


def test_complaint_follows_the_customers_owner(api, session):
    customer = new_customer(api("clerk1"))
    cid = new_complaint(api("supervisor1"), customer)
    assert session.get(Complaint, cid).owner.username == "clerk1"


def test_collective_complaints_are_listed_first(clerk, customer):
    older_collective = new_complaint(clerk, customer, "2026-01-05T10:00:00", parties_count=6)
    newer = new_complaint(clerk, customer, "2026-03-05T10:00:00")
    newest = new_complaint(clerk, customer, "2026-03-06T10:00:00")
    q = rison.dumps({"filters": [{"col": "customer", "opr": "rel_o_m", "value": customer}]})
    r = clerk.get(f"/api/v1/complaint/?q={q}")
    assert r.status_code == 200, r.json
    assert [row["id"] for row in r.json["result"]] == [older_collective, newest, newer]


# --- workflow -------------------------------------------------------------------------
def test_resolve_without_resolution_is_422_and_state_unchanged(clerk, customer):
    cid = new_complaint(clerk, customer, "2026-03-04T10:00:00")
    r = step(clerk, cid, "resolve")
    assert r.status_code == 422
    assert "处理结果" in r.json["message"]
    row = get(clerk, cid)
    assert row["status"] == "registered" and row["resolved_at"] is None


def test_follow_up_without_result_is_422(clerk, customer):
    cid = new_complaint(clerk, customer, "2026-03-04T10:00:00")
    assert step(clerk, cid, "resolve", resolution="已维修").status_code == 200
    r = step(clerk, cid, "follow_up", comment="打过电话")
    assert r.status_code == 422
    assert "回访结果" in r.json["message"]
    row = get(clerk, cid)
    assert row["status"] == "resolved" and row["followed_up_at"] is None


def test_close_by_clerk_is_403(clerk, customer):
    cid = new_complaint(clerk, customer, "2026-03-04T10:00:00")
    step(clerk, cid, "resolve", resolution="已维修")
    assert step(clerk, cid, "follow_up", followup_result="客户满意",
                satisfied=True).status_code == 200
    assert step(clerk, cid, "close").status_code == 403
    assert get(clerk, cid)["status"] == "followed_up"


def test_full_flow_to_closed_with_history(api, clerk, customer):
    cid = new_complaint(clerk, customer, "2026-03-04T10:00:00")
    assert step(clerk, cid, "handle", handler="物业部").json["result"]["handler"] == "物业部"
    assert step(clerk, cid, "resolve", resolution="已更换设备").status_code == 200
    r = step(clerk, cid, "follow_up", followup_result="客户表示满意", satisfied=True)
    assert r.status_code == 200, r.json
    assert r.json["result"]["satisfied"] is True and r.json["result"]["followed_up_at"]
    r = step(api("supervisor1"), cid, "close")
    assert r.status_code == 200, r.json
    row = get(clerk, cid)
    assert row["status"] == "closed"
    assert [h["step"] for h in row["history"]] == ["handle", "resolve", "follow_up", "close"]


def test_close_needs_the_followed_up_state(api, clerk, customer):
    cid = new_complaint(clerk, customer, "2026-03-04T10:00:00")
    assert step(api("supervisor1"), cid, "close").status_code == 409


def test_send_back_needs_a_comment_and_reopens_the_complaint(api, clerk, customer):
    cid = new_complaint(clerk, customer, "2026-03-04T10:00:00")
    step(clerk, cid, "resolve", resolution="已解释")
    supervisor = api("supervisor1")
    assert step(supervisor, cid, "send_back").status_code == 422
    r = step(supervisor, cid, "send_back", comment="处理不彻底，请上门处理")
    assert r.status_code == 200 and r.json["result"]["status"] == "returned"
    assert step(clerk, cid, "handle").json["result"]["status"] == "handling"
    assert step(clerk, cid, "resolve", resolution="已上门维修").status_code == 200


def test_other_clerks_complaint_is_404_everywhere(api, clerk, customer):
    cid = new_complaint(clerk, customer, "2026-03-04T10:00:00", "major")
    other = api("clerk2")
    assert other.get(f"/api/v1/complaint/{cid}").status_code == 404
    assert other.put(f"/api/v1/complaint/{cid}", json={"handler": "x"}).status_code == 404
    assert step(other, cid, "resolve", resolution="x").status_code == 404
    assert step(other, cid, "escalate").status_code == 404
    assert step(api("supervisor2"), cid, "close").status_code == 404


def test_complaint_for_a_customer_out_of_scope_is_refused(api, session):
    foreign = new_customer(api("clerk3"))
    before = count(session)
    r = api("clerk1").post("/api/v1/complaint/", json={
        "customer": foreign, "complainant": "王", "category": "general", "description": "x"})
    assert r.status_code == 422
    assert count(session) == before


# --- 上报集团 ---------------------------------------------------------------------------
def test_escalate_stamps_escalated_at_and_is_recorded(clerk, customer):
    cid = new_complaint(clerk, customer, "2026-03-04T10:00:00", "major")
    step(clerk, cid, "handle")
    r = step(clerk, cid, "escalate", comment="已书面报告集团商业中心")
    assert r.status_code == 200, r.json
    row = r.json["result"]
    assert row["status"] == "handling"  # escalation changes no state
    assert abs(datetime.fromisoformat(row["escalated_at"]) - now_cn()) < timedelta(minutes=2)
    history = get(clerk, cid)["history"]
    assert history[-1]["step"] == "escalate" and history[-1]["comment"] == "已书面报告集团商业中心"
    assert step(clerk, cid, "escalate").status_code == 409  # once


def test_escalate_is_only_for_major_complaints(clerk, customer):
    cid = new_complaint(clerk, customer, "2026-03-04T10:00:00", "general")
    r = step(clerk, cid, "escalate")
    assert r.status_code == 409
    assert "重大责任投诉" in r.json["message"]
    assert get(clerk, cid)["escalated_at"] is None


def test_collective_complaints_are_reported_to_the_group_too(clerk, customer):
    cid = new_complaint(clerk, customer, "2026-03-04T10:00:00", "general", parties_count=5)
    assert step(clerk, cid, "escalate").status_code == 200
    assert get(clerk, cid)["escalated_at"] is not None


def test_escalate_by_finance_is_403(api, customer):
    cid = new_complaint(api("clerk1"), customer, "2026-03-04T10:00:00", "major")
    assert step(api("finance"), cid, "escalate").status_code == 403


def test_escalate_from_the_show_page(browser, clerk, customer, session):
    cid = new_complaint(clerk, customer, "2026-03-04T10:00:00", "major")
    b = browser("clerk1")
    html = b.text(f"/complaintview/show/{cid}")
    assert "上报集团" in html
    r = b.post(f"/complaintview/action/escalate/{cid}", {"comment": "电话报告"}, follow_redirects=True)
    assert "已上报集团" in flashes(r.get_data(as_text=True))
    assert session.get(Complaint, cid, populate_existing=True).escalated_at is not None


# --- overdue --------------------------------------------------------------------------
def test_overdue_flags_are_computed(clerk, customer):
    major = get(clerk, new_complaint(clerk, customer, "2026-03-04T10:00:00", "major"))
    assert major["overdue_handling"] and major["overdue_escalation"] and major["overdue"]
    assert not major["overdue_followup"]
    fresh = get(clerk, new_complaint(clerk, customer, category="assist"))
    assert not fresh["overdue"]


def test_followup_overdue_when_resolved_long_ago(clerk, customer, session):
    cid = new_complaint(clerk, customer, "2026-03-04T10:00:00")
    step(clerk, cid, "resolve", resolution="已处理")
    complaint = session.get(Complaint, cid)
    complaint.resolved_at = datetime(2026, 3, 5, 10, 0)
    session.commit()
    row = get(clerk, cid)
    assert row["overdue_followup"] and not row["overdue_handling"]


def test_overdue_rows_are_marked_red_in_the_list(browser, clerk, customer):
    cid = new_complaint(clerk, customer, "2026-03-04T10:00:00", "major")
    code = get(clerk, cid)["code"]
    html = browser("clerk1").text(f"/complaintview/list/?_flt_0_customer={customer}")
    row = html[html.index(code):][:3000]
    assert "label-danger" in row and "处理超期" in row and "上报超期" in row


def test_my_overdue_list_shows_only_my_overdue_complaints(api, browser, clerk, customer):
    overdue = get(clerk, new_complaint(clerk, customer, "2026-03-04T10:00:00"))["code"]
    on_time = get(clerk, new_complaint(clerk, customer, category="assist"))["code"]
    url = f"/myoverduecomplaintview/list/?_flt_0_customer={customer}"
    html = browser("clerk1").text(url)
    assert overdue in html and on_time not in html
    assert overdue not in browser("supervisor1").text(url)


def test_overdue_counts_endpoint_counts_my_scope(api, clerk, customer):
    before = clerk.get("/api/v1/complaint/overdue").json["result"]
    new_complaint(clerk, customer, "2026-03-04T10:00:00", "major")
    after = clerk.get("/api/v1/complaint/overdue").json["result"]
    assert after["handling"] == before["handling"] + 1
    assert after["escalation"] == before["escalation"] + 1
    assert after["total"] == before["total"] + 1 and after["mine"] == before["mine"] + 1
    other = api("clerk3").get("/api/v1/complaint/overdue").json["result"]
    assert other["mine"] == other["total"]


def test_my_overdue_filter_over_the_api(clerk, customer):
    overdue = new_complaint(clerk, customer, "2026-03-04T10:00:00")
    fresh = new_complaint(clerk, customer, category="assist")
    q = rison.dumps({"filters": [{"col": "status", "opr": "complaint_my_overdue", "value": 1}],
                     "page_size": 500})
    r = clerk.get(f"/api/v1/complaint/?q={q}")
    assert r.status_code == 200, r.json
    ids = {row["id"] for row in r.json["result"]}
    assert overdue in ids and fresh not in ids


# --- monthly statistics ---------------------------------------------------------------
def _craft(session, cid, status, resolved=None, followed=None, handled=None):
    """A complaint as the steps leave it (resolve stamps handled_at when still empty)."""
    complaint = session.get(Complaint, cid, populate_existing=True)
    complaint.status = status
    complaint.resolved_at = resolved
    complaint.handled_at = handled or resolved
    if resolved:
        complaint.resolution = "已处理"
    complaint.followed_up_at = followed
    session.commit()


def test_monthly_statistics_on_a_crafted_month(api, session, dedicated_clerk):
    me = api(dedicated_clerk)
    customer = new_customer(me)
    g1 = new_complaint(me, customer, "2025-04-08T09:00:00", "general")  # due 04-10 18:00
    g2 = new_complaint(me, customer, "2025-04-08T09:00:00", "general")
    g3 = new_complaint(me, customer, "2025-04-09T09:00:00", "general")  # due 04-11 18:00
    new_complaint(me, customer, "2025-04-10T09:00:00", "general")  # still registered
    m1 = new_complaint(me, customer, "2025-04-14T09:00:00", "major")  # due 04-14 18:00
    new_complaint(me, customer, "2025-03-31T23:59:59", "general")  # other months
    new_complaint(me, customer, "2025-05-01T00:00:00", "no_liability")
    # on time; followed up on time (due 04-11 18:00)
    _craft(session, g1, "closed", datetime(2025, 4, 9, 10), datetime(2025, 4, 10, 10))
    # late; followed up late (followup due 04-17 18:00)
    _craft(session, g2, "followed_up", datetime(2025, 4, 15, 10), datetime(2025, 4, 25, 10))
    _craft(session, g3, "resolved", datetime(2025, 4, 11, 18, 0))  # exactly on the deadline
    _craft(session, m1, "followed_up", datetime(2025, 4, 14, 17), datetime(2025, 4, 16, 9))
    r = me.get("/api/v1/complaint/stats?month=2025-04")
    assert r.status_code == 200, r.json
    result = {row["category"]: row for row in r.json["result"]}
    assert list(result) == ["major", "general", "no_liability", "assist"]
    assert result["general"] == {
        "category": "general", "received": 4, "resolved": 3, "handling_rate": 0.75,
        "timely_rate": pytest.approx(2 / 3), "followup_rate": pytest.approx(2 / 3),
        "followup_timely_rate": 0.5}
    assert result["major"] == {
        "category": "major", "received": 1, "resolved": 1, "handling_rate": 1.0,
        "timely_rate": 1.0, "followup_rate": 1.0, "followup_timely_rate": 1.0}
    for category in ("no_liability", "assist"):
        assert result[category] == {
            "category": category, "received": 0, "resolved": 0, "handling_rate": None,
            "timely_rate": None, "followup_rate": None, "followup_timely_rate": None}
    assert r.json["total"]["received"] == 5


def test_statistics_rates_are_null_on_zero_denominators(api, dedicated_clerk):
    me = api(dedicated_clerk)
    new_complaint(me, new_customer(me), "2025-08-05T09:00:00", "assist")
    row = next(r for r in me.get("/api/v1/complaint/stats?month=2025-08").json["result"]
               if r["category"] == "assist")
    assert row == {"category": "assist", "received": 1, "resolved": 0, "handling_rate": 0.0,
                   "timely_rate": None, "followup_rate": None, "followup_timely_rate": None}


def _received(client, month, category="general") -> int:
    rows = client.get(f"/api/v1/complaint/stats?month={month}").json["result"]
    return next(r["received"] for r in rows if r["category"] == category)


def test_statistics_count_only_the_viewers_scope(api, clerk, customer):
    month = "2025-07"
    other, same_dept, other_dept = api("clerk2"), api("supervisor1"), api("supervisor2")
    before = [_received(c, month) for c in (other, same_dept, other_dept, clerk)]
    cid = new_complaint(clerk, customer, "2025-07-15T10:00:00")
    after = [_received(c, month) for c in (other, same_dept, other_dept, clerk)]
    assert after == [before[0], before[1] + 1, before[2], before[3] + 1]
    assert other.get(f"/api/v1/complaint/{cid}").status_code == 404


def test_statistics_with_a_bad_month_is_400(clerk):
    r = clerk.get("/api/v1/complaint/stats?month=2025-13")
    assert r.status_code == 400
    assert "YYYY-MM" in r.json["message"]


def test_statistics_page_has_a_month_picker_and_the_rates(api, browser, dedicated_clerk):
    me = api(dedicated_clerk)
    new_complaint(me, new_customer(me), "2025-09-02T09:00:00", "major")
    html = browser(dedicated_clerk).text("/complaintstats/?month=2025-09")
    assert 'type="month"' in html and 'value="2025-09"' in html
    assert "重大责任投诉" in html and "处理率" in html and "回访及时率" in html


# --- web ------------------------------------------------------------------------------
def test_clerk_registers_a_complaint_on_the_web(browser, clerk, customer, session):
    before = count(session)
    r = browser("clerk1").post("/complaintview/add", {
        "customer": customer, "received_at": "2026-03-06 09:30:00", "channel": "visit",
        "complainant": "赵先生", "parties_count": "6", "category": "major",
        "description": "集体反映停车收费问题"}, follow_redirects=True)
    assert r.status_code == 200
    assert count(session) == before + 1
    row = session.scalars(select(Complaint).where(Complaint.customer_id == customer)
                          .order_by(Complaint.id.desc())).first()
    assert row.is_collective and row.due_at == datetime(2026, 3, 6, 18)
    assert row.escalate_due_at == datetime(2026, 3, 9, 18)


def test_web_future_received_at_shows_chinese_message(browser, customer, session):
    before = count(session)
    future = (now_cn() + timedelta(days=2)).strftime("%Y-%m-%d %H:%M:%S")
    r = browser("clerk1").post("/complaintview/add", {
        "customer": customer, "received_at": future, "channel": "phone",
        "complainant": "赵先生", "parties_count": "1", "category": "general",
        "description": "x"}, follow_redirects=True)
    assert "受理时间不能晚于当前时间" in r.get_data(as_text=True)
    assert count(session) == before


def test_resolve_from_the_show_page_with_resolution(browser, clerk, customer, session):
    cid = new_complaint(clerk, customer, "2026-03-04T10:00:00")
    b = browser("clerk1")
    assert 'name="resolution"' in b.text(f"/complaintview/show/{cid}")
    b.post(f"/complaintview/action/resolve/{cid}", {"resolution": "已上门处理"})
    row = session.get(Complaint, cid, populate_existing=True)
    assert row.status == "resolved" and row.resolution == "已上门处理"


def test_customer_page_lists_its_complaints(browser, clerk, customer):
    code = get(clerk, new_complaint(clerk, customer))["code"]
    assert code in browser("clerk1").text(f"/customerview/show/{customer}")


def test_admin_is_warned_when_a_year_is_not_in_the_calendar(browser, monkeypatch):
    import app.models.calendar as calendar
    monkeypatch.setattr(calendar, "year_is_covered", lambda year: False)
    for url in ("/workdayoverrideview/list/", "/complaintview/list/"):
        assert "节假日安排" in flashes(browser("admin").text(url))
        assert "节假日安排" not in browser("clerk1").text(url)


def test_no_calendar_warning_when_years_are_covered(browser, monkeypatch):
    import app.models.calendar as calendar
    monkeypatch.setattr(calendar, "year_is_covered", lambda year: True)
    assert "节假日安排" not in browser("admin").text("/workdayoverrideview/list/")


# --- 整改措施 ---------------------------------------------------------------------------
def test_raise_an_improvement_measure_from_a_complaint(browser, clerk, customer, session):
    cid = new_complaint(clerk, customer, "2026-03-04T10:00:00")
    before = count(session, ImprovementMeasure)
    b = browser("clerk1")
    link = f"/improvementmeasureview/add?complaint={cid}"
    assert link in b.text(f"/complaintview/show/{cid}")
    for _click in range(2):  # opening the form creates nothing
        form = b.text(link)
        assert "空调不制冷" in form and '<option selected value="complaint">' in form
    assert count(session, ImprovementMeasure) == before
    r = b.post(link, {"source_type": "complaint", "complaint": str(cid),
                      "problem": "空调不制冷", "measure": "每月巡检"})
    assert r.status_code == 302, flashes(r.get_data(as_text=True))
    assert count(session, ImprovementMeasure) == before + 1
    measure = session.scalars(select(ImprovementMeasure)
                              .where(ImprovementMeasure.complaint_id == cid)).one()
    assert measure.status == "open" and measure.source_type == "complaint"
    assert measure.owner.username == "clerk1" and "空调不制冷" in measure.problem


def test_improvement_measure_flow_to_verified(api, clerk, customer):
    cid = new_complaint(clerk, customer, "2026-03-04T10:00:00")
    r = clerk.post("/api/v1/improvement_measure/", json={
        "source_type": "complaint", "complaint": cid, "problem": "空调维护不及时"})
    assert r.status_code == 201, r.json
    mid = r.json["id"]
    url = f"/api/v1/improvement_measure/{mid}/transition/"
    r = clerk.post(url + "start")
    assert r.status_code == 422 and "整改措施" in r.json["message"]
    r = clerk.post(url + "start", json={"measure": "每月巡检", "responsible": "物业部",
                                        "due_date": "2026-12-31"})
    assert r.status_code == 200, r.json
    assert clerk.post(url + "finish", json={"result": "已建立巡检表"}).status_code == 200
    assert clerk.post(url + "verify").status_code == 403
    r = api("supervisor1").post(url + "verify")
    assert r.status_code == 200, r.json
    row = r.json["result"]
    assert row["status"] == "verified" and row["verified_by"]["username"] == "supervisor1"
    assert row["verified_on"] == now_cn().date().isoformat()
    assert row["source"].startswith("客户投诉 TS")


def test_improvement_measure_from_a_complaint_needs_the_complaint(clerk, session):
    before = count(session, ImprovementMeasure)
    r = clerk.post("/api/v1/improvement_measure/", json={"source_type": "complaint",
                                                         "problem": "x"})
    assert r.status_code == 422
    assert "来源投诉" in str(r.json["message"])
    r = clerk.post("/api/v1/satisfaction_survey/", json={
        "title": unique("调查"), "period_start": "2026-03-01", "period_end": "2026-03-31",
        "target": "A 类客户", "staff": "王明"})
    assert r.status_code == 201, r.json
    r = clerk.post("/api/v1/improvement_measure/", json={"source_type": "survey",
                                                         "survey": r.json["id"],
                                                         "problem": "价格满意度低"})
    assert r.status_code == 201, r.json
    assert count(session, ImprovementMeasure) == before + 1


def test_improvement_measure_of_another_clerks_complaint_is_refused(api, clerk, customer):
    cid = new_complaint(clerk, customer)
    r = api("clerk3").post("/api/v1/improvement_measure/", json={
        "source_type": "complaint", "complaint": cid, "problem": "x"})
    assert r.status_code == 422
