"""待办 that tell the truth (issue 22): an entry counts only the rows on which the user can
run the step now — role, scope, state and the step's guard — on the home page, the
dashboard, the navbar badge and `GET /api/v1/worklist`, and its link lists exactly them."""
import re

import pytest
from flask import g
from flask_login import login_user
from sqlalchemy import event, select

from app.models.receptions import executive_limit
from app.scope import in_scope
from app.security import ConsoleUser
from app.workflow import available
from app.worklist import is_work, work_steps
from tests.conftest import unique

ROLES = ["admin", "executive", "finance", "supervisor1", "clerk1", "clerk3"]


def step(client, resource, pk, name, **body):
    return client.post(f"/api/v1/{resource}/{pk}/transition/{name}", json=body)


def created(response) -> int:
    assert response.status_code == 201, response.json
    return response.json["id"]


def new_customer(client) -> int:
    return created(client.post("/api/v1/customer/", json={
        "name": unique("待办客户"), "customer_type": "group", "cooperation": "active"}))


def reviewed_record(api, unsolved="") -> int:
    clerk = api("clerk1")
    record = created(clerk.post("/api/v1/visit_record/", json={
        "customer": new_customer(clerk), "visit_date": "2026-03-02", "visit_type": "phone",
        "result": "客户满意", "unsolved": unsolved}))
    assert step(clerk, "visit_record", record, "submit").status_code == 200
    assert step(api("supervisor1"), "visit_record", record, "review").status_code == 200
    return record


def requested_reception(api, meal) -> int:
    clerk = api("clerk1")
    reception = created(clerk.post("/api/v1/reception/", json={
        "customer": new_customer(clerk), "notice_from": "销售一部", "visitor_names": "王总",
        "visitor_count": 1, "purpose": "考察", "arrival": "2026-08-12T09:00:00",
        "departure": "2026-08-13T16:00:00", "need_meal": True, "meal_estimate": meal,
        "plan": "会议室座谈"}))
    assert step(clerk, "reception", reception, "request").status_code == 200
    return reception


def entries(api, user) -> dict:
    r = api(user).get("/api/v1/worklist")
    assert r.status_code == 200, r.json
    return {(e["resource"], e["step"]): e for e in r.json["result"]}


def listed_ids(app, browser, user, url) -> set[int]:
    """The ids on the list a 待办 entry opens (every page). Outside any
    request context: a nested request would share `g` (and its signed-in user)."""
    path = re.search(r"/(\w+)/list/", url).group(1)
    view = next(type(v).__name__ for v in app.appbuilder.baseviews
                if getattr(v, "route_base", "") == f"/{path}")
    client, ids, page = browser(user), set(), 0
    while True:  # every page: other tests' rows may be more than one
        html = client.text(f"{url}&psize_{view}=100&page_{view}={page}")
        found = {int(pk) for pk in re.findall(rf"/{path}/show/(\d+)", html)}
        if not found - ids:
            return ids
        ids |= found
        page += 1


def test_executive_approves_solutions_only_of_records_with_unsolved_problems(api, browser,
                                                                              app):
    with_problem = reviewed_record(api, unsolved="账期问题待定")
    without = reviewed_record(api)
    entry = entries(api, "executive")[("visit_record", "approve_solution")]
    ids = listed_ids(app, browser, "executive", entry["url"])
    assert with_problem in ids and without not in ids
    assert entry["count"] == len(ids)
    ex = api("executive")
    assert step(ex, "visit_record", without, "approve_solution").status_code == 409
    assert step(ex, "visit_record", with_problem, "approve_solution",
                proposed_solution="给予 60 天账期").status_code == 200
    assert entries(api, "executive").get(("visit_record", "approve_solution"), {}) \
        .get("count", 0) == entry["count"] - 1


def test_receptions_above_the_limit_wait_for_the_executive_the_others_for_the_supervisor(
        api, browser, app):
    above = requested_reception(api, "6000.00")
    below = requested_reception(api, "800.00")
    executive = entries(api, "executive")[("reception", "approve")]
    supervisor = entries(api, "supervisor1")[("reception", "approve")]
    executive_ids = listed_ids(app, browser, "executive", executive["url"])
    supervisor_ids = listed_ids(app, browser, "supervisor1", supervisor["url"])
    assert above in executive_ids and below not in executive_ids
    assert below in supervisor_ids and above not in supervisor_ids
    assert step(api("supervisor1"), "reception", above, "approve").status_code == 403
    assert step(api("executive"), "reception", above, "approve").status_code == 200
    assert step(api("supervisor1"), "reception", below, "approve").status_code == 200


def test_finance_settles_only_receptions_with_expenses(api, browser, app):
    def verified(with_expense: bool) -> int:
        reception = requested_reception(api, "500.00")
        clerk, sup = api("clerk1"), api("supervisor1")
        assert step(sup, "reception", reception, "approve").status_code == 200
        assert step(clerk, "reception", reception, "receive", content="座谈",
                    outcome="达成意向").status_code == 200
        if with_expense:
            created(clerk.post("/api/v1/reception_expense/", json={
                "reception": reception, "category": "meal", "amount": "300.00",
                "invoice_no": "FP1"}))
        assert step(sup, "reception", reception, "verify").status_code == 200
        return reception
    ready, empty = verified(True), verified(False)
    entry = entries(api, "finance")[("reception", "settle")]
    ids = listed_ids(app, browser, "finance", entry["url"])
    assert ready in ids and empty not in ids
    assert step(api("finance"), "reception", empty, "settle").status_code == 422
    assert step(api("finance"), "reception", ready, "settle").status_code == 200


@pytest.mark.parametrize("user", ROLES)
def test_every_listed_row_can_be_stepped_and_every_other_row_cannot(app, api, browser, user):
    """For each role's 待办 entry, the listed rows are exactly the rows in scope and in a
    source state on which the user may run the step now (permission and guard, as the
    show page's buttons and fire() check); its count is their number."""
    reviewed_record(api, unsolved="待办表格")  # something in most heads' lists
    from app.extensions import db
    got = entries(api, user)
    listed = {key: listed_ids(app, browser, user, e["url"]) for key, e in got.items()}
    with app.test_request_context():
        account = db.session.scalar(select(ConsoleUser).where(ConsoleUser.username == user))
        login_user(account)
        g.user = account
        sm = app.appbuilder.sm
        steps = work_steps(app.appbuilder, account)
        assert set(got) <= {(w.model.__tablename__, w.step.name) for w in steps}
        for work in steps:
            model, name = work.model, work.step.name
            ids = listed.get((model.__tablename__, name), set())
            assert got.get((model.__tablename__, name), {}).get("count", 0) == len(ids)
            sources = [s for s in work.step.sources if s in model.workflow.states]
            candidates = db.session.scalars(select(model).where(model.status.in_(sources)))

            def can(permission, view=work.view):
                return sm.has_access(permission, view.class_permission_name)
            runnable = {row.id for row in candidates if in_scope(row, account)
                        and work.step in available(row, can, account)}
            if (model.__tablename__, name) == ("reception", "approve"):
                # below the limit an Executive may approve too, but those wait for the
                # Supervisor (按审批权限): the Executive's list holds the rows above it
                runnable = {pk for pk in runnable
                            if (db.session.get(model, pk).estimated_cost > executive_limit())
                            == ("Supervisor" not in {r.name for r in account.roles})}
            assert ids == runnable, (model.__tablename__, name)
        db.session.rollback()


@pytest.mark.parametrize("user", ROLES)
def test_home_page_api_and_badge_show_the_same_worklist(api, browser, user):
    reviewed_record(api, unsolved="三处一致")
    result = list(entries(api, user).values())
    html = browser(user).text("/")
    total = sum(e["count"] for e in result)
    badge = re.search(r'id="worklist-badge".*?<span class="badge">(\d+)</span>', html, re.S)
    assert badge and int(badge.group(1)) == total
    table = html[html.index('id="work"'):]
    table = table[:table.index("</table>")]
    for e in result:
        assert f'<a href="{e["url"]}">{e["count"]}</a>' in table.replace("&amp;", "&")
        assert f'<a href="{e["url"]}">{e["label"]}</a>' in table.replace("&amp;", "&")
    assert len(re.findall(r"<tr><td><a ", table)) == len(result)


def test_every_step_with_a_guard_declares_its_ready_rows(app):
    for view in app.appbuilder.baseviews:
        flow = getattr(getattr(getattr(view, "datamodel", None), "obj", None), "workflow", None)
        for s in (flow.steps if flow else ()):
            if is_work(s) and s.guard is not None:
                assert s.ready is not None, f"{view.datamodel.obj.__name__}.{s.name}"


def test_a_worklist_link_for_a_step_not_mine_lists_nothing(api, browser):
    record = reviewed_record(api, unsolved="不是业务员的步骤")
    newest_first = "/visitrecordview/list/?_oc_VisitRecordView=id&_od_VisitRecordView=desc"
    assert f"/visitrecordview/show/{record}" in browser("clerk1").text(newest_first)
    html = browser("clerk1").text("/visitrecordview/list/?work=approve_solution")
    assert "/visitrecordview/show/" not in html
    assert browser("clerk1").get("/visitrecordview/list/?work=no_such_step").status_code == 200


def test_worklist_api_needs_a_signed_in_user(app):
    assert app.test_client().get("/api/v1/worklist").status_code == 401


def test_home_page_statements_do_not_grow_with_the_worklist(app, api, browser):
    """The 待办 is one statement whatever its length (permissions come from the request's
    cache); the badge reuses it."""
    from app.extensions import db
    with app.app_context():
        engine = db.engine
    statements = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    heads = {}
    for user in ("supervisor1", "executive", "clerk1"):
        b = browser(user)
        event.listen(engine, "before_cursor_execute", record)
        try:
            assert b.get("/").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", record)
        heads[user] = len(statements)
        assert sum("UNION ALL" in s for s in statements) == 1
        statements.clear()
    print("statements per home page:", heads)
