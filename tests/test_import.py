"""导入: template, then all-or-nothing upload with errors by row and column in Chinese."""
import io

import openpyxl
from sqlalchemy import func, select

from app.models.customers import Contact, Customer, Transaction
from tests.conftest import unique

CUSTOMER_HEADER = ["客户名称", "客户类型", "所属行业", "企业规模", "地址", "联系电话", "合作状态",
                   "重点客户", "信用等级", "信用额度（元）", "备注"]


def xlsx(header, rows) -> io.BytesIO:
    wb = openpyxl.Workbook()
    wb.active.append(header)
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def upload(b, view, fileobj, name="data.xlsx"):
    return b.post(f"/{view}/import_xlsx/", {"file": (fileobj, name)},
                  content_type="multipart/form-data", follow_redirects=True)


def count(session, model):
    return session.scalar(select(func.count(model.id)))


def test_template_has_the_chinese_headers_and_a_guide(browser):
    r = browser("clerk1").get("/customerview/import_template/")
    wb = openpyxl.load_workbook(io.BytesIO(r.data))
    assert [c.value for c in wb.worksheets[0][1]] == CUSTOMER_HEADER
    assert wb.worksheets[1].title == "填写说明"


def test_good_customer_file_is_imported_with_importer_as_owner(browser, session):
    p = unique("导入客户")
    rows = [[p + "甲", "集团客户", "纺织", "大型", "杭州", "0571-1", "合作中", "是", None, None, ""],
            [p + "乙", "strategic", None, None, None, None, "潜在", "否", None, None, "备注"]]
    r = upload(browser("clerk3"), "customerview", xlsx(CUSTOMER_HEADER, rows))
    assert "已导入 2 行" in r.get_data(as_text=True)
    imported = session.scalars(select(Customer).where(Customer.name.startswith(p))).all()
    assert {c.owner.username for c in imported} == {"clerk3"}
    assert {c.customer_type for c in imported} == {"group", "strategic"}
    assert all(c.code.startswith("KH") for c in imported)


def test_bad_file_changes_nothing_and_lists_every_problem(browser, session, api):
    p = unique("坏文件")
    api("clerk1").post("/api/v1/customer/", json={"name": p + "已有", "customer_type": "group"})
    before = count(session, Customer)
    rows = [[p + "好", "集团客户"] + [None] * 9,
            [p + "类型错", "大客户"] + [None] * 9,
            [None, "集团客户"] + [None] * 9,
            [p + "好", "集团客户"] + [None] * 9,
            [p + "已有", "集团客户"] + [None] * 9,
            [p + "额度错", "集团客户"] + [None] * 7 + ["很多", None]]
    html = upload(browser("clerk1"), "customerview", xlsx(CUSTOMER_HEADER, rows)) \
        .get_data(as_text=True)
    assert "未导入任何数据" in html
    for row, column, words in [(3, "客户类型", "应为以下之一"), (4, "客户名称", "必填"),
                               (5, "客户名称", "与第 2 行重复"), (6, "客户名称", "已存在"),
                               (7, "信用额度（元）", "应为数字")]:
        assert f"<td>{row}</td><td>{column}</td><td>" in html and words in html, (row, column)
    assert count(session, Customer) == before


def test_wrong_headers_are_explained(browser):
    html = upload(browser("clerk1"), "customerview", xlsx(["名字"], [["x"]])).get_data(as_text=True)
    assert "缺少这些列" in html


def test_not_an_excel_file_is_explained(browser):
    html = upload(browser("clerk1"), "customerview", io.BytesIO(b"not excel"), "x.xlsx") \
        .get_data(as_text=True)
    assert "无法读取" in html


def test_contacts_import_finds_customers_only_in_scope(browser, session, api):
    p = unique("联系人导入")
    api("clerk1").post("/api/v1/customer/", json={"name": p + "一客户", "customer_type": "group"})
    header = ["客户", "姓名", "职务", "电话", "电子邮件", "关键决策人", "生日", "兴趣爱好", "性格特点", "备注"]
    before = count(session, Contact)
    html = upload(browser("clerk3"), "contactview",
                  xlsx(header, [[p + "一客户", "张三"] + [None] * 8])).get_data(as_text=True)
    assert "不在您的查看范围内" in html and count(session, Contact) == before
    html = upload(browser("clerk1"), "contactview",
                  xlsx(header, [[p + "一客户", "张三", "采购经理", None, None, "是", "1980-05-01",
                                 "钓鱼", "稳重", None]])).get_data(as_text=True)
    assert "已导入 1 行" in html
    contact = session.scalar(select(Contact).where(Contact.name == "张三",
                                                   Contact.customer.has(name=p + "一客户")))
    assert contact.is_decision_maker and contact.owner.username == "clerk1"


def test_transactions_import_is_all_or_nothing(browser, session, api):
    p = unique("交易导入")
    api("clerk1").post("/api/v1/customer/", json={"name": p, "customer_type": "group"})
    header = ["客户", "交易日期", "产品", "销售额（元）", "利润（元）", "回款额（元）", "预收款",
              "应收款到期日", "备注"]
    before = count(session, Transaction)
    rows = [[p, "2026-01-05", "面料", 1000, 100, 500, "否", None, None],
            [p, "2026-01-06", "纱线", 100, 10, 200, "否", None, None]]
    html = upload(browser("clerk1"), "transactionview", xlsx(header, rows)).get_data(as_text=True)
    assert "回款额不能大于销售额" in html and count(session, Transaction) == before
    rows[1][6] = "是"
    html = upload(browser("clerk1"), "transactionview", xlsx(header, rows)).get_data(as_text=True)
    assert "已导入 2 行" in html and count(session, Transaction) == before + 2


def test_executive_cannot_import(browser):
    r = browser("executive").get("/customerview/import_xlsx/")
    assert r.status_code in (302, 403)


def test_a_file_over_the_row_limit_is_refused_whole(browser, session, monkeypatch):
    monkeypatch.setattr("app.importer.MAX_IMPORT_ROWS", 3)
    p = unique("超限")
    before = count(session, Customer)
    rows = [[f"{p}{i}", "集团客户"] + [None] * 9 for i in range(4)]
    html = upload(browser("clerk1"), "customerview", xlsx(CUSTOMER_HEADER, rows)) \
        .get_data(as_text=True)
    assert "一次最多导入 3 行" in html and "未导入任何数据" in html
    assert count(session, Customer) == before


def test_enum_labels_are_read_in_the_signed_in_language(browser, session):
    p = unique("繁体导入")
    b = browser("clerk1")
    b.get("/lang/zh_TW")
    try:
        template = openpyxl.load_workbook(io.BytesIO(b.get("/customerview/import_template/").data))
        header = [c.value for c in template.worksheets[0][1]]
        rows = [[p, "集團客戶", None, None, None, None, "合作中", "否", None, None, None]]
        html = upload(b, "customerview", xlsx(header, rows)).get_data(as_text=True)
    finally:
        b.get("/lang/zh")
    assert "已匯入 1 筆" in html
    row = session.scalars(select(Customer).where(Customer.name == p)).one()
    assert row.customer_type == "group"
