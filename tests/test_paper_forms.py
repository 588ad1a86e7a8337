"""The paper forms of the policies (DESIGN.md §6, §8), read back with openpyxl."""
import io

import openpyxl


def workbook(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return openpyxl.load_workbook(io.BytesIO(response.data))


def test_complaint_register_of_a_month_with_statistics(api, dedicated_clerk):
    a = api(dedicated_clerk)
    customer = a.post("/api/v1/customer/", json={"customer_type": "important", "name": dedicated_clerk + "公司"}).json["id"]
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


def test_grade_evaluation_form_shows_scores_weights_and_signers(api, dedicated_clerk):
    clerk = api(dedicated_clerk)
    customer = clerk.post("/api/v1/customer/", json={"customer_type": "important", "name": dedicated_clerk + "评定"}).json["id"]
    scores = {"score_sales": 90, "score_price": 80, "score_payment": 100,
              "score_cooperation": 70, "score_potential": 60, "score_credit": 50}
    r = clerk.post("/api/v1/grade_evaluation/", json={"customer": customer, "year": 2025,
                                                      **scores})
    assert r.status_code == 201, r.json
    evaluation = r.json["id"]
    assert clerk.post(f"/api/v1/grade_evaluation/{evaluation}/transition/declare",
                      json={}).status_code == 200
    wb = workbook(clerk.get(f"/api/v1/grade_evaluation/{evaluation}/form.xlsx"))
    sheet = wb.active
    assert sheet["A1"].value == "客户质量等级评定表"
    values = [v for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
    assert dedicated_clerk + "评定" in values
    table = {row[0]: row[1:4] for row in sheet.iter_rows(values_only=True)
             if row[0] in ("销售额", "货款回收", "合计")}
    assert table["销售额"] == (30, 90, 27)
    assert table["货款回收"] == (25, 100, 25)
    # 30×90 + 10×80 + 25×100 + 10×70 + 15×60 + 10×50 = 8100 → 81.00
    assert table["合计"][0] == 100 and table["合计"][2] == 81
    footer = " ".join(str(v) for v in values)
    assert "申报（销售科长）：员专" in footer and "批准（总经理）：____________" in footer


def test_grade_evaluation_form_of_another_clerk_is_404(api, dedicated_clerk):
    clerk = api(dedicated_clerk)
    customer = clerk.post("/api/v1/customer/", json={"customer_type": "important", "name": dedicated_clerk + "他人"}).json["id"]
    evaluation = clerk.post("/api/v1/grade_evaluation/", json={"customer": customer,
                                                               "year": 2025}).json["id"]
    assert api("clerk3").get(f"/api/v1/grade_evaluation/{evaluation}/form.xlsx").status_code \
        == 404


def test_pages_link_to_their_paper_forms(browser, api, dedicated_clerk):
    assert "/api/v1/complaint/form.xlsx?month=2026-11" in \
        browser("supervisor1").text("/complaintstats/?month=2026-11")
    clerk = api(dedicated_clerk)
    customer = clerk.post("/api/v1/customer/", json={"customer_type": "important", "name": dedicated_clerk + "链接"}).json["id"]
    evaluation = clerk.post("/api/v1/grade_evaluation/", json={"customer": customer,
                                                               "year": 2025}).json["id"]
    html = browser(dedicated_clerk).text(f"/gradeevaluationview/show/{evaluation}")
    assert f"/api/v1/grade_evaluation/{evaluation}/form.xlsx" in html
    assert browser(dedicated_clerk).get(
        f"/api/v1/grade_evaluation/{evaluation}/form.xlsx").status_code == 200
