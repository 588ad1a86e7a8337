"""满意度调查 and 客户需求受理: the survey workflow by role, answers on the five-level
scale, the results (回收率, averages, 满意率) on a crafted survey, the import of answers,
improvement measures linked to surveys, the half-year reminder; service requests with
their 1-hour / 24-hour deadlines, overdue marks, statistics and the home panel."""
import io
from datetime import date, datetime, timedelta
from urllib.parse import quote

import openpyxl
import pytest
from sqlalchemy import func, select

from app.models.complaints import ImprovementMeasure
from app.models.org import Department
from app.models.satisfaction import (
    DIMENSIONS,
    SatisfactionSurvey,
    ServiceRequest,
    SurveyResponse,
    add_months,
    full_survey_due,
    respond_deadline,
)
from app.timeutil import now_cn, today_cn
from tests.conftest import flashes, unique

SURVEY = {"title": "2026 上半年大客户满意度调查", "period_start": "2026-03-01",
          "period_end": "2026-03-31", "method": "questionnaire", "target": "全部 A 类客户",
          "issued_count": 10, "staff": "王明、李华"}


def count(session, model) -> int:
    return session.scalar(select(func.count(model.id)))


def new_survey(client, **fields) -> int:
    r = client.post("/api/v1/satisfaction_survey/", json={**SURVEY, "title": unique("调查"),
                                                         **fields})
    assert r.status_code == 201, r.json
    return r.json["id"]


def step(client, resource, pk, name, **body):
    return client.post(f"/api/v1/{resource}/{pk}/transition/{name}", json=body)


def running_survey(api, clerk="clerk1", supervisor="supervisor1", **fields) -> int:
    """A survey planned by a Clerk, approved by the Supervisor and started."""
    c, s = api(clerk), api(supervisor)
    sid = new_survey(c, **fields)
    assert step(c, "satisfaction_survey", sid, "submit").status_code == 200
    assert step(s, "satisfaction_survey", sid, "approve").status_code == 200
    assert step(c, "satisfaction_survey", sid, "start").status_code == 200
    return sid


def answer(client, survey, valid=True, **levels) -> int:
    r = client.post("/api/v1/survey_response/", json={
        "survey": survey, "answered_on": "2026-03-10", "valid": valid, **levels})
    assert r.status_code == 201, r.json
    return r.json["id"]


def new_customer(client) -> int:
    r = client.post("/api/v1/customer/", json={"customer_type": "important", "name": unique("需求客户")})
    assert r.status_code == 201, r.json
    return r.json["id"]


# --- survey workflow ------------------------------------------------------------------
def test_survey_plan_starts_planned_with_the_clerk_as_owner(api):
    clerk = api("clerk1")
    row = clerk.get(f"/api/v1/satisfaction_survey/{new_survey(clerk)}").json["result"]
    assert row["status"] == "planned" and row["owner"]["username"] == "clerk1"
    assert row["method"] == "questionnaire" and row["issued_count"] == 10
    assert row["valid_count"] == 0 and row["return_rate"] == 0


def test_survey_workflow_step_by_role(api):
    clerk, sup, exe, fin = api("clerk1"), api("supervisor1"), api("executive"), api("finance")
    sid = new_survey(clerk)
    assert step(fin, "satisfaction_survey", sid, "submit").status_code == 403
    assert step(clerk, "satisfaction_survey", sid, "approve").status_code == 403
    assert step(clerk, "satisfaction_survey", sid, "start").status_code == 409
    assert step(clerk, "satisfaction_survey", sid, "submit").status_code == 200
    # 主管领导审批: the Clerk may not approve, the Supervisor may
    assert step(clerk, "satisfaction_survey", sid, "approve").status_code == 403
    r = step(sup, "satisfaction_survey", sid, "approve")
    assert r.status_code == 200 and r.json["result"]["status"] == "approved"
    assert step(fin, "satisfaction_survey", sid, "start").status_code == 403
    assert step(clerk, "satisfaction_survey", sid, "start").status_code == 200
    r = step(clerk, "satisfaction_survey", sid, "report")
    assert r.status_code == 422 and "调查报告" in r.json["message"]
    r = step(clerk, "satisfaction_survey", sid, "report", report="一、基本状况……")
    assert r.status_code == 200, r.json
    row = r.json["result"]
    assert row["status"] == "reported" and row["reported_on"] == today_cn().isoformat()
    history = clerk.get(f"/api/v1/satisfaction_survey/{sid}").json["result"]["history"]
    assert [h["step"] for h in history] == ["submit", "approve", "start", "report"]
    assert step(exe, "satisfaction_survey", sid, "report").status_code == 409


def test_supervisor_sends_back_with_a_comment_and_clerk_resubmits(api):
    clerk, sup = api("clerk1"), api("supervisor1")
    sid = new_survey(clerk)
    step(clerk, "satisfaction_survey", sid, "submit")
    assert step(sup, "satisfaction_survey", sid, "send_back").status_code == 422
    assert step(sup, "satisfaction_survey", sid, "send_back",
                comment="调查对象过窄").status_code == 200
    assert clerk.put(f"/api/v1/satisfaction_survey/{sid}",
                     json={"target": "A、B 类客户"}).status_code == 200
    assert step(clerk, "satisfaction_survey", sid, "submit").status_code == 200


def test_executive_may_approve_and_other_department_gets_404(api):
    clerk = api("clerk1")
    sid = new_survey(clerk)
    step(clerk, "satisfaction_survey", sid, "submit")
    assert step(api("supervisor2"), "satisfaction_survey", sid, "approve").status_code == 404
    assert api("clerk2").get(f"/api/v1/satisfaction_survey/{sid}").status_code == 404
    assert step(api("executive"), "satisfaction_survey", sid, "approve").status_code == 200


def test_submitted_survey_is_no_longer_editable(api):
    clerk = api("clerk1")
    sid = new_survey(clerk)
    step(clerk, "satisfaction_survey", sid, "submit")
    r = clerk.put(f"/api/v1/satisfaction_survey/{sid}", json={"issued_count": 99})
    assert r.status_code == 422 and "不能修改" in str(r.json["message"])


@pytest.mark.parametrize(("field", "value", "message"), [
    ("issued_count", -1, "发放份数"), ("period_end", "2026-02-01", "结束日期"),
    ("method", "mail", "取值无效")])
def test_bad_survey_plan_is_refused_in_chinese(api, session, field, value, message):
    before = count(session, SatisfactionSurvey)
    r = api("clerk1").post("/api/v1/satisfaction_survey/",
                           json={**SURVEY, field: value})
    assert r.status_code == 422 and message in str(r.json["message"])
    assert count(session, SatisfactionSurvey) == before


# --- answers --------------------------------------------------------------------------
@pytest.mark.parametrize("level", [6, 0, -1])
def test_an_answer_outside_one_to_five_is_refused_in_chinese(api, session, level):
    sid = running_survey(api)
    before = count(session, SurveyResponse)
    r = api("clerk1").post("/api/v1/survey_response/", json={"survey": sid, "price": level})
    assert r.status_code == 422, r.json
    assert "产品价格" in str(r.json["message"]) and "1–5" in str(r.json["message"])
    assert count(session, SurveyResponse) == before


def test_answers_need_a_running_survey(api, session):
    clerk = api("clerk1")
    sid = new_survey(clerk)
    r = clerk.post("/api/v1/survey_response/", json={"survey": sid, "price": 4})
    assert r.status_code == 422 and "开始调查" in str(r.json["message"])


def test_answers_belong_to_the_surveys_owner_and_scope(api):
    sid = running_survey(api)
    rid = answer(api("supervisor1"), sid, price=4)
    row = api("clerk1").get(f"/api/v1/survey_response/{rid}").json["result"]
    assert row["owner"]["username"] == "clerk1" and row["price"] == 4
    assert api("clerk2").get(f"/api/v1/survey_response/{rid}").status_code == 404
    r = api("clerk3").post("/api/v1/survey_response/", json={"survey": sid, "price": 4})
    assert r.status_code == 422


def test_an_empty_dimension_stays_empty(api):
    sid = running_survey(api)
    row = api("clerk1").get(f"/api/v1/survey_response/{answer(api('clerk1'), sid, price=5)}"
                            ).json["result"]
    assert row["price"] == 5 and row["delivery"] is None and row["average"] == 5


# --- results ----------------------------------------------------------------------------
def crafted_survey(api, issued=10) -> int:
    """Four valid answers and one invalid one, with dimensions left empty."""
    clerk = api("clerk1")
    sid = running_survey(api, issued_count=issued)
    answer(clerk, sid, price=5, delivery=2, service_attitude=4)
    answer(clerk, sid, price=4, delivery=1, service_attitude=5)
    answer(clerk, sid, price=3, delivery=2)
    answer(clerk, sid, price=1)
    answer(clerk, sid, valid=False, price=1, delivery=1, service_attitude=1,
           product_quality=1)
    return sid


def test_results_on_a_crafted_survey(api):
    sid = crafted_survey(api)
    r = api("clerk1").get(f"/api/v1/satisfaction_survey/{sid}/results")
    assert r.status_code == 200, r.json
    res = r.json
    assert (res["issued"], res["valid"], res["returned"]) == (10, 4, 5)
    assert res["return_rate"] == 0.4
    dims = {d["name"]: d for d in res["dimensions"]}
    assert set(dims) == set(DIMENSIONS)
    assert (dims["price"]["answers"], dims["price"]["average"],
            dims["price"]["satisfied_share"]) == (4, 3.25, 0.5)
    assert (dims["delivery"]["average"], dims["delivery"]["satisfied_share"]) == \
        (pytest.approx(5 / 3, abs=1e-4), 0)
    assert (dims["service_attitude"]["average"],
            dims["service_attitude"]["satisfied_share"]) == (4.5, 1)
    # asked only in the invalid answer: no average at all
    assert dims["product_quality"] == {**dims["product_quality"], "answers": 0,
                                       "average": None, "satisfied_share": None}
    # lowest first, unanswered last
    assert [d["name"] for d in res["dimensions"][:3]] == ["delivery", "price",
                                                          "service_attitude"]
    assert res["dimensions"][-1]["average"] is None
    # overall pools the 9 answers: (13 + 5 + 9) / 9 = 3, 4 of 9 satisfied
    assert res["overall"] == {"answers": 9, "average": 3.0,
                              "satisfied_share": pytest.approx(4 / 9, abs=1e-4)}


def test_zero_issued_gives_a_null_return_rate(api):
    sid = crafted_survey(api, issued=0)
    res = api("clerk1").get(f"/api/v1/satisfaction_survey/{sid}/results").json
    assert res["issued"] == 0 and res["valid"] == 4 and res["return_rate"] is None


def test_results_out_of_scope_are_404(api):
    sid = crafted_survey(api)
    assert api("clerk3").get(f"/api/v1/satisfaction_survey/{sid}/results").status_code == 404
    assert api("executive").get(f"/api/v1/satisfaction_survey/{sid}/results"
                                ).status_code == 200


def test_results_page_draws_a_bar_per_dimension(api, browser):
    sid = crafted_survey(api)
    html = browser("clerk1").text(f"/satisfactionsurveyview/results/{sid}")
    assert html.count('class="progress-bar') == 3  # three dimensions were answered
    assert "40.0%" in html and "3.25" in html and "提出整改措施" in html
    assert "cdn" not in html.lower().split("<body", 1)[-1]


def test_report_form_is_an_excel_workbook(api, browser):
    sid = crafted_survey(api)
    for r in (api("clerk1").get(f"/api/v1/satisfaction_survey/{sid}/form.xlsx"),
              browser("clerk1").get(f"/satisfactionsurveyview/form/{sid}")):
        assert r.status_code == 200 and r.mimetype.endswith("sheet")
        sheet = openpyxl.load_workbook(io.BytesIO(r.data)).active
        text = " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row
                        if c is not None)
        assert "客户满意度调查报告表" in text and "交货及时性" in text and "40.0%" in text


# --- 提出整改措施 -------------------------------------------------------------------------
def test_raise_a_measure_from_a_low_dimension(api, browser, session):
    sid = crafted_survey(api)
    before = count(session, ImprovementMeasure)
    b = browser("clerk1")
    link = f"/improvementmeasureview/add?survey={sid}&amp;dimension=delivery"
    assert link in b.text(f"/satisfactionsurveyview/results/{sid}")
    for _click in range(2):  # opening the form creates nothing
        form = b.text(link.replace("&amp;", "&"))
        assert "交货及时性平均分 1.67" in form and '<option selected value="survey">' in form
    assert count(session, ImprovementMeasure) == before
    r = b.post(link.replace("&amp;", "&"), {
        "source_type": "survey", "survey": str(sid), "problem": "交货及时性平均分 1.67",
        "measure": "增加发货班次", "responsible": "物流部", "due_date": "2026-12-31"})
    assert r.status_code == 302, flashes(r.get_data(as_text=True))
    assert count(session, ImprovementMeasure) == before + 1
    measure = session.scalars(select(ImprovementMeasure)
                              .where(ImprovementMeasure.survey_id == sid)).one()
    assert measure.source_type == "survey" and "交货及时性平均分 1.67" in measure.problem
    assert measure.owner.username == "clerk1" and measure.status == "open"
    row = api("clerk1").get(f"/api/v1/improvement_measure/{measure.id}").json["result"]
    assert row["survey"]["id"] == sid and row["source"].startswith("满意度调查 ")


def test_improvement_measure_refuses_a_survey_that_does_not_exist(api, session):
    before = count(session, ImprovementMeasure)
    clerk = api("clerk1")
    r = clerk.post("/api/v1/improvement_measure/", json={
        "source_type": "survey", "survey": 987654, "problem": "价格满意度低"})
    assert r.status_code == 422 and "来源调查" in str(r.json["message"])
    r = clerk.post("/api/v1/improvement_measure/", json={
        "source_type": "survey", "problem": "价格满意度低"})
    assert r.status_code == 422 and "来源调查" in str(r.json["message"])
    assert count(session, ImprovementMeasure) == before


def test_improvement_measure_refuses_a_survey_out_of_scope(api):
    sid = new_survey(api("clerk1"))
    r = api("clerk3").post("/api/v1/improvement_measure/", json={
        "source_type": "survey", "survey": sid, "problem": "x"})
    assert r.status_code == 422
    r = api("clerk1").post("/api/v1/improvement_measure/", json={
        "source_type": "survey", "survey": sid, "problem": "价格满意度低"})
    assert r.status_code == 201, r.json


# --- import -----------------------------------------------------------------------------
def workbook(header, *rows) -> io.BytesIO:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def template_header(browser) -> list[str]:
    r = browser("clerk1").get("/satisfactionsurveyview/import_template/")
    assert r.status_code == 200
    return [c.value for c in openpyxl.load_workbook(io.BytesIO(r.data)).active[1]]


def test_import_template_has_the_nine_dimensions_as_columns(browser):
    header = template_header(browser)
    assert [str(label) for label in DIMENSIONS.values()] == \
        [h for h in header if h in {str(v) for v in DIMENSIONS.values()}]


def test_import_answers_with_chinese_level_names(api, browser, session):
    sid = running_survey(api)
    header = template_header(browser)
    col = {h: i for i, h in enumerate(header)}
    first, second = [None] * len(header), [None] * len(header)
    first[col["产品价格"]], first[col["服务态度"]] = "非常满意", "一般"
    second[col["产品价格"]], second[col["交货及时性"]], second[col["有效答卷"]] = 2, "不满意", "否"
    first[col["答卷日期"]] = "2026-03-05"
    b = browser("clerk1")
    r = b.client.post(f"/satisfactionsurveyview/import_responses/{sid}",
                      data={"csrf_token": b.csrf(),
                            "file": (workbook(header, first, second), "answers.xlsx")},
                      content_type="multipart/form-data")
    assert r.status_code == 302, flashes(r.get_data(as_text=True))
    rows = session.scalars(select(SurveyResponse).where(SurveyResponse.survey_id == sid)
                           .order_by(SurveyResponse.id)).all()
    assert [(x.price, x.service_attitude, x.delivery, x.valid) for x in rows] == \
        [(5, 3, None, True), (2, None, 2, False)]
    assert rows[0].answered_on == date(2026, 3, 5) and rows[1].answered_on == today_cn()
    assert rows[0].owner.username == "clerk1"


def test_import_with_a_bad_level_imports_nothing_and_says_where(api, browser, session):
    sid = running_survey(api)
    header = template_header(browser)
    col = {h: i for i, h in enumerate(header)}
    good, bad = [None] * len(header), [None] * len(header)
    good[col["产品价格"]], bad[col["产品质量"]] = 4, 6
    before = count(session, SurveyResponse)
    b = browser("clerk1")
    r = b.client.post(f"/satisfactionsurveyview/import_responses/{sid}",
                      data={"csrf_token": b.csrf(),
                            "file": (workbook(header, good, bad), "answers.xlsx")},
                      content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "产品质量" in html and "不能为 6" in html
    assert count(session, SurveyResponse) == before


def test_import_into_another_clerks_survey_is_404(api, browser):
    sid = running_survey(api)
    assert browser("clerk3").get(f"/satisfactionsurveyview/import_responses/{sid}"
                                 ).status_code == 404


# --- half-year reminder -------------------------------------------------------------------
@pytest.mark.parametrize(("last", "today", "due"), [
    (None, date(2026, 5, 1), True), (date(2026, 1, 10), date(2026, 7, 10), False),
    (date(2026, 1, 10), date(2026, 7, 11), True), (date(2025, 8, 31), date(2026, 2, 28), False),
    (date(2025, 8, 31), date(2026, 3, 1), True)])
def test_full_survey_is_due_after_six_months(last, today, due):
    assert full_survey_due(last, today) is due


def test_add_months_clamps_to_the_month_end():
    assert add_months(date(2025, 8, 31), 6) == date(2026, 2, 28)
    assert add_months(date(2023, 8, 31), 6) == date(2024, 2, 29)


def test_supervisor_home_reminds_when_the_last_report_is_old(browser, session):
    """supervisor2's department: reminded until a survey was reported within 6 months."""
    html = browser("supervisor2").text("/")
    dept = session.scalar(select(Department.id).where(Department.name == "销售二部"))
    recent = session.scalar(select(func.max(SatisfactionSurvey.reported_on)).where(
        SatisfactionSurvey.department_id == dept, SatisfactionSurvey.status == "reported"))
    assert ("满意度调查提醒" in html) is full_survey_due(recent, today_cn())
    assert "满意度调查提醒" not in browser("clerk3").text("/")


def test_reminder_goes_once_a_survey_is_reported(api, browser):
    sup = api("supervisor2")
    sid = new_survey(api("clerk3"))
    for name, who in (("submit", api("clerk3")), ("approve", sup), ("start", sup)):
        assert step(who, "satisfaction_survey", sid, name).status_code == 200
    assert step(sup, "satisfaction_survey", sid, "report", report="报告").status_code == 200
    assert "满意度调查提醒" not in browser("supervisor2").text("/")


# --- service requests -------------------------------------------------------------------
@pytest.mark.parametrize(("urgency", "received", "due"), [
    ("urgent", datetime(2026, 3, 4, 10, 0), datetime(2026, 3, 4, 11, 0)),
    ("urgent", datetime(2026, 3, 4, 23, 30), datetime(2026, 3, 5, 0, 30)),
    ("urgent", datetime(2025, 12, 31, 23, 45), datetime(2026, 1, 1, 0, 45)),
    ("normal", datetime(2026, 3, 4, 23, 30), datetime(2026, 3, 5, 23, 30)),
    ("normal", datetime(2026, 2, 28, 18, 0), datetime(2026, 3, 1, 18, 0)),
    ("normal", datetime(2026, 2, 14, 9, 0), datetime(2026, 2, 15, 9, 0)),  # rest days count
])
def test_respond_deadline_is_in_clock_hours(urgency, received, due):
    assert respond_deadline(received, urgency) == due


@pytest.mark.parametrize(("urgency", "received", "due"), [
    ("urgent", "2026-03-04T23:30:00", "2026-03-05T00:30:00"),
    ("normal", "2026-03-04T23:30:00", "2026-03-05T23:30:00"),
    ("urgent", "2025-12-31T23:45:00", "2026-01-01T00:45:00")])
def test_request_deadline_across_midnight_over_the_api(api, urgency, received, due):
    clerk = api("clerk1")
    r = clerk.post("/api/v1/service_request/", json={
        "customer": new_customer(clerk), "received_at": received, "urgency": urgency,
        "content": "需要加急补货"})
    assert r.status_code == 201, r.json
    row = clerk.get(f"/api/v1/service_request/{r.json['id']}").json["result"]
    assert row["respond_due_at"] == due and row["code"].startswith(f"XQ{now_cn().year}-")
    assert row["status"] == "received" and row["overdue"] is True


def test_changing_the_urgency_moves_the_deadline(api):
    clerk = api("clerk1")
    r = clerk.post("/api/v1/service_request/", json={
        "customer": new_customer(clerk), "received_at": "2026-03-04T10:00:00",
        "urgency": "normal", "content": "报价"})
    rid = r.json["id"]
    assert clerk.put(f"/api/v1/service_request/{rid}",
                     json={"urgency": "urgent"}).status_code == 200
    assert clerk.get(f"/api/v1/service_request/{rid}"
                     ).json["result"]["respond_due_at"] == "2026-03-04T11:00:00"


def test_received_at_in_the_future_is_refused(api, session):
    clerk = api("clerk1")
    before = count(session, ServiceRequest)
    r = clerk.post("/api/v1/service_request/", json={
        "customer": new_customer(clerk), "content": "x",
        "received_at": (now_cn() + timedelta(hours=2)).isoformat()})
    assert r.status_code == 422 and "不能晚于当前时间" in str(r.json["message"])
    assert count(session, ServiceRequest) == before


def test_bad_urgency_is_refused_in_chinese(api):
    clerk = api("clerk1")
    r = clerk.post("/api/v1/service_request/", json={
        "customer": new_customer(clerk), "content": "x", "urgency": "asap"})
    assert r.status_code == 422 and "取值无效" in str(r.json["message"])


def test_request_workflow_by_role(api):
    clerk, sup, fin = api("clerk1"), api("supervisor1"), api("finance")
    r = clerk.post("/api/v1/service_request/", json={
        "customer": new_customer(clerk), "content": "要求上门调试", "urgency": "urgent"})
    rid = r.json["id"]
    assert step(fin, "service_request", rid, "respond", response="x").status_code == 403
    r = step(clerk, "service_request", rid, "respond")
    assert r.status_code == 422 and "响应内容" in r.json["message"]
    r = step(clerk, "service_request", rid, "respond", response="已安排工程师")
    assert r.status_code == 200 and r.json["result"]["responded_at"]
    assert r.json["result"]["overdue"] is False and r.json["result"]["responded_late"] is False
    assert step(clerk, "service_request", rid, "resolve").status_code == 422
    assert step(clerk, "service_request", rid, "resolve",
                resolution="调试完成").status_code == 200
    assert step(clerk, "service_request", rid, "close").status_code == 403
    r = step(sup, "service_request", rid, "close")
    assert r.status_code == 200 and r.json["result"]["status"] == "closed"
    assert step(sup, "service_request", rid, "close").status_code == 409
    assert api("clerk3").get(f"/api/v1/service_request/{rid}").status_code == 404


def test_overdue_endpoint_lists_unanswered_requests_in_scope(api):
    clerk = api("clerk1")
    late = clerk.post("/api/v1/service_request/", json={
        "customer": new_customer(clerk), "content": "逾期", "urgency": "urgent",
        "received_at": (now_cn() - timedelta(hours=3)).isoformat()}).json["id"]
    fresh = clerk.post("/api/v1/service_request/", json={
        "customer": new_customer(clerk), "content": "未逾期", "urgency": "normal"}).json["id"]
    ids = {r["id"] for r in clerk.get("/api/v1/service_request/overdue").json["result"]}
    assert late in ids and fresh not in ids
    assert late not in {r["id"] for r in
                        api("clerk3").get("/api/v1/service_request/overdue").json["result"]}
    step(clerk, "service_request", late, "respond", response="已联系")
    ids = {r["id"] for r in clerk.get("/api/v1/service_request/overdue").json["result"]}
    assert late not in ids
    row = clerk.get(f"/api/v1/service_request/{late}").json["result"]
    assert row["responded_late"] is True


def test_monthly_stats_on_a_crafted_month(api, session, dedicated_clerk):
    clerk = api(dedicated_clerk)
    customer = new_customer(clerk)
    ids = []
    for received, urgency in (("2026-01-05T09:00:00", "urgent"),
                              ("2026-01-10T23:30:00", "normal"),
                              ("2026-01-31T23:59:00", "urgent"),
                              ("2026-02-01T00:00:00", "normal")):
        ids.append(clerk.post("/api/v1/service_request/", json={
            "customer": customer, "content": "x", "urgency": urgency,
            "received_at": received}).json["id"])
    # answered in time, answered late, not answered; February's is another month
    session.execute(ServiceRequest.__table__.update().where(ServiceRequest.id == ids[0])
                    .values(responded_at=datetime(2026, 1, 5, 9, 59), status="responded"))
    session.execute(ServiceRequest.__table__.update().where(ServiceRequest.id == ids[1])
                    .values(responded_at=datetime(2026, 1, 11, 23, 31), status="responded"))
    session.commit()
    r = clerk.get("/api/v1/service_request/stats?month=2026-01")
    assert r.status_code == 200, r.json
    assert (r.json["received"], r.json["responded"], r.json["responded_in_time"],
            r.json["response_timely_rate"]) == (3, 2, 1, 0.5)
    empty = clerk.get("/api/v1/service_request/stats?month=2025-06").json
    assert empty["received"] == 0 and empty["response_timely_rate"] is None


def test_stats_with_a_bad_month_is_400(api):
    r = api("clerk1").get("/api/v1/service_request/stats?month=2026-13")
    assert r.status_code == 400 and "YYYY-MM" in r.json["message"]


def test_overdue_requests_are_marked_in_the_list_and_on_my_home_page(api, browser):
    clerk = api("clerk1")
    r = clerk.post("/api/v1/service_request/", json={
        "customer": new_customer(clerk), "content": "紧急补货", "urgency": "urgent",
        "received_at": (now_cn() - timedelta(hours=2)).isoformat()})
    code = r.json["result"]["code"] if "code" in r.json.get("result", {}) else \
        clerk.get(f"/api/v1/service_request/{r.json['id']}").json["result"]["code"]
    b = browser("clerk1")
    html = b.text("/servicerequestview/list/")
    assert "超时未响应" in html and code in html
    home = b.text("/")
    assert "我的待响应需求" in home and code in home
    assert code not in browser("clerk2").text("/")


def test_clerk_registers_a_request_on_the_web(api, browser, session):
    clerk = api("clerk1")
    customer = new_customer(clerk)
    b = browser("clerk1")
    before = count(session, ServiceRequest)
    r = b.post("/servicerequestview/add", {
        "customer": customer, "received_at": "2026-03-04 23:30:00", "channel": "wechat",
        "urgency": "urgent", "content": "网页登记的需求"})
    assert r.status_code == 302, flashes(r.get_data(as_text=True))
    assert count(session, ServiceRequest) == before + 1
    row = session.scalars(select(ServiceRequest).where(
        ServiceRequest.content == "网页登记的需求", ServiceRequest.customer_id == customer)
    ).one()
    assert row.respond_due_at == datetime(2026, 3, 5, 0, 30) and row.channel == "wechat"


@pytest.mark.parametrize("username", ["clerk1", "supervisor1", "admin", "executive",
                                      "finance"])
def test_the_request_page_has_one_place_to_respond_and_resolve(api, browser, username):
    clerk = api("clerk1")
    rid = clerk.post("/api/v1/service_request/", json={
        "customer": new_customer(clerk), "content": "x"}).json["id"]
    html = browser(username).text(f"/servicerequestview/show/{rid}")
    respond = html.count('data-step="respond"')
    assert respond <= 1 and html.count("request-respond") == respond
    workflow_panel = html[html.find("workflow-panel"):html.find("workflow-history")]
    assert 'data-step="respond"' not in workflow_panel
    assert 'data-step="resolve"' not in workflow_panel
    if username in ("clerk1", "supervisor1", "admin"):
        assert respond == 1


def test_respond_from_the_show_page(api, browser, session):
    clerk = api("clerk1")
    rid = clerk.post("/api/v1/service_request/", json={
        "customer": new_customer(clerk), "content": "x"}).json["id"]
    b = browser("clerk1")
    assert "request-respond" in b.text(f"/servicerequestview/show/{rid}")
    r = b.post(f"/servicerequestview/action/respond/{rid}", {"response": "已回复客户"})
    assert r.status_code == 302
    row = session.get(ServiceRequest, rid, populate_existing=True)
    assert row.status == "responded" and row.response == "已回复客户"


def test_survey_response_web_form_refuses_nothing_valid_and_keeps_levels(api, browser,
                                                                          session):
    sid = running_survey(api)
    b = browser("clerk1")
    show = b.text(f"/satisfactionsurveyview/show/{sid}")
    assert "录入答卷" in show and "导入答卷" in show
    r = b.post(f"/surveyresponseview/add?_flt_0_survey={sid}", {
        "answered_on": "2026-03-10", "price": "4", "delivery": "", "valid": "y",
        "respondent_profile": "男，40 岁，采购经理"})
    assert r.status_code == 302, flashes(r.get_data(as_text=True))
    row = session.scalars(select(SurveyResponse).where(SurveyResponse.survey_id == sid)).one()
    assert (row.price, row.delivery, row.valid) == (4, None, True)


# --- row scope on every exit ---------------------------------------------------------------
def make_row(api, resource) -> int:
    """A row of `resource` owned by clerk1 (销售一部)."""
    clerk = api("clerk1")
    if resource == "satisfaction_survey":
        return new_survey(clerk)
    if resource == "survey_response":
        return answer(clerk, running_survey(api), price=3)
    r = clerk.post("/api/v1/service_request/", json={"customer": new_customer(clerk),
                                                     "content": unique("需求")})
    assert r.status_code == 201, r.json
    return r.json["id"]


VIEW_OF = {"satisfaction_survey": "satisfactionsurveyview",
           "survey_response": "surveyresponseview", "service_request": "servicerequestview"}


@pytest.mark.parametrize("resource", VIEW_OF)
def test_row_scope_by_role_on_api_web_and_export(api, browser, resource):
    pk = make_row(api, resource)
    seen = {"clerk1": 200, "clerk2": 404, "supervisor1": 200, "supervisor2": 404,
            "executive": 200, "finance": 200, "admin": 200}
    for user, status in seen.items():
        assert api(user).get(f"/api/v1/{resource}/{pk}").status_code == status, user
        assert browser(user).get(f"/{VIEW_OF[resource]}/show/{pk}").status_code == status, user
        ids = {row["id"] for row in api(user).get(
            f"/api/v1/{resource}/?q=(page_size:100,order_column:id,order_direction:desc)"
        ).json["result"]}
        assert (pk in ids) is (status == 200), user
    export = api("clerk2").get(f"/api/v1/{resource}/export.xlsx")
    assert export.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(export.data)).active
    assert sheet.max_row >= 1  # the header; clerk1's row is not among clerk2's rows
    mine = api("clerk1").get(f"/api/v1/{resource}/export.xlsx")
    assert openpyxl.load_workbook(io.BytesIO(mine.data)).active.max_row >= 2


@pytest.mark.parametrize("resource", VIEW_OF)
def test_only_admin_deletes_these_records(api, session, resource):
    pk = make_row(api, resource)
    assert api("clerk1").delete(f"/api/v1/{resource}/{pk}").status_code == 403
    assert api("supervisor1").delete(f"/api/v1/{resource}/{pk}").status_code == 403


def test_finance_reads_but_does_not_add(api, session):
    before = count(session, SatisfactionSurvey)
    r = api("finance").post("/api/v1/satisfaction_survey/", json=SURVEY)
    assert r.status_code == 403 and count(session, SatisfactionSurvey) == before


def test_survey_dropdown_of_measures_offers_only_surveys_in_scope(api, browser):
    mine = new_survey(api("clerk1"), title=unique("下拉调查"))
    title = api("clerk1").get(f"/api/v1/satisfaction_survey/{mine}").json["result"]["title"]
    # the survey is chosen by typing (Select2 ajax): the search answers only what is in scope
    def offered(user):
        r = browser(user).get(f"/improvementmeasureview/search_related/survey?q={quote(title)}")
        assert r.status_code == 200
        return {row["id"] for row in r.json["results"]}
    assert mine in offered("clerk1")
    assert mine not in offered("clerk3")


# --- demo data --------------------------------------------------------------------------------
DEMO_SCRIPT = """
import json, os, sys
from app import create_app
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "SECRET_KEY": os.environ["SECRET_KEY"],
                  "LOG_LEVEL": "WARNING"})
with app.app_context():
    from flask_migrate import upgrade
    upgrade()
    from sqlalchemy import select
    from app import demo_complaints, demo_customers, demo_satisfaction
    from app.demo import load_people
    from app.models.org import ConsoleUser
    load_people(app.appbuilder)
    session = app.appbuilder.session
    users = {u.username: u for u in session.scalars(select(ConsoleUser))}
    demo_customers.load(session, users)
    demo_complaints.load(session, users)
    first = demo_satisfaction.load(session, users)
    second = demo_satisfaction.load(session, users)
    print(json.dumps({"first": first, "second": second}, ensure_ascii=False))
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    import json
    import subprocess
    import sys

    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session
    url = f"sqlite:///{tmp_path_factory.mktemp('demo13')}/demo.db"
    done = subprocess.run([sys.executable, "-c", DEMO_SCRIPT, url], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    with Session(create_engine(url)) as s:
        yield report, s


def test_demo_has_two_reported_surveys_with_about_60_answers_and_is_idempotent(demo):
    from app.models.satisfaction import survey_results
    report, s = demo
    assert report["second"] == ["satisfaction surveys: 0 new; service requests: 0 new"]
    reported = s.scalars(select(SatisfactionSurvey)
                         .where(SatisfactionSurvey.status == "reported")).all()
    assert len(reported) == 2 and all(r.report and r.reported_on for r in reported)
    assert 55 <= sum(r.response_count for r in reported) <= 65
    for survey in reported:
        res = survey_results(s, survey)
        assert res["valid"] == survey.valid_count < survey.response_count <= survey.issued_count
        averages = [d["average"] for d in res["dimensions"]]
        assert averages == sorted(averages) and averages[0] < 3.5  # a low one to act on
    linked = s.scalars(select(ImprovementMeasure)
                       .where(ImprovementMeasure.source_type == "survey")).all()
    assert linked and all(m.survey_id is not None for m in linked)


def test_demo_requests_cover_three_months_with_some_overdue(demo):
    _report, s = demo
    rows = s.scalars(select(ServiceRequest)).all()
    assert 40 <= len(rows) <= 50
    assert min(r.received_at for r in rows) >= now_cn() - timedelta(days=92)
    assert sum(1 for r in rows if r.overdue) >= 3
    assert sum(1 for r in rows if r.responded_late) >= 1
    assert {r.status for r in rows} >= {"received", "responded", "resolved", "closed"}
    assert all(r.respond_due_at == respond_deadline(r.received_at, r.urgency) for r in rows)


def test_monthly_stats_by_urgency_and_the_stats_page(api, browser, session, dedicated_clerk):
    clerk = api(dedicated_clerk)
    customer = new_customer(clerk)
    ids = [clerk.post("/api/v1/service_request/", json={
        "customer": customer, "content": "x", "urgency": urgency,
        "received_at": received}).json["id"]
        for received, urgency in (("2025-11-03T08:00:00", "urgent"),
                                  ("2025-11-04T08:00:00", "urgent"),
                                  ("2025-11-05T08:00:00", "normal"))]
    session.execute(ServiceRequest.__table__.update().where(ServiceRequest.id == ids[0])
                    .values(responded_at=datetime(2025, 11, 3, 9, 0), status="responded"))
    session.commit()
    stats = clerk.get("/api/v1/service_request/stats?month=2025-11").json
    by = {row["urgency"]: row for row in stats["by_urgency"]}
    assert (by["urgent"]["received"], by["urgent"]["responded_in_time"],
            by["urgent"]["overdue"], by["urgent"]["response_timely_rate"]) == (2, 1, 1, 1.0)
    assert (by["normal"]["received"], by["normal"]["response_timely_rate"]) == (1, None)
    assert stats["overdue"] == 2
    html = browser(dedicated_clerk).text("/servicerequeststats/?month=2025-11")
    assert "需求月度统计" in html and "100.0%" in html and 'data-urgency="urgent"' in html
    assert "月份格式" in browser(dedicated_clerk).text("/servicerequeststats/?month=11-2025")
