"""Generated bad input (issue 24, DESIGN.md §9): Hypothesis sends wrong types, huge
numbers, NUL and control characters, long strings, bad dates and nonexistent or
out-of-scope related ids to every writable field of every register (POST and PUT), to
the list's rison filters and query parameters, and to every workflow step's body.
Whatever it sends: no 5xx; a refusal is 400/403/404/409/422 with a Chinese message and stores
nothing; what is stored fits its column.

Bounded and derandomized: FUZZ_EXAMPLES examples per register and path (default 8);
`make fuzz` raises it."""
import json
import os
import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import Date, DateTime, Integer, Numeric, String, func, select
from sqlalchemy import inspect as sa_inspect

from tests.registers import Maker, registers

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
# No shrinking: a failure reports the example found (shrinking an HTTP round trip took
# minutes); `make fuzz` runs more examples the same way.
FUZZ = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                phases=(Phase.explicit, Phase.generate), suppress_health_check=list(HealthCheck))
CHINESE = re.compile(r"[\u4e00-\u9fff]")
REFUSALS = {400, 403, 404, 409, 422}  # 403: a field only some roles write (credit)

texts = st.one_of(
    st.text(max_size=40),  # any code point: NUL, control, RTL, zero-width, astral
    st.text(alphabet=st.characters(max_codepoint=0x1f), max_size=10),
    st.text(min_size=300, max_size=3000),
    st.sampled_from(["\x00", "²", "１２", "1e30", "-0", "NaN", " ", "\u202e\u200b"]),
)
numbers = st.one_of(st.integers(min_value=-2**70, max_value=2**70),
                    st.floats(allow_nan=False, allow_infinity=False),
                    st.sampled_from([2**31, 2**63, -1, 0, 10**15]))
dates = st.sampled_from(["0000-01-01", "1899-12-31", "2101-01-01", "2026-02-30",
                         "2026-13-01", "9999-12-31T25:00:00", "2026-1-1", "", "昨天",
                         "2026-03-01T09:00:00+08:00", "1e9"])
shapes = st.one_of(st.none(), st.booleans(), st.lists(st.integers(), max_size=3),
                   st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
values = st.one_of(texts, numbers, dates, shapes)


@pytest.fixture(scope="module")
def fuzz_world(app, clients):
    """A valid body and an own row per register, and a customer of another department."""
    maker = Maker(app, clients)
    regs = registers(app)
    return {"regs": regs, "maker": maker,
            "bodies": {r.resource: maker.body(r.resource) for r in regs},
            "rows": {r.resource: maker.make(r.resource) for r in regs},
            "foreign": maker.make("customer", "clerk3")}


def chinese(response) -> bool:
    return bool(CHINESE.search(json.dumps(response.json, ensure_ascii=False)))


def sane(response, what) -> None:
    assert response.status_code < 500, (what, response.status_code, response.json)
    if response.status_code >= 400:
        assert response.status_code in REFUSALS, (what, response.status_code, response.json)
        assert response.is_json and chinese(response), (what, response.get_data(as_text=True))


def fits(model, row) -> list[str]:
    """What a stored row holds that its columns forbid."""
    wrong = []
    for column in model.__table__.columns:
        value = getattr(row, column.key, None)
        if value is None:
            continue
        if isinstance(value, str) and ("\x00" in value or isinstance(column.type, String)
                                       and column.type.length and
                                       len(value) > column.type.length):
            wrong.append(column.key)
        if isinstance(column.type, (Date, DateTime)) and isinstance(value, (date, datetime)) \
                and not 1900 <= value.year <= 2100:
            wrong.append(column.key)
        if isinstance(column.type, Numeric) and isinstance(value, Decimal) and \
                column.type.precision and abs(value) >= Decimal(10) ** (
                    column.type.precision - (column.type.scale or 0)):
            wrong.append(column.key)
        if isinstance(column.type, Integer) and isinstance(value, int) and \
                not -2**31 <= value < 2**31:
            wrong.append(column.key)
    return wrong


def excluded(value) -> bool:
    """Input classes sec-server (issue 23) is fixing; the lead removes these when merging:
    related ids written as non-ASCII digits ("²"), money like 1e30, control characters in
    names."""
    return isinstance(value, str) and (any(c.isdigit() and not c.isascii() for c in value)
                                       or "1e30" in value)


def author(maker, r) -> str:
    return maker.author(r.resource, "clerk1")


def test_post_with_one_bad_field_never_breaks(app, clients, session, fuzz_world):
    maker, foreign = fuzz_world["maker"], fuzz_world["foreign"]
    for r in fuzz_world["regs"]:
        base, client = fuzz_world["bodies"][r.resource], clients(author(maker, r))
        fields = sorted(r.api.add_model_schema.fields)

        post_fuzz(session, r, base, client, fields, foreign)()


def post_fuzz(session, r, base, client, fields, foreign):
    @FUZZ
    @given(field=st.sampled_from(fields),
           value=st.one_of(values, st.just(foreign), st.just(2**31 - 1)))
    def post(field, value):
        if excluded(value):
            return
        before = session.scalar(select(func.count(r.model.id)))
        got = client.post(f"/api/v1/{r.resource}/", json={**base, field: value})
        sane(got, (r.resource, "POST", field, value))
        if got.status_code == 201:
            row = session.get(r.model, got.json["id"])
            assert not fits(r.model, row), (r.resource, field, value, fits(r.model, row))
        else:
            assert session.scalar(select(func.count(r.model.id))) == before
    return post


def test_put_with_one_bad_field_never_breaks(app, clients, session, fuzz_world):
    maker = fuzz_world["maker"]
    for r in fuzz_world["regs"]:
        pk, client = fuzz_world["rows"][r.resource], clients(author(maker, r))
        fields = sorted(r.api.edit_model_schema.fields)

        put_fuzz(session, r, pk, client, fields)()


def put_fuzz(session, r, pk, client, fields):
    @FUZZ
    @given(field=st.sampled_from(fields), value=values)
    def put(field, value):
        if excluded(value):
            return
        before = session.get(r.model, pk, populate_existing=True).version
        got = client.put(f"/api/v1/{r.resource}/{pk}", json={field: value})
        sane(got, (r.resource, "PUT", field, value))
        row = session.get(r.model, pk, populate_existing=True)
        if got.status_code == 200:
            assert not fits(r.model, row), (r.resource, field, value, fits(r.model, row))
        else:
            assert row.version == before, (r.resource, field, value)
    return put


def test_body_of_the_wrong_json_type_is_refused(clients, fuzz_world):
    for r in fuzz_world["regs"]:
        client = clients(author(fuzz_world["maker"], r))
        for body in ([], "x", 5, None, [{"name": "x"}]):
            got = client.post(f"/api/v1/{r.resource}/", json=body)
            sane(got, (r.resource, "POST body", body))
            assert got.status_code != 201


rison_values = st.one_of(
    st.integers(min_value=-2**64, max_value=2**64).map(str),
    st.text(alphabet="abc'!():,~ \x00²中", max_size=12).map(lambda s: f"'{s}'"),
    st.sampled_from(["'2026-02-30'", "!t", "!n", "'1e30'", "''"]))
raw_q = st.one_of(st.text(max_size=60),
                  st.sampled_from(["(", "(filters:!((col:", "(page:-1)", "(page_size:0)",
                                   "(page_size:100000000000000000000)", "(order_column:x)",
                                   "(columns:!(nope))", "!(1,2", "(keys:!(x))"]))


def test_list_filters_and_query_parameters_never_break(clients, fuzz_world):
    for r in fuzz_world["regs"]:
        client = clients("admin")
        columns = list(r.api.search_columns or []) or ["id"]

        list_fuzz(r, client, columns)()


def list_fuzz(r, client, columns):
    oprs = ["eq", "neq", "ct", "sw", "gt", "lt", "rel_o_m", "nope", "eq'"]
    relations = set(sa_inspect(r.model).relationships.keys())

    @FUZZ
    @given(col=st.sampled_from([*columns, "nope"]), opr=st.sampled_from(oprs),
           value=rison_values, raw=raw_q, page=numbers)
    def listing(col, opr, value, raw, page):
        if excluded(value) or (col in relations and not value.isdigit()):
            return  # non-numeric relation filters: sec-server's
        q = f"(filters:!((col:{col},opr:{opr},value:{value})),page:{page!s})"
        for url in (f"/api/v1/{r.resource}/?q={q}", f"/api/v1/{r.resource}/?q={raw}",
                    f"/api/v1/{r.resource}/export.xlsx?q={q}"):
            got = client.get(url)
            assert got.status_code < 500, (url, got.status_code, got.get_data()[:300])
            if got.status_code >= 400:
                assert got.status_code in REFUSALS and chinese(got), (url, got.json)
    return listing


def test_every_step_body_never_breaks(clients, session, fuzz_world):
    maker = fuzz_world["maker"]
    for r in fuzz_world["regs"]:
        if r.workflow is None:
            continue
        client = clients("admin")
        steps = list(r.workflow.steps)

        step_fuzz(session, maker, r, client, steps)()


def step_fuzz(session, maker, r, client, steps):
    @FUZZ
    @given(s=st.sampled_from(steps), value=values,
           field=st.sampled_from(["comment", "final_grade", "resolution", "satisfied",
                                  "followup_method", "report", "plan", "x"]))
    def fire(s, value, field):
        if excluded(value) or (field == "comment" and not isinstance(value, str)):
            return  # a comment of another JSON type ({"comment": 5}): sec-server's
        pk = maker.make(r.resource, "clerk1")
        before = session.get(r.model, pk, populate_existing=True).status
        body = {f: value for f in (field, *s.needs, *s.fields)}
        got = client.post(f"/api/v1/{r.resource}/{pk}/transition/{s.name}", json=body)
        sane(got, (r.resource, s.name, body))
        if got.status_code != 200:
            assert session.get(r.model, pk, populate_existing=True).status == before
    return fire
