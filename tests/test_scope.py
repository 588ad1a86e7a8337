"""Row scope on every exit of the 客户档案 registers (DESIGN.md §1): a Clerk sees own rows,
a Supervisor the department's, Executive/Admin/Finance all; out of scope answers 404
(never 403) on list, show, edit, delete, actions, dropdowns, export and the REST API.
And the staff handover (离职交接) that moves a leaver's rows in one transaction."""
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.demo import DEMO_PASSWORD
from app.models.customers import ArchiveLoan, Contact, Customer, DevelopmentPlan, Transaction
from app.models.org import ConsoleUser
from tests.conftest import unique
from tests.test_customers import (
    MODELS,
    VIEWS,
    as_form,
    count,
    fields,
    new_customer,
    new_row,
    plan_in,
    status_of,
    step,
)

# the column a row is found by in a list search (_flt_0_<column> = starts with)
KEYS = {"customer": "name", "contact": "name", "transaction": "product",
        "development_plan": "objective", "archive_loan": "document"}
WORKFLOW = {"development_plan": "submit", "archive_loan": "approve"}


def key_of(session, resource, pk) -> str:
    return getattr(session.get(MODELS[resource], pk), KEYS[resource])


def listed(browser, username, resource, key) -> bool:
    html = browser(username).text(f"/{VIEWS[resource]}/list/?_flt_0_{KEYS[resource]}={key}")
    return re.search(rf"<td>\s*{re.escape(key)}\s*</td>", html) is not None


def api_listed(api, username, resource, key) -> bool:
    q = f"(filters:!((col:{KEYS[resource]},opr:eq,value:'{key}')))"
    r = api(username).get(f"/api/v1/{resource}/?q={q}")
    assert r.status_code == 200, r.json
    return any(row.get(KEYS[resource]) == key for row in r.json["result"])


# --- Clerk: other clerks' rows do not exist -----------------------------------------------
@pytest.mark.parametrize("resource", MODELS)
def test_clerk_lists_own_rows_but_not_another_clerks(api, browser, session, resource):
    mine = key_of(session, resource, new_row(api, resource, "clerk1"))
    theirs = key_of(session, resource, new_row(api, resource, "clerk2"))
    assert listed(browser, "clerk1", resource, mine)
    assert not listed(browser, "clerk1", resource, theirs)
    assert api_listed(api, "clerk1", resource, mine)
    assert not api_listed(api, "clerk1", resource, theirs)


@pytest.mark.parametrize("resource", MODELS)
def test_clerk_gets_404_showing_another_clerks_row(api, browser, resource):
    pk = new_row(api, resource, "clerk2")
    assert browser("clerk1").get(f"/{VIEWS[resource]}/show/{pk}").status_code == 404
    assert api("clerk1").get(f"/api/v1/{resource}/{pk}").status_code == 404


@pytest.mark.parametrize("resource", MODELS)
def test_clerk_gets_404_editing_another_clerks_row(api, browser, session, resource):
    pk = new_row(api, resource, "clerk2")
    version = session.get(MODELS[resource], pk).version
    b = browser("clerk1")
    assert b.get(f"/{VIEWS[resource]}/edit/{pk}").status_code == 404
    form = as_form(fields(resource, getattr(session.get(MODELS[resource], pk),
                                            "customer_id", None)))
    assert b.post(f"/{VIEWS[resource]}/edit/{pk}", form).status_code == 404
    r = api("clerk1").put(f"/api/v1/{resource}/{pk}", json={"notes": "x"}
                          if resource in ("customer", "contact", "transaction")
                          else {"purpose" if resource == "archive_loan" else "steps": "x"})
    assert r.status_code == 404
    assert session.get(MODELS[resource], pk, populate_existing=True).version == version


@pytest.mark.parametrize("resource", MODELS)
def test_clerk_gets_404_deleting_another_clerks_row(api, browser, session, resource):
    pk = new_row(api, resource, "clerk2")
    assert browser("clerk1").post(f"/{VIEWS[resource]}/delete/{pk}").status_code == 404
    assert api("clerk1").delete(f"/api/v1/{resource}/{pk}").status_code == 404
    assert session.get(MODELS[resource], pk, populate_existing=True) is not None


@pytest.mark.parametrize("resource", WORKFLOW)
def test_clerk_gets_404_running_a_step_on_another_clerks_row(api, browser, session,
                                                             resource):
    pk = new_row(api, resource, "clerk2")
    name = WORKFLOW[resource]
    before = status_of(session, MODELS[resource], pk)
    r = browser("clerk1").post(f"/{VIEWS[resource]}/action/{name}/{pk}", {"comment": ""})
    assert r.status_code == 404
    r = browser("clerk1").post(f"/{VIEWS[resource]}/action_post",
                               {"action": name, "rowid": str(pk)})
    assert r.status_code == 404
    assert step(api, "clerk1", resource, pk, name).status_code == 404
    assert status_of(session, MODELS[resource], pk) == before


def test_clerk_gets_404_not_403_on_a_step_she_lacks_on_another_clerks_plan(api):
    pk = plan_in(api, "submitted", owner="clerk2")
    assert step(api, "clerk1", "development_plan", pk, "review").status_code == 404


def test_clerks_customer_show_page_lists_only_rows_in_scope(api, browser):
    customer_id = new_customer(api, "clerk1")
    mine = api("clerk1").post("/api/v1/contact/", json=fields("contact", customer_id))
    html = browser("clerk2").get(f"/customerview/show/{customer_id}")
    assert html.status_code == 404
    assert mine.json["result"]["name"] in browser("clerk1").text(
        f"/customerview/show/{customer_id}")


# --- dropdowns and related ids -----------------------------------------------------------
@pytest.mark.parametrize("resource", ["contact", "transaction", "development_plan",
                                      "archive_loan"])
def test_customer_dropdown_offers_only_own_customers(api, browser, resource):
    mine, theirs = new_customer(api, "clerk1"), new_customer(api, "clerk3")
    b = browser("clerk1")
    assert mine in searched(b, api, VIEWS[resource], mine)
    assert theirs not in searched(b, api, VIEWS[resource], theirs)


def searched(b, api, view, customer_id) -> set[int]:
    """The customer search of an add form (Select2 ajax), asked for that customer's name."""
    name = api("admin").get(f"/api/v1/customer/{customer_id}").json["result"]["name"]
    r = b.get(f"/{view}/search_related/customer?q={name}")
    assert r.status_code == 200
    return {row["id"] for row in r.json["results"]}


def test_customer_dropdown_of_supervisor_offers_the_department(api, browser):
    clerk2s, clerk3s = new_customer(api, "clerk2"), new_customer(api, "clerk3")
    b = browser("supervisor1")
    assert clerk2s in searched(b, api, "contactview", clerk2s)
    assert clerk3s not in searched(b, api, "contactview", clerk3s)


def test_api_info_offers_only_own_customers(api):
    new_customer(api, "clerk1")
    own = api("clerk1").get("/api/v1/customer/?q=(page_size:1)").json["count"]
    r = api("clerk1").get("/api/v1/contact/_info?q=(keys:!(add_columns))")
    assert r.status_code == 200
    customer = next(c for c in r.json["add_columns"] if c["name"] == "customer")
    assert customer["count"] == own


@pytest.mark.parametrize("resource", ["contact", "transaction", "development_plan",
                                      "archive_loan"])
def test_api_refuses_another_clerks_customer_as_if_it_did_not_exist(api, session, resource):
    theirs = new_customer(api, "clerk3")
    before = count(session, MODELS[resource])
    r = api("clerk1").post(f"/api/v1/{resource}/", json=fields(resource, theirs))
    assert r.status_code == 422
    assert "不存在" in r.json["message"]["customer"][0]
    assert count(session, MODELS[resource]) == before


def test_api_refuses_moving_a_contact_to_another_clerks_customer(api, session):
    pk = new_row(api, "contact", "clerk1")
    theirs = new_customer(api, "clerk3")
    r = api("clerk1").put(f"/api/v1/contact/{pk}", json={"customer": theirs})
    assert r.status_code == 422
    assert session.get(Contact, pk, populate_existing=True).owner.username == "clerk1"


def test_web_form_refuses_another_clerks_customer(api, browser, session):
    theirs = new_customer(api, "clerk3")
    before = count(session, Contact)
    browser("clerk1").post("/contactview/add", as_form(fields("contact", theirs)))
    assert count(session, Contact) == before


# --- Supervisor: the department ----------------------------------------------------------
@pytest.mark.parametrize("resource", MODELS)
def test_supervisor_sees_the_departments_rows(api, browser, session, resource):
    pk = new_row(api, resource, "clerk2")
    assert browser("supervisor1").get(f"/{VIEWS[resource]}/show/{pk}").status_code == 200
    assert api("supervisor1").get(f"/api/v1/{resource}/{pk}").status_code == 200
    assert listed(browser, "supervisor1", resource, key_of(session, resource, pk))


@pytest.mark.parametrize("resource", MODELS)
def test_supervisor_of_another_department_gets_404(api, browser, session, resource):
    pk = new_row(api, resource, "clerk1")
    b = browser("supervisor2")
    assert b.get(f"/{VIEWS[resource]}/show/{pk}").status_code == 404
    assert b.get(f"/{VIEWS[resource]}/edit/{pk}").status_code == 404
    assert b.post(f"/{VIEWS[resource]}/delete/{pk}").status_code == 404
    assert api("supervisor2").get(f"/api/v1/{resource}/{pk}").status_code == 404
    assert api("supervisor2").delete(f"/api/v1/{resource}/{pk}").status_code == 404
    assert not listed(browser, "supervisor2", resource, key_of(session, resource, pk))
    assert session.get(MODELS[resource], pk, populate_existing=True) is not None


def test_supervisor_reviews_only_the_departments_plans(api, session):
    own_dept, other_dept = plan_in(api, "submitted", "clerk2"), plan_in(api, "submitted",
                                                                        "clerk3")
    assert step(api, "supervisor1", "development_plan", own_dept, "review").status_code == 200
    assert step(api, "supervisor1", "development_plan", other_dept,
                "review").status_code == 404
    assert step(api, "supervisor2", "development_plan", other_dept,
                "review").status_code == 200


# --- Executive, Admin, Finance: everything -----------------------------------------------
@pytest.mark.parametrize("username", ["executive", "admin", "finance"])
@pytest.mark.parametrize("resource", MODELS)
def test_wide_roles_see_every_departments_rows(api, browser, session, username, resource):
    pks = [new_row(api, resource, owner) for owner in ("clerk1", "clerk3")]
    for pk in pks:
        assert browser(username).get(f"/{VIEWS[resource]}/show/{pk}").status_code == 200
        assert api(username).get(f"/api/v1/{resource}/{pk}").status_code == 200
        assert listed(browser, username, resource, key_of(session, resource, pk))


# --- export ------------------------------------------------------------------------------
def exported_names(response) -> set[str]:
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    return {cell for row in sheet.iter_rows(values_only=True) for cell in row
            if isinstance(cell, str)}


def test_clerk_export_holds_only_own_customers(api):
    mine, theirs = new_customer(api, "clerk1"), new_customer(api, "clerk2")
    r = api("clerk1").get("/api/v1/customer/export.xlsx")
    assert r.status_code == 200
    names = exported_names(r)
    mine_name = api("clerk1").get(f"/api/v1/customer/{mine}").json["result"]["name"]
    theirs_name = api("clerk2").get(f"/api/v1/customer/{theirs}").json["result"]["name"]
    assert mine_name in names and theirs_name not in names


# --- staff handover (离职交接) -------------------------------------------------------------
@pytest.fixture
def leaver(app, api):
    """A clerk of 销售一部 with customers, contacts, transactions, plans and a loan."""
    from app.demo import ensure_user
    username = unique("leaver")
    with app.app_context():
        user, _ = ensure_user(app.appbuilder, username, "钱离职", "Clerk", "销售一部",
                              DEMO_PASSWORD)
        user_id = user.id
    customers = [new_customer(api, username) for _ in range(2)]
    rows = {
        "customers": customers,
        "contact": new_row(api, "contact", username, customers[0]),
        "transaction": new_row(api, "transaction", username, customers[0]),
        "draft": new_row(api, "development_plan", username, customers[0]),
        "approved": plan_in(api, "approved", username, customers[1]),
        "loan": new_row(api, "archive_loan", username, customers[1]),
    }
    return user_id, username, rows


def handover_counts(html) -> dict[str, int]:
    return {label: int(n) for label, n in re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td>",
                                                      html)}


def test_admin_sees_what_a_leaver_hands_over(browser, leaver):
    user_id, _username, _rows = leaver
    r = browser("admin").get(f"/handover/{user_id}")
    assert r.status_code == 200
    counts = handover_counts(r.get_data(as_text=True))
    assert counts["客户档案"] == 2
    assert counts["联系人"] == 1 and counts["交易记录"] == 1 and counts["资料借阅"] == 1
    assert counts["大客户开发计划"] == 1  # the approved plan stays


def test_handover_moves_customers_and_open_rows_to_the_successor(browser, session, leaver):
    user_id, _username, rows = leaver
    clerk2 = session.scalar(select(ConsoleUser).where(ConsoleUser.username == "clerk2"))
    r = browser("admin").post(f"/handover/{user_id}", {"successor": clerk2.id, "confirm": "1"})
    assert r.status_code == 302
    moved = [session.get(Customer, pk, populate_existing=True) for pk in rows["customers"]]
    moved += [session.get(Contact, rows["contact"], populate_existing=True),
              session.get(Transaction, rows["transaction"], populate_existing=True),
              session.get(DevelopmentPlan, rows["draft"], populate_existing=True),
              session.get(ArchiveLoan, rows["loan"], populate_existing=True)]
    assert {(row.owner_id, row.department_id) for row in moved} == \
        {(clerk2.id, clerk2.department_id)}


def test_handover_leaves_approved_plans_with_the_old_owner(browser, session, leaver):
    user_id, _username, rows = leaver
    clerk2 = session.scalar(select(ConsoleUser.id).where(ConsoleUser.username == "clerk2"))
    browser("admin").post(f"/handover/{user_id}", {"successor": clerk2, "confirm": "1"})
    plan = session.get(DevelopmentPlan, rows["approved"], populate_existing=True)
    assert plan.owner_id == user_id and plan.status == "approved"


def test_handover_deactivates_the_leaver_who_can_no_longer_sign_in(app, browser, session,
                                                                   leaver):
    user_id, username, _rows = leaver
    clerk2 = session.scalar(select(ConsoleUser.id).where(ConsoleUser.username == "clerk2"))
    browser("admin").post(f"/handover/{user_id}", {"successor": clerk2, "confirm": "1"})
    assert session.get(ConsoleUser, user_id, populate_existing=True).active is False
    r = app.test_client().post("/api/v1/security/login", json={
        "username": username, "password": DEMO_PASSWORD, "provider": "db"})
    assert r.status_code == 401


def test_successor_sees_the_handed_over_customers(api, browser, session, leaver):
    user_id, _username, rows = leaver
    clerk3 = session.scalar(select(ConsoleUser.id).where(ConsoleUser.username == "clerk3"))
    browser("admin").post(f"/handover/{user_id}", {"successor": clerk3, "confirm": "1"})
    for pk in rows["customers"]:
        assert api("clerk3").get(f"/api/v1/customer/{pk}").status_code == 200
        assert api("supervisor1").get(f"/api/v1/customer/{pk}").status_code == 404


def test_handover_without_a_successor_changes_nothing(browser, session, leaver):
    user_id, _username, rows = leaver
    r = browser("admin").post(f"/handover/{user_id}", {"successor": user_id})
    assert "请选择一位在职的接手人" in r.get_data(as_text=True)
    assert session.get(ConsoleUser, user_id, populate_existing=True).active is True
    assert session.get(Customer, rows["customers"][0]).owner_id == user_id


@pytest.mark.parametrize("username", ["clerk1", "supervisor1", "executive", "finance"])
def test_only_admin_may_hand_over(browser, session, leaver, username):
    user_id, _username, rows = leaver
    b = browser(username)
    assert b.get(f"/handover/{user_id}").status_code in (302, 403)
    r = b.post(f"/handover/{user_id}", {"successor": session.scalar(
        select(ConsoleUser.id).where(ConsoleUser.username == username))})
    assert r.status_code in (302, 403)
    assert session.get(ConsoleUser, user_id, populate_existing=True).active is True
    assert session.scalar(select(func.count(Customer.id)).where(
        Customer.owner_id == user_id)) == 2
