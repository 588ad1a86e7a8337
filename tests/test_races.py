"""Races against a real threaded server (tests/live.py), on SQLite and PostgreSQL:
expense writes racing Finance's settlement, and concurrent PUTs on different rows."""
from decimal import Decimal

from sqlalchemy import func, select

from app.audit import AuditLog
from app.models.receptions import Reception, ReceptionExpense
from tests.conftest import unique
from tests.live import run_together
from tests.test_receptions import ARRIVAL, DEPARTURE

ROUNDS, WRITERS = 8, 6


def _ok(answer, status=200):
    assert answer[0] == status, answer
    return answer[1]


def verified_reception(live) -> tuple[int, int]:
    """A reception of clerk1 up to verified, with one expense line: (reception, line)."""
    customer = _ok(live.call("POST", "/api/v1/customer/", "clerk1",
                             {"name": unique("结算竞争"), "customer_type": "important"}), 201)["id"]
    pk = _ok(live.call("POST", "/api/v1/reception/", "clerk1", {
        "customer": customer, "notice_from": "销售一部", "visitor_names": "王总",
        "visitor_count": 1, "purpose": "考察", "arrival": ARRIVAL, "departure": DEPARTURE,
        "plan": "座谈"}), 201)["id"]
    for user, name, body in (("clerk1", "request", {}), ("supervisor1", "approve", {}),
                             ("clerk1", "receive", {"content": "座谈", "outcome": "合作"})):
        _ok(live.call("POST", f"/api/v1/reception/{pk}/transition/{name}", user, body))
    line = _ok(live.call("POST", "/api/v1/reception_expense/", "clerk1", {
        "reception": pk, "category": "meal", "amount": "100.00"}), 201)["id"]
    _ok(live.call("POST", f"/api/v1/reception/{pk}/transition/verify", "supervisor1", {}))
    return pk, line


def test_no_expense_write_lands_after_the_settlement(live, session):
    """Finance settles while six writes (three PUTs of the line, three new lines)
    race it, eight times: each write either lands before the settlement or is refused
    (409/422 in Chinese); none after it, no 5xx, and actual_cost is the sum of the lines."""
    codes = []
    for number in range(ROUNDS):
        pk, line = verified_reception(live)
        writes = [("PUT", f"/api/v1/reception_expense/{line}", "clerk1",
                   {"amount": f"{101 + n}.00"}) for n in range(WRITERS // 2)]
        writes += [("POST", "/api/v1/reception_expense/", "clerk1",
                    {"reception": pk, "category": "other", "amount": f"{number}.{n + 1:02d}"})
                   for n in range(WRITERS - WRITERS // 2)]
        settle = ("POST", f"/api/v1/reception/{pk}/transition/settle", "finance", {})
        answers = run_together(live, [settle, *writes])
        _ok(answers[0])
        codes += [status for status, _answer in answers[1:]]
        for status, answer in answers[1:]:
            assert status in (200, 201, 409, 422), (status, answer)
            if status in (409, 422):  # the PUTs of one line also race each other
                assert "锁定" in str(answer["message"]) or "他人修改" in answer["message"], \
                    answer
        session.expire_all()
        settled_at = session.scalar(select(AuditLog.id).where(
            AuditLog.resource == "reception", AuditLog.row_id == pk,
            AuditLog.action == "transition", AuditLog.detail.startswith("settle")))
        lines = session.scalars(select(ReceptionExpense.id).where(
            ReceptionExpense.reception_id == pk)).all()
        late = session.scalars(select(AuditLog.id).where(
            AuditLog.resource == "reception_expense", AuditLog.row_id.in_(lines),
            AuditLog.id > settled_at)).all()
        assert late == [], f"round {number}: writes after the settlement {late}"
        landed = sum(1 for status, _a in answers[1:] if status in (200, 201))
        assert len(lines) == 1 + sum(1 for s, _a in answers[1 + WRITERS // 2:] if s == 201)
        total = session.scalar(select(func.sum(ReceptionExpense.amount)).where(
            ReceptionExpense.reception_id == pk))
        assert session.get(Reception, pk).actual_cost == Decimal(total), (number, landed)
    assert any(s in (200, 201) for s in codes) and any(s in (409, 422) for s in codes), codes


PUT_ROWS, BATCHES = 10, 24  # 10 rows written at once (5 pairs) and 2 new rows, 24 times


def test_concurrent_puts_on_different_rows_each_get_their_own_answer(live, session):
    """120 pairs of PUTs on different rows (with POSTs among them) under the threaded
    server: every answer is 200/201 with its own request's value, every row holds what
    was last sent to it, no other row was touched."""
    from app.models.customers import Customer
    rows = [_ok(live.call("POST", "/api/v1/customer/", "clerk1",
                          {"name": unique("并发行"), "customer_type": "important"}), 201)["id"] for _ in range(PUT_ROWS)]
    created, wrong = {}, []
    for batch in range(BATCHES):
        calls = [("PUT", f"/api/v1/customer/{pk}", "clerk1", {"address": f"地址 {pk}-{batch}"})
                 for pk in rows]
        names = [unique("并发新增") for _ in range(2)]
        calls += [("POST", "/api/v1/customer/", "clerk1", {"name": name, "address": f"新 {name}",
                                                        "customer_type": "important"})
                  for name in names]
        answers = run_together(live, calls)
        for pk, (status, answer) in zip(rows, answers):
            if status != 200 or answer["result"]["address"] != f"地址 {pk}-{batch}":
                wrong.append(("PUT", pk, batch, status, answer))
        for name, (status, answer) in zip(names, answers[PUT_ROWS:]):
            if status != 201 or answer["result"]["name"] != name:
                wrong.append(("POST", name, status, answer))
            else:
                created[answer["id"]] = name
    assert wrong == [], wrong[:5]
    session.expire_all()
    for pk in rows:
        assert session.get(Customer, pk).address == f"地址 {pk}-{BATCHES - 1}"
    for pk, name in created.items():
        row = session.get(Customer, pk)
        assert (row.name, row.address) == (name, f"新 {name}")
