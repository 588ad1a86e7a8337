"""The dashboard tiles of the registers that came after the chart mechanism (visits,
satisfaction, receptions, service requests): each answers in the viewer's scope."""
import pytest

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
