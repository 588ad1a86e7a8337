"""The ABC analysis export on the task queue (issue 27): above EXPORT_BACKGROUND_ROWS the web
page and the API only enqueue an ExportJob; the task writes the ranking of the asked year
(and by_type) in the asking user's scope into FILES_DIR. (Tasks run in the request under
HUEY_IMMEDIATE unless a test swaps in a real store, as tests/test_queue.py does.)"""
import io

import openpyxl
import pytest
from sqlalchemy import func, select

from app.audit import AuditLog
from app.jobs import ExportJob
from tests.conftest import unique
from tests.test_queue import background, job_row, real_store  # noqa: F401 — fixture

YEAR = 2019
ROLES = ["admin", "executive", "finance", "supervisor1", "clerk1", "clerk3"]
HEADER = ("名次", "客户名称", "销售额（元）", "占比", "累计占比", "ABC 类别")


@pytest.fixture(scope="module")
def prefix(app):
    """Three customers of clerk1 (department 1) with sales in YEAR."""
    from tests.conftest import Api
    a = Api(app, "clerk1")
    name = unique("ABC队列")
    for key, amount in (("a", "700.00"), ("b", "200.00"), ("c", "100.00")):
        r = a.post("/api/v1/customer/", json={"name": f"{name}{key}",
                                              "customer_type": "important"})
        assert r.status_code == 201, r.json
        r = a.post("/api/v1/transaction/", json={
            "customer": r.json["id"], "date": f"{YEAR}-05-01", "product": "涤纶长丝",
            "amount": amount, "collected": "0.00"})
        assert r.status_code == 201, r.json
    return name


def ranking(api, user, by_type=False) -> list[tuple]:
    """The user's whole ranking from GET /api/v1/customer/abc, page by page."""
    rows, page = [], 0
    while True:
        r = api(user).get(f"/api/v1/customer/abc?year={YEAR}&by_type={int(by_type)}"
                          f"&page={page}&page_size=10000")
        assert r.status_code == 200, r.json
        rows += [(x["rank"], x["name"], float(x["amount"]), x["abc_class"])
                 for x in r.json["result"]]
        if len(rows) >= r.json["count"]:
            return rows
        page += 1


def file_rows(data, by_type=False) -> list[tuple]:
    sheet = list(openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    header = (*HEADER[:2], "客户类型", *HEADER[2:]) if by_type else HEADER
    assert sheet[0] == header
    amount, cls = header.index("销售额（元）"), header.index("ABC 类别")
    return [(r[0], r[1], float(r[amount]), r[cls]) for r in sheet[1:]]


def api_job(api, user, query) -> str:
    r = api(user).get(f"/api/v1/customer/abc/export.xlsx?{query}")
    assert r.status_code == 202, r.get_data(as_text=True)
    assert r.json["status_url"].endswith(r.json["token"])
    return r.json["token"]


def web_job(browser, user, query) -> str:
    r = browser(user).client.get(f"/grading/abc/export.xlsx?{query}")
    assert r.status_code == 302 and "/exports/" in r.location, r.status_code
    return r.location.rstrip("/").rsplit("/", 1)[-1]


@pytest.mark.parametrize("channel", ["api", "web"])
@pytest.mark.parametrize("user", ROLES)
def test_every_role_gets_a_job_with_exactly_its_scopes_abc_rows(
        app, api, browser, background, session, prefix, user, channel):  # noqa: F811
    expected = ranking(api, user)
    mine = [row for row in expected if row[1].startswith(prefix)]
    assert len(mine) == (0 if user == "clerk3" else 3)  # clerk3: another department
    if user == "clerk1":
        assert [r[3] for r in mine] == ["A", "B", "C"]
    query = f"year={YEAR}"
    token = api_job(api, user, query) if channel == "api" else web_job(browser, user, query)
    job = job_row(session, token)
    assert (job.kind, job.status, job.total, job.done_rows) == \
        ("export", "done", len(expected), len(expected))
    assert job.title == f"{YEAR} 年度 ABC 分析" and job.filename.startswith("ABC 分析_")
    if channel == "api":
        r = api(user).get(f"/api/v1/export_job/{token}/download")
    else:
        r = browser(user).client.get(f"/exports/{token}/download")
    assert r.status_code == 200
    assert file_rows(r.data) == expected
    other = "clerk3" if user != "clerk3" else "clerk1"
    assert api(other).get(f"/api/v1/export_job/{token}/download").status_code == 404


@pytest.mark.parametrize("channel", ["api", "web"])
def test_by_type_is_kept_by_the_job(api, browser, background, session, prefix, channel):  # noqa: F811
    query = f"year={YEAR}&by_type=1"
    token = api_job(api, "clerk1", query) if channel == "api" else \
        web_job(browser, "clerk1", query)
    job = job_row(session, token)
    assert job.status == "done", job.error
    r = api("clerk1").get(f"/api/v1/export_job/{token}/download")
    assert file_rows(r.data, by_type=True) == ranking(api, "clerk1", by_type=True)


def test_the_export_is_in_the_audit_log_as_before(api, background, session, prefix):  # noqa: F811
    token = api_job(api, "supervisor1", f"year={YEAR}")
    total = job_row(session, token).total
    entry = session.scalars(select(AuditLog).where(AuditLog.action == "export")
                            .order_by(AuditLog.id.desc())).first()
    assert entry.resource == "customer"
    assert entry.detail.startswith(f"{total} 行") and f"year={YEAR}" in entry.detail


def test_below_the_threshold_it_streams_as_before(api, browser, session, prefix):
    before = session.scalar(select(func.count(ExportJob.id)))
    r = browser("clerk1").client.get(f"/grading/abc/export.xlsx?year={YEAR}")
    assert r.status_code == 200 and r.mimetype.endswith("sheet")
    assert file_rows(r.data) == ranking(api, "clerk1")
    r = api("clerk1").get(f"/api/v1/customer/abc/export.xlsx?year={YEAR}")
    assert r.status_code == 200 and file_rows(r.data) == ranking(api, "clerk1")
    assert session.scalar(select(func.count(ExportJob.id))) == before


def test_the_request_only_enqueues_and_a_worker_writes_the_file(
        app, api, browser, background, session, prefix, monkeypatch, tmp_path):  # noqa: F811
    huey = real_store(app, monkeypatch, tmp_path)
    b = browser("supervisor1")
    r = b.client.get(f"/grading/abc/export.xlsx?year={YEAR}&by_type=1")
    assert r.status_code == 302 and "/exports/" in r.location
    web = r.location.rstrip("/").rsplit("/", 1)[-1]
    assert "排队中" in b.text(r.location)
    rest = api_job(api, "supervisor1", f"year={YEAR}")
    assert job_row(session, web).status == job_row(session, rest).status == "queued"
    assert huey.pending_count() == 2
    huey.execute(huey.dequeue())
    huey.execute(huey.dequeue())
    for token, by_type in ((web, True), (rest, False)):
        job = job_row(session, token)
        assert (job.status, job.attempts) == ("done", 1), job.error
        r = b.client.get(f"/exports/{token}/download")
        assert r.status_code == 200
        assert file_rows(r.data, by_type) == ranking(api, "supervisor1", by_type)


@pytest.mark.parametrize("year, text", [("abc", "年份格式应为 YYYY"),
                                        ("1999", "年份须在 2000 到 2100 之间")])
def test_a_bad_year_is_refused_in_chinese_and_nothing_changes(
        api, browser, background, session, year, text):  # noqa: F811
    jobs = session.scalar(select(func.count(ExportJob.id)))
    exports = select(func.count(AuditLog.id)).where(AuditLog.action == "export")
    audits = session.scalar(exports)
    r = api("clerk1").get(f"/api/v1/customer/abc/export.xlsx?year={year}")
    assert r.status_code == 422 and text in r.json["message"]["year"][0]
    r = browser("clerk1").client.get(f"/grading/abc/export.xlsx?year={year}")
    assert r.status_code == 400 and text in r.get_data(as_text=True)
    assert session.scalar(select(func.count(ExportJob.id))) == jobs
    assert session.scalar(exports) == audits  # (signing in is audited)
