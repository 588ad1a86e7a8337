"""A million rows: list pages, search, counts, export, ABC, complaint statistics and import,
each as a ratio to its floor measured in the same run (these machines are shared and
noisy; absolute times mean little). Writes the figures as JSON for bench/RESULTS.md
(bench/million_report.py prints its tables).

    python bench/bench_million.py [--rows 1000000] [--floor 1000] [--repeat 7]
        [--out bench/million.json] [--sqlite-only | --postgres-only]
        [--postgres postgresql://…/scratch_db --postgres-floor postgresql://…/scratch_floor]
    python bench/million_report.py bench/million.json

Both PostgreSQL databases are wiped (a fresh public schema, then the migrations); the
SQLite ones live in a temporary directory. `make bench` runs it through bench/run_all.py.

Data: customers spread over 43 clerks in two departments with a Zipf-like skew;
transactions over two years (log-normal amounts, profit, collections, credit terms);
complaints over two years numbered as the code counter numbers them, with the deadlines
the app computes and the timestamps their status implies; owner and department of each
row are its customer's. Loaded with secondary indexes (and on PostgreSQL the foreign
keys) dropped and made again after the load, COPY on PostgreSQL and multi-row INSERTs on
SQLite; the seconds of each load phase go to stderr and into the JSON (load_phases).

Lists: for the customer, complaint and transaction registers, web and API, admin and
clerk1: page 1 for the default sort and each column the running app's view offers for
sorting, the deepest reachable page for the default sort and one other column, and the
"contains" searches the view offers (customer name and code, complaint code). The
customer figures stay under "lists"; the others are under "register_lists".
"""
import argparse
import csv
import http.cookiejar
import io
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
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
        "LOG_LEVEL": "ERROR", "FILES_DIR": export_dir, "SECRET_KEY": secrets.token_hex(32),
        # the export task's code in the request (bench/bench_queue.py measures the queue)
        "EXPORT_BACKGROUND_ROWS": 50000, "HUEY_IMMEDIATE": True})


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


class Phases:
    """Seconds of each named phase of the load, logged to stderr as each ends."""

    def __init__(self, label):
        self.label, self.seconds = label, {}

    @contextmanager
    def __call__(self, name):
        start = time.perf_counter()
        yield
        self.seconds[name] = self.seconds.get(name, 0) + time.perf_counter() - start
        log(f"  [{self.label}] {name}: {self.seconds[name]:.1f} s")


def chunks(rows, size):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def insert_rows(conn, table, rows, chunk=20000):
    """Multi-row INSERTs (SQLite)."""
    if not conn.in_transaction():
        conn.begin()
    extra = None
    for batch in chunks(rows, chunk):
        if extra is None:
            extra = missing_values(table, batch[0])
        conn.execute(insert(table), [{**row, **extra} for row in batch])
    conn.commit()


def copy_rows(conn, table, rows, chunk=50000):
    """COPY … FROM STDIN in CSV (PostgreSQL): one round trip per chunk, no SQL to parse.
    None goes out as an unquoted empty field, which CSV COPY reads as NULL."""
    if not conn.in_transaction():
        conn.begin()  # so that conn.commit() below commits the COPYs
    cursor = conn.connection.dbapi_connection.cursor()
    extra = columns = None
    for batch in chunks(rows, chunk):
        if extra is None:
            extra = missing_values(table, batch[0])
            columns = [*batch[0], *extra]
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerows([*row.values(), *extra.values()] for row in batch)
        buffer.seek(0)
        names = ", ".join(f'"{c}"' for c in columns)
        cursor.copy_expert(f'COPY "{table.name}" ({names}) FROM STDIN WITH (FORMAT csv)',
                           buffer)
    conn.commit()


def load_rows(conn, table, rows):
    if conn.dialect.name == "postgresql":
        copy_rows(conn, table, rows)
    else:
        insert_rows(conn, table, rows)


BULK_TABLES = ("customer", "transaction", "complaint")


def secondary_ddl(conn) -> list[str]:
    """CREATE statements of the secondary indexes and triggers of the bulk tables, which
    are dropped for the load and made again after it (sorted builds are far quicker than
    a million random inserts into twenty B-trees; the database ends up the same)."""
    names = ", ".join(f"'{t}'" for t in BULK_TABLES)
    if conn.dialect.name == "sqlite":
        return list(conn.execute(text(
            "SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND sql IS "
            f"NOT NULL AND tbl_name IN ({names}) ORDER BY type")).scalars())
    return list(conn.execute(text(
        f"SELECT indexdef FROM pg_indexes WHERE tablename IN ({names}) AND indexname NOT IN "
        "(SELECT conname FROM pg_constraint)")).scalars())


def drop_secondary(conn, ddl):
    for statement in ddl:
        words = statement.split()
        kind = words[1] if words[1] in ("INDEX", "TRIGGER") else words[2]  # CREATE UNIQUE INDEX
        name = words[words.index(kind) + 1]
        if name.upper() == "IF":  # CREATE … IF NOT EXISTS name
            name = words[words.index(kind) + 4]
        conn.execute(text(f"DROP {kind} IF EXISTS {name}"))
    conn.commit()


def foreign_keys(conn) -> list[tuple[str, str, str]]:
    """(table, name, definition) of the bulk tables' foreign keys on PostgreSQL, whose
    per-row checks are dropped for the load; adding them back checks all rows in one
    join each."""
    if conn.dialect.name != "postgresql":
        return []
    return [tuple(row) for row in conn.execute(text(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
        "FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text IN "
        "('customer', '\"transaction\"', 'complaint') ORDER BY conname"))]


def drop_foreign_keys(conn, keys):
    for table, name, _ in keys:
        conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    conn.commit()


def add_foreign_keys(conn, keys):
    for table, name, definition in keys:
        conn.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))
    conn.commit()


def tune_for_load(conn):
    """Session settings only (the server's configuration stays as it is)."""
    if conn.dialect.name == "sqlite":
        conn.execute(text("PRAGMA cache_size=-400000"))  # 400 MB for the load
        return
    conn.execute(text("SET synchronous_commit = off"))
    conn.execute(text("SET maintenance_work_mem = '1GB'"))
    conn.execute(text("SET max_parallel_maintenance_workers = 2"))
    conn.commit()


def rebuild_secondary(conn, ddl, phases):
    """B-tree indexes, then the search indexes (pg_trgm GIN, or the FTS5 triggers and a
    rebuild of the FTS table)."""
    search = [s for s in ddl if "gin_trgm_ops" in s or "_fts" in s]
    with phases("b-tree indexes"):
        for statement in ddl:
            if statement not in search:
                conn.execute(text(statement))
        conn.commit()
    with phases("search indexes"):
        for statement in search:
            conn.execute(text(statement))
        if conn.dialect.name == "sqlite":
            conn.execute(text("INSERT INTO customer_fts(customer_fts) VALUES ('rebuild')"))
        conn.commit()


def refresh_statistics(engine):
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
        return
    # VACUUM too: it sets the visibility map after the load, as autovacuum would.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("SET maintenance_work_mem = '1GB'"))
        conn.execute(text("VACUUM ANALYZE"))


# --- the rows ---------------------------------------------------------------------------
CUSTOMER_TYPES = ["important", "high_value", "group", "strategic"]
COOPERATION = ["prospect", "active", "active", "active", "suspended", "lost"]
PRODUCTS = ["精梳棉面料", "涤纶长丝", "真丝绸缎", "牛仔布", "亚麻混纺", "功能性面料",
            "针织坯布", "印花布"]
CHANNEL_WEIGHTS = {"phone": 50, "visit": 20, "letter": 5, "email": 10, "web": 10, "other": 5}
CATEGORY_WEIGHTS = {"major": 5, "general": 60, "no_liability": 20, "assist": 15}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"
DESCRIPTIONS = ["面料色差与样品不符", "交货延期三天", "发票抬头开错", "包装破损导致受潮",
                "克重不足合同要求", "送货人员服务态度差"]
SPAN_DAYS = 700
FIRST_DAY = date(2025, 1, 1)


def company_name(rng, i):
    return "".join(rng.choice(SYLLABLES) for _ in range(3)) + rng.choice(SUFFIXES) + f"{i:07d}"


def person_name(rng):
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def customer_rows(rng, owners):
    for i, o in enumerate(owners):
        created = datetime(2020 + i % 7, 1, 1, 9) + timedelta(minutes=rng.randrange(330 * 1440))
        yield {"code": f"KH{2020 + i % 7}-{i:07d}", "name": company_name(rng, i),
               "customer_type": rng.choice(CUSTOMER_TYPES),
               "cooperation": rng.choice(COOPERATION),
               "grade": rng.choice(["A", "B", "C", "D", None]), "is_key": rng.random() < 0.1,
               "status": "active", "owner_id": o[0], "department_id": o[1],
               "grade_provisional": False, "version": 1, "created_on": created,
               "changed_on": created}


def money(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def transaction_rows(rng, customers, count):
    """Sales over two years, amounts log-normal (many small orders, a few large ones),
    most older sales collected, credit terms of 30 to 90 days on most."""
    last_day = FIRST_DAY + timedelta(days=SPAN_DAYS)
    for _ in range(count):
        c = rng.choice(customers)
        day = FIRST_DAY + timedelta(days=rng.randrange(SPAN_DAYS))
        entered = datetime.combine(day, datetime.min.time()) + timedelta(hours=17)
        amount = money(min(max(rng.lognormvariate(10, 1.2), 100), 5_000_000))
        prepaid = rng.random() < 0.02
        old = (last_day - day).days > 120
        collected = amount if prepaid or (old and rng.random() < 0.85) else \
            money(amount * Decimal(rng.choice([0, 0, 0.3, 0.5, 0.8])))
        yield {"customer_id": c[0], "owner_id": c[1], "department_id": c[2], "date": day,
               "product": rng.choice(PRODUCTS), "amount": amount,
               "profit": money(amount * Decimal(rng.uniform(0.03, 0.25)))
               if rng.random() < 0.9 else None,
               "collected": collected, "is_prepayment": prepaid,
               "due_date": day + timedelta(days=rng.choice([30, 60, 90]))
               if rng.random() < 0.8 else None,
               "notes": None, "version": 1, "created_on": entered, "changed_on": entered}


def complaint_status(rng, age_days) -> str:
    """Old complaints are mostly closed; the last fortnight's are still moving."""
    if age_days < 14:
        return rng.choice(["registered", "handling", "resolved", "followed_up", "returned"])
    return rng.choices(["closed", "followed_up", "resolved", "handling", "returned"],
                       weights=[80, 10, 5, 3, 2])[0]


def complaint_row(rng, calendar, code, received, c, end):
    """One complaint with its deadlines computed as the app computes them and the
    timestamps its status implies."""
    from app.models.complaints import complaint_deadlines, followup_deadline
    category = rng.choices(list(CATEGORY_WEIGHTS), weights=CATEGORY_WEIGHTS.values())[0]
    parties = rng.randint(5, 12) if rng.random() < 0.03 else 1
    in_scope = rng.random() < 0.5
    customer_due = received + timedelta(days=rng.randint(1, 5)) \
        if category == "general" and rng.random() < 0.2 else None
    due_step, due_at, escalate_due = complaint_deadlines(
        calendar, received, category, in_scope, collective=parties >= 5,
        customer_due_at=customer_due)
    status = complaint_status(rng, (end - received).days)
    moved = status != "registered"
    handled = received + timedelta(hours=rng.randint(1, 30)) if moved else None
    resolved = handled + timedelta(hours=rng.randint(1, 60)) \
        if status in ("resolved", "followed_up", "closed") else None
    followed = resolved + timedelta(hours=rng.randint(2, 60)) \
        if status in ("followed_up", "closed") else None
    return {"code": code, "customer_id": c[0], "owner_id": c[1], "department_id": c[2],
            "received_at": received,
            "channel": rng.choices(list(CHANNEL_WEIGHTS), weights=CHANNEL_WEIGHTS.values())[0],
            "complainant": person_name(rng), "contact_info": f"13{rng.randrange(10**9):09d}",
            "parties_count": parties, "is_collective": parties >= 5, "category": category,
            "in_scope": in_scope, "description": rng.choice(DESCRIPTIONS),
            "handler": person_name(rng) if moved else None, "customer_due_at": customer_due,
            "due_at": due_at, "due_step": due_step, "handled_at": handled,
            "escalate_due_at": escalate_due,
            "escalated_at": handled + timedelta(hours=2) if escalate_due and moved else None,
            "resolved_at": resolved, "resolution": "已协调更换并致歉" if resolved else None,
            "followup_due_at": followup_deadline(calendar, resolved), "followed_up_at": followed,
            "followup_result": "客户认可处理结果" if followed else None,
            "satisfied": rng.random() < 0.85 if followed else None, "status": status,
            "version": 1, "created_on": received, "changed_on": followed or resolved or received}


def complaint_rows(rng, customers, count, sequences):
    """Complaints over two years numbered TS<year>-NNNNN in order of receipt, as the
    code counter numbers them; `sequences` gets each year's last number."""
    from app.workdays import WorkCalendar
    calendar = WorkCalendar()
    start = datetime.combine(FIRST_DAY, datetime.min.time())
    end = start + timedelta(days=SPAN_DAYS)
    received = sorted(start + timedelta(hours=8, minutes=rng.randrange(SPAN_DAYS * 1440))
                      for _ in range(count))
    for at in received:
        sequences[at.year] = sequences.get(at.year, 0) + 1
        yield complaint_row(rng, calendar, f"TS{at.year}-{sequences[at.year]:05d}", at,
                            rng.choice(customers), end)


def add_people(app, extra_clerks=EXTRA_CLERKS) -> list[tuple[int, int]]:
    """The demo people and `extra_clerks` clerks → (id, department_id) of every clerk."""
    from app.demo import load_people
    from app.models.org import ConsoleUser, Department
    load_people(app.appbuilder)
    sm, session = app.appbuilder.sm, app.appbuilder.session
    departments = session.scalars(select(Department).where(
        Department.name.in_(["销售一部", "销售二部"]))).all()
    for i in range(extra_clerks):
        user = sm.add_user(f"bclerk{i}", "员", f"基准{i}", f"bclerk{i}@example.com",
                           sm.find_role("Clerk"), password=DEMO_PASSWORD)
        user.department_id = departments[i % 2].id
    session.commit()
    clerks = [(u.id, u.department_id) for u in session.scalars(select(ConsoleUser).where(
        ConsoleUser.username.like("%clerk%")))]
    session.close()  # its open transaction would block the ALTER TABLEs of the load
    return clerks


def load_bulk(conn, customers, clerks, rng, phases):
    from app.models.complaints import Complaint
    from app.models.customers import Customer, Transaction
    from app.sequences import CodeSequence
    weights = [1 / (k + 1) ** 0.6 for k in range(len(clerks))]  # a few big books
    with phases("insert customer"):
        load_rows(conn, Customer.__table__,
                  customer_rows(rng, rng.choices(clerks, weights=weights, k=customers)))
    ids = conn.execute(select(Customer.id, Customer.owner_id, Customer.department_id)).all()
    with phases("insert transaction"):
        load_rows(conn, Transaction.__table__, transaction_rows(rng, ids, customers))
    sequences = {}
    with phases("insert complaint"):
        load_rows(conn, Complaint.__table__, complaint_rows(rng, ids, customers, sequences))
    conn.execute(insert(CodeSequence), [{"prefix": "TS", "year": year, "last": last}
                                        for year, last in sequences.items()])
    conn.commit()


def wipe_schema(session):
    """A fresh public schema (rather than downgrading: a run stopped mid-load leaves
    indexes missing that the downgrade would drop)."""
    session.execute(text("DROP SCHEMA public CASCADE"))
    session.execute(text("CREATE SCHEMA public"))
    session.commit()


def populate(app, customers, seed=18) -> dict:
    """Migrate, add the people, then the bulk rows with their indexes and foreign keys
    dropped and made again → seconds per phase."""
    from flask_migrate import upgrade
    rng = random.Random(seed)
    phases = Phases(app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0])
    with app.app_context():
        with phases("migrate and people"):
            if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
                wipe_schema(app.appbuilder.session)
            upgrade()
            clerks = add_people(app)
        engine = app.appbuilder.session.get_bind()
        with engine.connect() as conn:
            tune_for_load(conn)
            with phases("drop indexes and foreign keys"):
                ddl, keys = secondary_ddl(conn), foreign_keys(conn)
                drop_secondary(conn, ddl)
                drop_foreign_keys(conn, keys)
            load_bulk(conn, customers, clerks, rng, phases)
            rebuild_secondary(conn, ddl, phases)
            with phases("foreign keys"):
                add_foreign_keys(conn, keys)
        with phases("analyze"):
            refresh_statistics(engine)
    return phases.seconds


class Clients:
    """Signed-in HTTP clients (web session and JWT) for admin and clerk1 on a live server."""

    def __init__(self, base):
        self.base, self.web, self.tokens = base, {}, {}
        self.sign_in()

    def sign_in(self):
        """(Again: a long run outlives the JWT's 15 minutes.)"""
        for user in ("admin", "clerk1"):
            opener = urllib.request.build_opener(
                urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
            opener.open(self.base + "/login/", urllib.parse.urlencode(
                {"username": user, "password": DEMO_PASSWORD}).encode()).read()
            self.web[user] = opener
            request = urllib.request.Request(
                self.base + "/api/v1/security/login", json.dumps(
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
        try:
            with urllib.request.urlopen(request) as r:
                return r.read()
        except urllib.error.HTTPError as e:
            if e.code != 401:
                raise
            self.sign_in()
            return self.get(kind, user, url)


def paired_medians(big, floor, repeat) -> tuple[float, float]:
    """Median seconds of big() and floor(), measured alternately so that load from other
    processes falls on both alike."""
    return tuple(interleaved_medians((big, floor), repeat))


def interleaved_medians(fns, repeat) -> list[float]:
    """Median seconds of each of `fns`, called in turn `repeat` times after a warm-up."""
    for fn in fns:
        fn()
    times = [[] for _ in fns]
    for _ in range(repeat):
        for fn, bucket in zip(fns, times):
            start = time.perf_counter()
            fn()
            bucket.append(time.perf_counter() - start)
    return [statistics.median(bucket) for bucket in times]


# --- list pages -------------------------------------------------------------------------
# register → (web view class, API class, the other sort measured on the deepest page, in
# order of preference; the first the web view and the API both offer is taken)
REGISTERS = {
    "customer": ("CustomerView", "CustomerApi", ("customer_type",)),
    "complaint": ("ComplaintView", "ComplaintApi", ("category", "status", "received_at")),
    "transaction": ("TransactionView", "TransactionApi", ("amount", "date")),
}
SEARCH_TERMS = {"customer": {"name": "有限公司0000123", "code": "0000123"},
                "complaint": {"code": "00123"}}


def contains_index(view, column):
    """The position of the "contains" filter among a column's web filters (_flt_<i>_col)."""
    filters = view._filters.get_search_filters().get(column, [])
    for i, f in enumerate(filters):
        if f.arg_name == "ct":
            return i
    return None


def describe_views(app) -> dict:
    """What the running app offers on each register's lists: routes, sortable columns
    (without id, FAB's tie-breaker), the default sort and the searchable columns."""
    views = {type(v).__name__: v for v in app.appbuilder.baseviews}
    out = {}
    for register, (web_name, api_name, _) in REGISTERS.items():
        web, api = views[web_name], views[api_name]
        terms = SEARCH_TERMS.get(register, {})
        out[register] = {
            "web_class": web_name, "web": web.route_base, "api": api.route_base,
            "web_sortable": [c for c in web.order_columns if c != "id"],
            "api_sortable": [c for c in api.order_columns if c != "id"],
            "web_search": {c: contains_index(web, c) for c in terms
                           if c in web.search_columns and contains_index(web, c) is not None},
            "api_search": [c for c in terms if c in api.search_columns]}
    return out


def web_sort(view, col):
    return "" if col == "(default)" else f"&_oc_{view}={col}&_od_{view}=asc"


def api_page(base, page, col=None, filters=None):
    q = {"page": page, "page_size": PAGE_SIZE}
    if col not in (None, "(default)"):
        q.update(order_column=col, order_direction="asc")
    if filters:
        q["filters"] = filters
    return f"{base}/?q={prison.dumps(q)}"


def deep_column(register, info):
    offered = [c for c in info["web_sortable"] if c in info["api_sortable"]]
    preferred = [c for c in REGISTERS[register][2] if c in offered]
    return (preferred or offered or [None])[0]


def list_urls(register, info, deepest_page):
    """name → (kind, url): page 1 for each sort, the deepest page, the searches."""
    view, web, api = info["web_class"], info["web"], info["api"]
    urls = {}
    for col in ["(default)", *info["web_sortable"]]:
        urls[f"web page 1, sort {col}"] = ("web", f"{web}/list/?x=1{web_sort(view, col)}")
        if col == "(default)" or col in info["api_sortable"]:
            urls[f"api page 1, sort {col}"] = ("api", api_page(api, 0, col))
    for col in info["api_sortable"]:
        if col not in info["web_sortable"]:
            urls[f"api page 1, sort {col}"] = ("api", api_page(api, 0, col))
    other = deep_column(register, info)
    for col in ("(default)", *([other] if other else [])):
        urls[f"web deepest page, sort {col}"] = (
            "web", f"{web}/list/?page_{view}={deepest_page}{web_sort(view, col)}")
        urls[f"api deepest page, sort {col}"] = ("api", api_page(api, deepest_page, col))
    terms = SEARCH_TERMS.get(register, {})
    for col, index in info["web_search"].items():
        urls[f"web search {col}"] = ("web", f"{web}/list/?_flt_{index}_{col}={terms[col]}")
    for col in info["api_search"]:
        urls[f"api search {col}"] = ("api", api_page(
            api, 0, filters=[{"col": col, "opr": "ct", "value": terms[col]}]))
    return urls


def measure_lists(big, floor, register, info, repeat) -> dict:
    from app.scope import COUNT_CAP
    urls = list_urls(register, info, COUNT_CAP // PAGE_SIZE - 1)
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
        def bare(statement=text(BARE[name])):
            with engine.connect() as conn:
                conn.execute(statement).fetchall()
        # the page, its floor and its bare GROUP BY in turn: a load falls on all three
        page, floor_page, bare_time = interleaved_medians(
            (lambda u=url: big.get("api", "admin", u),
             lambda u=url: floor.get("api", "admin", u), bare), repeat)
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
    from app.jobs import ExportJob
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
                if job.status not in ("queued", "running"):
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


def measure_exports(url) -> dict:
    """The raw writer and the job, each twice in the order raw, job, job, raw: a warming
    cache or a load that comes and goes falls on both alike. Seconds are the mean of two,
    memory growth the larger."""
    order = ("raw", "job", "job", "raw")
    runs = [(mode, child("export", url, mode)) for mode in order]
    exports = {}
    for mode in ("raw", "job"):
        mine = [run for m, run in runs if m == mode]
        exports[mode] = {"seconds": statistics.mean(r["seconds"] for r in mine),
                         "runs": [r["seconds"] for r in mine], "rows": mine[0]["rows"],
                         "growth_mb": max(r["growth_mb"] for r in mine)}
    exports["ratio"] = exports["job"]["seconds"] / exports["raw"]["seconds"]
    return exports


def child(*args) -> dict:
    """Run one step in a fresh process (FAB's AppBuilder is one per process) → its JSON."""
    result = subprocess.run([sys.executable, __file__, "--child", *map(str, args)],
                            capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"child {args} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- import -----------------------------------------------------------------------------
def measure_import(app, rows=10000) -> dict:
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
    """A live server of `url` in a child process → (base URL, process, describe_views())."""
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen([sys.executable, __file__, "--child", "serve", url, str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    views = json.loads(process.stdout.readline())
    assert process.stdout.readline().strip() == "ready"
    return f"http://127.0.0.1:{port}", process, views


def run_child(step, url, arg=None):
    """The body of a child process: one step against one database; prints JSON."""
    if step == "export":
        export_child(url, arg)
        return
    app = build_app(url, tempfile.mkdtemp(prefix="bench-million-"))
    if step == "populate":
        start = time.perf_counter()
        phases = populate(app, int(arg))
        out = {"seconds": time.perf_counter() - start, "phases": phases}
    elif step == "serve":
        from werkzeug.serving import make_server
        server = make_server("127.0.0.1", int(arg), app, threaded=True)
        print(json.dumps(describe_views(app)))
        print("ready", flush=True)
        server.serve_forever()
    else:
        out = measure_import(app)
    print(json.dumps(out))


def run_database(label, big_url, floor_url, rows, floor, repeat):
    log(f"[{label}] populating {rows:,} rows …")
    loaded = child("populate", big_url, rows)
    log(f"[{label}] populated in {loaded['seconds']:.0f} s; floor {floor:,} rows …")
    child("populate", floor_url, floor)
    result = {"rows": rows, "floor_rows": floor, "populate_seconds": loaded["seconds"],
              "load_seconds": loaded["seconds"], "load_phases": loaded["phases"]}
    log(f"[{label}] list pages and aggregates (live servers, measured alternately) …")
    servers = [serve(big_url), serve(floor_url)]
    try:
        big, floor_clients = (Clients(base) for base, _, _ in servers)
        views = servers[0][2]
        result["lists"] = measure_lists(big, floor_clients, "customer", views["customer"],
                                        repeat)
        result["register_lists"] = {
            register: measure_lists(big, floor_clients, register, views[register], repeat)
            for register in REGISTERS if register != "customer"}
        result["aggregates"] = measure_aggregates(big, floor_clients, big_url, repeat)
    finally:
        for _, process, _ in servers:
            process.terminate()
    log(f"[{label}] export …")
    exports = measure_exports(big_url)
    result["export"] = exports
    log(f"[{label}] import …")
    result["import"] = child("import", big_url)
    return result


def list_lines(title, lists) -> list[str]:
    lines = [f"  -- {title}"]
    for name, v in lists.items():
        lines.append(f"  {name:45s} {v['big'] * 1000:8.1f} ms  floor {v['floor'] * 1000:7.1f}"
                     f"  x{v['ratio']:.2f}")
    worst = max(lists.items(), key=lambda kv: kv[1]["ratio"])
    lines.append(f"  worst list ratio: {worst[0]} x{worst[1]['ratio']:.2f}")
    return lines


def summary(label, r):
    lines = [f"== {label}: {r['rows']:,} rows vs {r['floor_rows']:,} (ratios, one run)",
             f"  loaded in {r['load_seconds']:.0f} s: " + ", ".join(
                 f"{name} {s:.1f} s" for name, s in r["load_phases"].items())]
    lines += list_lines("customer", r["lists"])
    for register, lists in r["register_lists"].items():
        lines += list_lines(register, lists)
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
    parser.add_argument("--sqlite-only", action="store_true",
                        help="skip PostgreSQL even when --postgres is given")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(*args.child)
        return
    if args.postgres and not args.postgres_floor:
        parser.error("--postgres needs --postgres-floor (the floor is measured on the same engine)")
    tmp = tempfile.mkdtemp(prefix="bench-million-")
    results = {"machine": f"{os.cpu_count()} cores, {os.uname().machine}",
               "date": date.today().isoformat()}
    if not args.postgres_only:
        results["sqlite"] = run_database("SQLite", f"sqlite:///{tmp}/big.db",
                                         f"sqlite:///{tmp}/floor.db", args.rows, args.floor,
                                         args.repeat)
        print(summary("SQLite", results["sqlite"]), flush=True)
    if args.postgres and not args.sqlite_only:
        results["postgresql"] = run_database("PostgreSQL", args.postgres, args.postgres_floor,
                                             args.rows, args.floor, args.repeat)
        print(summary("PostgreSQL", results["postgresql"]), flush=True)
    with open(args.out, "w") as fh:
        json.dump(results, fh, indent=1)


if __name__ == "__main__":
    main()
