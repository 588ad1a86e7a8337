"""操作日志: every write, transition, login, export and import leaves exactly one entry,
written by the shared save path; only Admin reads it and nobody changes it."""
import io

import openpyxl
import prison
import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

from app.audit import AuditLog
from app.demo import DEMO_PASSWORD
from app.models.customers import Customer, DevelopmentPlan
from app.models.org import ConsoleUser
from tests.conftest import unique
from tests.test_customers import as_form, fields, new_customer, new_row, plan_in, step
from tests.test_import import CUSTOMER_HEADER, upload, xlsx


def entries(session, resource, row_id=None, action=None) -> list[AuditLog]:
    query = select(AuditLog).where(AuditLog.resource == resource)
    if row_id is not None:
        query = query.where(AuditLog.row_id == row_id)
    if action is not None:
        query = query.where(AuditLog.action == action)
    return session.scalars(query.order_by(AuditLog.id).execution_options(
        populate_existing=True)).all()


def last_id(session) -> int:
    return session.scalar(select(func.max(AuditLog.id))) or 0


def since(session, first_id) -> list[AuditLog]:
    """Entries written after `first_id`, without the sign-ins of the test clients."""
    return session.scalars(select(AuditLog).where(AuditLog.id > first_id,
                                                  AuditLog.action != "login")
                           .order_by(AuditLog.id)).all()


# --- writes: web, API, import, transition, handover -----------------------------------
def test_api_create_writes_one_entry_with_every_field(api, session):
    name = unique("审计客户")
    pk = new_customer(api, "clerk1", phone="0571-1")
    (entry,) = entries(session, "customer", pk)
    assert entry.action == "create" and entry.username == "clerk1"
    assert entry.ip == "127.0.0.1" and entry.at is not None
    assert entry.changes["phone"] == [None, "0571-1"]
    assert entry.changes["owner"][0] is None and entry.changes["code"][1].startswith("KH")
    assert name not in entry.changes["name"]  # new_customer picked its own name


def test_api_update_writes_only_the_changed_fields(api, session):
    pk = new_customer(api, "clerk1", phone="0571-1")
    r = api("clerk1").put(f"/api/v1/customer/{pk}", json={"phone": "0571-2"})
    assert r.status_code == 200, r.json
    (entry,) = entries(session, "customer", pk, "update")
    assert entry.changes == {"phone": ["0571-1", "0571-2"]}
    assert entry.username == "clerk1"


def test_web_edit_with_the_whole_form_records_only_what_changed(api, browser, session):
    pk = new_customer(api, "clerk1")
    row = session.get(Customer, pk)
    form = as_form({**fields("customer"), "name": row.name, "address": "杭州市西湖区"})
    r = browser("clerk1").post(f"/customerview/edit/{pk}", form)
    assert r.status_code == 302
    (entry,) = entries(session, "customer", pk, "update")
    assert entry.changes["address"] == [None, "杭州市西湖区"]
    assert "name" not in entry.changes and "owner" not in entry.changes


def test_changing_a_related_row_records_both_names(api, session):
    first, second = new_customer(api), new_customer(api)
    contact = new_row(api, "contact", "clerk1", first)
    r = api("clerk1").put(f"/api/v1/contact/{contact}", json={"customer": second})
    assert r.status_code == 200, r.json
    (entry,) = entries(session, "contact", contact, "update")
    assert entry.changes["customer"] == [session.get(Customer, first).name,
                                         session.get(Customer, second).name]


def test_delete_writes_one_entry_with_the_old_values(api, session):
    pk = new_customer(api, "clerk1", phone="0571-9")
    name = session.get(Customer, pk).name
    assert api("clerk1").delete(f"/api/v1/customer/{pk}").status_code == 200
    (entry,) = entries(session, "customer", pk, "delete")
    assert entry.changes["name"] == [name, None] and entry.changes["phone"] == ["0571-9", None]


def test_refused_write_leaves_no_entry(api, session):
    pk, other = new_customer(api, "clerk1"), new_customer(api, "clerk1")
    before = last_id(session)
    taken = session.get(Customer, other).name
    r = api("clerk1").put(f"/api/v1/customer/{pk}", json={"name": taken})
    assert r.status_code == 422
    assert [e for e in since(session, before) if e.resource == "customer"] == []


def test_api_transition_writes_one_transition_entry(api, session):
    pk = new_row(api, "development_plan", "clerk1")
    before = last_id(session)
    assert step(api, "clerk1", "development_plan", pk, "submit").status_code == 200
    written = [e for e in since(session, before) if e.resource == "development_plan"]
    assert len(written) == 1
    assert written[0].action == "transition" and written[0].row_id == pk
    assert written[0].changes["status"] == ["draft", "submitted"]
    assert written[0].detail.startswith("submit")


def test_web_transition_with_a_comment_writes_one_entry(api, browser, session):
    pk = plan_in(api, "submitted")
    before = last_id(session)
    r = browser("supervisor1").post(f"/developmentplanview/action/send_back/{pk}",
                                    {"comment": "预算再细化"})
    assert r.status_code == 302
    assert session.get(DevelopmentPlan, pk, populate_existing=True).status == "returned"
    (entry,) = [e for e in since(session, before) if e.resource == "development_plan"]
    assert entry.action == "transition" and entry.username == "supervisor1"
    assert entry.changes["status"] == ["submitted", "returned"]
    assert "预算再细化" in entry.detail


def test_transition_that_fills_fields_records_them_in_the_same_entry(api, session):
    customer = new_customer(api)
    r = api("clerk1").post("/api/v1/complaint/", json={
        "customer": customer, "received_at": "2026-03-02T10:00:00", "channel": "phone",
        "complainant": "王女士", "parties_count": 1, "category": "general",
        "description": unique("投诉")})
    assert r.status_code == 201, r.json
    pk = r.json["id"]
    before = last_id(session)
    r = step(api, "clerk1", "complaint", pk, "resolve", resolution="更换产品")
    assert r.status_code == 200, r.json
    (entry,) = [e for e in since(session, before) if e.resource == "complaint"]
    assert entry.action == "transition"
    assert entry.changes["resolution"] == [None, "更换产品"]
    assert entry.changes["status"][1] == "resolved" and entry.changes["resolved_at"][1]


def test_import_writes_one_import_entry_and_one_create_per_row(browser, session):
    p = unique("导入审计")
    before = last_id(session)
    rows = [[p + "甲", "集团客户"] + [None] * 9, [p + "乙", "战略客户"] + [None] * 9]
    r = upload(browser("clerk3"), "customerview", xlsx(CUSTOMER_HEADER, rows))
    assert "已导入 2 行" in r.get_data(as_text=True)
    written = since(session, before)
    imports = [e for e in written if e.action == "import"]
    creates = [e for e in written if e.action == "create" and e.resource == "customer"]
    assert len(imports) == 1 and imports[0].resource == "customer"
    assert "2" in imports[0].detail and imports[0].username == "clerk3"
    assert sorted(e.changes["name"][1] for e in creates) == [p + "乙", p + "甲"]


def test_failed_import_writes_nothing(browser, session):
    before = last_id(session)
    rows = [[unique("坏"), "不存在的类型"] + [None] * 9]
    upload(browser("clerk3"), "customerview", xlsx(CUSTOMER_HEADER, rows))
    assert since(session, before) == []


def test_handover_writes_an_entry_per_row_moved(app, api, browser, session):
    from app.demo import ensure_user
    username = unique("leaver")
    with app.app_context():
        user, _ = ensure_user(app.appbuilder, username, "钱审计", "Clerk", "销售一部",
                              DEMO_PASSWORD)
        leaver_id = user.id
    customer = new_customer(api, username)
    contact = new_row(api, "contact", username, customer)
    successor = session.scalar(select(ConsoleUser).where(ConsoleUser.username == "clerk2"))
    before = last_id(session)
    assert browser("admin").post(f"/handover/{leaver_id}",
                                 {"successor": successor.id, "confirm": "1"}).status_code == 302
    written = since(session, before)
    moved = {(e.resource, e.row_id): e for e in written if e.action == "update"}
    assert moved[("customer", customer)].changes["owner"][1] == str(successor)
    assert moved[("contact", contact)].detail == "离职交接"
    assert moved[("customer", customer)].username == "admin"
    user_entries = [e for e in written if e.resource == "ab_user" and e.row_id == leaver_id]
    assert [e.changes for e in user_entries] == [{"active": [True, False]}]


# --- logins and exports -------------------------------------------------------------
def test_login_and_failed_login_are_recorded(app, session):
    before = last_id(session)
    since = lambda s, first: s.scalars(select(AuditLog).where(  # noqa: E731
        AuditLog.id > first).order_by(AuditLog.id)).all()
    client = app.test_client()
    client.post("/api/v1/security/login", json={"username": "executive", "password": "x",
                                                "provider": "db"})
    client.post("/api/v1/security/login", json={"username": "executive",
                                                "password": DEMO_PASSWORD, "provider": "db"})
    written = [e for e in since(session, before) if e.username == "executive"]
    assert [e.action for e in written] == ["login_failed", "login"]
    assert written[1].user_id == written[0].user_id is not None


def test_export_records_the_filter_and_row_count(api, browser, session):
    prefix = unique("导出审计")
    for _ in range(2):
        new_customer(api, "clerk1", name=prefix + unique())
    before = last_id(session)
    r = browser("clerk1").get(f"/customerview/export_xlsx/?_flt_0_name={prefix}")
    assert r.status_code == 200
    (entry,) = since(session, before)
    assert entry.action == "export" and entry.resource == "customer"
    assert entry.detail.startswith("2 行") and prefix in entry.detail


def test_api_export_is_recorded(api, session):
    prefix = unique("接口导出")
    new_customer(api, "clerk1", name=prefix)
    before = last_id(session)
    q = prison.dumps({"filters": [{"col": "name", "opr": "sw", "value": prefix}]})
    assert api("clerk1").get(f"/api/v1/customer/export.xlsx?q={q}").status_code == 200
    (entry,) = since(session, before)
    assert entry.action == "export" and entry.detail.startswith("1 行")


# --- who reads it ---------------------------------------------------------------------
@pytest.mark.parametrize("username", ["clerk1", "supervisor1", "executive", "finance"])
def test_only_admin_reads_the_log_on_the_web(browser, username):
    b = browser(username)
    assert b.get("/auditlog/list/").status_code == 403
    assert b.get("/auditlog/export_xlsx/").status_code == 403


@pytest.mark.parametrize("username", ["clerk1", "supervisor1", "executive", "finance"])
def test_only_admin_reads_the_log_over_the_api(api, username):
    client = api(username)
    assert client.get("/api/v1/audit_log/").status_code in (403, 404)
    assert client.get("/api/v1/audit_log/export.xlsx").status_code in (403, 404)


def test_admin_filters_the_log_by_register_row_user_and_date(api):
    pk = new_customer(api, "clerk2")
    api("clerk2").put(f"/api/v1/customer/{pk}", json={"phone": "123"})
    q = prison.dumps({"filters": [
        {"col": "resource", "opr": "eq", "value": "customer"},
        {"col": "row_id", "opr": "eq", "value": pk},
        {"col": "username", "opr": "eq", "value": "clerk2"},
        {"col": "at", "opr": "gt", "value": "2000-01-01T00:00:00"}]})
    r = api("admin").get(f"/api/v1/audit_log/?q={q}")
    assert r.status_code == 200, r.json
    assert sorted(e["action"] for e in r.json["result"]) == ["create", "update"]


def test_admin_lists_shows_and_exports_the_log_on_the_web(api, browser):
    pk = new_customer(api, "clerk1", phone="0571-7")
    api("clerk1").put(f"/api/v1/customer/{pk}", json={"phone": "0571-8"})
    b = browser("admin")
    html = b.text(f"/auditlog/list/?_flt_0_resource=customer&_flt_0_row_id={pk}")
    assert "操作日志" in html and "修改" in html
    entry_id = max(int(x) for x in __import__("re").findall(r"/auditlog/show/(\d+)", html))
    shown = b.text(f"/auditlog/show/{entry_id}")
    assert "联系电话" in shown and "0571-8" in shown
    r = b.get(f"/auditlog/export_xlsx/?_flt_0_resource=customer&_flt_0_row_id={pk}")
    ws = openpyxl.load_workbook(io.BytesIO(r.data)).active
    assert ws.max_row == 3 and "0571-8" in " ".join(str(c.value) for c in ws[2])


# --- nobody changes it ------------------------------------------------------------------
def test_no_path_edits_or_deletes_an_entry(api, browser, session):
    pk = new_customer(api, "clerk1")
    (entry,) = entries(session, "customer", pk)
    b = browser("admin")
    assert b.get(f"/auditlog/edit/{entry.id}").status_code in (302, 403, 404)
    assert b.post(f"/auditlog/delete/{entry.id}").status_code in (302, 403, 404, 405)
    admin = api("admin")
    assert admin.put(f"/api/v1/audit_log/{entry.id}", json={"action": "x"}).status_code \
        in (403, 404, 405)
    assert admin.delete(f"/api/v1/audit_log/{entry.id}").status_code in (403, 404, 405)
    entry.detail = "篡改"
    with pytest.raises(PermissionError):
        session.flush()
    session.rollback()
    for statement in (update(AuditLog).where(AuditLog.id == entry.id).values(detail="篡改"),
                      text(f"DELETE FROM audit_log WHERE id = {entry.id}")):
        with pytest.raises(DBAPIError):
            session.execute(statement)
        session.rollback()
    assert entries(session, "customer", pk)[0].detail is None


# --- 变更记录 on the show page ------------------------------------------------------------
def test_show_page_has_a_change_tab_for_admin_and_the_rows_supervisor(api, browser):
    pk = new_customer(api, "clerk1", phone="0571-5")
    api("clerk1").put(f"/api/v1/customer/{pk}", json={"phone": "0571-6"})
    for username in ("admin", "supervisor1"):
        html = browser(username).text(f"/customerview/show/{pk}")
        assert "变更记录" in html and "0571-5 → 0571-6" in html
    assert "row-changes" not in browser("clerk1").text(f"/customerview/show/{pk}")
    assert browser("supervisor2").get(f"/customerview/show/{pk}").status_code == 404


def history_text(browser, username, path) -> str:
    """The 变更记录 table of a show page, as text (tags and spaces dropped)."""
    import re
    html = browser(username).text(path)
    table = html[html.index('class="table table-condensed table-striped row-changes"'):]
    table = table[:table.index("</table>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", table))


@pytest.mark.parametrize("username", ["admin", "supervisor1"])
def test_row_history_reads_as_labels_names_and_minutes(api, browser, username):
    from tests.test_complaints import new_complaint
    customer = new_customer(api, "clerk1")
    pk = new_complaint(api("clerk1"), customer, received="2026-11-21T09:30:00",
                       channel="phone")
    assert api("clerk1").post(f"/api/v1/complaint/{pk}/transition/handle",
                              json={"comment": "已联系客户"}).status_code == 200
    text = history_text(browser, username, f"/complaintview/show/{pk}")
    assert "受理时间：— → 2026-11-21 09:30" in text
    assert "投诉方式：— → 电话" in text and "投诉类别：— → 一般责任投诉" in text
    assert "流程（受理处理：已联系客户）" in text and "handle" not in text
    assert "王明" in text and " clerk1 " not in text  # people by name
    assert "T09:30" not in text and ":00:00" not in text and "[" not in text


def test_row_history_names_each_workflow_step_in_chinese(api, browser):
    from tests.test_complaints import new_complaint
    pk = new_complaint(api("clerk1"), new_customer(api, "clerk1"))
    for name in ("handle", "resolve"):
        assert api("clerk1").post(f"/api/v1/complaint/{pk}/transition/{name}", json={
            "comment": "意见", "resolution": "已更换"}).status_code == 200
    text = history_text(browser, "admin", f"/complaintview/show/{pk}")
    from app.models.complaints import Complaint
    for name in ("handle", "resolve"):
        label = str(Complaint.workflow.by_name[name].label)
        assert f"流程（{label}：意见）" in text
        assert f"（{name}" not in text


def test_row_history_leaves_out_rule_snapshots(api, browser):
    from tests.test_grading import evaluation_id
    from tests.test_grading import new_customer as graded_customer
    pk = evaluation_id(api("clerk1"), graded_customer(api("clerk1")))
    text = history_text(browser, "admin", f"/gradeevaluationview/show/{pk}")
    assert "新增" in text and "rule_snapshot" not in text and "{'" not in text


@pytest.mark.parametrize("username", ["clerk1", "executive", "finance"])
def test_row_history_is_for_admin_and_the_rows_supervisor_only(api, browser, username):
    from tests.test_complaints import new_complaint
    pk = new_complaint(api("clerk1"), new_customer(api, "clerk1"))
    assert "row-changes" not in browser(username).text(f"/complaintview/show/{pk}")


def test_paper_form_is_recorded_as_an_export(api, session):
    before = last_id(session)
    r = api("supervisor1").get("/api/v1/complaint/form.xlsx?month=2026-03")
    assert r.status_code == 200
    (entry,) = since(session, before)
    assert entry.action == "export" and entry.resource == "complaint"
    assert entry.username == "supervisor1" and "month=2026-03" in entry.detail


def test_role_permission_changes_are_recorded(browser, session):
    """FAB's role screens and the permission matrix write the role's permissions: each
    save leaves one entry naming the permissions before and after."""
    from flask_appbuilder.security.sqla.models import PermissionView, Role
    name = unique("审计角色")
    admin = browser("admin")
    first, second = session.scalars(select(PermissionView.id).order_by(PermissionView.id)
                                    .limit(2)).all()
    r = admin.post("/roles/add", {"name": name, "permissions": [first]})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    role = session.scalars(select(Role).where(Role.name == name)).one()
    created = entries(session, "ab_role", role.id, "create")
    assert len(created) == 1 and created[0].username == "admin"
    assert created[0].changes["name"] == [None, name]
    assert len(created[0].changes["permissions"][1]) == 1
    r = admin.post(f"/roles/edit/{role.id}", {"name": name, "permissions": [first, second]})
    assert r.status_code == 302
    updated = entries(session, "ab_role", role.id, "update")
    assert len(updated) == 1
    before, after = updated[0].changes["permissions"]
    assert len(before) == 1 and len(after) == 2 and set(before) < set(after)
    html = admin.text(f"/auditlog/list/?_flt_0_resource=ab_role&_flt_0_row_id={role.id}")
    assert "角色（ab_role）" in html
    entry_id = max(int(x) for x in __import__("re").findall(r"/auditlog/show/(\d+)", html))
    assert "权限：" in admin.text(f"/auditlog/show/{entry_id}")
    admin.post(f"/roles/delete/{role.id}")
