"""A Clerk's or Supervisor's rows and scope are their department's: such a user cannot be
without one, on the admin's web forms or the `flask create-user` command; the 部门
dropdown's blank reads "—" (issue 22)."""
import re

import pytest
from sqlalchemy import select

from app.demo import DEMO_PASSWORD
from app.models.org import ConsoleUser, Department
from tests.conftest import flashes, unique

STRONG = "Qiang-Mima-2026"
NEEDS_DEPARTMENT = "业务员和部门主管必须属于一个部门"


def role_id(app, name) -> str:
    with app.app_context():
        return str(app.appbuilder.sm.find_role(name).id)


def department_id(session, name="销售一部") -> str:
    return str(session.scalar(select(Department.id).where(Department.name == name)))


def user(session, username):
    return session.scalar(select(ConsoleUser).where(ConsoleUser.username == username)
                          .execution_options(populate_existing=True))


def add_form(app, username, role, department="__None") -> dict:
    return {"last_name": "王", "first_name": "明", "username": username, "active": "y",
            "email": f"{username}@example.com", "roles": role_id(app, role),
            "department": department, "password": STRONG, "conf_password": STRONG}


@pytest.mark.parametrize("role", ["Clerk", "Supervisor"])
def test_a_clerk_or_supervisor_without_a_department_is_refused_on_the_web(app, browser,
                                                                          session, role):
    username = unique("nodept")
    r = browser("admin").post("/users/add", add_form(app, username, role))
    assert r.status_code == 200 and NEEDS_DEPARTMENT in flashes(r.get_data(as_text=True))
    assert user(session, username) is None
    r = browser("admin").post("/users/add", add_form(app, username, role, department_id(session)))
    assert r.status_code == 302, flashes(r.get_data(as_text=True))
    assert user(session, username).department.name == "销售一部"


@pytest.mark.parametrize("role", ["Admin", "Executive", "Finance"])
def test_other_roles_may_be_without_a_department(app, browser, session, role):
    username = unique("nodept")
    r = browser("admin").post("/users/add", add_form(app, username, role))
    assert r.status_code == 302, flashes(r.get_data(as_text=True))
    assert user(session, username).department is None


def test_removing_a_clerks_department_in_the_edit_form_is_refused(app, browser, session):
    username = unique("nodept")
    browser("admin").post("/users/add", add_form(app, username, "Clerk", department_id(session)))
    pk = user(session, username).id
    form = {k: v for k, v in add_form(app, username, "Clerk").items()
            if k not in ("password", "conf_password")}
    r = browser("admin").post(f"/users/edit/{pk}", form)
    assert r.status_code == 200 and NEEDS_DEPARTMENT in flashes(r.get_data(as_text=True))
    assert user(session, username).department.name == "销售一部"


@pytest.mark.parametrize("path", ["/users/add", "/users/edit/{pk}", "/users/list/"])
def test_the_department_dropdown_never_shows_none(browser, session, path):
    pk = user(session, "executive").id
    html = browser("admin").text(path.format(pk=pk))
    assert "__None</option>" not in html and "__None\\u003c/option" not in html
    assert re.search(r'<option (selected )?value="__None">—</option>', html) or \
        path == "/users/list/"


@pytest.mark.parametrize("username", ["executive", "finance", "supervisor1", "clerk1"])
def test_only_an_admin_adds_users(browser, username):
    r = browser(username).get("/users/add")
    assert r.status_code in (302, 403, 404)


def test_create_user_command_needs_a_department_for_a_clerk_or_supervisor(app, session):
    runner = app.test_cli_runner()
    base = ["create-user", "--name", "周敏", "--password", DEMO_PASSWORD]
    for role in ("Clerk", "Supervisor"):
        username = unique("cli")
        result = runner.invoke(args=[*base, "--username", username, "--role", role])
        assert result.exit_code != 0 and NEEDS_DEPARTMENT in result.output
        assert user(session, username) is None
    username = unique("cli")
    result = runner.invoke(args=[*base, "--username", username, "--role", "Clerk",
                                 "--department", "不存在的部门"])
    assert result.exit_code != 0 and "部门 不存在的部门 不存在" in result.output
    assert user(session, username) is None
    result = runner.invoke(args=[*base, "--username", username, "--role", "Clerk",
                                 "--department", "销售二部"])
    assert result.exit_code == 0, result.output
    assert user(session, username).department.name == "销售二部"
    executive = unique("cli")
    result = runner.invoke(args=[*base, "--username", executive, "--role", "Executive"])
    assert result.exit_code == 0, result.output
