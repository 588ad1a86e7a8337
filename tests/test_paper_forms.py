"""The paper forms of the policies (DESIGN.md §6, §8), read back with openpyxl."""
import io

import openpyxl


def workbook(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return openpyxl.load_workbook(io.BytesIO(response.data))


def test_complaint_register_of_a_month_with_statistics(api, dedicated_clerk):
    a = api(dedicated_clerk)
    customer = a.post("/api/v1/customer/", json={"name": dedicated_clerk + "公司"}).json["id"]
    made = []
    for received, category in [("2025-03-03T09:00:00", "general"),
                               ("2025-03-10T09:00:00", "major"),
                               ("2025-04-01T09:00:00", "general")]:
        r = a.post("/api/v1/complaint/", json={"customer": customer, "complainant": "=张先生",
                                               "category": category, "description": "质量问题",
                                               "received_at": received})
        assert r.status_code == 201, r.json
        made.append(r.json["id"])
    a.post(f"/api/v1/complaint/{made[0]}/transition/resolve", json={"resolution": "已换货"})
    wb = workbook(a.get("/api/v1/complaint/form.xlsx?month=2025-03"))
    assert wb.sheetnames == ["客户投诉登记表", "月度统计"]
    sheet = wb["客户投诉登记表"]
    assert sheet["A1"].value == "客户投诉登记表"
    assert "2025-03" in sheet["A2"].value
    header = [c.value for c in sheet[3]]
    assert header[:4] == ["序号", "投诉编号", "受理时间", "客户名称"]
    rows = [r for r in sheet.iter_rows(min_row=4, values_only=True) if r[1]]
    assert len(rows) == 2 and rows[0][4] == "=张先生"
    assert sheet.cell(row=4, column=5).data_type == "s"
    assert sheet.page_setup.orientation == "landscape"
    stats = {r[0]: r for r in wb["月度统计"].iter_rows(min_row=4, values_only=True) if r[0]}
    assert stats["一般责任投诉"][1:3] == (1, 1) and stats["一般责任投诉"][3] == 100
    assert stats["重大责任投诉"][1:3] == (1, 0)
    assert stats["合计"][1:3] == (2, 1)


def test_complaint_register_needs_a_valid_month(api):
    r = api("clerk1").get("/api/v1/complaint/form.xlsx?month=2025-13")
    assert r.status_code == 400 and "YYYY-MM" in r.json["message"]


def test_complaint_register_holds_only_rows_in_scope(api, dedicated_clerk):
    wb = workbook(api(dedicated_clerk).get("/api/v1/complaint/form.xlsx?month=2026-11"))
    assert not [r for r in wb.worksheets[0].iter_rows(min_row=4, values_only=True) if r[1]]
