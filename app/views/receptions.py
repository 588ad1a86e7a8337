"""客户接待 family: receptions with their expense lines, the yearly cost table (page and
API) and the 客户接待记录表 paper form."""
import re
from datetime import timedelta

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.api import safe
from flask_appbuilder.fieldwidgets import DateTimePickerWidget
from flask_appbuilder.models.sqla.filters import FilterGreater, FilterNotEqual
from flask_appbuilder.security.decorators import has_access, permission_name, protect
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from wtforms import DateTimeField
from wtforms.validators import DataRequired

from app.charts import Chart, month_of, sum_of
from app.filters import ChoiceEqual
from app.guards import parse_id
from app.models.complaints import CATEGORIES as COMPLAINT_CATEGORIES
from app.models.complaints import Complaint
from app.models.customers import Contact, Customer
from app.models.receptions import (
    EXPENSE_CATEGORIES,
    LOCKED_STATES,
    Reception,
    ReceptionExpense,
    executive_limit,
    locked_refusal,
    money,
    reception_costs,
)
from app.saved_views import Preset
from app.scope import ScopedInterface, current_user, scope_clause
from app.security import FULL, READ
from app.timeutil import now_cn, today_cn
from app.views.base import AUDIT, AUDIT_API, RegisterApi, RegisterView
from app.views.home import Panel, home_panel
from app.views.paper_forms import ReceptionFormMixin

# Finance settles: it reads every reception and keeps the expense lines until settlement.
EXPENSE_ACCESS = {"Clerk": FULL, "Supervisor": FULL, "Executive": READ, "Finance": FULL}
COSTS_ACCESS = {role: ("can_list",) for role in ("Clerk", "Supervisor", "Executive", "Finance")}
RECENT_COMPLAINTS = 5
UPCOMING_DAYS, UPCOMING_ROWS = 14, 10
UPCOMING_STATES = ("notified", "requested", "approved", "returned")


def _money(value):
    return "" if value is None else money(value)


def _estimate(value):
    """预计费用, marked when it needs the Executive's approval (above the limit)."""
    if value is None:
        return ""
    if value > executive_limit():
        return Markup('%s <span class="label label-warning above-limit">%s</span>') % (
            money(value), _("须总经理审批"))
    return money(value)


# --- 接待费用 --------------------------------------------------------------------------
class ReceptionExpenseView(RegisterView):
    datamodel = ScopedInterface(ReceptionExpense)
    role_access = EXPENSE_ACCESS
    list_title, show_title = _l("接待费用列表"), _l("查看接待费用")
    add_title, edit_title = _l("新增接待费用"), _l("编辑接待费用")
    list_columns = ["reception", "category", "amount", "invoice_no", "remarks", "owner"]
    show_fieldsets = [
        (_l("接待费用"), {"fields": ["reception", "category", "amount", "invoice_no",
                                    "remarks"]}),
        (_l("记录信息"), {"fields": AUDIT, "expanded": False}),
    ]
    add_columns = ["reception", "category", "amount", "invoice_no", "remarks"]
    edit_columns = ["category", "amount", "invoice_no", "remarks"]
    search_columns = ["reception", "category", "amount", "invoice_no", "owner"]
    # lines are added to receptions still open for them (not settled, not rejected)
    add_form_query_rel_fields = {"reception": [["status", FilterNotEqual, state]
                                               for state in LOCKED_STATES]}
    formatters_columns = {"amount": _money}
    description_columns = {"amount": _l("单位：元，保留两位小数"),
                           "invoice_no": _l("票据（发票）号码，结算时核对")}
    base_order = ("id", "desc")

    def _validate(self, item):
        g.reception_id = item.reception_id or getattr(item.reception, "id", None)
        super()._validate(item)

    def pre_delete(self, item):
        g.reception_id = item.reception_id
        problem = locked_refusal(item.reception)
        if problem:
            raise problem
        super().pre_delete(item)

    def _back_to_reception(self):
        """Lines are edited on their reception's page: go back there."""
        reception_id = parse_id(getattr(g, "reception_id", None) or request.form.get("reception"))
        if reception_id:
            return redirect(url_for("ReceptionView.show", pk=reception_id))
        return None

    def post_add_redirect(self):
        return self._back_to_reception() or super().post_add_redirect()

    def post_edit_redirect(self):
        return self._back_to_reception() or super().post_edit_redirect()

    def post_delete_redirect(self):
        return self._back_to_reception() or super().post_delete_redirect()


class ReceptionExpenseApi(RegisterApi):
    resource_name = "reception_expense"
    datamodel = ScopedInterface(ReceptionExpense)
    role_access = EXPENSE_ACCESS
    list_columns = show_columns = ["id", "reception.id", "category", "amount", "invoice_no",
                                   "remarks", *AUDIT_API]
    add_columns = ["reception", "category", "amount", "invoice_no", "remarks"]
    edit_columns = ["category", "amount", "invoice_no", "remarks"]
    search_columns = ["reception", "category", "invoice_no"]

    def pre_delete(self, item):
        problem = locked_refusal(item.reception)
        if problem:
            raise problem
        super().pre_delete(item)


# --- 客户接待 --------------------------------------------------------------------------
RECEPTION_FORM = ["customer", "notice_from", "visitor_names", "visitor_count", "purpose",
                  "arrival", "departure", "host", "need_meal", "meal_estimate", "need_lodging",
                  "lodging_estimate", "plan", "itinerary"]
RECEPTION_DESCRIPTIONS = {
    "notice_from": _l("发出“客户来访通知单”的部门，如销售部"),
    "visitor_names": _l("来访人员姓名、职务，多人用顿号分隔"),
    "meal_estimate": _l("接待用餐申请的预计金额（元）"),
    "lodging_estimate": _l("接待住宿申请的预计金额（元）"),
    "plan": _l("接待方案：迎接方式与地点、接待设施、用餐和住宿安排；提交申请前必填"),
    "host": _l("负责接待的客户关系专员"),
}

# The picker fills in the day (yyyy-mm-dd); a time may be typed after it.
WHEN_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"]


def _when_fields() -> dict:
    return {name: DateTimeField(Reception.field_labels[name], format=WHEN_FORMATS,
                                widget=DateTimePickerWidget(), validators=[DataRequired()],
                                description=_l("点日历选择日期，可在日期后输入时间，如 09:30"))
            for name in ("arrival", "departure")}


class ReceptionView(RegisterView):
    charts = [Chart("cost_per_month", _l("每月接待费用（预计与实际）"),
                    group_by=month_of("arrival"),
                    measures=[sum_of("estimated_cost"), sum_of("actual_cost")], kind="line")]
    datamodel = ScopedInterface(Reception)
    presets = [
        Preset(_l("待我审批"), {"status": (ChoiceEqual, "requested")},
               roles=("Supervisor", "Admin")),
        Preset(_l("须总经理审批的接待"), {"status": (ChoiceEqual, "requested"),
                                   "estimated_cost": (FilterGreater, executive_limit)},
               roles=("Executive", "Admin")),
        Preset(_l("待结算"), {"status": (ChoiceEqual, "verified")}, roles=("Finance", "Admin")),
    ]
    show_template = "reception/show.html"
    add_template, edit_template = "reception/add.html", "reception/edit.html"
    list_title, show_title = _l("客户接待"), _l("查看客户接待")
    add_title, edit_title = _l("登记来访通知"), _l("编辑客户接待")
    list_columns = ["customer", "arrival", "departure", "visitor_count", "notice_from",
                    "estimated_cost", "actual_cost", "status", "owner"]
    show_fieldsets = [
        (_l("来访通知"), {"fields": ["customer", "notice_from", "visitor_names",
                                    "visitor_count", "purpose", "arrival", "departure",
                                    "host", "status"]}),
        (_l("接待方案与申请"), {"fields": ["need_meal", "meal_estimate", "need_lodging",
                                          "lodging_estimate", "estimated_cost", "plan",
                                          "itinerary", "approved_by", "approved_at"]}),
        (_l("客户接待记录表"), {"fields": ["content", "outcome", "people_met", "received_at",
                                          "verified_by", "verified_at"]}),
        (_l("费用结算"), {"fields": ["actual_cost", "settled_by", "settled_at"]}),
        (_l("记录信息"), {"fields": AUDIT, "expanded": False}),
    ]
    add_columns = edit_columns = RECEPTION_FORM
    add_form_extra_fields = _when_fields()
    edit_form_extra_fields = _when_fields()
    search_columns = ["customer", "notice_from", "arrival", "status", "estimated_cost",
                      "actual_cost", "owner", "department"]
    description_columns = RECEPTION_DESCRIPTIONS
    formatters_columns = {"meal_estimate": _money, "lodging_estimate": _money,
                          "estimated_cost": _estimate, "actual_cost": _money}
    base_order = ("arrival", "desc")

    def render_template(self, template, **kwargs):
        pk = kwargs.get("pk")
        if template == self.show_template and pk is not None:
            item = self.datamodel.get(pk, self._base_filters)
            if item is not None:
                kwargs.update(reception_context(self.appbuilder, self.datamodel.session, item))
        return super().render_template(template, **kwargs)


def reception_context(appbuilder, session, item) -> dict:
    """What the show page adds: the visitors' decision makers (policy §12: 兴趣爱好、习惯),
    the customer's recent complaints, the expense lines and whether they may change."""
    sm, user = appbuilder.sm, current_user()
    makers = session.scalars(
        select(Contact).where(Contact.customer_id == item.customer_id,
                              Contact.is_decision_maker.is_(True),
                              scope_clause(Contact, user))
        .order_by(Contact.name)).all()
    complaints = session.scalars(
        select(Complaint).where(Complaint.customer_id == item.customer_id,
                                scope_clause(Complaint, user))
        .order_by(Complaint.received_at.desc()).limit(RECENT_COMPLAINTS)).all()
    locked = item.status in LOCKED_STATES
    limit = executive_limit()
    return {
        "reception": item,
        "decision_makers": makers,
        "recent_complaints": complaints,
        "complaint_categories": COMPLAINT_CATEGORIES,
        "complaint_states": Complaint.workflow.states,
        "expenses": sorted(item.expenses, key=lambda e: e.id),
        "expense_categories": EXPENSE_CATEGORIES,
        "expenses_locked": locked,
        "can_add_expense": not locked and sm.has_access("can_add", "ReceptionExpense"),
        "can_edit_expense": not locked and sm.has_access("can_edit", "ReceptionExpense"),
        "can_delete_expense": not locked and sm.has_access("can_delete", "ReceptionExpense"),
        "money": money,
        "limit": limit,
        "needs_executive": (item.estimated_cost or 0) > limit,
    }


class ReceptionApi(ReceptionFormMixin, RegisterApi):
    resource_name = "reception"
    datamodel = ScopedInterface(Reception)
    list_columns = show_columns = [
        "id", "customer.id", "customer.name", "notice_from", "visitor_names", "visitor_count",
        "purpose", "arrival", "departure", "host", "need_meal", "meal_estimate",
        "need_lodging", "lodging_estimate", "estimated_cost", "plan", "itinerary", "content",
        "outcome", "people_met", "actual_cost", "status", "approved_at", "approved_by.id",
        "approved_by.username", "received_at", "verified_at", "verified_by.id",
        "verified_by.username", "settled_at", "settled_by.id", "settled_by.username",
        *AUDIT_API]
    add_columns = edit_columns = RECEPTION_FORM
    search_columns = ["customer", "status", "arrival", "notice_from", "estimated_cost"]
    base_order = ("arrival", "desc")

    def pre_get(self, data):
        super().pre_get(data)
        result = data.get("result", {})
        if "id" in result:
            item = self.datamodel.get(result["id"], self._base_filters)
            result["expenses"] = [
                {"id": e.id, "category": e.category, "amount": str(e.amount),
                 "invoice_no": e.invoice_no, "remarks": e.remarks}
                for e in sorted(item.expenses, key=lambda e: e.id)]

    @expose("/costs", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def costs(self):
        """GET /api/v1/reception/costs?year=YYYY (DESIGN.md §8): per month in my scope."""
        year = parse_year(request.args.get("year"))
        if year is None:
            return self.response_400(message=_("年份格式应为 YYYY"))
        rows, total = reception_costs(self.datamodel.session, year, current_user())
        as_text = [{**r, "estimated": str(r["estimated"]), "actual": str(r["actual"])}
                   for r in rows]
        return self.response(200, year=year, result=as_text,
                             total={**total, "estimated": str(total["estimated"]),
                                    "actual": str(total["actual"])})


def parse_year(text):
    if text in (None, ""):
        return today_cn().year
    if not re.fullmatch(r"\d{4}", text.strip()) or not 1900 <= int(text) <= 2100:
        return None
    return int(text)


class ReceptionCostsView(BaseView):
    """接待费用统计: per month of the year, in the viewer's scope (Finance: every reception)."""

    route_base = "/receptioncosts"
    default_view = "list"
    class_permission_name = "ReceptionCosts"
    role_access = COSTS_ACCESS

    @expose("/")
    @has_access
    def list(self):
        year = parse_year(request.args.get("year"))
        if year is None:
            flash(_("年份格式应为 YYYY"), "danger")
            year = today_cn().year
        rows, total = reception_costs(self.appbuilder.session, year, current_user())
        return self.render_template("reception/costs.html", title=_("接待费用统计"),
                                    year=year, rows=rows, total=total, money=money,
                                    limit=executive_limit())


@home_panel
def upcoming_visits(appbuilder, user):
    """近期来访: receptions in my scope arriving in the next two weeks, still to be held."""
    if not appbuilder.sm.has_access("can_list", "Reception"):
        return None
    now = now_cn()
    rows = appbuilder.session.execute(
        select(Reception.id, Reception.arrival, Reception.visitor_names,
               Reception.visitor_count, Reception.status, Reception.customer_id)
        .where(Reception.status.in_(UPCOMING_STATES), Reception.arrival >= now,
               Reception.arrival < now + timedelta(days=UPCOMING_DAYS),
               scope_clause(Reception, user))
        .order_by(Reception.arrival).limit(UPCOMING_ROWS)).all()
    if not rows:
        return None
    names = dict(appbuilder.session.execute(
        select(Customer.id, Customer.name).where(Customer.id.in_({r.customer_id for r in rows}))
    ).all())
    states = Reception.workflow.states
    return Panel(
        title=_("近期来访（%(days)s 天内）", days=UPCOMING_DAYS),
        columns=[_("到达时间"), _("客户"), _("来访人员"), _("来访人数"), _("状态")],
        rows=[[r.arrival.strftime("%Y-%m-%d %H:%M"), names.get(r.customer_id, ""),
               r.visitor_names, r.visitor_count, str(states.get(r.status, r.status))]
              for r in rows],
        links=[url_for("ReceptionView.show", pk=r.id) for r in rows],
        url=url_for("ReceptionView.list"), style="info")


__all__ = ["ReceptionApi", "ReceptionCostsView", "ReceptionExpenseApi",
           "ReceptionExpenseView", "ReceptionView"]
