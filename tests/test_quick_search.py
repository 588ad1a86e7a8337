"""The search box above every list: code, name and the register's main text column, in the
viewer's scope, together with the list's filters, its count and its export."""
import io
import re
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from tests.conftest import unique

ROLES = ["admin", "executive", "finance", "supervisor1", "clerk1", "clerk3"]
SEES_CLERK1 = {"admin", "executive", "finance", "supervisor1", "clerk1"}


def record_count(html: str) -> int:
    m = re.search(r"记录数目?:</strong>\s*([\d,]+)", html)
    assert m, html[:300]
    return int(m.group(1).replace(",", ""))


@pytest.fixture(scope="module")
def rows(app):
    from tests.conftest import Api
    clerk = Api(app, "clerk1")
    tag = unique("快搜")
    customer = clerk.post("/api/v1/customer/", json={"customer_type": "important",
        "name": f"{tag}华东电器", "address": f"{tag}路88号"}).json
    other = clerk.post("/api/v1/customer/", json={"customer_type": "important", "name": f"{tag}西部机械"}).json
    complaints = []
    for cust, text in ((customer["id"], f"{tag}空调不制冷"), (other["id"], "送货延误")):
        r = clerk.post("/api/v1/complaint/", json={
            "customer": cust, "complainant": "王女士", "category": "general",
            "description": text})
        assert r.status_code == 201, r.json
        complaints.append(r.json["id"])
    code = clerk.get(f"/api/v1/customer/{customer['id']}").json["result"]["code"]
    complaint_code = clerk.get(f"/api/v1/complaint/{complaints[0]}").json["result"]["code"]
    return {"tag": tag, "code": code, "complaint_code": complaint_code}


@pytest.mark.parametrize("username", ROLES)
def test_finds_by_code_name_fragment_and_text_in_scope(browser, rows, username):
    b = browser(username)
    tag = rows["tag"]
    expect = (lambda n: n) if username in SEES_CLERK1 else (lambda n: 0)

    def count(view, term):
        return record_count(b.text(f"/{view}/list/?q={quote(term)}"))

    assert count("customerview", rows["code"]) == expect(1)  # code
    assert count("customerview", f"{tag}华东") == expect(1)  # a name fragment
    assert count("customerview", tag) == expect(2)
    assert count("customerview", f"{tag}路88") == expect(1)  # the address
    assert count("complaintview", rows["complaint_code"]) == expect(1)
    assert count("complaintview", f"{tag}西部") == expect(1)  # the customer's name
    assert count("complaintview", f"{tag}空调") == expect(1)  # the description
    assert count("complaintview", tag) == expect(2)


def test_short_terms_literal_wildcards_and_filters_together(browser, rows):
    b = browser("clerk1")
    tag = rows["tag"]
    assert record_count(b.text(f"/customerview/list/?q={quote(tag + '%')}")) == 0
    assert record_count(b.text("/customerview/list/?q=" + quote("华东电器"))) >= 1
    # the box and a filter narrow together; the filter form keeps only its own filters
    html = b.text(f"/complaintview/list/?q={quote(tag)}&_flt_0_category=general")
    assert record_count(html) == 2
    html = b.text(f"/complaintview/list/?q={quote(tag)}&_flt_0_category=major")
    assert record_count(html) == 0
    assert f'name="q" value="{tag}"' in html
    assert 'type="hidden" name="_flt_0_category" value="major"' in html


def test_the_export_holds_what_the_box_found(browser, rows):
    r = browser("supervisor1").get(f"/customerview/export_xlsx/?q={quote(rows['tag'] + '华东')}")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.data)).active
    names = [c.value for c in ws["B"][1:] if c.value]
    assert any(rows["tag"] + "华东电器" == n for n in names), names


def test_a_term_too_long_is_refused_in_chinese(browser):
    r = browser("clerk1").get("/customerview/list/?q=" + "字" * 101)
    assert r.status_code == 400 and "不能超过 100" in r.get_data(as_text=True)


def test_every_register_list_has_the_box(app, browser):
    from app.views.base import RegisterView
    b = browser("admin")
    seen = 0
    for view in app.appbuilder.baseviews:
        if not isinstance(view, RegisterView) or not view.datamodel.obj.quick_search:
            continue
        html = b.text(f"{view.route_base}/list/?q=zz")
        assert 'id="quick-search"' in html, view.route_base
        seen += 1
    assert seen >= 17
