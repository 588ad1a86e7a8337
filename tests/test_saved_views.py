"""我的视图: save a list's filters and sort, reopen them (same rows as the URL, in the
opener's scope), share them by the rules of DESIGN §1 roles, the views each register
ships, over the web and /api/v1/saved_view/, with bad input refused in Chinese."""
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import unique

ROLES = ["admin", "executive", "finance", "supervisor1", "clerk1"]
CJK = re.compile(r"[\u4e00-\u9fff]")


def record_count(html: str) -> int:
    m = re.search(r"记录数目?:</strong>\s*([\d,]+)", html)
    assert m, html[:300]
    return int(m.group(1).replace(",", ""))


@pytest.fixture(scope="module")
def customers(app):
    from tests.conftest import Api
    clerk = Api(app, "clerk1")
    prefix = unique("视图客户")
    for i, cooperation in enumerate(("active", "active", "active", "lost")):
        assert clerk.post("/api/v1/customer/", json={"customer_type": "important",
            "name": f"{prefix}{i}", "cooperation": cooperation}).status_code == 201
    return prefix


def names(html: str, prefix: str) -> list:
    return re.findall(re.escape(prefix) + r"\d", html)


@pytest.mark.parametrize("username", ROLES)
def test_save_and_reopen_a_view_on_the_web(browser, customers, username):
    b = browser(username)
    filters = f"_flt_0_name={customers}&_flt_0_cooperation=active"
    direct = b.text(f"/customerview/list/?{filters}&_oc_CustomerView=name&_od_CustomerView=desc")
    name = unique("合作中")
    r = b.post("/savedviews/save", {"view": "CustomerView", "name": name, "filters": filters,
                                    "sort": "name desc", "shared_with": "none"})
    assert r.status_code == 302
    args = parse_qs(urlsplit(r.headers["Location"]).query)
    assert args["_flt_0_cooperation"] == ["active"] and args["_od_CustomerView"] == ["desc"]
    reopened = b.text(r.headers["Location"])
    assert names(reopened, customers) == names(direct, customers) == \
        [f"{customers}2", f"{customers}1", f"{customers}0"]
    assert "已保存视图" in reopened
    # it is in the list's 我的视图 menu, and its owner may delete it
    menu = b.text("/customerview/list/")
    own = re.search(r'class="saved-view saved-view-mine" href="([^"]+)">' + re.escape(name), menu)
    assert own, menu[:200]
    pk = re.search(r'/savedviews/remove/(\d+)"[^<]*>\s*<input[^>]*>\s*<input[^>]*>\s*'
                   + re.escape(name), menu).group(1)
    assert b.post(f"/savedviews/remove/{pk}", {"view": "CustomerView"}).status_code == 302
    assert "已删除视图" in b.text("/customerview/list/")  # the flash, then the menu:
    assert f'">{name}' not in b.text("/customerview/list/")


def test_web_save_refuses_bad_input_in_chinese_and_saves_nothing(browser):
    b = browser("clerk1")
    for name, message in (("  ", "请填写视图名称"), ("名" * 101, "最多 100 个字")):
        r = b.post("/savedviews/save", {"view": "CustomerView", "name": name,
                                        "filters": "", "shared_with": "none"},
                   follow_redirects=True)
        assert message in r.get_data(as_text=True)
    r = b.post("/savedviews/save", {"view": "CustomerView", "name": unique("共享"),
                                    "shared_with": "all"}, follow_redirects=True)
    assert "不能把视图共享给“所有人”" in r.get_data(as_text=True)
    assert b.post("/savedviews/save", {"view": "NoSuchView", "name": "x"}).status_code == 404


SHARE_RULES = [  # (user, shared_with, allowed)
    ("clerk1", "none", True), ("clerk1", "department", False), ("clerk1", "all", False),
    ("supervisor1", "department", True), ("supervisor1", "all", False),
    ("executive", "department", False), ("finance", "all", False),
    ("admin", "all", True),
]


@pytest.mark.parametrize("username,shared_with,allowed", SHARE_RULES)
def test_share_rules(api, username, shared_with, allowed):
    r = api(username).post("/api/v1/saved_view/", json={
        "register": "customer", "name": unique("共享规则"), "filters": "_flt_0_is_key=y",
        "shared_with": shared_with})
    assert r.status_code == (201 if allowed else 422), r.json
    if not allowed:
        assert CJK.search(str(r.json["message"]))


def test_department_view_is_seen_by_the_department_only_and_changed_by_its_owner(
        api, browser, customers):
    name = unique("部门视图")
    created = api("supervisor1").post("/api/v1/saved_view/", json={
        "register": "customer", "name": name, "shared_with": "department",
        "filters": f"_flt_0_name={customers}&_flt_0_cooperation=active", "sort": "name asc"})
    assert created.status_code == 201, created.json
    pk = created.json["id"]
    everyone = api("admin").post("/api/v1/saved_view/", json={
        "register": "customer", "name": unique("全员视图"), "shared_with": "all"}).json["id"]
    for username, sees in (("clerk2", True), ("clerk1", True), ("clerk3", False),
                           ("supervisor2", False)):
        a = api(username)
        assert (a.get(f"/api/v1/saved_view/{pk}").status_code == 200) is sees, username
        listed = [v["id"] for v in a.get(
            "/api/v1/saved_view/?q=(page_size:100,filters:!((col:register,opr:eq,"
            "value:customer)))").json["result"]]
        assert (pk in listed) is sees and everyone in listed, username
        assert (name in browser(username).text("/customerview/list/")) is sees, username
    # only the owner changes or deletes it
    clerk2 = api("clerk2")
    r = clerk2.put(f"/api/v1/saved_view/{pk}", json={"name": "改名"})
    assert r.status_code == 403 and "自己" in r.json["message"]["_schema"][0]
    assert clerk2.delete(f"/api/v1/saved_view/{pk}").status_code == 403
    assert browser("clerk2").post(f"/savedviews/remove/{pk}",
                                  {"view": "CustomerView"}).status_code == 404
    assert api("supervisor1").put(f"/api/v1/saved_view/{pk}",
                                  json={"name": name + "改"}).status_code == 200


def test_scope_applies_when_a_shared_view_is_opened(api, browser, customers):
    """A view is a URL of filters: clerk2 opening the department's view sees their own
    rows only (clerk1's customers stay out), the Supervisor sees the department's."""
    name = unique("范围视图")
    api("supervisor1").post("/api/v1/saved_view/", json={
        "register": "customer", "name": name, "shared_with": "department",
        "filters": f"_flt_0_name={customers}"})
    for username, count in (("clerk2", 0), ("supervisor1", 4), ("clerk1", 4)):
        menu = browser(username).text("/customerview/list/")
        url = re.search(r'href="([^"]+)">' + re.escape(name), menu).group(1)
        html = browser(username).text(url.replace("&amp;", "&"))
        assert record_count(html) == count, username


BAD = [
    ({"register": "customer", "name": ""}, "请填写视图名称"),
    ({"register": "customer", "name": "名" * 201}, "100"),
    ({"register": "no_such_register", "name": "x"}, "未知的登记簿"),
    ({"register": "customer", "name": "x", "sort": "nope asc"}, "不能按该列排序"),
    ({"register": "customer", "name": "x", "shared_with": "world"}, "共享给"),
    ({"register": "audit_log", "name": "x"}, "未知的登记簿"),
]


@pytest.mark.parametrize("body,message", BAD)
def test_api_refuses_bad_input_in_chinese(api, body, message):
    a = api("clerk1")
    before = a.get("/api/v1/saved_view/?q=(page_size:100)").json["count"]
    r = a.post("/api/v1/saved_view/", json=body)
    assert r.status_code in (400, 422), r.json
    assert message in str(r.json["message"]), r.json
    assert a.get("/api/v1/saved_view/?q=(page_size:100)").json["count"] == before


def test_same_name_twice_is_refused(api):
    a, name = api("clerk1"), unique("重名")
    assert a.post("/api/v1/saved_view/", json={"register": "customer", "name": name}
                  ).status_code == 201
    r = a.post("/api/v1/saved_view/", json={"register": "customer", "name": name})
    assert r.status_code == 422 and "同名" in str(r.json["message"])


def test_deleting_a_user_keeps_their_shared_views(app, api, session):
    from app.demo import DEMO_PASSWORD
    from app.models.org import ConsoleUser
    from app.models.saved_views import SavedView
    username = unique("sup")
    with app.app_context():
        sm = app.appbuilder.sm
        dept = sm.find_user("supervisor1").department_id
        user = sm.add_user(username, "临", "时", f"{username}@example.com",
                           sm.find_role("Supervisor"), password=DEMO_PASSWORD)
        user.department_id = dept
        sm.session.commit()
        uid = user.id
    a = api(username)
    shared = a.post("/api/v1/saved_view/", json={"register": "customer", "name": "留下",
                                                 "shared_with": "department"}).json["id"]
    private = a.post("/api/v1/saved_view/", json={"register": "customer", "name": "走了"}
                     ).json["id"]
    session.delete(session.get(ConsoleUser, uid))
    session.commit()
    kept = session.get(SavedView, shared)
    assert kept is not None and kept.user_id is None and kept.owner_name == "时临"
    assert session.get(SavedView, private) is None
    assert api("clerk2").get(f"/api/v1/saved_view/{shared}").status_code == 200


PRESETS = {  # role → register list → views it ships to that role
    "executive": ("/receptionview/list/", ["须总经理审批的接待"], ["待结算"]),
    "finance": ("/receptionview/list/", ["待结算"], ["须总经理审批的接待"]),
    "supervisor1": ("/visitrecordview/list/", ["本月拜访", "待我审核"], ["待我审批"]),
    "clerk1": ("/complaintview/list/", ["我的超期投诉", "本月受理的投诉"], ["待我结案"]),
    "admin": ("/customerview/list/", ["重点客户", "合作中的客户"], []),
}


@pytest.mark.parametrize("username", sorted(PRESETS))
def test_each_register_ships_its_daily_views(browser, username):
    b = browser(username)
    page, shown, hidden = PRESETS[username]
    html = b.text(page)
    links = dict((n, u) for u, n in re.findall(
        r'class="saved-view saved-view-preset" href="([^"]+)">([^<]+)</a>', html))
    assert set(shown) <= set(links) and not set(hidden) & set(links), links
    for url in links.values():
        r = b.get(url.replace("&amp;", "&"))
        assert r.status_code == 200, url
        assert re.search(r"记录数目?:", r.get_data(as_text=True)), url
