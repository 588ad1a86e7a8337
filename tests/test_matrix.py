"""Role × register × path (issue 24): for every register the app registers and every user —
the five roles, a Clerk of another department (clerk3) and a user whose role has no rights —
each path is allowed or refused as DESIGN.md §1/§3 say, and the rows seen are exactly the
SQL of §1's scope. Registers come from the app (tests/registers.py); a new register joins
by its sample there. (List counts and paging per register × role: test_lists.)

Each test walks the whole table and reports every wrong cell at once."""
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.demo import DEMO_PASSWORD
from app.roles import may_run
from app.views.base import RegisterView
from app.views.fields import SearchSelectField
from tests.conftest import ROLE_USERS
from tests.registers import SAMPLES, Maker, registers, value_for, visible_ids

USERS = [*ROLE_USERS.values(), "clerk3", "norights"]
OWNERS = ("clerk1", "clerk2", "clerk3")
# DESIGN.md §1 "may do", as the registers' declarations must say it.
FINANCE_WRITES = {"transaction", "reception_expense", "customer"}  # customer: credit only
WRITES = ("can_post", "can_put", "can_delete")


@pytest.fixture(scope="module")
def norights(app):
    """A user of 销售一部 whose only role grants nothing."""
    from app.demo import ensure_user
    with app.app_context():
        sm = app.appbuilder.sm
        if sm.find_role("NoRights") is None:
            sm.add_role("NoRights")
        ensure_user(app.appbuilder, "norights", "无权限", "NoRights", "销售一部", DEMO_PASSWORD)
    return "norights"


@pytest.fixture(scope="module")
def world(app, clients, norights):
    """Rows of clerk1, clerk2 (same department) and clerk3 (another) in every register
    (shared registers: one row), and the first id this module created per register."""
    maker = Maker(app, clients)
    regs = registers(app)
    with app.app_context():
        from app.extensions import db
        first = {r.resource: (db.session.scalar(select(func.max(r.model.id))) or 0) + 1
                 for r in regs}
    rows = {r.resource: {owner: maker.make(r.resource, owner)
                         for owner in (OWNERS if r.scoped else ("clerk1",))} for r in regs}
    return {"regs": regs, "rows": rows, "first": first, "maker": maker}


def granted(app, username, permission, view_name) -> bool:
    with app.test_request_context():
        sm = app.appbuilder.sm
        user = sm.find_user(username=username)
        return any((p.permission.name, p.view_menu.name) == (permission, view_name)
                   for role in user.roles for p in role.permissions)


def report(wrong):
    assert not wrong, "\n".join(map(str, wrong))


# --- the table itself --------------------------------------------------------------------
def test_every_registered_register_has_a_sample(app):
    resources = {r.resource for r in registers(app)}
    assert resources == set(SAMPLES), "declare a sample in tests/registers.py for " \
        f"{sorted(resources - set(SAMPLES))}; stale: {sorted(set(SAMPLES) - resources)}"


def test_declared_grants_follow_design_section_1(app):
    wrong = []
    for r in registers(app):
        access = r.api.role_access or {}
        for perm in WRITES:
            if perm in access.get("Executive", ()):
                wrong.append((r.resource, "Executive", perm))
            if perm in access.get("Finance", ()) and r.resource not in FINANCE_WRITES:
                wrong.append((r.resource, "Finance", perm))
            if not r.scoped and perm in {p for role in ("Clerk", "Supervisor")
                                         for p in access.get(role, ())}:
                wrong.append((r.resource, "shared register written by staff", perm))
        if "can_get" not in access.get("Executive", ()) and r.resource != "audit_log":
            wrong.append((r.resource, "Executive cannot read"))
    report(wrong)


# --- rows seen: list, show ---------------------------------------------------------------
def listed_ids(client, resource, first) -> set[int] | int:
    """Ids the API lists from `first` on (newest first, paging until below `first`)."""
    seen, page = set(), 0
    while True:
        r = client.get(f"/api/v1/{resource}/?q=(order_column:id,order_direction:desc,"
                       f"page:{page},page_size:100,columns:!(id))")
        if r.status_code != 200:
            return r.status_code
        ids = [row["id"] for row in r.json["result"]]
        seen.update(i for i in ids if i >= first)
        if not ids or min(ids) < first:
            return seen
        page += 1


@pytest.mark.parametrize("username", USERS)
def test_api_list_shows_exactly_the_rows_in_scope(app, clients, session, world, username):
    wrong = []
    for r in world["regs"]:
        first = world["first"][r.resource]
        seen = listed_ids(clients(username), r.resource, first)
        may = granted(app, username, "can_get", r.api.class_permission_name)
        if not may:
            if seen != 403:
                wrong.append((r.resource, "list without can_get", seen))
            continue
        expected = visible_ids(session, r.model, username, r.model.id >= first)
        if seen != expected:
            wrong.append((r.resource, "extra", sorted(seen - expected) if isinstance(seen, set)
                          else seen, "missing", sorted(expected - seen)
                          if isinstance(seen, set) else None))
    report(wrong)


@pytest.mark.parametrize("username", USERS)
def test_show_edit_delete_answer_by_scope_then_grant(app, clients, browser, session, world,
                                                    username):
    """In scope: show 200 (web and API); out of scope: 404 on every verb, never 403, the
    row unchanged; without the permission: 403."""
    api_client, web = clients(username), browser(username)
    wrong = []
    for r in world["regs"]:
        perm_view = r.api.class_permission_name
        for owner, pk in world["rows"][r.resource].items():
            visible = pk in visible_ids(session, r.model, username, r.model.id == pk)
            before = session.get(r.model, pk, populate_existing=True).version
            url = f"/api/v1/{r.resource}/{pk}"
            for verb, perm in (("get", "can_get"), ("put", "can_put"),
                               ("delete", "can_delete")):
                if verb != "get" and visible:
                    continue  # writing rows in scope: the registers' own tests
                may = granted(app, username, perm, perm_view)
                want = (200 if visible else 404) if may else 403
                got = getattr(api_client, verb)(url, json={}).status_code
                if got != want:
                    wrong.append((r.resource, owner, verb, want, got))
            if session.get(r.model, pk, populate_existing=True).version != before:
                wrong.append((r.resource, owner, "changed by a refused request"))
            if r.view is not None:
                got = web.get(f"{r.view.route_base}/show/{pk}").status_code
                may = granted(app, username, "can_show", r.view.class_permission_name)
                want = (200 if visible else 404) if may else 403
                if got != want:
                    wrong.append((r.resource, owner, "web show", want, got))
    report(wrong)


@pytest.mark.parametrize("username", USERS)
def test_add_is_allowed_exactly_by_the_grant(app, clients, session, world, username):
    """A valid new row (parents of clerk1, or clerk3's own): 201 with can_post, else 403
    and nothing stored."""
    wrong = []
    maker = world["maker"]
    clerk = "clerk3" if username == "clerk3" else "clerk1"
    for r in world["regs"]:
        may = granted(app, username, "can_post", r.api.class_permission_name)
        body = maker.body(r.resource, clerk)
        before = session.scalar(select(func.count(r.model.id)))
        got = clients(username).post(f"/api/v1/{r.resource}/", json=body)
        after = session.scalar(select(func.count(r.model.id)))
        if may and got.status_code != 201 and not _author_only(r.resource, username):
            wrong.append((r.resource, "add", 201, got.status_code, got.json))
        if not may and (got.status_code != 403 or after != before):
            wrong.append((r.resource, "add without can_post", got.status_code, after - before))
    report(wrong)


def _author_only(resource, username) -> bool:
    """Visit plans are one per department and month, drafted in the Supervisor's own
    department: another user's copy of clerk1's sample is refused by that rule (422)."""
    return resource in ("visit_plan", "visit_plan_item") and username != "supervisor1"


@pytest.mark.parametrize("username", USERS)
def test_export_holds_exactly_the_rows_in_scope(app, clients, session, world, username):
    wrong = []
    for r in world["regs"]:
        may = granted(app, username, "can_export_xlsx", r.api.class_permission_name)
        got = clients(username).get(f"/api/v1/{r.resource}/export.xlsx")
        if not may:
            if got.status_code != 403:
                wrong.append((r.resource, "export without the grant", got.status_code))
            continue
        if got.status_code == 202:  # a background export: too big to count here
            continue
        if got.status_code != 200:
            wrong.append((r.resource, "export", got.status_code))
            continue
        sheet = load_workbook(io.BytesIO(got.data), read_only=True).active
        rows = sum(1 for row in sheet.iter_rows(min_row=2, values_only=True) if any(
            v is not None for v in row))
        expected = len(visible_ids(session, r.model, username))
        if rows != expected:
            wrong.append((r.resource, "exported rows", rows, "in scope", expected))
    report(wrong)


# --- workflow steps: 404, 403, 409 in that order (DESIGN.md §3) ---------------------------
def paths(flow) -> dict[str, list]:
    """state → the shortest list of forward steps reaching it from the initial state."""
    found, frontier = {flow.initial: []}, [flow.initial]
    while frontier:
        state = frontier.pop(0)
        for s in flow.steps:
            if s.target and s.target not in found and s.starts_from(state) \
                    and s.name not in ("send_back", "reject"):
                found[s.target] = [*found[state], s]
                frontier.append(s.target)
    return found


def step_body(model, s) -> dict:
    return {"comment": "请补充材料", **{c: value_for(model, c) for c in (*s.needs, *s.fields)}}


def row_in(world, clients, r, state) -> int:
    pk = world["maker"].make(r.resource, "clerk1")
    for s in paths(r.workflow)[state]:
        got = clients("admin").post(f"/api/v1/{r.resource}/{pk}/transition/{s.name}",
                                    json=step_body(r.model, s))
        assert got.status_code == 200, (r.resource, s.name, got.json)
    return pk


def role_of(username) -> str | None:
    return next((role for role, user in ROLE_USERS.items() if user == username),
                "Clerk" if username == "clerk3" else None)


def test_every_step_answers_404_403_409_then_runs(app, clients, session, world):
    wrong = []
    for r in world["regs"]:
        if r.workflow is None:
            continue
        reachable = paths(r.workflow)
        for s in r.workflow.steps:
            source = next((st for st in reachable if s.starts_from(st)), None)
            if source is None:
                continue
            shared = row_in(world, clients, r, source)
            wrong_state = next((st for st in reachable if not s.starts_from(st)), None)
            url = f"/api/v1/{r.resource}/{{}}/transition/{s.name}"
            for username in USERS:
                role = role_of(username)
                if not granted(app, username, "can_get", r.api.class_permission_name):
                    want = 403  # reaches no row of the register at all
                elif shared not in visible_ids(session, r.model, username, r.model.id == shared):
                    want = 404
                elif role is None or not may_run(role, s):
                    want = 403
                else:
                    want = 200
                pk = row_in(world, clients, r, source) if want == 200 else shared
                got = clients(username).post(url.format(pk), json=step_body(r.model, s))
                if got.status_code != want:
                    wrong.append((r.resource, s.name, username, want, got.status_code,
                                  got.json.get("message")))
                if want == 200 and wrong_state is not None:
                    other, wrong_state = row_in(world, clients, r, wrong_state), None
                    got = clients(username).post(url.format(other), json=step_body(r.model, s))
                    if got.status_code != 409:
                        wrong.append((r.resource, s.name, username, "wrong state", 409,
                                      got.status_code))
            if session.get(r.model, shared, populate_existing=True).status != source:
                wrong.append((r.resource, s.name, "a refused step changed the row"))
    report(wrong)


# --- paper forms, charts, related-record searches ----------------------------------------
def form_resources(app) -> list[str]:
    return sorted({rule.rule.split("/")[3] for rule in app.url_map.iter_rules()
                   if rule.rule.endswith("/<int:pk>/form.xlsx")})


@pytest.mark.parametrize("username", USERS)
def test_paper_forms_follow_scope(app, clients, session, world, username):
    wrong = []
    regs = {r.resource: r for r in world["regs"]}
    assert form_resources(app), "no paper forms found"
    for resource in form_resources(app):
        r = regs[resource]
        for owner, pk in world["rows"][resource].items():
            visible = pk in visible_ids(session, r.model, username, r.model.id == pk)
            may = granted(app, username, "can_get", r.api.class_permission_name)
            want = (200 if visible else 404) if may else 403
            got = clients(username).get(f"/api/v1/{resource}/{pk}/form.xlsx")
            if got.status_code != want:
                wrong.append((resource, owner, want, got.status_code))
    report(wrong)


@pytest.mark.parametrize("username", USERS)
def test_every_declared_chart_answers_by_grant(app, clients, world, username):
    wrong = []
    may = granted(app, username, "can_get", "Chart")
    for r in world["regs"]:
        for chart in getattr(r.view, "charts", None) or ():
            got = clients(username).get(f"/api/v1/chart/{r.resource}/{chart.name}")
            if got.status_code != (200 if may else 403):
                wrong.append((r.resource, chart.name, got.status_code))
    report(wrong)


def related_searches(app):
    """(view, column, target model) of every Select2 related-record search."""
    for v in app.appbuilder.baseviews:
        if not isinstance(v, RegisterView):
            continue
        for name, field in {**(v.add_form_extra_fields or {}),
                            **(v.edit_form_extra_fields or {})}.items():
            if getattr(field, "field_class", None) is SearchSelectField:
                yield v, name, field.kwargs["model"]


@pytest.mark.parametrize("username", USERS)
def test_related_record_searches_offer_exactly_the_rows_in_scope(app, browser, session,
                                                                  world, username):
    from app.views.fields import search_columns
    by_model = {r.model: r for r in world["regs"]}
    web = browser(username)
    wrong, searched = [], 0
    for view, column, target in related_searches(app):
        for owner, pk in world["rows"][by_model[target].resource].items():
            term = getattr(session.get(target, pk), search_columns(target)[0].key)
            got = web.get(f"{view.route_base}/search_related/{column}?q={term}")
            may = granted(app, username, "can_list", view.class_permission_name)
            if not may:  # signed in without the grant: 403, page or ajax
                if got.status_code != 403:
                    wrong.append((view.endpoint, column, "without can_list", got.status_code))
                continue
            searched += 1
            offered = pk in {row["id"] for row in got.json["results"]}
            visible = pk in visible_ids(session, target, username, target.id == pk)
            if offered != visible:
                wrong.append((view.endpoint, column, owner, "offered", offered,
                              "in scope", visible))
    assert searched or username == "norights"
    report(wrong)


def test_no_rights_user_is_refused_everywhere(clients, norights, world):
    """The role with no grants reaches no register, step, chart or form: only 403."""
    client = clients(norights)
    for r in world["regs"]:
        pk = world["rows"][r.resource]["clerk1"]
        assert client.get(f"/api/v1/{r.resource}/_info").status_code == 403
        assert client.post(f"/api/v1/{r.resource}/{pk}/transition/x",
                           json={}).status_code == 403
