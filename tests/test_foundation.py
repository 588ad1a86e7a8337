"""Sign-in, roles, CSRF, the department register and its API."""
import pytest
from sqlalchemy import func, select

from app.models.org import Department
from tests.conftest import ROLE_USERS, flashes, unique


@pytest.mark.parametrize("role", ROLE_USERS)
def test_each_role_signs_in_and_sees_its_name(browser, role):
    b = browser(ROLE_USERS[role])
    html = b.text("/")
    assert "您好" in html and "登录" not in html.split("您好")[1][:20]


def test_wrong_password_is_refused_in_chinese(browser):
    b = browser()
    r = b.post("/login/", {"username": "clerk1", "password": "wrong"}, follow_redirects=True)
    assert "登录失败" in r.get_data(as_text=True) or "用户名或密码" in r.get_data(as_text=True)
    assert "您好" not in b.text("/")


@pytest.mark.parametrize("role", ROLE_USERS)
def test_each_role_gets_a_jwt_and_lists_departments(api, role):
    r = api(ROLE_USERS[role]).get("/api/v1/department/")
    assert r.status_code == 200
    assert {"销售一部", "销售二部"} <= {d["name"] for d in r.json["result"]}


def test_api_login_with_bad_password_is_401(app):
    r = app.test_client().post("/api/v1/security/login",
                               json={"username": "clerk1", "password": "x", "provider": "db"})
    assert r.status_code == 401


@pytest.mark.parametrize("role", ["Clerk", "Supervisor", "Executive", "Finance"])
def test_only_admin_adds_departments_over_api(api, session, role):
    before = session.scalar(select(func.count(Department.id)))
    r = api(ROLE_USERS[role]).post("/api/v1/department/", json={"name": unique("部门")})
    assert r.status_code == 403
    assert session.scalar(select(func.count(Department.id))) == before


def test_admin_adds_department_and_owner_cannot_be_forged(api, session):
    name = unique("部门")
    r = api("admin").post("/api/v1/department/", json={"name": name})
    assert r.status_code == 201, r.json
    dept = session.scalar(select(Department).where(Department.name == name))
    assert dept.owner.username == "admin"
    r = api("admin").post("/api/v1/department/", json={"name": unique("部门"), "owner": 2})
    assert r.status_code == 422


def test_duplicate_department_name_gets_chinese_422_and_nothing_changes(api, session):
    before = session.scalar(select(func.count(Department.id)))
    r = api("admin").post("/api/v1/department/", json={"name": "销售一部"})
    assert r.status_code == 422
    assert "已存在" in str(r.json["message"])
    assert session.scalar(select(func.count(Department.id))) == before


def test_department_cannot_be_its_own_ancestor(api, session):
    a = api("admin")
    top = a.post("/api/v1/department/", json={"name": unique("上级")}).json["id"]
    r = a.post("/api/v1/department/", json={"name": unique("下级"), "parent": top})
    assert r.status_code == 201, r.json
    child = r.json["id"]
    r = a.put(f"/api/v1/department/{top}", json={"parent": child})
    assert r.status_code == 422
    assert "上级部门不能是本部门" in str(r.json["message"])


def test_missing_required_field_is_explained_in_chinese(api):
    r = api("admin").post("/api/v1/department/", json={})
    assert r.status_code == 422
    assert "必填" in str(r.json["message"])


def test_clerk_cannot_open_department_add_form(browser):
    r = browser("clerk1").get("/departmentview/add", follow_redirects=True)
    assert "您好" not in r.get_data(as_text=True) or "拒绝" in r.get_data(as_text=True) or \
        r.status_code in (302, 403)


def test_form_post_without_csrf_token_is_refused(browser, session):
    b = browser("admin")
    before = session.scalar(select(func.count(Department.id)))
    r = b.client.post("/departmentview/add", data={"name": unique("部门")})
    assert r.status_code == 400
    assert session.scalar(select(func.count(Department.id))) == before


def test_get_on_delete_url_changes_nothing(browser, session, api):
    dept_id = api("admin").post("/api/v1/department/", json={"name": unique("部门")}).json["id"]
    browser("admin").get(f"/departmentview/delete/{dept_id}")
    assert session.get(Department, dept_id) is not None


def test_admin_deletes_department_by_post(browser, session, api):
    dept_id = api("admin").post("/api/v1/department/", json={"name": unique("部门")}).json["id"]
    b = browser("admin")
    b.post(f"/departmentview/delete/{dept_id}")
    assert session.get(Department, dept_id, populate_existing=True) is None


def test_api_write_with_session_cookie_needs_csrf_header(browser, session):
    b = browser("admin")
    before = session.scalar(select(func.count(Department.id)))
    r = b.client.post("/api/v1/department/", json={"name": unique("部门")})
    assert r.status_code == 400
    assert session.scalar(select(func.count(Department.id))) == before
    r = b.client.post("/api/v1/department/", json={"name": unique("部门")},
                      headers={"X-CSRFToken": b.csrf()})
    assert r.status_code == 201


def test_web_add_department_shows_chinese_duplicate_message(browser, session):
    b = browser("admin")
    before = session.scalar(select(func.count(Department.id)))
    r = b.post("/departmentview/add", {"name": "销售二部"}, follow_redirects=True)
    assert "已存在" in flashes(r.get_data(as_text=True)) or "已存在" in r.get_data(as_text=True)
    assert session.scalar(select(func.count(Department.id))) == before


def test_weak_password_is_refused_by_add_user(app):
    from werkzeug.exceptions import BadRequest
    with app.app_context(), pytest.raises(BadRequest) as e:
        app.appbuilder.sm.add_user(unique("u"), "测", "试", "t@example.com",
                                   app.appbuilder.sm.find_role("Clerk"), password="abc")
    assert "密码至少" in e.value.description


def test_init_roles_is_idempotent(app):
    from app.roles import init_roles
    with app.app_context():
        assert set(init_roles(app.appbuilder).values()) == {0}


def test_clerk_has_no_user_admin(browser):
    r = browser("clerk1").get("/users/list/", follow_redirects=False)
    assert r.status_code in (302, 403)


def test_admin_sees_user_list_with_departments(browser):
    html = browser("admin").text("/users/list/")
    assert "clerk1" in html and "销售一部" in html


def test_role_screens_name_permissions_in_chinese(browser, app):
    with app.app_context():
        clerk_role = app.appbuilder.sm.find_role("Supervisor").id
    html = browser("admin").text(f"/roles/edit/{clerk_role}")
    assert "审核计划 · 大客户开发计划" in html and "[can_review]" not in html
    assert "导出 Excel · 客户档案" in html


def test_user_list_shows_role_labels_and_yes_no(browser):
    html = browser("admin").text("/users/list/")
    assert "业务员" in html and "部门主管" in html and "[Clerk]" not in html
    assert ">True<" not in html.replace(" ", "").replace("\n", "")
