"""The dashboard tiles of the registers that came after the chart mechanism (visits,
satisfaction, receptions, service requests): each answers in the viewer's scope."""
import pytest

from tests.conftest import unique

NOT_ON_THE_DASHBOARD = {("visit_record", "per_month"), ("service_request", "per_month")}
NEW_TILES = [("visit_plan_item", "planned_vs_done"), ("visit_record", "per_month"),
             ("survey_response", "by_dimension"), ("reception", "cost_per_month"),
             ("service_request", "per_month"), ("service_request", "in_time"),
             ("customer", "contact_due")]


@pytest.mark.parametrize("resource, chart", NEW_TILES)
@pytest.mark.parametrize("user", ["admin", "supervisor1", "executive", "clerk1"])
def test_chart_of_a_new_register_answers_labels_and_series(api, user, resource, chart):
    r = api(user).get(f"/api/v1/chart/{resource}/{chart}")
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    assert isinstance(r.json["labels"], list) and isinstance(r.json["series"], list)
    for series in r.json["series"]:
        assert len(series["data"]) == len(r.json["labels"])


def test_dashboard_shows_the_new_tiles(browser):
    html = browser("executive").text("/dashboard/")
    for resource, chart in set(NEW_TILES) - NOT_ON_THE_DASHBOARD:
        assert f"/api/v1/chart/{resource}/{chart}" in html, resource


def test_contact_due_tile_counts_the_viewers_customers_behind_the_rule(api):
    """A Clerk's tile counts exactly the Clerk's rows of `customer/contact_due`."""
    a = api("clerk1")
    due = a.get("/api/v1/customer/contact_due").json["result"]
    chart = a.get("/api/v1/chart/customer/contact_due").json
    assert sum(sum(s["data"]) for s in chart["series"]) == len(due)
    assert sum(chart["series"][0]["data"]) == sum(1 for row in due if row["is_key"])


def test_contact_due_tile_follows_the_department_filter(api, session):
    """The executive's tile filtered to a department counts what that department's
    Supervisor sees unfiltered; a department without customers counts nothing."""
    from datetime import timedelta

    from sqlalchemy import select, update

    from app.models.customers import Customer
    from app.models.org import ConsoleUser, Department
    from app.timeutil import now_cn
    ids = [api(clerk).post("/api/v1/customer/", json={
        "name": unique("久未联系"), "customer_type": "group",
        "cooperation": "active"}).json["id"]
        for clerk in ("clerk1", "clerk3")]  # 销售一部, 销售二部
    session.execute(update(Customer).where(Customer.id.in_(ids))
                    .values(created_on=now_cn() - timedelta(days=800)))
    session.commit()

    def counts(user, query=""):
        answer = api(user).get(f"/api/v1/chart/customer/contact_due{query}").json
        return dict(zip(answer["keys"], zip(*[s["data"] for s in answer["series"]])))

    dept = session.scalar(select(ConsoleUser.department_id)
                          .where(ConsoleUser.username == "supervisor1"))
    filtered = counts("executive", f"?department={dept}")
    assert filtered == counts("supervisor1") and "clerk1" in filtered
    assert "clerk3" not in filtered and "clerk3" in counts("executive")
    admin = session.scalar(select(ConsoleUser.id).where(ConsoleUser.username == "admin"))
    empty = Department(name=unique("无客户部门"), owner_id=admin)
    session.add(empty)
    session.commit()
    try:
        assert counts("executive", f"?department={empty.id}") == {}
    finally:
        session.delete(empty)
        session.commit()
