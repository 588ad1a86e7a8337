"""The policies' paper forms as Excel, each a short FormLayout declaration (app/excel.py)
plus the query that fills it, served at the fixed paths of DESIGN.md §8.

Layouts are built per request so their Chinese titles follow the reader's language.
"""
import io
from dataclasses import replace
from decimal import Decimal

from flask import current_app, g, request, send_file
from flask_appbuilder import expose
from flask_appbuilder.api import safe
from flask_appbuilder.security.decorators import permission_name, protect
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import aliased

from app import audit
from app.excel import XLSX_MIMETYPE, Field, FormLayout, SheetSpec, XlsxColumn, render_workbook
from app.export import safe_filename
from app.models.complaints import (
    CATEGORIES,
    CHANNELS,
    DUE_STEPS,
    Complaint,
    month_bounds,
    monthly_stats,
)
from app.models.customers import COOPERATION, CUSTOMER_TYPES, Customer
from app.models.grading import ASPECT_LABELS, SCORE_FIELDS, GradeEvaluation, weights_text
from app.models.org import ConsoleUser
from app.models.receptions import EXPENSE_CATEGORIES, Reception, ReceptionExpense
from app.models.visits import VisitPlanItem
from app.scope import scope_clause
from app.timeutil import now_cn
from app.workflow import history


def labels(choices) -> dict:
    return {key: str(label) for key, label in choices.items()}


def send_form(sheets, filename):
    sheets = [replace(spec, rows=list(spec.rows)) for spec in sheets]
    out = io.BytesIO()
    render_workbook(out, sheets)
    out.seek(0)
    # 操作日志: a paper form is an export of its register (row, filter, row count)
    resource = request.path.split("/")[3] if request.path.startswith("/api/v1/") else None
    rows = sum(len(spec.rows) for spec in sheets[:1])
    asked = "&".join(f"{k}={v}" for k, v in request.args.items(multi=True))
    session = current_app.appbuilder.session
    audit.record(session, "export", resource, (request.view_args or {}).get("pk"),
                 detail=_("%(form)s，%(n)d 行；筛选：%(filter)s", form=filename, n=rows,
                          filter=asked or _("无")))
    session.commit()
    return send_file(out, mimetype=XLSX_MIMETYPE, as_attachment=True,
                     download_name=safe_filename(filename))


# --------------------------------------------------------------------------
# 客户投诉登记表 and its monthly statistics (DESIGN.md §4, §6)
# --------------------------------------------------------------------------
def complaint_register_layout() -> FormLayout:
    label = Complaint.field_labels
    return FormLayout(
        title=_("客户投诉登记表"),
        header_fields=[(_("月份"), "month"), (_("部门"), "department"),
                       (_("制表日期"), "printed_on")],
        table=[
            XlsxColumn("seq", _("序号"), "int", width=5),
            XlsxColumn("code", _("投诉编号"), width=14),
            XlsxColumn("received_at", str(label["received_at"]), "datetime", width=16),
            XlsxColumn("customer", _("客户名称"), width=22),
            XlsxColumn("complainant", str(label["complainant"]), width=10),
            XlsxColumn("channel", str(label["channel"]), "enum", labels(CHANNELS), width=8),
            XlsxColumn("category", str(label["category"]), "enum", labels(CATEGORIES), width=12),
            XlsxColumn("description", str(label["description"]), width=30),
            XlsxColumn("handler", str(label["handler"]), width=10),
            XlsxColumn("due_at", str(label["due_at"]), "datetime", width=16),
            XlsxColumn("due_step", str(label["due_step"]), "enum", labels(DUE_STEPS), width=9),
            XlsxColumn("handled_at", str(label["handled_at"]), "datetime", width=16),
            XlsxColumn("resolution", str(label["resolution"]), width=24),
            XlsxColumn("resolved_at", str(label["resolved_at"]), "datetime", width=16),
            XlsxColumn("followed_up_at", str(label["followed_up_at"]), "datetime", width=16),
            XlsxColumn("followup_result", str(label["followup_result"]), width=20),
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
            XlsxColumn("category", str(Complaint.field_labels["category"]), width=16),
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
               Complaint.due_at, Complaint.due_step, Complaint.handled_at,
               Complaint.resolution, Complaint.resolved_at,
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


# --------------------------------------------------------------------------
# 客户质量等级评定表 (policy 04 §6.2.1 B; DESIGN.md §8)
# --------------------------------------------------------------------------
SIGNERS = (("declare", "申报（销售科长）"), ("review", "审核（销售部长）"),
           ("approve", "批准（总经理）"))


def grade_form_layout() -> FormLayout:
    return FormLayout(
        title=_("客户质量等级评定表"),
        header_fields=[(_("评定年度"), "year"), (_("客户编号"), "code"),
                       (_("状态"), "status")],
        fields=[(_("客户名称"), "customer"), (_("客户类型"), "customer_type"),
                (_("所属行业"), "industry"), (_("合作状态"), "cooperation"),
                (_("经办人"), "owner"), (_("部门"), "department"),
                Field(_("综合得分"), "total_score", "decimal"), (_("建议等级"), "proposed_grade"),
                (_("评定等级"), "final_grade"), (_("临时等级"), "provisional"),
                Field(_("复评日期"), "review_due", "date"), (str(GradeEvaluation.field_labels["approved_on"]), "approved_on"),
                Field(_("调整理由"), "reason", span=2), Field(_("评级规则"), "rule", span=2)],
        fields_per_row=2,
        table=[XlsxColumn("aspect", _("评定项目"), width=18),
               XlsxColumn("weight", _("权重"), "decimal", width=10),
               XlsxColumn("score", _("得分（0–100）"), "decimal", width=14),
               XlsxColumn("weighted", _("加权得分"), "decimal", width=12)],
        footer_fields=[(_(label), name) for name, label in SIGNERS],
        signatures=[_(label) for _name, label in SIGNERS],
        orientation="portrait",
    )


def grade_form_sheets(session, evaluation) -> list[SheetSpec]:
    snapshot = evaluation.rule_snapshot or {}
    weights = [snapshot.get("weight_" + f.removeprefix("score_")) for f in SCORE_FIELDS]
    weights = [None if w is None else Decimal(str(w)) for w in weights]
    total_weight = sum(w for w in weights if w is not None) or None
    rows = []
    for field, weight in zip(SCORE_FIELDS, weights):
        score = getattr(evaluation, field)
        weighted = (Decimal(score) * weight / total_weight
                    if None not in (score, weight) and total_weight else None)
        rows.append((str(ASPECT_LABELS[field.removeprefix("score_")]), weight, score,
                     None if weighted is None else weighted.quantize(Decimal("0.01"))))
    rows.append((_("合计"), total_weight, None, evaluation.total_score))
    signed = {}
    for entry in history(session, evaluation):
        signed[entry.step] = f"{entry.user} {entry.at:%Y-%m-%d}"
    customer = evaluation.customer
    header = {
        "year": evaluation.year, "code": customer.code,
        "status": str(evaluation.workflow.state_label(evaluation.status)),
        "customer": customer.name,
        "customer_type": str(CUSTOMER_TYPES.get(customer.customer_type, "")),
        "industry": customer.industry, "cooperation": str(COOPERATION.get(customer.cooperation, "")),
        "owner": str(evaluation.owner), "department": str(evaluation.department or ""),
        "total_score": evaluation.total_score, "proposed_grade": evaluation.proposed_grade,
        "final_grade": evaluation.final_grade,
        "provisional": _("是") if evaluation.provisional else _("否"),
        "review_due": evaluation.review_due, "reason": evaluation.reason,
        "approved_on": evaluation.approved_on,
        "rule": weights_text(snapshot),
        **{name: signed.get(name, "") for name, _label in SIGNERS},
    }
    return [SheetSpec(grade_form_layout(), header, rows)]


class GradeEvaluationFormMixin:
    """GET /api/v1/grade_evaluation/<id>/form.xlsx (DESIGN.md §8)."""

    @expose("/<int:pk>/form.xlsx", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def evaluation_form(self, pk):
        evaluation = self.datamodel.get(pk, self._base_filters)
        if evaluation is None:
            return self.response_404()
        sheets = grade_form_sheets(self.datamodel.session, evaluation)
        name = f"{_('客户质量等级评定表')}_{evaluation.customer.name}_{evaluation.year}.xlsx"
        return send_form(sheets, name)


# --------------------------------------------------------------------------
# 客户拜访计划表 (policy 01 二 §3; DESIGN.md §4, §8): exactly the policy's 8 columns
# --------------------------------------------------------------------------
def visit_plan_layout() -> FormLayout:
    return FormLayout(
        title=_("客户拜访计划表"),
        header_fields=[(_("月份"), "month"), (_("部门"), "department"), (_("状态"), "status")],
        table=[
            XlsxColumn("seq", _("序号"), "int", width=6),
            XlsxColumn("customer", _("客户名称"), width=24),
            XlsxColumn("address", _("地址"), width=28),
            XlsxColumn("contact_info", _("联系方式"), width=20),
            XlsxColumn("visitor", _("拜访人员"), width=14),
            XlsxColumn("purpose", _("拜访目的"), width=28),
            XlsxColumn("deadline", _("拜访时限"), "date", width=12),
            XlsxColumn("remarks", _("备注"), width=18),
        ],
        min_table_rows=10,
        footer_fields=[(_("制表人"), "drafter"), (_("审批人：客户服务部经理"), "approver")],
        signatures=[_("制表人"), _("审批人：客户服务部经理")],
        orientation="landscape",
    )


def visit_plan_sheets(session, plan) -> list[SheetSpec]:
    """One query for the items (customer and visitor joined); other visitors go after the
    assigned Clerk's name."""
    visitor = aliased(ConsoleUser)
    result = session.execute(
        select(VisitPlanItem.seq, Customer.name, VisitPlanItem.address,
               VisitPlanItem.contact_info, visitor.last_name, visitor.first_name,
               VisitPlanItem.visitors, VisitPlanItem.purpose, VisitPlanItem.deadline,
               VisitPlanItem.remarks)
        .join(Customer, Customer.id == VisitPlanItem.customer_id)
        .join(visitor, visitor.id == VisitPlanItem.visitor_id)
        .where(VisitPlanItem.visit_plan_id == plan.id)
        .order_by(VisitPlanItem.seq, VisitPlanItem.id))
    rows = []
    for r in result:
        name = f"{r.last_name or ''}{r.first_name or ''}"
        rows.append({"seq": r.seq, "customer": r.name, "address": r.address,
                     "contact_info": r.contact_info,
                     "visitor": name + (f"（{r.visitors}）" if r.visitors else ""),
                     "purpose": r.purpose, "deadline": r.deadline, "remarks": r.remarks})
    signed = {entry.step: f"{entry.user} {entry.at:%Y-%m-%d}" for entry in history(session, plan)}
    header = {"month": plan.month, "department": str(plan.department or ""),
              "status": str(plan.workflow.state_label(plan.status)),
              "drafter": signed.get("submit", str(plan.owner)),
              "approver": signed.get("approve", "")}
    return [SheetSpec(visit_plan_layout(), header, rows)]


class VisitPlanFormMixin:
    """GET /api/v1/visit_plan/<id>/form.xlsx (DESIGN.md §8)."""

    @expose("/<int:pk>/form.xlsx", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def plan_form(self, pk):
        plan = self.datamodel.get(pk, self._base_filters)
        if plan is None:
            return self.response_404()
        sheets = visit_plan_sheets(self.datamodel.session, plan)
        name = f"{_('客户拜访计划表')}_{plan.month}_{plan.department or ''}.xlsx"
        return send_form(sheets, name)


# --------------------------------------------------------------------------
# 客户接待记录表 with its expenses (policy 01 二 §18–19; DESIGN.md §6, §8)
# --------------------------------------------------------------------------
def reception_form_layout() -> FormLayout:
    label = {k: str(v) for k, v in Reception.field_labels.items()}
    return FormLayout(
        title=_("客户接待记录表"),
        header_fields=[(_("接待编号"), "number"), (_("状态"), "status"),
                       (_("制表日期"), "printed_on")],
        fields=[(_("客户名称"), "customer"), (label["notice_from"], "notice_from"),
                (label["visitor_names"], "visitor_names"),
                Field(label["visitor_count"], "visitor_count", "int"),
                Field(label["arrival"], "arrival", "datetime"),
                Field(label["departure"], "departure", "datetime"),
                Field(label["purpose"], "purpose", span=2),
                (label["host"], "host"), (label["people_met"], "people_met"),
                Field(label["plan"], "plan", span=2),
                Field(label["content"], "content", span=2),
                Field(label["outcome"], "outcome", span=2),
                Field(label["estimated_cost"], "estimated_cost", "money"),
                Field(label["actual_cost"], "actual_cost", "money")],
        fields_per_row=2,
        table=[XlsxColumn("seq", _("序号"), "int", width=13),
               XlsxColumn("category", str(ReceptionExpense.field_labels["category"]), "enum",
                          labels(EXPENSE_CATEGORIES), width=14),
               XlsxColumn("amount", str(ReceptionExpense.field_labels["amount"]), "money",
                          width=14),
               XlsxColumn("invoice_no", str(ReceptionExpense.field_labels["invoice_no"]),
                          width=18),
               XlsxColumn("remarks", str(ReceptionExpense.field_labels["remarks"]), width=30)],
        min_table_rows=6,
        signatures=[_("接待人"), _("核实人（客户关系主管）"), _("财务结算")],
        orientation="portrait",
        one_page=True,
    )


def reception_form_sheets(session, reception) -> list[SheetSpec]:
    lines = session.execute(
        select(ReceptionExpense.category, ReceptionExpense.amount, ReceptionExpense.invoice_no,
               ReceptionExpense.remarks)
        .where(ReceptionExpense.reception_id == reception.id)
        .order_by(ReceptionExpense.id)).all()
    rows = [(seq, *line) for seq, line in enumerate(lines, start=1)]
    total = sum((Decimal(line.amount) for line in lines), Decimal("0.00"))
    rows.append((None, _("合计"), total, None, None))
    header = {
        "number": reception.id,
        "status": str(reception.workflow.state_label(reception.status)),
        "printed_on": now_cn().strftime("%Y-%m-%d"),
        "customer": reception.customer.name, "notice_from": reception.notice_from,
        "visitor_names": reception.visitor_names, "visitor_count": reception.visitor_count,
        "arrival": reception.arrival, "departure": reception.departure,
        "purpose": reception.purpose, "host": reception.host or str(reception.owner),
        "people_met": reception.people_met, "plan": reception.plan,
        "content": reception.content, "outcome": reception.outcome,
        "estimated_cost": reception.estimated_cost, "actual_cost": reception.actual_cost,
    }
    return [SheetSpec(reception_form_layout(), header, rows)]


class ReceptionFormMixin:
    """GET /api/v1/reception/<id>/form.xlsx (DESIGN.md §8)."""

    @expose("/<int:pk>/form.xlsx", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def reception_form(self, pk):
        reception = self.datamodel.get(pk, self._base_filters)
        if reception is None:
            return self.response_404()
        sheets = reception_form_sheets(self.datamodel.session, reception)
        day = reception.arrival.strftime("%Y%m%d") if reception.arrival else ""
        name = f"{_('客户接待记录表')}_{reception.customer.name}_{day}.xlsx"
        return send_form(sheets, name)
