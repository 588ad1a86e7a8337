"""导出 Excel: the list's filters, sort and row scope, all rows, real cells, never formulas."""
import io
import time

import openpyxl
import prison

from tests.conftest import unique


def make_customers(api, user, prefix, names):
    a = api(user)
    for name, limit in names:
        r = a.post("/api/v1/customer/", json={"name": prefix + name, "customer_type": "group",
                                               "cooperation": "active"})
        assert r.status_code == 201, r.json
        if limit is not None:  # credit limits are Finance's (policy 04 4.2)
            r = api("finance").put(f"/api/v1/customer/{r.json['id']}",
                                   json={"credit_limit": limit})
            assert r.status_code == 200, r.json


def read(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype.endswith("spreadsheetml.sheet")
    return openpyxl.load_workbook(io.BytesIO(response.data)).active


def test_web_export_has_all_filtered_rows_with_chinese_headers_and_real_cells(api, browser):
    prefix = unique("导出")
    make_customers(api, "clerk1", prefix, [("甲", "100.50"), ("=1+1", "20"), ("乙", None)])
    ws = read(browser("clerk1").get(f"/customerview/export_xlsx/?_flt_0_name={prefix}"
                                    "&_oc_CustomerView=name&_od_CustomerView=asc"))
    header = [c.value for c in ws[1]]
    assert header[:4] == ["客户编号", "客户名称", "客户类型", "合作状态"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert [r[1] for r in rows] == sorted(prefix + n for n in ("甲", "=1+1", "乙"))
    formula_like = ws.cell(row=2 + [r[1] for r in rows].index(prefix + "=1+1"), column=2)
    assert formula_like.data_type == "s" and formula_like.value == prefix + "=1+1"
    assert rows[0][2] == "集团客户" and rows[0][3] == "合作中"
    limit_col = header.index("信用额度（元）") + 1
    limits = {ws.cell(row=i, column=2).value: ws.cell(row=i, column=limit_col).value
              for i in range(2, ws.max_row + 1)}
    assert limits[prefix + "甲"] == 100.5 and isinstance(limits[prefix + "甲"], float)
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref


def test_a_formula_string_at_the_start_is_text_not_formula(api, browser):
    name = "=HYPERLINK(\"x\")" + unique()
    make_customers(api, "clerk1", "", [(name, None)])
    ws = read(browser("clerk1").get("/customerview/export_xlsx/?_flt_2_name=HYPERLINK"))
    cells = [ws.cell(row=i, column=2) for i in range(2, ws.max_row + 1)]
    mine = [c for c in cells if c.value == name]
    assert mine and mine[0].data_type == "s"


def test_export_is_in_the_viewers_scope(api, browser):
    prefix = unique("范围")
    make_customers(api, "clerk1", prefix, [("一", None)])
    ws = read(browser("clerk3").get(f"/customerview/export_xlsx/?_flt_0_name={prefix}"))
    assert ws.max_row == 1  # header only: clerk1's customer is not clerk3's
    ws = read(browser("supervisor1").get(f"/customerview/export_xlsx/?_flt_0_name={prefix}"))
    assert ws.max_row == 2


def test_api_export_uses_rison_filters_and_order(api):
    prefix = unique("接口")
    make_customers(api, "clerk1", prefix, [("b", "2"), ("a", "1"), ("c", "3")])
    q = prison.dumps({"filters": [{"col": "name", "opr": "sw", "value": prefix}],
                      "order_column": "name", "order_direction": "desc"})
    ws = read(api("clerk1").get(f"/api/v1/customer/export.xlsx?q={q}"))
    assert [ws.cell(row=i, column=3).value for i in range(2, 5)] == \
        [prefix + "c", prefix + "b", prefix + "a"]


def test_list_page_offers_export_button(browser):
    assert "导出 Excel" in browser("clerk1").text("/customerview/list/")


def test_over_the_excel_limit_is_refused_with_a_clear_message(api, monkeypatch):
    import app.export
    monkeypatch.setattr(app.export, "MAX_DATA_ROWS", 0)
    make_customers(api, "clerk1", unique("超限"), [("一", None)])
    r = api("clerk1").get("/api/v1/customer/export.xlsx")
    assert r.status_code == 422 and "超过 Excel 单表上限" in r.json["message"]


def test_long_export_runs_in_background_and_downloads(app, api, browser, monkeypatch):
    prefix = unique("后台")
    make_customers(api, "clerk1", prefix, [("一", None), ("二", None)])
    monkeypatch.setitem(app.config, "EXPORT_BACKGROUND_ROWS", 1)
    b = browser("clerk1")
    r = b.get(f"/customerview/export_xlsx/?_flt_0_name={prefix}")
    assert r.status_code == 302 and "/exports/" in r.location
    page = r.location
    for _ in range(50):
        html = b.text(page)
        if "下载" in html:
            break
        time.sleep(0.1)
    assert "已完成" in html
    ws = read(b.get(page + "/download"))
    assert ws.max_row == 3
    assert browser("clerk2").get(page).status_code == 404  # someone else's job
