"""Benchmark the dashboard tiles: each tile's endpoint (GET /api/v1/chart/<resource>/<chart>,
through the whole app: JWT, permission checks, scope, SQL, JSON) against its bare GROUP BY
on the same rows, in the same run. Goal (issue 14): endpoint ≤ page floor + 2 × bare query,
where the page floor is the same client's cheapest authenticated answer (the chart list of a
register, no SQL aggregate); memory growth < 20 MB.

    python bench/bench_charts.py [--rows 1000000] [--customers-for-sales 20000]
                                 [--db URL [--reuse]]  (default: a scratch SQLite file)

Rows are generated with bulk Core inserts into a scratch database: `rows` customers,
`rows` transactions (on the first `customers-for-sales` customers, over 24 months) and `rows`
complaints (over 24 months), in date order as a register fills up over time. A PostgreSQL --db is emptied (downgrade to base) first.
"""
import argparse
import os
import random
import resource
import secrets
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import date, datetime, timedelta
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import func, insert, select, text  # noqa: E402

from app import create_app  # noqa: E402
from app.charts import month_expr  # noqa: E402
from app.demo import DEMO_PASSWORD  # noqa: E402

CHUNK = 20_000
TILES = [("customer", "by_grade"), ("customer", "by_type"), ("customer", "abc"),
         ("transaction", "sales"), ("complaint", "trend"), ("complaint", "by_category"),
         ("complaint", "by_channel"), ("complaint", "overdue")]


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def build(url: str | None, rows: int, sales_customers: int, reuse: bool = False):
    if url is None:
        tmp = tempfile.mkdtemp(prefix="bench-charts-")
        url = f"sqlite:///{tmp}/bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False,
                      "AUTH_RATE_LIMITED": False, "FAB_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "LOG_LEVEL": "ERROR", "SECRET_KEY": secrets.token_hex(32)})
    with app.app_context():
        from flask_migrate import downgrade, upgrade
        if url.startswith("postgresql") and not reuse:
            downgrade(revision="base")
        upgrade()
        from app.demo import load_people
        load_people(app.appbuilder)
        from app.models.complaints import Complaint
        from app.models.customers import Customer, Transaction
        from app.models.org import ConsoleUser
        session = app.appbuilder.session
        clerks = [session.scalar(select(ConsoleUser).where(ConsoleUser.username == u))
                  for u in ("clerk1", "clerk2", "clerk3")]
        owners = [(c.id, c.department_id) for c in clerks]
        rng = random.Random(14)
        now = datetime(2026, 11, 30, 12)
        types = ["important", "high_value", "group", "strategic"]
        grades = ["A", "B", "C", "D", None]
        conn = session.connection()
        if reuse and conn.scalar(select(func.count(Customer.id))) >= rows:
            print(f"reusing the rows of {url}", flush=True)
            return app
        started = time.perf_counter()
        for start in range(0, rows, CHUNK):
            batch = []
            for i in range(start, min(rows, start + CHUNK)):
                owner, dept = owners[i % 3]
                batch.append({"code": f"BC{i:08d}", "name": f"基准客户{i:08d}",
                              "customer_type": types[i % 4], "grade": grades[i % 5],
                              "cooperation": "active", "is_key": i % 7 == 0,
                              "grade_provisional": False, "status": "active",
                              "owner_id": owner, "department_id": dept, "created_on": now,
                              "changed_on": now, "version": 1})
            conn.execute(insert(Customer.__table__), batch)
        first_id = conn.scalar(select(func.min(Customer.id)))
        customer_owner = {first_id + i: owners[i % 3] for i in range(sales_customers)}
        weights = [1 / (k + 1) for k in range(sales_customers)]  # Pareto-like sales
        for start in range(0, rows, CHUNK):
            picks = rng.choices(range(sales_customers), weights=weights,
                                k=min(CHUNK, rows - start))
            batch = []
            for k in picks:
                cid = first_id + k
                owner, dept = customer_owner[cid]
                amount = Decimal(rng.randint(100, 5_000_000)) / 100
                # sales are entered day by day: rows arrive in date order
                day = date(2024, 12, 1) + timedelta(days=(start + len(batch)) * 730 // rows)
                batch.append({"customer_id": cid, "date": day, "product": "基准产品",
                              "amount": amount, "collected": amount / 2, "is_prepayment": False,
                              "owner_id": owner, "department_id": dept, "created_on": now,
                              "changed_on": now, "version": 1})
            conn.execute(insert(Transaction.__table__), batch)
        categories = ["major", "general", "no_liability", "assist"]
        channels = ["phone", "letter", "visit", "email", "web", "other"]
        states = ["registered", "handling", "resolved", "followed_up", "closed"]
        for start in range(0, rows, CHUNK):
            batch = []
            for i in range(start, min(rows, start + CHUNK)):
                cid = first_id + i % sales_customers
                owner, dept = customer_owner[cid]
                # a register fills up over time: rows arrive in the order they were received
                received = datetime(2024, 12, 1) + timedelta(minutes=i * 730 * 24 * 60 // rows
                                                             + rng.randint(0, 59))
                status = states[i % 5]
                resolved = received + timedelta(hours=rng.randint(1, 96)) \
                    if status in ("resolved", "followed_up", "closed") else None
                followed = resolved + timedelta(hours=rng.randint(1, 96)) \
                    if status in ("followed_up", "closed") else None
                batch.append({"code": f"BT{i:08d}", "customer_id": cid, "received_at": received,
                              "channel": channels[i % 6], "complainant": "基准",
                              "parties_count": 1, "is_collective": False,
                              "category": categories[i % 4], "in_scope": False,
                              "description": "基准投诉", "due_at": received + timedelta(days=2),
                              "resolved_at": resolved, "followed_up_at": followed,
                              "followup_due_at": resolved + timedelta(days=2) if resolved
                              else None, "handled_at": resolved,
                              "status": status, "owner_id": owner, "department_id": dept,
                              "created_on": now, "changed_on": now, "version": 1})
            batch = [{k: v for k, v in b.items() if k in Complaint.__table__.c} for b in batch]
            conn.execute(insert(Complaint.__table__), batch)
        session.commit()
        if url.startswith("postgresql"):
            session.execute(text("ANALYZE"))
            session.commit()
        print(f"generated {rows:,} customers, {rows:,} transactions, {rows:,} complaints "
              f"in {time.perf_counter() - started:.0f} s ({url.split(':')[0]})", flush=True)
    return app


def bare_queries(app):
    """The bare GROUP BY behind each tile, without scope, filters or shaping."""
    from app.models.complaints import Complaint
    from app.models.customers import Customer, Transaction
    c, t, k = Customer, Transaction, Complaint
    since_d, until_d = date(2025, 12, 1), date(2026, 12, 1)
    since, until = datetime(2025, 12, 1), datetime(2026, 12, 1)
    in_year = (t.date >= date(2026, 1, 1), t.date < date(2027, 1, 1))
    m_t, m_k = month_expr(t.date), month_expr(k.received_at)
    period = (k.received_at >= since, k.received_at < until)
    return {
        ("customer", "by_grade"): select(c.grade, c.customer_type, func.count(c.id))
        .group_by(c.grade, c.customer_type),
        ("customer", "by_type"): select(c.customer_type, func.count(c.id))
        .group_by(c.customer_type),
        ("customer", "abc"): select(t.customer_id, func.sum(t.amount)).where(*in_year)
        .group_by(t.customer_id),
        ("transaction", "sales"): select(m_t, func.sum(t.amount), func.sum(t.collected))
        .where(t.date >= since_d, t.date < until_d).group_by(m_t),
        ("complaint", "trend"): select(m_k, k.category, func.count(k.id)).where(*period)
        .group_by(m_k, k.category),
        ("complaint", "by_category"): select(k.category, func.count(k.id)).where(*period)
        .group_by(k.category),
        ("complaint", "by_channel"): select(k.channel, func.count(k.id)).where(*period)
        .group_by(k.channel),
        ("complaint", "overdue"): select(func.count(k.id)).where(k.overdue),
    }


def timed(fn, repeat: int) -> float:
    fn()  # warm-up (caches, first compile)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--customers-for-sales", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", default=None)
    parser.add_argument("--user", default="executive")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the rows already in --db (generated by an earlier run)")
    args = parser.parse_args()
    app = build(args.db, args.rows, args.customers_for_sales, args.reuse)
    client = app.test_client()
    r = client.post("/api/v1/security/login", json={"username": args.user,
                                                     "password": DEMO_PASSWORD,
                                                     "provider": "db"})
    headers = {"Authorization": f"Bearer {r.json['access_token']}"}

    def get(url):
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.status_code)
        return response

    floor = timed(lambda: get("/api/v1/chart/customer/"), args.repeat * 3)
    with app.app_context():
        from app.extensions import db
        engine = db.engine
    queries = bare_queries(app)
    rss_before = rss_mb()
    print(f"user {args.user}; page floor {floor * 1000:.1f} ms; rss {rss_before:.0f} MB")
    print(f"{'tile':26} {'bare ms':>9} {'endpoint ms':>12} {'goal ms':>9} {'ok':>3} "
          f"{'py peak MB':>10}")
    failed = 0
    for resource_name, chart in TILES:
        stmt = queries[(resource_name, chart)]
        with engine.connect() as conn:
            bare = timed(lambda s=stmt, c=conn: c.execute(s).all(), args.repeat)
        url = f"/api/v1/chart/{resource_name}/{chart}"
        endpoint = timed(lambda u=url: get(u), args.repeat)
        tracemalloc.start()
        get(url)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        goal = floor + 2 * bare
        ok = endpoint <= goal
        failed |= not ok
        print(f"{resource_name + '/' + chart:26} {bare * 1000:9.1f} {endpoint * 1000:12.1f} "
              f"{goal * 1000:9.1f} {'yes' if ok else 'NO':>3} {peak:10.2f}", flush=True)
    growth = rss_mb() - rss_before
    print(f"rss growth over all tiles: {growth:.1f} MB (goal < 20 MB); "
          f"max rss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 1 if failed or growth >= 20 else 0


if __name__ == "__main__":
    sys.exit(main())
