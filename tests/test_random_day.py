"""Invariants after a random day (issue 24): a seeded random sequence of operations by
every role over the API — creates, edits, workflow steps, deletes, a 离职交接 (handover)
and customer imports over the web — then: every list count equals its rows in scope,
every declared chart equals its GROUP BY over the rows in scope, every workflow history
replays to its row's state, the audit log holds every change that answered 2xx, codes
are unique.

DAY_OPERATIONS operations (default 200; `make fuzz` runs thousands), seed DAY_SEED."""
import os
import random
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.audit import AuditLog
from app.charts import MonthOf
from app.workflow import TransitionLog
from tests.conftest import DEMO_PASSWORD, ROLE_USERS, Api, Browser, unique
from tests.registers import Maker, registers, value_for, visible_ids
from tests.test_import import CUSTOMER_HEADER, upload, xlsx

OPERATIONS = int(os.environ.get("DAY_OPERATIONS", "200"))
SEED = int(os.environ.get("DAY_SEED", "20260"))
USERS = [*ROLE_USERS.values(), "clerk2", "clerk3", "supervisor2"]
CLERKS = ("clerk1", "clerk2", "clerk3")
EDITS = {"customer": "phone", "contact": "title", "transaction": "notes",
         "development_plan": "steps", "archive_loan": "purpose", "visit_record": "needs",
         "complaint": "description", "service_request": "content",
         "improvement_measure": "problem", "reception": "itinerary",
         "satisfaction_survey": "target", "survey_response": "comments"}


@pytest.fixture(scope="module")
def day(app):
    """Runs the day; answers the registers, the first id per register before it, and
    every change that answered 2xx: (action, resource, row_id)."""
    cache = {}

    def clients(username):
        if username not in cache:
            cache[username] = Api(app, username)
        return cache[username]
    maker, rng = Maker(app, clients), random.Random(SEED)
    regs = [r for r in registers(app) if r.scoped]
    with app.app_context():
        from app.extensions import db
        first = {r.resource: (db.session.scalar(select(func.max(r.model.id))) or 0) + 1
                 for r in regs}
        audit_from = db.session.scalar(select(func.max(AuditLog.id))) or 0
    rows = {r.resource: [] for r in regs}
    changes, once = [], {}
    handover_at, imports_at = rng.randrange(OPERATIONS), set(rng.sample(range(OPERATIONS), 2))
    for index in range(OPERATIONS):
        if index == handover_at:
            once["handover"] = handover(app, clients, rng)
            rows["customer"] += once["handover"]["rows"]
        if index in imports_at:
            imported = import_customers(app, rng)
            once.setdefault("imports", []).append(imported)
            rows["customer"] += imported
        r = rng.choice(regs)
        op = rng.choice(["create", "create", "edit", "step", "step", "step", "delete"])
        if op == "create" or not rows[r.resource]:
            pk = maker.make(r.resource, rng.choice(CLERKS))
            rows[r.resource].append(pk)
            changes.append(("create", r.resource, pk))
            continue
        pk, user = rng.choice(rows[r.resource]), rng.choice(USERS)
        client, url = clients(user), f"/api/v1/{r.resource}/{pk}"
        if op == "edit" and r.resource in EDITS:
            got = client.put(url, json={EDITS[r.resource]: f"随机修改{rng.random():.6f}"})
            action = "update"
        elif op == "step" and r.workflow is not None:
            s = rng.choice(r.workflow.steps)
            body = {"comment": "随机的一天", **{c: value_for(r.model, c)
                                            for c in (*s.needs, *s.fields)}}
            got = client.post(f"{url}/transition/{s.name}", json=body)
            action = "transition"
        elif op == "delete":
            got = client.delete(url)
            action = "delete"
            if got.status_code == 200:
                rows[r.resource].remove(pk)
        else:
            continue
        assert got.status_code < 500, (op, r.resource, pk, user, got.json)
        if got.status_code < 300:
            changes.append((action, r.resource, pk))
    return {"regs": regs, "first": first, "changes": changes, "audit_from": audit_from,
            "clients": clients, **once}


def handover(app, clients, rng) -> dict:
    """A Clerk of clerk1's department who owns a few customers leaves: admin hands them
    over to a random clerk through the web form (/handover/<id>, then confirm)."""
    from app.extensions import db
    from app.models.org import ConsoleUser
    username = unique("leaver")
    with app.app_context():
        sm = app.appbuilder.sm
        user = sm.add_user(username, "离", "职", f"{username}@example.com",
                           sm.find_role("Clerk"), password=DEMO_PASSWORD)
        user.department_id = sm.find_user(username="clerk1").department_id
        db.session.commit()
        leaver = user.id
    owned = []
    for _i in range(rng.randint(1, 3)):
        got = clients(username).post("/api/v1/customer/", json={"name": unique("离职客户"),
                                                                    "customer_type": "group"})
        assert got.status_code == 201, got.json
        owned.append(got.json["id"])
    successor = rng.choice(CLERKS)
    with app.app_context():
        successor_id = db.session.scalar(select(ConsoleUser.id).where(
            ConsoleUser.username == successor))
    b = Browser(app, "admin")
    got = b.post(f"/handover/{leaver}", {"successor": str(successor_id), "confirm": "1"})
    assert got.status_code == 302, got.get_data(as_text=True)[:500]
    return {"leaver": leaver, "successor": successor_id, "rows": owned}


def import_customers(app, rng) -> list[int]:
    """A clerk imports a small customers file (2–4 rows) through the web import."""
    from app.extensions import db
    from app.models.customers import Customer
    prefix, clerk = unique("导入一天"), rng.choice(CLERKS)
    names = [f"{prefix}{n}" for n in range(rng.randint(2, 4))]
    page = upload(Browser(app, clerk), "customerview", xlsx(
        CUSTOMER_HEADER, [[n, "集团客户"] + [None] * 9 for n in names]))
    assert f"已导入 {len(names)} 行" in page.get_data(as_text=True)
    with app.app_context():
        return list(db.session.scalars(select(Customer.id).where(
            Customer.name.in_(names))))


def test_the_day_changed_rows(day):
    actions = {a for a, _r, _pk in day["changes"]}
    assert {"create", "transition"} <= actions, actions


def test_the_handover_moved_every_row_and_stopped_the_leaver(session, day):
    from app.models.customers import Customer
    from app.models.org import ConsoleUser
    moved = day["handover"]
    assert session.get(ConsoleUser, moved["leaver"]).active is False
    assert session.scalar(select(func.count(Customer.id)).where(
        Customer.owner_id == moved["leaver"])) == 0
    owners = {c.owner_id for c in session.scalars(select(Customer).where(
        Customer.id.in_(moved["rows"])))}
    assert owners <= {moved["successor"]}, owners  # (some may have been deleted later)


def test_every_import_landed_whole(day):
    assert len(day["imports"]) == 2 and all(len(ids) >= 2 for ids in day["imports"])


# --- charts: each equals its GROUP BY over the rows in scope ---------------------------
def _key(value):
    if isinstance(value, (date, Decimal)) and not isinstance(value, datetime):
        return str(value)
    return value


def _group_value(model, row, spec):
    if isinstance(spec, MonthOf):
        value = getattr(row, spec.column)
        return value.strftime("%Y-%m") if value is not None else None
    if "." in spec:
        relation, attr = spec.split(".", 1)
        parent = getattr(row, relation)
        return None if parent is None else _key(getattr(parent, attr))
    if spec in model.__mapper__.relationships:
        parent = getattr(row, spec)
        return None if parent is None else parent.id
    return _key(getattr(row, spec))


def _in_period(row, period) -> bool:
    if not period or not period.get("column"):
        return True
    value = getattr(row, period["column"])
    if value is None:
        return False
    day_of = value.date() if isinstance(value, datetime) else value
    return ((period["from"] is None or day_of >= date.fromisoformat(period["from"]))
            and (period["to"] is None or day_of <= date.fromisoformat(period["to"])))


def _measure(rows, measure):
    if measure.kind == "count":
        return len(rows)
    return round(float(sum((getattr(r, measure.column) or 0) for r in rows)), 2)


def expected_chart(session, model, chart, username, period) -> dict:
    """{(group key, series key or measure index): figure} from the rows in scope (§1 as
    SQL, tests/registers.visible_ids), grouped here, not by the app's statement."""
    ids = visible_ids(session, model, username)
    rows = [row for row in session.scalars(select(model).where(model.id.in_(ids)))
            if _in_period(row, period)] if ids else []
    groups = {}
    for row in rows:
        key = (_group_value(model, row, chart.group_by),
               _group_value(model, row, chart.series) if chart.series else None)
        groups.setdefault(key, []).append(row)
    out = {}
    for (g, s), members in groups.items():
        if chart.series:
            out[(g, s)] = _measure(members, chart.measures[0])
        else:
            for i, measure in enumerate(chart.measures):
                out[(g, i)] = _measure(members, measure)
    return {k: v for k, v in out.items() if v}


def answered_chart(answer, chart) -> dict:
    out = {}
    for i, series in enumerate(answer["series"]):
        for key, figure in zip(answer["keys"], series["data"]):
            if figure:
                out[(key, series["key"] if chart.series else i)] = round(float(figure), 2) \
                    if not isinstance(figure, int) else figure
    return out


@pytest.mark.parametrize("username", ["admin", "supervisor1", "clerk1"])
def test_every_declared_chart_equals_its_group_by(session, day, username):
    wrong, checked, figures = [], 0, 0
    for r in day["regs"]:
        for chart in getattr(r.view, "charts", None) or ():
            if chart.query is not None:
                continue  # figures of their own SQL (ABC, rates): not a GROUP BY
            got = day["clients"](username).get(f"/api/v1/chart/{r.resource}/{chart.name}")
            if got.status_code == 404:
                continue  # a register the role may not list
            assert got.status_code == 200, (r.resource, chart.name, got.json)
            checked += 1
            expected = expected_chart(session, r.model, chart, username, got.json["period"])
            answered = answered_chart(got.json, chart)
            figures += len(expected)
            if answered != expected:
                diff = {k: (answered.get(k), expected.get(k))
                        for k in set(answered) | set(expected)
                        if answered.get(k) != expected.get(k)}
                wrong.append((r.resource, chart.name, dict(list(diff.items())[:5])))
    assert checked and figures, (username, checked, figures)  # some figure was compared
    assert not wrong, wrong


@pytest.mark.parametrize("username", ["admin", "supervisor1", "clerk1", "clerk3"])
def test_every_list_count_equals_its_rows(session, day, username):
    wrong = []
    for r in day["regs"]:
        got = day["clients"](username).get(f"/api/v1/{r.resource}/?q=(page_size:1)")
        if got.status_code != 200:
            continue
        expected = len(visible_ids(session, r.model, username))
        if got.json["count"] != expected:
            wrong.append((r.resource, got.json["count"], expected))
    assert not wrong, wrong


def test_every_workflow_history_replays_to_the_rows_state(session, day):
    wrong = []
    for r in day["regs"]:
        if r.workflow is None:
            continue
        for row in session.scalars(select(r.model).where(r.model.id >= day["first"][
                r.resource])):
            state = r.workflow.initial
            for entry in session.scalars(select(TransitionLog).where(
                    TransitionLog.register == r.model.__tablename__,
                    TransitionLog.row_id == row.id).order_by(TransitionLog.id)):
                if entry.from_state != state:
                    wrong.append((r.resource, row.id, entry.step, entry.from_state, state))
                state = entry.to_state
            if state != row.status:
                wrong.append((r.resource, row.id, "replays to", state, "row is", row.status))
    assert not wrong, wrong[:20]


def test_the_audit_log_holds_every_change(session, day):
    logged = set(session.execute(select(AuditLog.action, AuditLog.resource, AuditLog.row_id)
                                 .where(AuditLog.id > day["audit_from"])).all())
    missing = [c for c in day["changes"] if c not in logged]
    assert not missing, missing[:20]


def test_codes_are_unique(session, day):
    coded = [r.model for r in day["regs"] if "code" in r.model.__table__.c]
    assert coded
    for model in coded:
        twice = session.execute(select(model.code).group_by(model.code)
                                .having(func.count(model.id) > 1)).scalars().all()
        assert not twice, (model.__tablename__, twice)


@pytest.mark.parametrize("username", ["admin", "supervisor1", "clerk1"])
def test_the_abc_chart_covers_the_sales_of_the_customers_in_scope(session, day, username):
    """The ABC Pareto (a `query` chart, window functions): its bars add up to the year's
    sales of the customers in scope, and its class counts to those customers."""
    from app.models.customers import Customer, Transaction
    got = day["clients"](username).get("/api/v1/chart/customer/abc")
    assert got.status_code == 200, got.json
    year = got.json["year"]
    in_scope = visible_ids(session, Customer, username)
    per_customer = {}
    for customer_id, amount in session.execute(select(
            Transaction.customer_id, Transaction.amount).where(
            Transaction.date >= date(year, 1, 1), Transaction.date < date(year + 1, 1, 1))):
        if customer_id in in_scope:
            per_customer[customer_id] = per_customer.get(customer_id, 0) + (amount or 0)
    selling = {pk: total for pk, total in per_customer.items() if total > 0}
    assert selling or username != "admin", year  # the day sold something
    bars = next(s for s in got.json["series"] if s["key"] == "amount")["data"]
    assert round(sum(bars), 2) == round(float(sum(selling.values(), Decimal(0))), 2), \
        (username, year, bars)
    assert sum(got.json["abc_counts"].values()) == len(selling), (username, year)
