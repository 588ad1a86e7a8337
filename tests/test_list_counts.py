"""Every list of every role counts exactly its rows (issue 22's blocker: a count query that
lost its FROM showed "记录数: 1" to every role that sees all rows).

One table: every scoped REST resource the app declares × every role. The API `count`
equals the ids collected by paging to an empty page; those ids equal one SQL query of
what DESIGN.md §1 lets the role see; the web list shows the same 记录数, and a link to
page 2 when there are more rows than a page.
"""
import re
from datetime import date

import prison
import pytest
from flask import url_for
from flask_appbuilder import ModelRestApi, ModelView
from sqlalchemy import select

import app.views  # noqa: F401  (declares every view and API)
from app.scope import ScopedInterface
from app.security import ConsoleUser
from tests.conftest import unique

ROLES = ["admin", "executive", "finance", "supervisor1", "clerk1", "clerk3"]
WIDE = {"admin", "executive", "finance"}
PAGE = 100


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def declared_apis() -> dict[str, type]:
    """resource → API class: every scoped REST resource the views modules declare."""
    return {api.resource_name: api for api in _subclasses(ModelRestApi)
            if getattr(api, "resource_name", None)
            and isinstance(getattr(api, "datamodel", None), ScopedInterface)}


REGISTERS = sorted(declared_apis())


def test_the_table_holds_every_registered_list_api(app):
    registered = {v.resource_name for v in app.appbuilder.baseviews
                  if isinstance(v, ModelRestApi) and isinstance(v.datamodel, ScopedInterface)}
    assert registered == set(REGISTERS)
    assert {"customer", "complaint", "audit_log", "reception", "visit_plan_item"} <= registered


def web_list(app, model):
    """The register's own list (the web view of the model without base filters)."""
    views = [v for v in app.appbuilder.baseviews if isinstance(v, ModelView)
             and v.datamodel.obj is model and not v.base_filters]
    assert views, f"no web list for {model.__name__}"
    return views[0]


def visible_ids(session, username, model) -> set[int]:
    """DESIGN.md §1, written out on its own: Admin, Executive and Finance see all rows, a
    Supervisor the department's (and its sub-departments'), a Clerk their own."""
    from app.models.org import Department
    query = select(model.id)
    if getattr(model, "row_scope", None) is not None and username not in WIDE:
        user = session.scalar(select(ConsoleUser).where(ConsoleUser.username == username))
        if username.startswith("supervisor"):
            departments, frontier = {user.department_id}, {user.department_id}
            while frontier:
                frontier = set(session.scalars(select(Department.id).where(
                    Department.parent_id.in_(frontier)))) - departments
                departments |= frontier
            query = query.where(model.department_id.in_(departments))
        else:
            query = query.where(model.owner_id == user.id)
    return set(session.scalars(query))


def paged_ids(client, resource) -> set[int]:
    ids, page = [], 0
    while True:
        q = prison.dumps({"page": page, "page_size": PAGE})
        r = client.get(f"/api/v1/{resource}/?q={q}")
        assert r.status_code == 200, r.json
        if not r.json["ids"]:
            break
        ids.extend(r.json["ids"])
        page += 1
    assert len(ids) == len(set(ids)), "a row came on two pages"
    return set(ids)


@pytest.fixture(scope="module")
def more_than_a_page(app):
    """Rows beyond one web page (25) for the all-rows roles on a few registers: customers
    and contacts of clerk1 (销售一部), transactions of clerk3 (销售二部)."""
    from app.extensions import db
    from app.models.customers import Contact, Customer, Transaction
    with app.app_context():
        session = db.session
        users = {u.username: u for u in session.scalars(select(ConsoleUser).where(
            ConsoleUser.username.in_(["clerk1", "clerk3"])))}
        prefix = unique("页")
        for username, n in (("clerk1", 30), ("clerk3", 1)):
            user = users[username]
            for i in range(n):
                customer = Customer(name=f"{prefix}{username}{i}", customer_type="group",
                                    cooperation="active", owner=user,
                                    department_id=user.department_id)
                session.add(customer)
                if username == "clerk1":
                    session.add(Contact(customer=customer, name=f"联系人{i}", owner=user,
                                        department_id=user.department_id))
        session.flush()
        mine = session.scalar(select(Customer).where(Customer.name == f"{prefix}clerk30"))
        for i in range(30):
            session.add(Transaction(customer=mine, date=date(2026, 1, 1 + i % 28),
                                    product=f"产品{i}", amount=100 + i, owner=users["clerk3"],
                                    department_id=users["clerk3"].department_id))
        session.commit()


@pytest.mark.parametrize("resource", REGISTERS)
@pytest.mark.parametrize("user", ROLES)
def test_count_is_the_rows_paged_through(app, api, browser, session, more_than_a_page,
                                         user, resource):
    web, client = browser(user), api(user)  # both sign in first (a login is an audit row)
    first = client.get(f"/api/v1/{resource}/?q={prison.dumps({'page': 0, 'page_size': 1})}")
    view = web_list(app, declared_apis()[resource].datamodel.obj)
    with app.test_request_context():
        list_url = url_for(f"{view.endpoint}.list")
    page = web.get(list_url)
    if first.status_code == 403:  # the role may not list this register (e.g. 操作日志)
        assert page.status_code != 200
        return
    assert first.status_code == 200, first.json
    ids = paged_ids(client, resource)
    assert first.json["count"] == len(ids)
    assert ids == visible_ids(session, user, view.datamodel.obj)

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    shown = re.search(r"记录数目?:</strong>\s*([\d,]+)", html)
    assert shown, "no 记录数 on the list"
    assert int(shown.group(1).replace(",", "")) == len(ids)
    has_page_2 = f"page_{view.__class__.__name__}=1" in html
    assert has_page_2 == (len(ids) > view.page_size)


@pytest.mark.parametrize("user", sorted(WIDE) + ["supervisor1", "clerk1"])
def test_the_loaded_rows_give_the_wide_roles_a_second_page(browser, more_than_a_page, user):
    html = browser(user).text("/customerview/list/")
    assert "page_CustomerView=1" in html
