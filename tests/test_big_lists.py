"""Lists at a million rows: capped counts, bounded paging, indexed search, background
exports that always finish (DESIGN.md §6, issue 18). The figures are in bench/; these
tests check the behaviour at a small cap."""
import threading
import time
from urllib.parse import quote

import prison
import pytest

from app import scope
from app.jobs import ExportJob
from app.models.customers import Customer
from tests.conftest import unique


def add_customers(api, user, prefix, n):
    a = api(user)
    for i in range(n):
        r = a.post("/api/v1/customer/", json={"name": f"{prefix}{i}", "customer_type": "group",
                                               "cooperation": "active"})
        assert r.status_code == 201, r.json


@pytest.fixture
def small_cap(monkeypatch):
    monkeypatch.setattr(scope, "COUNT_CAP", 3)


def test_list_count_stops_at_the_cap_and_says_so(api, browser, dedicated_clerk, small_cap):
    add_customers(api, dedicated_clerk, unique("计数"), 5)
    html = browser(dedicated_clerk).text("/customerview/list/")
    assert "3+" in html
    r = api(dedicated_clerk).get("/api/v1/customer/")
    assert r.status_code == 200
    assert r.json["count"] == 4 and r.json["count_capped"] is True


def test_a_count_under_the_cap_is_exact(api, dedicated_clerk):
    add_customers(api, dedicated_clerk, unique("精确"), 2)
    r = api(dedicated_clerk).get("/api/v1/customer/")
    assert r.json["count"] == 2 and r.json["count_capped"] is False


def test_api_page_past_the_cap_is_refused_in_chinese(api, dedicated_clerk, small_cap):
    add_customers(api, dedicated_clerk, unique("翻页"), 5)
    q = prison.dumps({"page": 1, "page_size": 3})
    r = api(dedicated_clerk).get(f"/api/v1/customer/?q={q}")
    assert r.status_code == 400 and "筛选" in r.json["message"]
    q = prison.dumps({"page": 0, "page_size": 3})
    assert len(api(dedicated_clerk).get(f"/api/v1/customer/?q={q}").json["result"]) == 3


def test_export_counts_and_writes_every_row_past_the_cap(api, browser, dedicated_clerk,
                                                         small_cap):
    import io

    import openpyxl
    add_customers(api, dedicated_clerk, unique("全导"), 5)
    r = browser(dedicated_clerk).get("/customerview/export_xlsx/")
    assert r.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(r.data)).active.max_row == 1 + 5


@pytest.mark.parametrize("needle", ["客户%_", "abc", "ABC", "中", "x_y"])
def test_contains_search_finds_exactly_the_matching_names(api, browser, dedicated_clerk,
                                                          needle):
    prefix = unique("搜")
    names = {f"{prefix}客户%_甲": "客户%_", f"{prefix}xabcz": "abc", f"{prefix}XABCZ2": "abc",
             f"{prefix}中文": "中", f"{prefix}x_y": "x_y", f"{prefix}xzy": None}
    a = api(dedicated_clerk)
    for name in names:
        assert a.post("/api/v1/customer/", json={"name": name, "customer_type": "group",
                                                  "cooperation": "active"}).status_code == 201
    expected = {n for n, key in names.items() if key and needle.lower() in n.lower()}
    q = prison.dumps({"filters": [{"col": "name", "opr": "ct", "value": needle}],
                      "page_size": 100})
    found = {row["name"] for row in a.get(f"/api/v1/customer/?q={q}").json["result"]}
    assert found == expected
    html = browser(dedicated_clerk).text(f"/customerview/list/?_flt_2_name={quote(needle)}")
    assert all(n in html for n in expected)


def test_search_index_follows_renames_and_deletes(api, dedicated_clerk):
    a = api(dedicated_clerk)
    prefix = unique("改名")
    r = a.post("/api/v1/customer/", json={"name": prefix + "旧名", "customer_type": "group",
                                          "cooperation": "active"})
    pk = r.json["id"]

    def search(term):
        q = prison.dumps({"filters": [{"col": "name", "opr": "ct", "value": term}]})
        return [row["id"] for row in a.get(f"/api/v1/customer/?q={q}").json["result"]]

    assert search(prefix + "旧名") == [pk]
    assert a.put(f"/api/v1/customer/{pk}", json={"name": prefix + "新名"}).status_code == 200
    assert search(prefix + "旧名") == [] and search(prefix + "新名") == [pk]
    assert a.delete(f"/api/v1/customer/{pk}").status_code == 200
    assert search(prefix + "新名") == []


def wait_for_job(session, token, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = session.query(ExportJob).filter_by(token=token).populate_existing().one()
        if job.status != "running":
            return job
        time.sleep(0.2)
    raise AssertionError("the export job is still running")


def test_background_export_finishes_while_another_user_writes(app, api, session,
                                                              dedicated_clerk, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS", 2)
    monkeypatch.setattr("app.export.YIELD_PER", 1)  # a progress write per row
    add_customers(api, dedicated_clerk, unique("后台"), 6)
    stop, writes = threading.Event(), []

    def writer():  # another user keeps writing (last_login-like updates) meanwhile
        other = api("clerk3")
        name = unique("并发")
        pk = other.post("/api/v1/customer/", json={"name": name, "customer_type": "group",
                                                   "cooperation": "active"}).json["id"]
        while not stop.is_set():
            writes.append(other.put(f"/api/v1/customer/{pk}",
                                    json={"notes": str(len(writes))}).status_code)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while not writes:  # the task runs while the other user writes
            time.sleep(0.05)
        r = api(dedicated_clerk).get("/api/v1/customer/export.xlsx")
        assert r.status_code == 202, r.get_data(as_text=True)
        job = wait_for_job(session, r.json["token"])
        writes_during = len(writes)
    finally:
        stop.set()
        thread.join()
    assert writes_during > 1
    assert job.status == "done" and job.done_rows == 6, job.error
    assert writes and set(writes) == {200}


def test_a_failing_background_export_is_closed_out_with_a_chinese_message(
        app, api, browser, session, dedicated_clerk, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS", 2)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")
    monkeypatch.setattr("app.export.write_export", broken)
    add_customers(api, dedicated_clerk, unique("失败"), 3)
    token = api(dedicated_clerk).get("/api/v1/customer/export.xlsx").json["token"]
    job = wait_for_job(session, token)
    assert job.status == "failed" and "disk full" in job.error and job.finished_on
    html = browser(dedicated_clerk).text(f"/exports/{token}")
    assert "导出失败" in html


def test_single_department_scope_is_an_equality(app):
    """An index on (department_id, sort column) serves a Supervisor's page only when the
    scope is department_id = x, not an IN list."""
    from sqlalchemy.dialects import sqlite

    class OneDepartment:
        id, department_id = 0, 7
        roles = [type("R", (), {"name": "Supervisor"})()]

        def department_tree_ids(self):
            return [7]
    clause = scope.scope_clause(Customer, OneDepartment())
    assert " IN " not in str(clause.compile(dialect=sqlite.dialect()))


def test_import_asks_the_database_per_chunk_not_per_row(app, browser):
    """Duplicate checks and codes are batched: besides its INSERT, a row of 60 costs about
    what a row of 6 costs."""
    from sqlalchemy import event

    from tests.test_import import CUSTOMER_HEADER, upload, xlsx
    with app.app_context():
        from app.extensions import db
        engine = db.engine
    b = browser("clerk1")

    def statements(n):
        prefix = unique("批量")
        rows = [[f"{prefix}-{i}", "集团客户"] + [None] * 9 for i in range(n)]
        counter = []
        def listener(_conn, _cursor, statement, *args):
            if not statement.lstrip().upper().startswith("INSERT INTO CUSTOMER"):
                counter.append(statement)
        event.listen(engine, "before_cursor_execute", listener)
        try:
            r = upload(b, "customerview", xlsx(CUSTOMER_HEADER, rows))
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        assert f"已导入 {n} 行" in r.get_data(as_text=True)
        return len(counter)

    few, many = statements(6), statements(60)
    assert many - few < 5, (few, many)


def test_overdue_count_in_the_complaint_title_stops_at_its_cap(api, browser, dedicated_clerk,
                                                               monkeypatch):
    """The list's title counts overdue complaints up to TITLE_CAP, then says "N+"; the
    dashboard's overdue counts stay exact."""
    from app.models import complaints
    from app.views import complaints as complaint_views
    monkeypatch.setattr(complaints, "TITLE_CAP", 2)
    monkeypatch.setattr(complaint_views, "TITLE_CAP", 2)
    me = api(dedicated_clerk)
    customer = me.post("/api/v1/customer/", json={"customer_type": "important", "name": unique("超期")}).json["id"]
    for _ in range(3):  # registered in March 2025: the deadline to handle them has passed
        r = me.post("/api/v1/complaint/", json={
            "customer": customer, "complainant": "王女士", "category": "general",
            "description": "送货延误", "received_at": "2025-03-04T10:00:00"})
        assert r.status_code == 201, r.json
    assert "超期 2+ 条" in browser(dedicated_clerk).text("/complaintview/list/")
    assert me.get("/api/v1/complaint/overdue").json["result"]["total"] == 3


def test_pages_read_by_id_first_keep_order_filters_and_scope(api, dedicated_clerk):
    """A page's ids come from the scope and sort indexes, then its rows are joined: the
    pages of 2 put together are the page of 10, in the same order, filtered and scoped."""
    prefix = unique("分页")
    add_customers(api, dedicated_clerk, prefix, 7)
    add_customers(api, "clerk3", prefix + "乙", 2)  # found by the filter, not in my scope
    me = api(dedicated_clerk)
    for order in (("name", "desc"), ("customer_type", "asc"), ("code", "asc")):
        base = {"filters": [{"col": "name", "opr": "ct", "value": prefix}],
                "order_column": order[0], "order_direction": order[1],
                "columns": ["id", "name", "owner.username"]}

        def page(n, size, base=base):
            r = me.get("/api/v1/customer/?q=" + quote(prison.dumps(
                {**base, "page": n, "page_size": size})))
            assert r.status_code == 200, r.json
            return r.json["result"]
        whole = page(0, 10)
        assert len(whole) == 7 and {row["owner"]["username"] for row in whole} == \
            {dedicated_clerk}
        assert [row["id"] for n in range(4) for row in page(n, 2)] == \
            [row["id"] for row in whole]
