"""Benchmark the deployment of deploy/ on this machine (tools/cluster.py: PostgreSQL, Redis,
`make serve` app servers, `make worker`, nginx):

1. an export of N customers through the queue (the user's path: the request through nginx,
   the worker writing the file, polled until done) vs the raw writer (Core yield_per →
   app.excel on the same rows), alternated raw, queue, queue, raw;
2. requests/s of a mixed read workload (list pages, a filtered list, show pages, API lists)
   through nginx with 1 and then 2 app servers, and where the CPU went (per program), to
   name the bottleneck.

    python bench/bench_queue.py                    # 200,000 rows, 20 s per load run
    python bench/bench_queue.py --rows 1000000 --seconds 30 --clients 8

Prints one JSON object; bench/RESULTS.md records a run.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tools.cluster import ROOT, Client, Cluster, missing_programs, wait_until  # noqa: E402

PASSWORD = "Bench-Queue-2026"
RAW_WRITER = """
import json, sys, tempfile, time
from sqlalchemy import select
from app import create_app
from app.export import export_columns, write_export
from app.models.customers import Customer
from app.views.base import export_names
from app.views.customers import CustomerApi
app = create_app()
with app.app_context():
    names = export_names(CustomerApi.list_columns, [("", {"fields": CustomerApi.show_columns})])
    columns, joins = export_columns(Customer, names, CustomerApi.label_columns)
    statement = select(*[c.expression for c in columns]).select_from(Customer)
    for alias, onclause in joins:
        statement = statement.outerjoin(alias, onclause)
    start = time.perf_counter()
    with tempfile.TemporaryFile() as fh:
        rows = write_export(app.extensions["sqlalchemy"].session, statement.order_by(Customer.id),
                            columns, "客户档案", fh)
    print(json.dumps({"seconds": time.perf_counter() - start, "rows": rows}))
"""


def load(cluster, rows):
    cluster.flask("create-user", "--username", "bench_admin", "--name", "基准测试",
                  "--role", "Admin", "--password", PASSWORD)
    owner = cluster.psql("console", "select id from ab_user where username='bench_admin'")
    cluster.psql("console", f"""insert into customer (code, name, customer_type, cooperation,
        is_key, grade_provisional, status, owner_id, created_on, changed_on, version, address,
        phone) select 'BQ' || lpad(i::text, 8, '0'), '基准客户' || lpad(i::text, 8, '0'),
        'group', 'active', i % 7 = 0, false, 'active', {owner}, now(), now(), 1,
        '上海市浦东新区世纪大道' || i, '021-' || lpad(i::text, 8, '0')
        from generate_series(1, {rows}) as i""")
    cluster.psql("console", "analyze")


def raw_export(cluster) -> float:
    out = subprocess.run([os.path.join(ROOT, ".venv", "bin", "python"), "-c", RAW_WRITER],
                         cwd=ROOT, env=cluster.env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["seconds"]


def queued_export(client) -> float:
    start = time.perf_counter()
    r = client.get("/customerview/export_xlsx/")
    assert r.status == 302 and "/exports/" in r.headers["Location"], r.body[:300]
    token = r.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    job = wait_until(lambda: (lambda j: j if j["status"] in ("done", "failed") else None)(
        client.job(token)), 3600, "the export")
    assert job["status"] == "done", job
    return time.perf_counter() - start


def cpu_seconds(roots: dict) -> dict:
    """CPU seconds (user + system) of each named program with all its descendants (the
    postmaster leaves its process group), and of this process."""
    tick = os.sysconf("SC_CLK_TCK")
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        table[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    names = {pid: name for name, pid in roots.items()}
    totals = {name: 0.0 for name in roots}
    totals["load generator (this process)"] = table.get(os.getpid(), (0, 0.0))[1]
    for pid, (ppid, used) in table.items():
        for _depth in range(6):
            if pid in names:
                totals[names[pid]] += used
                break
            pid, ppid = ppid, table.get(ppid, (0, 0))[0]
    return totals


def mixed_reads(cluster, clients, seconds) -> dict:
    """Requests/s of `clients` signed-in users each looping over a mix of read pages."""
    users = []
    for _ in range(clients):
        client = Client(f"http://127.0.0.1:{cluster.ports['nginx']}")
        assert client.login("bench_admin", PASSWORD).status == 302
        users.append(client)
    ids = [int(i) for i in cluster.psql("console", "select id from customer order by id "
                                                   "limit 50").split()]
    paths = ["/customerview/list/", "/customerview/list/?_flt_0_name=基准客户00001",
             "/api/v1/customer/?q=(page_size:20)", "/customerview/list/?page_CustomerView=3"]
    paths += [f"/customerview/show/{i}" for i in ids[:4]]
    counts, errors, stop = [0] * clients, [0] * clients, threading.Event()

    def loop(n):
        i = n
        while not stop.is_set():
            r = users[n].get(paths[i % len(paths)])
            i += 1
            if r.status == 200:
                counts[n] += 1
            else:
                errors[n] += 1

    groups = {name: p.pid for name, p in cluster.processes.items()}
    before = cpu_seconds(groups)
    threads = [threading.Thread(target=loop, args=(n,)) for n in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    after = cpu_seconds(groups)
    cores = {name: round((after[name] - before[name]) / wall, 2) for name in after}
    return {"requests_per_s": round(sum(counts) / wall, 1), "errors": sum(errors),
            "cpu_cores_used": dict(sorted(cores.items(), key=lambda kv: -kv[1]))}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    missing = missing_programs()
    if missing:
        print(f"skipped: needs {', '.join(missing)}")
        return
    tmp = tempfile.mkdtemp(prefix="console-bench-queue-")
    os.chmod(tmp, 0o755)
    cluster = Cluster(tmp, {"AUTH_RATE_LIMIT": "1000 per 1 minute", "WORKERS": "2"})
    out = {"rows": args.rows, "cpus": os.cpu_count()}
    try:
        cluster.postgres()
        cluster.redis()
        cluster.serve("web1")
        cluster.start_serving("web2")
        cluster.worker()
        load(cluster, args.rows)
        cluster.wait_serving("web2")
        cluster.nginx(servers=("web1",))
        client = Client(f"http://127.0.0.1:{cluster.ports['nginx']}")
        assert client.login("bench_admin", PASSWORD).status == 302
        raw, queued = [], []
        for step in ("raw", "queue", "queue", "raw"):
            (raw if step == "raw" else queued).append(
                raw_export(cluster) if step == "raw" else queued_export(client))
        out["export"] = {"raw_s": [round(s, 1) for s in raw],
                         "queue_s": [round(s, 1) for s in queued],
                         "ratio": round(sum(queued) / sum(raw), 3)}
        print(json.dumps(out["export"]), file=sys.stderr)
        out["one_server"] = mixed_reads(cluster, args.clients, args.seconds)
        print(json.dumps(out["one_server"]), file=sys.stderr)
        cluster.restart_nginx(servers=("web1", "web2"))
        out["two_servers"] = mixed_reads(cluster, args.clients, args.seconds)
        out["rps_ratio"] = round(out["two_servers"]["requests_per_s"] /
                                 out["one_server"]["requests_per_s"], 2)
    finally:
        cluster.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
