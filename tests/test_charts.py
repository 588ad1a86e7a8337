"""Declared charts (DESIGN.md §5, §8): each endpoint's numbers on crafted rows with a known
answer, per role (a Clerk counts only own rows, a Supervisor the department's), the period
and department filters, the 图表 pages, the dashboard and the Clerks' 我的工作 panel.

The rows of this module live in a department of their own (图表部) with two Clerks and a
Supervisor, in months no other test uses (2019), so the figures are exact.
"""
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.demo import DEMO_PASSWORD, ensure_department, ensure_user
from app.models.complaints import Complaint
from app.models.customers import Contact, Customer, Transaction
from app.models.org import ConsoleUser
from tests.conftest import unique

PERIOD = "from=2019-01&to=2019-06"


def chart(client, resource, name, query=""):
    r = client.get(f"/api/v1/chart/{resource}/{name}" + (f"?{query}" if query else ""))
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.json


def series(answer) -> dict:
    """series name → {label: value}"""
    return {s["name"]: dict(zip(answer["labels"], s["data"])) for s in answer["series"]}


@pytest.fixture(scope="module")
def team(app):
    """图表部 with clerks a and b and supervisor s; their crafted rows."""
    with app.app_context():
        appbuilder = app.appbuilder
        session = appbuilder.session
        admin = appbuilder.sm.find_user(username="admin")
        dept = ensure_department(session, unique("图表部"), None, admin)
        session.commit()
        names = {key: unique(f"chart{key}") for key in ("a", "b", "s")}
        for key, role in (("a", "Clerk"), ("b", "Clerk"), ("s", "Supervisor")):
            ensure_user(appbuilder, names[key], "图表" + key, role, dept.name, DEMO_PASSWORD)
        users = {key: session.scalar(select(ConsoleUser).where(ConsoleUser.username == n))
                 for key, n in names.items()}
        rows = {}

        def customer(owner, grade, ctype):
            c = Customer(name=unique("图表客户"), customer_type=ctype, grade=grade,
                         cooperation="active", owner_id=owner.id, department_id=dept.id)
            session.add(c)
            session.flush()
            return c

        a, b = users["a"], users["b"]
        rows["ca1"] = customer(a, "A", "important")
        rows["ca2"] = customer(a, "A", "group")
        rows["ca3"] = customer(a, "B", "group")
        rows["cb1"] = customer(b, "C", "strategic")

        def sale(c, day, amount, collected):
            session.add(Transaction(customer_id=c.id, date=day, product="图表产品",
                                    amount=Decimal(amount), collected=Decimal(collected),
                                    owner_id=c.owner_id, department_id=dept.id))

        sale(rows["ca1"], date(2019, 1, 10), "100.10", "50.00")
        sale(rows["ca1"], date(2019, 1, 31), "200.20", "0.00")
        sale(rows["ca2"], date(2019, 3, 1), "300.00", "300.00")
        sale(rows["cb1"], date(2019, 3, 15), "1000.00", "10.00")
        sale(rows["cb1"], date(2019, 8, 1), "9999.00", "0.00")  # outside the period

        def complaint(c, received, category, status="registered", resolved=None,
                      followed=None):
            item = Complaint(customer_id=c.id, complainant="李女士", category=category,
                             description="图表测试", received_at=received, status=status,
                             resolved_at=resolved, followed_up_at=followed,
                             owner_id=c.owner_id, department_id=dept.id)
            session.add(item)
            return item

        complaint(rows["ca1"], datetime(2019, 2, 4, 10), "general", "resolved",
                  resolved=datetime(2019, 2, 4, 15))
        complaint(rows["ca1"], datetime(2019, 2, 5, 10), "general", "followed_up",
                  resolved=datetime(2019, 2, 28, 9), followed=datetime(2019, 3, 1, 9))
        complaint(rows["ca2"], datetime(2019, 2, 6, 10), "major")
        complaint(rows["cb1"], datetime(2019, 2, 7, 10), "no_liability")
        for c, name, decides in ((rows["ca1"], "甲", True), (rows["ca2"], "乙", False),
                                 (rows["cb1"], "丙", False)):
            session.add(Contact(customer_id=c.id, name=name, is_decision_maker=decides,
                                owner_id=c.owner_id, department_id=dept.id))
        session.commit()
        ids = {k: v.id for k, v in rows.items()}
        return {"dept": dept.id, "names": names, "ids": ids}


# --- GROUP BY charts, per role -------------------------------------------------------
def test_customers_by_grade_counts_only_the_clerks_own_rows(api, team):
    answer = chart(api(team["names"]["a"]), "customer", "by_grade")
    assert answer["kind"] == "stacked_bar"
    assert series(answer) == {"重要客户": {"A": 1, "B": 0}, "集团客户": {"A": 1, "B": 1}}


def test_supervisor_counts_the_department(api, team):
    answer = chart(api(team["names"]["s"]), "customer", "by_type")
    assert dict(zip(answer["labels"], answer["series"][0]["data"])) == {
        "重要客户": 1, "集团客户": 2, "战略客户": 1}


def test_executive_with_department_filter_counts_that_department(api, team):
    answer = chart(api("executive"), "customer", "by_grade", f"department={team['dept']}")
    totals = {label: sum(s["data"][i] for s in answer["series"])
              for i, label in enumerate(answer["labels"])}
    assert totals == {"A": 2, "B": 1, "C": 1}


def test_other_departments_supervisor_sees_none_of_these_rows(api, team):
    answer = chart(api("supervisor2"), "customer", "by_grade", f"department={team['dept']}")
    assert answer["labels"] == [] and answer["series"] == []


def test_sales_and_collections_by_month_sum_money_in_sql(api, team):
    answer = chart(api(team["names"]["a"]), "transaction", "sales", PERIOD)
    assert answer["labels"] == ["2019-01", "2019-02", "2019-03", "2019-04", "2019-05",
                                "2019-06"]
    assert series(answer)["销售额"] == {"2019-01": 300.3, "2019-02": 0, "2019-03": 300.0,
                                      "2019-04": 0, "2019-05": 0, "2019-06": 0}
    assert series(answer)["回款额"]["2019-01"] == 50.0


def test_supervisor_sales_include_both_clerks_and_respect_the_period(api, team):
    answer = chart(api(team["names"]["s"]), "transaction", "sales", PERIOD)
    assert series(answer)["销售额"]["2019-03"] == 1300.0
    assert sum(series(answer)["销售额"].values()) == pytest.approx(1600.3)


def test_month_links_open_the_list_filtered_to_that_month(api, browser, team):
    answer = chart(api(team["names"]["s"]), "transaction", "sales", PERIOD)
    link = answer["links"][2]  # 2019-03
    html = browser(team["names"]["s"]).text(link)
    assert html.count("图表产品") == 2
    assert "2019-03-01" in html and "2019-03-15" in html


def test_complaints_per_month_by_category(api, team):
    answer = chart(api(team["names"]["s"]), "complaint", "per_month", PERIOD)
    got = series(answer)
    assert got["一般责任投诉"]["2019-02"] == 2
    assert got["重大责任投诉"]["2019-02"] == 1
    assert got["无责任投诉"]["2019-02"] == 1


def test_complaint_trend_rates_come_from_the_monthly_statistics(api, team):
    clerk = api(team["names"]["a"])
    answer = chart(clerk, "complaint", "trend", PERIOD)
    got = series(answer)
    assert got["一般责任投诉"]["2019-02"] == 2 and got["重大责任投诉"]["2019-02"] == 1
    assert "无责任投诉" in got and got["无责任投诉"]["2019-02"] == 0  # b's row
    stats = clerk.get("/api/v1/complaint/stats?month=2019-02").json["total"]
    assert got["处理率"]["2019-02"] == pytest.approx(stats["handling_rate"]) == \
        pytest.approx(2 / 3)
    assert got["及时率"]["2019-02"] == pytest.approx(stats["timely_rate"])
    assert got["回访率"]["2019-02"] == pytest.approx(0.5)
    assert got["处理率"]["2019-01"] is None  # nothing received: no rate
    rate_series = [s for s in answer["series"] if s.get("axis") == "rate"]
    assert len(rate_series) == 3


def test_abc_pareto_uses_the_window_function_analysis(api, team):
    answer = chart(api(team["names"]["s"]), "customer", "abc", "to=2019-12")
    assert answer["kind"] == "pareto" and answer["year"] == 2019
    assert answer["labels"][0].startswith(str(_name(api, team, "cb1")))
    amounts = answer["series"][0]["data"]
    assert amounts == [10999.0, 300.3, 300.0]
    cumulative = answer["series"][1]["data"]
    assert cumulative[-1] == pytest.approx(1.0)
    assert answer["abc_counts"] == {"A": 1, "B": 0, "C": 2}  # 0.948, 0.974, 1.0


def test_abc_pareto_groups_its_tail_in_sql(api, team, monkeypatch):
    monkeypatch.setattr("app.views.grading.PARETO_SHOWN", 1)
    answer = chart(api(team["names"]["s"]), "customer", "abc", "to=2019-12")
    assert answer["labels"][1] == "其他 2 家" and answer["links"][1] is None
    assert answer["series"][0]["data"] == [10999.0, 600.3]
    assert answer["series"][1]["data"][1] == pytest.approx(1.0)
    assert answer["abc_counts"] == {"A": 1, "B": 0, "C": 2}


def test_abc_pareto_of_a_clerk_ranks_only_own_customers(api, team):
    answer = chart(api(team["names"]["a"]), "customer", "abc", "to=2019-12")
    assert answer["series"][0]["data"] == [300.3, 300.0]


def _name(api, team, key):
    r = api("admin").get(f"/api/v1/customer/{team['ids'][key]}")
    return r.json["result"]["name"]


def test_contacts_per_owner_group_by_relation_with_boolean_series(api, team):
    answer = chart(api(team["names"]["s"]), "contact", "by_owner")
    assert series(answer) == {"是": {"图表a": 1, "图表b": 0}, "否": {"图表a": 1, "图表b": 1}}
    clerk = chart(api(team["names"]["b"]), "contact", "by_owner")
    assert clerk["labels"] == ["图表b"]


def test_complaints_by_category_and_channel_in_the_period(api, team):
    supervisor = api(team["names"]["s"])
    by_category = chart(supervisor, "complaint", "by_category", PERIOD)
    assert dict(zip(by_category["labels"], by_category["series"][0]["data"])) == {
        "重大责任投诉": 1, "一般责任投诉": 2, "无责任投诉": 1}
    by_channel = chart(supervisor, "complaint", "by_channel", PERIOD)
    assert dict(zip(by_channel["labels"], by_channel["series"][0]["data"])) == {"电话": 4}
    later = chart(supervisor, "complaint", "by_category", "from=2019-03&to=2019-06")
    assert later["labels"] == []


def test_overdue_complaints_by_kind_per_role(api, team):
    supervisor = chart(api(team["names"]["s"]), "complaint", "overdue",
                       f"department={team['dept']}")
    assert dict(zip(supervisor["labels"], supervisor["series"][0]["data"])) == {
        "处理超期": 2, "上报超期": 1, "回访超期": 1}
    clerk = chart(api(team["names"]["b"]), "complaint", "overdue")
    assert clerk["series"][0]["data"] == [1, 0, 0]


def test_pie_of_a_related_column_with_labels(api, team):
    answer = chart(api(team["names"]["a"]), "transaction", "by_grade", PERIOD)
    assert dict(zip(answer["labels"], answer["series"][0]["data"])) == {"A": 600.3}


# --- refusals ---------------------------------------------------------------------------
@pytest.mark.parametrize("query, message", [
    ("from=2019-13", "日期格式"), ("from=abc", "日期格式"), ("from=2019-06&to=2019-01", "不能晚于"),
    ("department=999999", "部门不存在"), ("department=x", "部门不存在"),
    ("from=1800-01", "1900"), ("from=2000-01&to=2019-12", "最长"),
])
def test_bad_parameters_get_400_in_chinese(api, query, message):
    r = api("supervisor1").get(f"/api/v1/chart/transaction/sales?{query}")
    assert r.status_code == 400 and message in r.json["message"]


def test_unknown_resource_or_chart_is_404(api):
    assert api("executive").get("/api/v1/chart/customer/nope").status_code == 404
    assert api("executive").get("/api/v1/chart/nope/sales").status_code == 404


def test_chart_of_a_register_the_role_may_not_list_is_404(app, api):
    with app.app_context():
        sm = app.appbuilder.sm
        username = unique("nochart")
        role = sm.find_role(unique("Viewer")) or sm.add_role(unique("Viewer"))
        role.permissions = [sm.find_permission_view_menu("can_get", "Chart")]
        app.appbuilder.session.commit()
        sm.add_user(username, "无", "权", f"{username}@example.com", role,
                    password=DEMO_PASSWORD)
    assert api(username).get("/api/v1/chart/customer/by_grade").status_code == 404


def test_chart_needs_a_login(app):
    assert app.test_client().get("/api/v1/chart/customer/by_grade").status_code == 401


def test_chart_list_of_a_register(api):
    r = api("clerk1").get("/api/v1/chart/complaint/")
    assert r.status_code == 200
    assert {"trend", "per_month", "by_category"} <= {c["name"] for c in r.json["result"]}


# --- pages ---------------------------------------------------------------------------
REGISTERS = ["customer", "contact", "transaction", "development_plan", "archive_loan",
             "complaint", "improvement_measure", "grade_evaluation"]


@pytest.mark.parametrize("resource", REGISTERS)
def test_every_register_has_a_chart_page_and_each_chart_answers(browser, api, resource):
    html = browser("supervisor1").text(f"/charts/{resource}/")
    assert "chart-tile" in html and "vendor/echarts/5.6.0/echarts.min.js" in html
    client = api("supervisor1")
    names = [c["name"] for c in client.get(f"/api/v1/chart/{resource}/").json["result"]]
    assert names
    for name in names:
        answer = chart(client, resource, name)
        assert answer["title"] and answer["kind"] in ("bar", "stacked_bar", "line", "pie",
                                                      "pareto")
        assert all(len(s["data"]) == len(answer["labels"]) for s in answer["series"])


def test_register_list_links_to_its_chart_page(browser):
    html = browser("clerk1").text("/transactionview/list/")
    assert 'href="/charts/transaction/"' in html and "图表" in html


def test_chart_page_of_unknown_register_is_404(browser):
    assert browser("clerk1").get("/charts/nope/").status_code == 404


@pytest.mark.parametrize("user", ["supervisor1", "executive", "admin"])
def test_heads_open_on_the_dashboard(browser, user):
    html = browser(user).text("/")
    assert "仪表盘" in html and "您好" in html and "待办" in html
    for tile in ("customer-by_grade", "customer-abc", "transaction-sales", "complaint-trend"):
        assert f'id="tile-{tile}"' in html


def test_clerk_keeps_the_todo_table_and_gets_my_work(browser, team):
    html = browser(team["names"]["a"]).text("/")
    assert "chart-tile" not in html and "待办" in html and "我的工作" in html
    assert "我的超期投诉" in html


def test_dashboard_is_refused_to_clerks_and_finance(browser):
    for user in ("clerk1", "finance"):
        r = browser(user).get("/dashboard/")
        assert r.status_code in (302, 403) and "/dashboard" not in (r.location or "")


def test_complaint_stats_page_shows_the_trend_without_json_button(browser):
    html = browser("supervisor1").text("/complaintstats/?month=2019-02")
    assert "/api/v1/chart/complaint/trend" in html
    assert ">JSON<" not in html
