"""The department filter of every chart (issue 23 item 11): Admin with `department=X` sees
exactly the figures computed from X's rows — what X's Supervisor sees unfiltered — and a
department without rows shows nothing, for every chart every register declares.

Rows of the two tiles that once ignored the filter (survey_response/by_dimension,
service_request/in_time) are made in both sales departments first, so a tile that
ignored the filter would count the other department's rows.
"""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.models.customers import Customer
from app.models.org import ConsoleUser, Department
from app.models.satisfaction import DIMENSIONS, SatisfactionSurvey, ServiceRequest, SurveyResponse
from app.timeutil import now_cn, today_cn
from app.views.charts import chart_views
from tests.conftest import unique


@pytest.fixture(scope="module")
def departments(app):
    """{supervisor1's department, clerk3's department} with a customer, a reported survey
    with a valid answer and a service request each, answered and received today."""
    with app.app_context():
        session = app.appbuilder.session
        found = {}
        for username, score in (("clerk1", 5), ("clerk3", 1)):
            clerk = session.scalar(select(ConsoleUser).where(ConsoleUser.username == username))
            own = {"owner_id": clerk.id, "department_id": clerk.department_id}
            customer = Customer(name=unique("部门筛选"), customer_type="group",
                                cooperation="active", **own)
            survey = SatisfactionSurvey(
                title=unique("部门筛选调查"), period_start=today_cn() - timedelta(days=7),
                period_end=today_cn(), target="重点客户", staff="测试", status="reported",
                report="报告", reported_on=today_cn(), issued_count=1, **own)
            session.add_all([customer, survey])
            session.flush()
            session.add(SurveyResponse(survey_id=survey.id, customer_id=customer.id,
                                       answered_on=today_cn(), valid=True,
                                       **{d: score for d in DIMENSIONS}, **own))
            received = now_cn() - timedelta(hours=10)
            session.add(ServiceRequest(
                code=unique("XQT")[:20], customer_id=customer.id, received_at=received,
                content="部门筛选", urgency="urgent", respond_due_at=received + timedelta(hours=1),
                responded_at=received + timedelta(hours=score), **own))
            found[username] = clerk.department_id
        session.commit()
        return found


def every_chart(app) -> list[tuple[str, str]]:
    with app.test_request_context():
        return sorted((resource, chart.name) for resource, view in
                      chart_views(app.appbuilder).items() for chart in view.charts)


def figures(client, resource, name, query="") -> dict:
    r = client.get(f"/api/v1/chart/{resource}/{name}{query}")
    assert r.status_code == 200, (resource, name, r.get_data(as_text=True)[:300])
    return {"labels": r.json["labels"],
            "series": [(s["name"], s["data"]) for s in r.json["series"]]}


def test_admin_filtered_to_a_department_sees_that_departments_figures(app, api, departments):
    charts = every_chart(app)
    assert ("survey_response", "by_dimension") in charts and len(charts) >= 20
    admin, supervisor = api("admin"), api("supervisor1")
    query = f"?department={departments['clerk1']}"
    wrong = [(resource, name) for resource, name in charts
             if figures(admin, resource, name, query) != figures(supervisor, resource, name)]
    assert wrong == []


def test_a_department_without_rows_shows_nothing_in_any_chart(app, api, session, departments):
    admin_id = session.scalar(select(ConsoleUser.id).where(ConsoleUser.username == "admin"))
    empty = Department(name=unique("空部门"), owner_id=admin_id)
    session.add(empty)
    session.commit()
    try:
        admin = api("admin")
        shown = {}
        for resource, name in every_chart(app):
            answer = figures(admin, resource, name, f"?department={empty.id}")
            values = [v for _name, data in answer["series"] for v in data if v]
            if values:
                shown[(resource, name)] = values
        assert shown == {}
    finally:
        session.delete(empty)
        session.commit()


@pytest.mark.parametrize("user", ["admin", "executive"])
def test_the_two_tiles_differ_between_the_departments(api, departments, user):
    """clerk1's department answered 5 and responded late to an urgent request (5 h, due in 1); clerk3's answered
    1 and responded in time (1 h): each department's tile shows its own row."""
    client = api(user)

    def tile(resource, name, dept):
        return figures(client, resource, name, f"?department={dept}")["series"]

    one, two = departments["clerk1"], departments["clerk3"]
    for resource, name in (("survey_response", "by_dimension"),
                           ("service_request", "in_time")):
        assert tile(resource, name, one) != tile(resource, name, two), (resource, name)
    averages = dict(tile("survey_response", "by_dimension", two))["平均分"]
    assert averages and set(averages) == {1.0}
    rate = dict(tile("service_request", "in_time", two))["响应及时率"]
    assert rate[-1] == 1.0
