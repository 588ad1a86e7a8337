"""The policies' paper forms as Excel, each a short FormLayout declaration (app/excel.py)
plus the query that fills it, served at the fixed paths of DESIGN.md §8.

Layouts are built per request so their Chinese titles follow the reader's language.
"""
import io

from flask import g, request, send_file
from flask_appbuilder import expose
from flask_appbuilder.api import safe
from flask_appbuilder.security.decorators import permission_name, protect
from flask_babel import gettext as _
from sqlalchemy import select

from app.excel import FormLayout, SheetSpec, XlsxColumn, render_workbook
from app.models.complaints import CATEGORIES, CHANNELS, Complaint, month_bounds, monthly_stats
from app.models.customers import Customer
from app.scope import scope_clause
from app.timeutil import now_cn

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def labels(choices) -> dict:
    return {key: str(label) for key, label in choices.items()}


def send_form(sheets, filename):
    out = io.BytesIO()
    render_workbook(out, sheets)
    out.seek(0)
    return send_file(out, mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=filename)


# --------------------------------------------------------------------------
# 客户投诉登记表 and its monthly statistics (DESIGN.md §4, §6)
# --------------------------------------------------------------------------
def complaint_register_layout() -> FormLayout:
    return FormLayout(
        title=_("客户投诉登记表"),
        header_fields=[(_("月份"), "month"), (_("部门"), "department"),
                       (_("制表日期"), "printed_on")],
        table=[
            XlsxColumn("seq", _("序号"), "int", width=5),
            XlsxColumn("code", _("投诉编号"), width=14),
            XlsxColumn("received_at", _("受理时间"), "datetime", width=16),
            XlsxColumn("customer", _("客户名称"), width=22),
            XlsxColumn("complainant", _("投诉人"), width=10),
            XlsxColumn("channel", _("投诉方式"), "enum", labels(CHANNELS), width=8),
            XlsxColumn("category", _("投诉类别"), "enum", labels(CATEGORIES), width=12),
            XlsxColumn("description", _("投诉内容"), width=30),
            XlsxColumn("handler", _("处理人"), width=10),
            XlsxColumn("due_at", _("处理时限"), "datetime", width=16),
            XlsxColumn("resolution", _("处理结果"), width=24),
            XlsxColumn("resolved_at", _("处理完成时间"), "datetime", width=16),
            XlsxColumn("followed_up_at", _("回访时间"), "datetime", width=16),
            XlsxColumn("followup_result", _("回访结果"), width=20),
        ],
        min_table_rows=10,
        signatures=[_("制表人"), _("审核人（客户服务部经理）")],
        orientation="landscape",
    )


def complaint_stats_layout() -> FormLayout:
    return FormLayout(
        title=_("客户投诉月度统计表"),
        header_fields=[(_("月份"), "month"), (_("部门"), "department")],
        table=[
            XlsxColumn("category", _("投诉类别"), width=16),
            XlsxColumn("received", _("受理数"), "int"),
            XlsxColumn("resolved", _("处理数"), "int"),
            XlsxColumn("handling_rate", _("处理率"), "decimal"),
            XlsxColumn("timely_rate", _("及时率"), "decimal"),
            XlsxColumn("followup_rate", _("回访率"), "decimal"),
            XlsxColumn("followup_timely_rate", _("回访及时率"), "decimal"),
        ],
        signatures=[_("统计人"), _("审核人（总经理）")],
        orientation="landscape",
    )


def _percent(value):
    return None if value is None else round(value * 100, 2)


def complaint_register_sheets(session, month: str, user) -> list[SheetSpec]:
    start, end = month_bounds(month)
    result = session.execute(
        select(Complaint.code, Complaint.received_at, Customer.name, Complaint.complainant,
               Complaint.channel, Complaint.category, Complaint.description, Complaint.handler,
               Complaint.due_at, Complaint.resolution, Complaint.resolved_at,
               Complaint.followed_up_at, Complaint.followup_result)
        .join(Customer, Customer.id == Complaint.customer_id)
        .where(Complaint.received_at >= start, Complaint.received_at < end,
               scope_clause(Complaint, user))
        .order_by(Complaint.is_collective.desc(), Complaint.received_at, Complaint.id))
    table = [(seq, *row) for seq, row in enumerate(result, start=1)]
    stats, total = monthly_stats(session, start, end, user)
    stat_rows = [{**row, "category": labels(CATEGORIES)[row["category"]],
                  **{k: _percent(row[k]) for k in ("handling_rate", "timely_rate",
                                                   "followup_rate", "followup_timely_rate")}}
                 for row in stats]
    stat_rows.append({**total, "category": _("合计"),
                      **{k: _percent(total[k]) for k in ("handling_rate", "timely_rate",
                                                         "followup_rate",
                                                         "followup_timely_rate")}})
    header = {"month": month, "department": str(user.department or _("全部")),
              "printed_on": now_cn().strftime("%Y-%m-%d")}
    return [SheetSpec(complaint_register_layout(), header, table),
            SheetSpec(complaint_stats_layout(), {**header, "month": f"{month}（%）"},
                      stat_rows, name=_("月度统计"))]


class ComplaintFormMixin:
    """GET /api/v1/complaint/form.xlsx?month=YYYY-MM (DESIGN.md §8)."""

    @expose("/form.xlsx", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def register_form(self):
        month = request.args.get("month") or now_cn().strftime("%Y-%m")
        if month_bounds(month) is None:
            return self.response_400(message=_("月份格式应为 YYYY-MM"))
        sheets = complaint_register_sheets(self.datamodel.session, month, g.user)
        return send_form(sheets, _("客户投诉登记表") + f"_{month}.xlsx")
