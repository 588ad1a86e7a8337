"""A million rows: list pages, search, counts, export, ABC, complaint statistics and import,
each as a ratio to its floor measured in the same run (these machines are shared and
noisy; absolute times mean little). Writes the figures as JSON for bench/RESULTS.md.

    python bench/bench_million.py [--rows 1000000] [--floor 1000] [--repeat 7]
        [--postgres postgresql://…/scratch_db]   # also on PostgreSQL (the database is wiped)

Data: bulk Core inserts (no ORM) with realistic shapes: customers spread over 40 clerks in
two departments with a Zipf-like skew, transactions over two years, complaints over two
years in the four categories. The floor is the same page on a copy with --floor rows.
"""
import argparse
import http.cookiejar
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import date, datetime, timedelta
from decimal import Decimal

import prison
from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric, String, Text, insert, select, text

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from app import create_app  # noqa: E402
from app.demo import DEMO_PASSWORD  # noqa: E402

EXTRA_CLERKS = 40
SYLLABLES = "华盛泰达恒信源丰宏远嘉和金鑫鼎隆兴昌瑞祥永安德康明辉天润海通新世纪东方中南北"
SUFFIXES = ["纺织有限公司", "实业集团", "贸易有限公司", "服饰股份公司", "印染厂", "商贸中心"]
PAGE_SIZE = 20
ASCII_PRINTABLE = "".join(chr(i) for i in range(33, 127))


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def build_app(url, export_dir):
    return create_app({
        "SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False, "AUTH_RATE_LIMITED": False,
        "WTF_CSRF_ENABLED": False, "FAB_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "LOG_LEVEL": "ERROR", "EXPORT_DIR": export_dir, "SECRET_KEY": "bench-" + "x" * 32,
        "EXPORT_BACKGROUND_ROWS": 50000})


def missing_values(table, keys) -> dict:
    """Values for the NOT NULL columns without a default that rows with `keys` lack."""
    values = {}
    for column in table.columns:
        if column.key in keys or column.nullable or column.default is not None or \
                column.primary_key:
            continue
        kind = column.type
        values[column.key] = (False if isinstance(kind, Boolean) else
                              datetime(2026, 1, 1) if isinstance(kind, DateTime) else
                              date(2026, 1, 1) if isinstance(kind, Date) else
                              Decimal("0") if isinstance(kind, Numeric) else
                              1 if isinstance(kind, Integer) else
                              "—" if isinstance(kind, (String, Text)) else None)
    return values


def filler(table, row):
    row.update(missing_values(table, row))
    return row


def bulk(session, table, rows, chunk=20000):
    batch, extra = [], None
    for row in rows:
        if extra is None:
            extra = missing_values(table, row)
        row.update(extra)
        batch.append(row)
        if len(batch) >= chunk:
            session.execute(insert(table), batch)
            batch = []
    if batch:
        session.execute(insert(table), batch)
    session.commit()


def company_name(rng, i):
    return "".join(rng.choice(SYLLABLES) for _ in range(3)) + rng.choice(SUFFIXES) + f"{i:07d}"


def populate(app, customers, seed=18):
    """Migrate, add the demo people and EXTRA_CLERKS clerks, then the bulk rows."""
    from flask_migrate import downgrade, upgrade

    from app.demo import load_people
    from app.models.complaints import Complaint
    from app.models.customers import Customer, Transaction
    from app.models.org import ConsoleUser, Department
    rng = random.Random(seed)
    with app.app_context():
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            downgrade(revision="base")
        upgrade()
        load_people(app.appbuilder)
        sm, session = app.appbuilder.sm, app.appbuilder.session
        departments = session.scalars(select(Department).where(
            Department.name.in_(["销售一部", "销售二部"]))).all()
        for i in range(EXTRA_CLERKS):
            dept = departments[i % 2]
            user = sm.add_user(f"bclerk{i}", "员", f"基准{i}", f"bclerk{i}@example.com",
                               sm.find_role("Clerk"), password=DEMO_PASSWORD)
            user.department_id = dept.id
        session.commit()
        clerks = session.scalars(select(ConsoleUser).where(
            ConsoleUser.username.like("%clerk%"))).all()
        weights = [1 / (k + 1) ** 0.6 for k in range(len(clerks))]  # a few big books
        owners = rng.choices(clerks, weights=weights, k=customers)
        types = ["important", "high_value", "group", "strategic"]
        coop = ["prospect", "active", "active", "active", "suspended", "lost"]
        bulk(session, Customer.__table__, (
            {"code": f"KH{2020 + i % 7}-{i:07d}", "name": company_name(rng, i),
             "customer_type": rng.choice(types), "cooperation": rng.choice(coop),
             "grade": rng.choice(["A", "B", "C", "D", None]), "is_key": rng.random() < 0.1,
             "status": "active", "owner_id": o.id, "department_id": o.department_id,
             "grade_provisional": False, "version": 1}
            for i, o in enumerate(owners)))
        ids = session.execute(select(Customer.id, Customer.owner_id, Customer.department_id)
                              ).all()
        start = date(2025, 1, 1)
        bulk(session, Transaction.__table__, (
            {"customer_id": c.id, "owner_id": c.owner_id, "department_id": c.department_id,
             "date": start + timedelta(days=rng.randrange(700)), "product": "面料",
             "amount": Decimal(rng.randrange(1000, 5_000_000)) / 100,
             "collected": Decimal("0"), "version": 1}
            for c in (rng.choice(ids) for _ in range(customers))))
        categories = ["major", "general", "general", "no_liability", "assist"]
        states = ["registered", "handling", "resolved", "followed_up", "closed"]

        def complaint(i, c):
            received = datetime(2025, 1, 1, 9) + timedelta(minutes=rng.randrange(700 * 1440))
            state = rng.choice(states)
            resolved = received + timedelta(hours=rng.randrange(1, 96)) \
                if state in ("resolved", "followed_up", "closed") else None
            followed = resolved + timedelta(hours=rng.randrange(1, 72)) \
                if state in ("followed_up", "closed") else None
            return {"code": f"TS-{i:08d}", "customer_id": c.id, "owner_id": c.owner_id,
                    "department_id": c.department_id, "received_at": received,
                    "complainant": "客户", "category": rng.choice(categories),
                    "description": "质量问题", "due_at": received + timedelta(days=2),
                    "resolved_at": resolved, "followed_up_at": followed,
                    "followup_due_at": resolved + timedelta(days=2) if resolved else None,
                    "status": state, "parties_count": 1, "version": 1}
        bulk(session, Complaint.__table__, (complaint(i, rng.choice(ids))
                                           for i in range(customers)))
        if session.get_bind().dialect.name == "sqlite":
            session.execute(text("ANALYZE"))
            session.commit()
        else:
            session.commit()
            with session.get_bind().connect().execution_options(
                    isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))


class Clients:
    """Signed-in HTTP clients (web session and JWT) for admin and clerk1 on a live server."""

    def __init__(self, base):
        self.base, self.web, self.tokens = base, {}, {}
        for user in ("admin", "clerk1"):
            opener = urllib.request.build_opener(
                urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
            opener.open(base + "/login/", urllib.parse.urlencode(
                {"username": user, "password": DEMO_PASSWORD}).encode()).read()
            self.web[user] = opener
            request = urllib.request.Request(
                base + "/api/v1/security/login", json.dumps(
                    {"username": user, "password": DEMO_PASSWORD, "provider": "db"}).encode(),
                {"Content-Type": "application/json"})
            with urllib.request.urlopen(request) as r:
                self.tokens[user] = json.load(r)["access_token"]

    def get(self, kind, user, url) -> bytes:
        url = urllib.parse.quote(url, safe=ASCII_PRINTABLE)  # Chinese search terms
        if kind == "web":
            with self.web[user].open(self.base + url) as r:
                body = r.read()
                assert r.status == 200 and "/login" not in r.url, (url, r.status, r.url)
                return body
        request = urllib.request.Request(self.base + url,
                                         headers={"Authorization": f"Bearer {self.tokens[user]}"})
        with urllib.request.urlopen(request) as r:
            return r.read()


def paired_medians(big, floor, repeat) -> tuple[float, float]:
    """Median seconds of big() and floor(), measured alternately so that load from other
    processes falls on both alike."""
    big(), floor()  # warm-up
    times = ([], [])
    for _ in range(repeat):
        for fn, bucket in ((big, times[0]), (floor, times[1])):
            start = time.perf_counter()
            fn()
            bucket.append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def list_urls(sortable, deepest_page, search_term, code_term):
    """name → (kind, url): the pages every list offers, web and API."""
    urls = {}
    for col in ["(default)", *sortable]:
        order = "" if col == "(default)" else f"&_oc_CustomerView={col}&_od_CustomerView=asc"
        urls[f"web page 1, sort {col}"] = ("web", f"/customerview/list/?x=1{order}")
        q = {"page": 0, "page_size": PAGE_SIZE}
        if col != "(default)":
            q.update(order_column=col, order_direction="asc")
        urls[f"api page 1, sort {col}"] = ("api", f"/api/v1/customer/?q={prison.dumps(q)}")
    for col in ("(default)", "customer_type"):
        order = "" if col == "(default)" else f"&_oc_CustomerView={col}&_od_CustomerView=asc"
        urls[f"web deepest page, sort {col}"] = (
            "web", f"/customerview/list/?page_CustomerView={deepest_page}{order}")
        q = {"page": deepest_page, "page_size": PAGE_SIZE}
        if col != "(default)":
            q.update(order_column=col, order_direction="asc")
        urls[f"api deepest page, sort {col}"] = ("api", f"/api/v1/customer/?q={prison.dumps(q)}")
    urls["web search name"] = ("web", f"/customerview/list/?_flt_2_name={search_term}")
    urls["web search code"] = ("web", f"/customerview/list/?_flt_2_code={code_term}")
    for col, term in (("name", search_term), ("code", code_term)):
        q = {"filters": [{"col": col, "opr": "ct", "value": term}], "page_size": PAGE_SIZE}
        urls[f"api search {col}"] = ("api", f"/api/v1/customer/?q={prison.dumps(q)}")
    return urls


def measure_lists(big, floor, repeat) -> dict:
    from app.models.customers import Customer
    from app.scope import COUNT_CAP
    urls = list_urls(Customer.sortable, COUNT_CAP // PAGE_SIZE - 1, "有限公司0000123", "0000123")
    out = {}
    for user in ("admin", "clerk1"):
        for name, (kind, url) in urls.items():
            b, f = paired_medians(lambda c=big, k=kind, u=user, x=url: c.get(k, u, x),
                                  lambda c=floor, k=kind, u=user, x=url: c.get(k, u, x), repeat)
            out[f"{user} {name}"] = {"big": b, "floor": f, "ratio": b / f}
    return out


BARE = {
    "abc": ('SELECT customer_id, SUM(amount) FROM "transaction" '
            "WHERE date >= '2025-01-01' AND date < '2026-01-01' GROUP BY customer_id"),
    "complaint stats": ("SELECT category, COUNT(*) FROM complaint WHERE received_at >= "
                        "'2025-06-01' AND received_at < '2025-07-01' GROUP BY category"),
}
PAGES = {"abc": "/api/v1/customer/abc?year=2025",
         "complaint stats": "/api/v1/complaint/stats?month=2025-06"}


def measure_aggregates(big, floor, big_url, repeat) -> dict:
    """Each page at the big size and the floor, and its bare GROUP BY on the big data."""
    from sqlalchemy import create_engine
    engine = create_engine(big_url)
    out = {}
    for name, url in PAGES.items():
        page, floor_page = paired_medians(lambda u=url: big.get("api", "admin", u),
                                          lambda u=url: floor.get("api", "admin", u), repeat)

        def bare(statement=text(BARE[name])):
            with engine.connect() as conn:
                conn.execute(statement).fetchall()
        bare_time, _ = paired_medians(bare, lambda: None, repeat)
        out[name] = {"page": page, "bare": bare_time, "floor": floor_page,
                     "goal": floor_page + 2 * bare_time,
                     "ratio_to_goal": page / (floor_page + 2 * bare_time)}
    engine.dispose()
    return out


# --- export: each in a child process, for its own peak memory --------------------------
def rss_mb(field="VmRSS") -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def export_child(url, mode):
    """Print {seconds, rows, growth_mb} of one export of every customer as admin."""
    export_dir = tempfile.mkdtemp(prefix="bench-export-")
    app = build_app(url, export_dir)
    app.config["EXPORT_BACKGROUND_ROWS"] = 1  # "job" measures the background path
    from app.export import ExportJob
    from app.models.customers import Customer
    from app.views.customers import CustomerApi
    client = app.test_client()
    token = client.post("/api/v1/security/login", json={
        "username": "admin", "password": DEMO_PASSWORD, "provider": "db"}).json["access_token"]
    base = rss_mb()
    start = time.perf_counter()
    if mode == "job":
        r = client.get("/api/v1/customer/export.xlsx",
                       headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 202, r.get_data(as_text=True)[:300]
        token = r.json["token"]
        with app.app_context():
            session = app.appbuilder.session
            while True:
                job = session.scalar(select(ExportJob).where(ExportJob.token == token)
                                     .execution_options(populate_existing=True))
                if job.status != "running":
                    break
                session.rollback()
                time.sleep(0.2)
            assert job.status == "done", job.error
            rows = job.done_rows
    else:
        import xlsxwriter

        from app.export import export_columns
        from app.views.base import export_names
        names = export_names(CustomerApi.list_columns, [("", {"fields": CustomerApi.show_columns})])
        with app.app_context():
            engine = app.extensions["sqlalchemy"].engine
            columns, joins = export_columns(Customer, names, CustomerApi.label_columns)
            statement = select(*[c.expression for c in columns]).select_from(Customer)
            for alias, onclause in joins:
                statement = statement.outerjoin(alias, onclause)
            fh = tempfile.TemporaryFile()
            book = xlsxwriter.Workbook(fh, {"constant_memory": True,
                                            "strings_to_formulas": False,
                                            "strings_to_urls": False})
            sheet = book.add_worksheet()
            sheet.write_row(0, 0, [c.xlsx.label for c in columns])
            rows = 0
            with engine.connect() as conn:
                result = conn.execution_options(yield_per=1000).execute(
                    statement.order_by(Customer.id))
                for rows, row in enumerate(result, start=1):
                    sheet.write_row(rows, 0, row)
            book.close()
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "rows": rows,
                      "growth_mb": rss_mb("VmHWM") - base}))


def child(*args) -> dict:
    """Run one step in a fresh process (FAB's AppBuilder is one per process) → its JSON."""
    result = subprocess.run([sys.executable, __file__, "--child", *map(str, args)],
                            capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"child {args} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- import -----------------------------------------------------------------------------
def measure_import(app, rows=5000) -> dict:
    """The web import (all checks, one transaction) vs a raw executemany of the same rows."""
    import openpyxl

    from app.importer import template
    from app.models.customers import Customer
    from app.views.customers import CustomerView
    spec = CustomerView.import_spec
    book = openpyxl.load_workbook(io.BytesIO(template(spec)))
    sheet = book.worksheets[0]
    stamp = int(time.time())
    for i in range(rows):
        sheet.append([f"导入基准{stamp}-{i:06d}", "集团客户", "纺织", "中型", "地址", "010-1",
                      "合作中", "否", "A", 1000, ""])
    buf = io.BytesIO()
    book.save(buf)
    web = app.test_client()
    web.post("/login/", data={"username": "admin", "password": DEMO_PASSWORD})
    start = time.perf_counter()
    r = web.post("/customerview/import_xlsx/", data={"file": (io.BytesIO(buf.getvalue()),
                                                              "c.xlsx")},
                 content_type="multipart/form-data")
    importer = time.perf_counter() - start
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    with app.app_context():
        session = app.appbuilder.session
        admin = session.execute(text("SELECT id FROM ab_user WHERE username='admin'")).scalar()
        start = time.perf_counter()
        session.execute(insert(Customer.__table__), [
            filler(Customer.__table__, {
                "code": f"RAW{stamp}-{i:06d}", "name": f"原始基准{stamp}-{i:06d}",
                "customer_type": "group", "cooperation": "active", "status": "active",
                "owner_id": admin, "is_key": False, "grade_provisional": False,
                "version": 1}) for i in range(rows)])
        session.commit()
        raw = time.perf_counter() - start
    return {"rows": rows, "importer_rows_per_s": rows / importer, "raw_rows_per_s": rows / raw}


def serve(url):
    """A live server of `url` in a child process → (base URL, process)."""
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen([sys.executable, __file__, "--child", "serve", url, str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout.readline().strip() == "ready"
    return f"http://127.0.0.1:{port}", process


def run_child(step, url, arg=None):
    """The body of a child process: one step against one database; prints JSON."""
    if step == "export":
        export_child(url, arg)
        return
    app = build_app(url, tempfile.mkdtemp(prefix="bench-million-"))
    if step == "populate":
        start = time.perf_counter()
        populate(app, int(arg))
        out = {"seconds": time.perf_counter() - start}
    elif step == "serve":
        from werkzeug.serving import make_server
        server = make_server("127.0.0.1", int(arg), app, threaded=True)
        print("ready", flush=True)
        server.serve_forever()
    else:
        out = measure_import(app)
    print(json.dumps(out))


def run_database(label, big_url, floor_url, rows, floor, repeat):
    log(f"[{label}] populating {rows:,} rows …")
    seconds = child("populate", big_url, rows)["seconds"]
    log(f"[{label}] populated in {seconds:.0f} s; floor {floor:,} rows …")
    child("populate", floor_url, floor)
    result = {"rows": rows, "floor_rows": floor, "populate_seconds": seconds}
    log(f"[{label}] list pages and aggregates (live servers, measured alternately) …")
    servers = [serve(big_url), serve(floor_url)]
    try:
        big, floor_clients = (Clients(base) for base, _ in servers)
        result["lists"] = measure_lists(big, floor_clients, repeat)
        result["aggregates"] = measure_aggregates(big, floor_clients, big_url, repeat)
    finally:
        for _, process in servers:
            process.terminate()
    log(f"[{label}] export …")
    exports = {mode: child("export", big_url, mode) for mode in ("raw", "job")}
    exports["ratio"] = exports["job"]["seconds"] / exports["raw"]["seconds"]
    result["export"] = exports
    log(f"[{label}] import …")
    result["import"] = child("import", big_url)
    return result


def summary(label, r):
    lines = [f"== {label}: {r['rows']:,} rows vs {r['floor_rows']:,} (ratios, one run)"]
    worst = max(r["lists"].items(), key=lambda kv: kv[1]["ratio"])
    for name, v in r["lists"].items():
        lines.append(f"  {name:45s} {v['big'] * 1000:8.1f} ms  floor {v['floor'] * 1000:7.1f}"
                     f"  x{v['ratio']:.2f}")
    lines.append(f"  worst list ratio: {worst[0]} x{worst[1]['ratio']:.2f}")
    for name, v in r["aggregates"].items():
        lines.append(f"  {name}: page {v['page'] * 1000:.0f} ms, bare {v['bare'] * 1000:.0f} ms,"
                     f" floor {v['floor'] * 1000:.0f} ms → page / (floor + 2 bare) = "
                     f"{v['ratio_to_goal']:.2f}")
    e = r["export"]
    lines.append(f"  export {e['job']['rows']:,} rows: job {e['job']['seconds']:.1f} s vs raw "
                 f"{e['raw']['seconds']:.1f} s → x{e['ratio']:.2f}; memory growth job "
                 f"{e['job']['growth_mb']:.0f} MB, raw {e['raw']['growth_mb']:.0f} MB")
    i = r["import"]
    lines.append(f"  import {i['rows']:,} rows: importer {i['importer_rows_per_s']:.0f} rows/s, "
                 f"raw executemany {i['raw_rows_per_s']:.0f} rows/s")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--floor", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--postgres", help="a scratch PostgreSQL URL (wiped) for the big set")
    parser.add_argument("--postgres-floor", help="a second scratch PostgreSQL URL (floor)")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "million.json"))
    parser.add_argument("--postgres-only", action="store_true")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(*args.child)
        return
    tmp = tempfile.mkdtemp(prefix="bench-million-")
    results = {"machine": f"{os.cpu_count()} cores, {os.uname().machine}",
               "date": date.today().isoformat()}
    if not args.postgres_only:
        results["sqlite"] = run_database("SQLite", f"sqlite:///{tmp}/big.db",
                                         f"sqlite:///{tmp}/floor.db", args.rows, args.floor,
                                         args.repeat)
        print(summary("SQLite", results["sqlite"]), flush=True)
    if args.postgres:
        if not args.postgres_floor:
            parser.error("--postgres needs --postgres-floor (the floor is measured on the same engine)")
        results["postgresql"] = run_database("PostgreSQL", args.postgres, args.postgres_floor,
                                             args.rows, args.floor, args.repeat)
        print(summary("PostgreSQL", results["postgresql"]), flush=True)
    with open(args.out, "w") as fh:
        json.dump(results, fh, indent=1)


if __name__ == "__main__":
    main()
