"""app.excel: files are written, then read back with openpyxl."""

from __future__ import annotations

import io
import os
import tempfile
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from app import excel
from app.excel import (
    Field,
    FormLayout,
    SheetSpec,
    TooManyRows,
    XlsxColumn,
    render_form,
    render_workbook,
    write_list,
)

TRICKY_STRINGS = ["=1+1", "+86 138 0013 8000", "-5", "@x", "=HYPERLINK(\"http://evil\")", "<r>&</r>", " padded "]

COLUMNS = [
    XlsxColumn("id", "编号", "int"),
    XlsxColumn("name", "客户名称"),
    XlsxColumn("amount", "金额", "money"),
    XlsxColumn("ratio", "比例", "decimal"),
    XlsxColumn("visited_on", "拜访日期", "date"),
    XlsxColumn("created_at", "创建时间", "datetime"),
    XlsxColumn("active", "有效", "bool"),
    XlsxColumn("status", "状态", "enum", labels={"new": "新建", "done": "已完成"}),
]
ROW = (
    7,
    "甲公司",
    Decimal("1234.5"),
    Decimal("0.125"),
    date(2026, 10, 1),
    datetime(2026, 10, 1, 8, 30),
    True,
    "done",
)


def load(buffer: io.BytesIO | Path) -> openpyxl.Workbook:
    if isinstance(buffer, io.BytesIO):
        buffer.seek(0)
    return openpyxl.load_workbook(buffer)


def export(rows, columns=COLUMNS, **kwargs) -> tuple[int, openpyxl.worksheet.worksheet.Worksheet]:
    buffer = io.BytesIO()
    count = write_list(buffer, "客户列表", columns, rows, **kwargs)
    return count, load(buffer).active


# --- list export ------------------------------------------------------------


def test_header_labels_and_sheet_title():
    count, ws = export([ROW])
    assert count == 1
    assert ws.title == "客户列表"
    assert [c.value for c in ws[1]] == [c.label for c in COLUMNS]
    assert all(c.font.b for c in ws[1])


def test_cells_are_typed():
    _, ws = export([ROW])
    ident, name, amount, ratio, visited, created, active, status = ws[2]
    assert ident.value == 7 and ident.data_type == "n"
    assert name.value == "甲公司" and name.data_type == "s"
    assert amount.value == 1234.5 and amount.data_type == "n"
    assert amount.number_format == "#,##0.00"
    assert ratio.value == 0.125 and ratio.number_format == "#,##0.00"
    assert visited.is_date and visited.value == datetime(2026, 10, 1)
    assert visited.number_format == "yyyy-mm-dd"
    assert created.is_date and created.value == datetime(2026, 10, 1, 8, 30)
    assert created.number_format == "yyyy-mm-dd hh:mm"
    assert (active.value, status.value) == ("是", "已完成")


def test_none_is_blank_and_labels():
    class Status(Enum):
        NEW = "new"

    _, ws = export([(None, None, None, None, None, None, False, Status.NEW)])
    assert [c.value for c in ws[2]] == [None] * 6 + ["否", "新建"]


def test_unknown_enum_value_and_unexpected_types_fall_back_to_text():
    row = ("n/a", 12345, "abc", None, "2026-13-01", None, None, "lost")
    _, ws = export([row])
    values = [c.value for c in ws[2]]
    assert values[0] == "n/a" and values[1] == "12345" and values[2] == "abc"
    assert values[4] == "2026-13-01" and values[7] == "lost"
    assert ws["B2"].data_type == "s"


def test_long_integers_keep_all_digits_as_text():
    _, ws = export([(1234567890123456789, *ROW[1:])])
    assert ws["A2"].value == "1234567890123456789"


@pytest.mark.parametrize("text", TRICKY_STRINGS)
def test_formula_like_strings_stay_exact_text(text):
    _, ws = export([(1, text, *ROW[2:])])
    cell = ws["B2"]
    assert cell.value == text
    assert cell.data_type == "s"
    assert cell.quotePrefix is False


def test_frozen_header_autofilter_and_print_setup():
    _, ws = export([ROW, ROW, ROW])
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:H4"
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    # xlsxwriter omits fitToWidth when it is the OOXML default of 1.
    assert int(ws.page_setup.fitToWidth or 1) == 1
    assert int(ws.page_setup.fitToHeight) == 0
    assert ws.print_title_rows == "$1:$1"


def test_empty_export_still_has_header_and_filter():
    count, ws = export([])
    assert count == 0
    assert [c.value for c in ws[1]] == [c.label for c in COLUMNS]
    assert ws.auto_filter.ref == "A1:H1"


def test_column_widths_count_cjk_double_and_respect_given_width():
    columns = [
        XlsxColumn("a", "ab"),
        XlsxColumn("b", "ab"),
        XlsxColumn("c", "ab", width=33),
        XlsxColumn("d", "ab"),
    ]
    _, ws = export([("abcdefghij", "一二三四五六七八九十", "x", "y" * 500)], columns=columns)
    width = {key: ws.column_dimensions[key].width for key in "ABCD"}
    assert width["B"] > width["A"] + 8
    assert int(width["C"]) == 33  # xlsxwriter stores width + ~0.71 padding
    assert int(width["D"]) == int(excel.MAX_WIDTH)


def test_mapping_rows_are_read_by_key():
    row = dict(zip((c.key for c in COLUMNS), ROW))
    shuffled = dict(reversed(list(row.items())))
    _, ws = export([shuffled])
    assert ws["B2"].value == "甲公司" and ws["H2"].value == "已完成"


def test_sequence_rows_shorter_than_columns_are_rejected():
    with pytest.raises(ValueError):
        export([(1, "x")])


def test_sqlalchemy_core_rows_with_yield_per():
    engine = sa.create_engine("sqlite://")
    meta = sa.MetaData()
    table = sa.Table(
        "visit",
        meta,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String),
        sa.Column("visited_on", sa.Date),
        sa.Column("active", sa.Boolean),
    )
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            table.insert(),
            [
                {"id": i, "name": f"=客户{i}", "visited_on": date(2026, 1, i % 28 + 1), "active": i % 2 == 0}
                for i in range(1, 2501)
            ],
        )
    columns = [
        XlsxColumn("id", "编号", "int"),
        XlsxColumn("name", "名称"),
        XlsxColumn("visited_on", "日期", "date"),
        XlsxColumn("active", "有效", "bool"),
    ]
    query = sa.select(table.c.id, table.c.name, table.c.visited_on, table.c.active).order_by(table.c.id)
    with engine.connect() as conn:
        count, ws = export(conn.execution_options(yield_per=1000).execute(query), columns=columns)
    assert count == 2500
    assert [c.value for c in ws[2]] == [1, "=客户1", datetime(2026, 1, 2), "否"]
    assert ws.max_row == 2501
    reordered = query.with_only_columns(table.c.active, table.c.name, table.c.visited_on, table.c.id)
    with engine.connect() as conn:  # RowMapping objects are read by key
        count, ws = export(conn.execute(reordered).mappings(), columns=columns)
    assert [c.value for c in ws[2]] == [1, "=客户1", datetime(2026, 1, 2), "否"]


def test_progress_is_reported():
    seen: list[int] = []
    count, _ = export([ROW] * 25, progress=seen.append, progress_every=10)
    assert count == 25
    assert seen == [10, 20, 25]


# --- row limit ----------------------------------------------------------------


def test_too_many_rows_fails_fast_from_total():
    def rows():
        raise AssertionError("rows must not be read")
        yield ROW

    buffer = io.BytesIO()
    with pytest.raises(TooManyRows) as info:
        write_list(buffer, "x", COLUMNS, rows(), total=excel.MAX_DATA_ROWS + 1)
    assert info.value.limit == 1_048_575
    assert "1,048,575" in str(info.value)
    assert buffer.getvalue() == b""


def test_exactly_the_limit_is_fine(monkeypatch):
    monkeypatch.setattr(excel, "MAX_DATA_ROWS", 5)
    count, ws = export([ROW] * 5)
    assert count == 5 and ws.max_row == 6


def test_too_many_rows_while_streaming_writes_nothing(monkeypatch, tmp_path):
    monkeypatch.setattr(excel, "MAX_DATA_ROWS", 5)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    buffer = io.BytesIO()
    target = tmp_path / "out.xlsx"
    for fileobj in (buffer, str(target)):
        with pytest.raises(TooManyRows) as info:
            write_list(fileobj, "x", COLUMNS, iter([ROW] * 6))
        assert info.value.limit == 5
    assert buffer.getvalue() == b""
    assert not target.exists()
    assert os.listdir(scratch) == []  # xlsxwriter temp files are gone too


def test_too_many_rows_in_a_form_table(monkeypatch):
    monkeypatch.setattr(excel, "MAX_DATA_ROWS", 10)
    layout = FormLayout(title="台账", table=COLUMNS)
    buffer = io.BytesIO()
    with pytest.raises(TooManyRows):
        render_form(buffer, layout, {}, [ROW] * 10)
    assert buffer.getvalue() == b""


# --- forms ----------------------------------------------------------------------

VISIT_PLAN = FormLayout(
    title="客户拜访计划表",
    header_fields=[("月份", "month"), ("部门", "department")],
    table=[
        XlsxColumn("seq", "序号", "int"),
        XlsxColumn("customer", "客户名称"),
        XlsxColumn("planned_on", "计划日期", "date"),
        XlsxColumn("purpose", "拜访目的"),
        XlsxColumn("cost", "预计费用", "money"),
    ],
    min_table_rows=6,
    footer_fields=[Field("合计费用", "total_cost", "money")],
    signatures=["制表人", "审批人：客户服务部经理"],
    orientation="landscape",
)


def render_visit_plan() -> openpyxl.Workbook:
    buffer = io.BytesIO()
    rows = [
        {"seq": 1, "customer": "甲公司", "planned_on": date(2026, 10, 8), "purpose": "=年度回访", "cost": Decimal("300")},
        {"seq": 2, "customer": "乙公司", "planned_on": date(2026, 10, 9), "purpose": "+86 138 0013 8000", "cost": None},
    ]
    render_form(buffer, VISIT_PLAN, {"month": "2026-10", "department": "销售一部"}, rows, {"total_cost": Decimal("300")})
    return load(buffer)


def test_form_title_header_line_and_table():
    ws = render_visit_plan().active
    assert ws.title == "客户拜访计划表"
    assert ws["A1"].value == "客户拜访计划表"
    assert ws["A1"].font.b and ws["A1"].font.sz >= 14
    assert ws["A1"].alignment.horizontal == "center"
    assert ws["A2"].value == "月份：2026-10    部门：销售一部"
    assert [c.value for c in ws[3]] == ["序号", "客户名称", "计划日期", "拜访目的", "预计费用"]
    assert [c.value for c in ws[4]] == [1, "甲公司", datetime(2026, 10, 8), "=年度回访", 300]
    assert ws["D4"].data_type == "s" and ws["D4"].quotePrefix is False
    assert ws["D5"].value == "+86 138 0013 8000" and ws["D5"].data_type == "s"
    assert ws["C4"].is_date and ws["E4"].number_format == "#,##0.00"
    assert ws["A4"].border.left.style == "thin"


def test_form_pads_table_and_prints_footer_and_signatures():
    ws = render_visit_plan().active
    # 2 data rows padded to 6 ruled rows (rows 4..9), then the footer line.
    assert all(ws.cell(9, col).border.bottom.style == "thin" for col in range(1, 6))
    assert ws["A9"].value is None
    assert ws["A10"].value == "合计费用：300.00"
    texts = [c.value for c in ws[12] if c.value]
    assert texts == ["制表人：____________", "审批人：客户服务部经理：____________"]


def test_form_merged_ranges_and_print_settings():
    ws = render_visit_plan().active
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:E1", "A2:E2", "A10:E10"} <= merged
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert int(ws.page_setup.fitToWidth or 1) == 1  # 1 is the omitted default
    assert int(ws.page_setup.fitToHeight) == 0
    assert ws.print_title_rows == "$3:$3"
    assert ws.print_options.horizontalCentered is True


QUALITY_GRADE = FormLayout(
    title="客户质量等级评定表",
    fields=[
        ("客户名称", "name"),
        Field("评定等级", "grade", "enum", labels={"A": "A 级（优质）"}),
        Field("评定日期", "rated_on", "date"),
        Field("年销售额", "sales", "money"),
        Field("评定意见", "opinion", span=2),
    ],
    fields_per_row=2,
    signatures=["评定人", "审批人"],
)


def test_key_value_block_form():
    buffer = io.BytesIO()
    record = {"name": "@甲公司", "grade": "A", "rated_on": date(2026, 3, 1), "sales": 12345.6, "opinion": "合作稳定。" * 30}
    render_form(buffer, QUALITY_GRADE, record)
    ws = load(buffer).active
    assert ws.page_setup.orientation == "portrait"
    assert [c.value for c in ws[2]] == ["客户名称", "@甲公司", "评定等级", "A 级（优质）"]
    assert ws["B2"].data_type == "s" and ws["B2"].quotePrefix is False
    assert ws["A3"].value == "评定日期" and ws["B3"].is_date
    assert ws["D3"].value == 12345.6 and ws["D3"].number_format == "#,##0.00"
    assert ws["A4"].value == "评定意见" and ws["B4"].value == record["opinion"]
    assert {"A1:D1", "B4:D4"} <= {str(r) for r in ws.merged_cells.ranges}
    assert ws.row_dimensions[4].height > ws.row_dimensions[2].height  # long text gets a taller row
    assert ws["A2"].border.top.style == "thin" and ws["B2"].border.top.style == "thin"
    assert [c.value for c in ws[6] if c.value] == ["评定人：____________", "审批人：____________"]


def test_blank_form_for_handwriting():
    buffer = io.BytesIO()
    render_form(buffer, QUALITY_GRADE, {})
    ws = load(buffer).active
    assert ws["A2"].value == "客户名称" and ws["B2"].value is None


def test_workbook_with_several_sheets():
    register = FormLayout(title="投诉登记表", table=[XlsxColumn("no", "编号"), XlsxColumn("content", "内容")])
    stats = FormLayout(
        title="投诉月度统计",
        header_fields=[("月份", "month")],
        table=[XlsxColumn("kind", "类别"), XlsxColumn("count", "件数", "int")],
    )
    buffer = io.BytesIO()
    render_workbook(
        buffer,
        [
            SheetSpec(register, rows=[("T-1", "=SUM(A1)")]),
            SheetSpec(stats, {"month": "2026-10"}, [("服务", 3), ("质量", 1)]),
            SheetSpec(stats, {"month": "2026-11"}, [], name="投诉月度统计"),
        ],
    )
    wb = load(buffer)
    assert wb.sheetnames == ["投诉登记表", "投诉月度统计", "投诉月度统计(2)"]
    assert wb["投诉登记表"]["B3"].value == "=SUM(A1)"
    assert wb["投诉登记表"]["B3"].data_type == "s"
    assert [c.value for c in wb["投诉月度统计"][4]] == ["服务", 3]
    assert wb["投诉月度统计(2)"]["A2"].value == "月份：2026-11"


def test_sheet_names_are_sanitised():
    buffer = io.BytesIO()
    write_list(buffer, "客户/投诉:[2026]?" + "长" * 40, COLUMNS, [])
    name = load(buffer).active.title
    assert len(name) <= 31 and not set(name) & set("[]:*?/\\")


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError):
        XlsxColumn("x", "X", "currency")
