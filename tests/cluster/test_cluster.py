"""The deployment of deploy/, run as it would run: PostgreSQL, Redis, two `make serve` app
servers, one `make worker` and nginx (deploy/nginx/console.conf) round-robin in front, all
real programs on 127.0.0.1 in a temporary folder (tools/cluster.py). Everything goes through
nginx.

Runs where redis-server, nginx and PostgreSQL's initdb are installed (CI installs them), once,
in the SQLite pass of `make test` (it starts a PostgreSQL of its own).
"""
import io
import os
import shutil
import tempfile
import time
import uuid

import openpyxl
import pytest

from tools.cluster import Client, Cluster, missing_programs, wait_until

MISSING = missing_programs()
pytestmark = [
    pytest.mark.skipif(bool(MISSING), reason=f"cluster test needs {', '.join(MISSING)}"),
    pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")),
                       reason="the cluster test runs once, in the SQLite pass of make test "
                              "(it starts a PostgreSQL of its own)"),
]
PASSWORD = "Cluster-Test-2026"
EXPORT_ROWS = 60000
IMPORT_ROWS = 2100
RATE_LIMIT = 20


@pytest.fixture(scope="module")
def cluster():
    tmp = tempfile.mkdtemp(prefix="console-cluster-")
    os.chmod(tmp, 0o755)
    # the rate limit above the lockout's 10 failures, so both can be seen to hold
    c = Cluster(tmp, {"AUTH_RATE_LIMIT": f"{RATE_LIMIT} per 1 minute"})
    try:
        c.postgres()
        c.redis()
        c.serve("web1")  # migrates and writes the permissions; the second finds them done
        c.start_serving("web2")
        c.worker()
        # a Clerk belongs to a department, and a department row has an owner
        c.flask("create-user", "--username", "cluster_admin", "--name", "集群管理员",
                "--role", "Admin", "--password", PASSWORD)
        c.psql("console", """insert into department (name, owner_id, created_on, changed_on,
            version) select '集群测试部', id, now(), now(), 1 from ab_user
            where username = 'cluster_admin'""")
        c.flask("create-user", "--username", "cluster_clerk", "--name", "集群测试",
                "--role", "Clerk", "--department", "集群测试部", "--password", PASSWORD)
        for username in ("cluster_other", "cluster_victim"):
            c.flask("create-user", "--username", username, "--name", "另一用户",
                    "--role", "Clerk", "--department", "集群测试部", "--password", PASSWORD)
        owner = c.psql("console", "select id from ab_user where username='cluster_clerk'")
        c.psql("console", f"""insert into customer (code, name, customer_type, cooperation,
            is_key, grade_provisional, status, owner_id, created_on, changed_on, version)
            select 'CL' || lpad(i::text, 7, '0'), '集群客户' || lpad(i::text, 7, '0'), 'group',
                   'active', false, false, 'active', {owner}, now(), now(), 1
            from generate_series(1, {EXPORT_ROWS}) as i""")
        c.wait_serving("web2")
        c.nginx()
        yield c
    finally:
        c.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)


def base(cluster):
    return f"http://127.0.0.1:{cluster.ports['nginx']}"


def wait_for_job(client, token, seconds=150):
    return wait_until(lambda: (lambda j: j if j["status"] in ("done", "failed") else None)(
        client.job(token)), seconds, f"job {token}")


@pytest.fixture(scope="module")
def signed_in(cluster):
    """The clerk and another user, signed in once (logins are rate limited), and when."""
    started = time.monotonic()
    clients = {}
    for username in ("cluster_clerk", "cluster_other"):
        clients[username] = Client(base(cluster))
        assert clients[username].login(username, PASSWORD).status == 302
    return clients, started


@pytest.fixture(scope="module")
def web(signed_in):
    return signed_in[0]["cluster_clerk"]


def test_the_deployment_through_nginx(cluster, web, signed_in):
    # the session works on both servers
    served = set()
    for _ in range(8):
        r = web.get("/customerview/list/?_flt_0_name=集群客户0000001")
        assert r.status == 200 and "集群客户0000001" in r.body.decode()
        served.add(cluster.upstream_port(r))
    assert served == {cluster.ports["web1"], cluster.ports["web2"]}

    # 40 wrong logins, spread over both servers by nginx: the shared (Redis) rate limit
    # and the database's lockout hold across them
    clients, first_login = signed_in
    answers = [Client(base(cluster)).login("cluster_victim", "wrong-password").status
               for _ in range(40)]
    accepted = len(answers) - answers.count(429)
    # a window of the limit opens at its first login and lasts a minute; counted per
    # gunicorn worker (4 of them) all 40 would pass
    windows = 1 + int((time.monotonic() - first_login) // 60)
    assert accepted <= RATE_LIMIT * windows - len(clients) and accepted < 40, answers
    # more wrong passwords were heard than recorded: the account locked at 10, whichever
    # server heard them
    failures = int(cluster.psql("console", "select count(*) from login_failure where "
                                           "lower(username) = 'cluster_victim'"))
    assert failures == 10 < accepted, (failures, answers)

    # an export of 60,000 rows: enqueued by one server, written by the worker, downloaded
    # from either
    r = web.get("/customerview/export_xlsx/?_flt_0_name=集群客户")
    assert r.status == 302 and "/exports/" in r.headers["Location"], r.body[:300]
    token = r.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    job = wait_for_job(web, token)
    assert (job["status"], job["done_rows"]) == ("done", EXPORT_ROWS), job
    sizes, served = set(), set()
    for _ in range(6):
        r = web.get(f"/exports/{token}/download")
        assert r.status == 200
        sizes.add(len(r.body))
        served.add(cluster.upstream_port(r))
    assert len(sizes) == 1 and served == {cluster.ports["web1"], cluster.ports["web2"]}
    sheet = openpyxl.load_workbook(io.BytesIO(r.body), read_only=True).active
    assert sheet.max_row == EXPORT_ROWS + 1
    other = signed_in[0]["cluster_other"]
    assert other.get(f"/exports/{token}/download").status == 404  # another user's file

    # an import over 2,000 rows runs on the worker, with the progress page
    prefix = f"集群导入{uuid.uuid4().hex[:6]}"
    book = openpyxl.Workbook()
    book.active.append(["客户名称", "客户类型", "所属行业", "企业规模", "地址", "联系电话",
                        "合作状态", "重点客户", "信用等级", "信用额度（元）", "备注"])
    for i in range(IMPORT_ROWS):
        book.active.append([f"{prefix}-{i:05d}", "集团客户"])
    data = io.BytesIO()
    book.save(data)
    r = web.upload("/customerview/import_xlsx/", "big.xlsx", data.getvalue())
    assert r.status == 302 and "/exports/" in r.headers["Location"], r.body[:300]
    import_token = r.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    job = wait_for_job(web, import_token)
    assert (job["status"], job["done_rows"], job["problems"]) == ("done", IMPORT_ROWS, []), job
    assert "已导入 2100 行" in web.get(f"/exports/{import_token}").body.decode()

def test_killing_an_app_server_and_the_worker_mid_export(cluster, web):
    exports_before = int(cluster.psql("console", "select count(*) from audit_log "
                                                 "where action = 'export'"))
    r = web.get("/customerview/export_xlsx/?_flt_0_name=集群客户")
    token = r.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    wait_until(lambda: (lambda j: j["status"] == "running" and j["done_rows"] > 0)(
        web.job(token)), 90, "the export to be under way")
    cluster.kill("web1")
    cluster.kill("worker")

    # the other server answers every request
    for _ in range(10):
        r = web.get("/customerview/list/?_flt_0_name=集群客户0000002")
        assert r.status == 200 and cluster.upstream_port(r) == cluster.ports["web2"]
    assert web.job(token)["status"] == "running"  # nobody is writing it now

    cluster.worker()  # the restarted worker takes the orphaned job up again
    job = wait_for_job(web, token)
    assert job["status"] in ("done", "failed"), job
    if job["status"] == "done":
        assert job["done_rows"] == EXPORT_ROWS
        r = web.get(f"/exports/{token}/download")
        assert r.status == 200
        assert openpyxl.load_workbook(io.BytesIO(r.body), read_only=True).active.max_row == \
            EXPORT_ROWS + 1
    else:
        assert "后台进程" in job["error"]

    # nothing written twice: one export entry, one file per job, no leftovers, every
    # imported row once
    assert int(cluster.psql("console", "select count(*) from audit_log "
                                       "where action = 'export'")) == exports_before + 1
    assert int(cluster.psql("console", f"select attempts from export_job where token = '{token}'")) == 2
    files = os.listdir(os.path.join(cluster.env["FILES_DIR"], "exports"))
    assert not [f for f in files if f.endswith(".part")] and files.count(f"{token}.xlsx") <= 1
    assert cluster.psql("console", "select count(*), count(distinct name) from customer "
                                   "where name like '集群导入%'") == f"{IMPORT_ROWS}|{IMPORT_ROWS}"
    assert cluster.psql("console", "select count(*) from export_job where status = 'running'") == "0"
