"""客户投诉 family: complaint register, improvement measures, workday overrides,
monthly statistics (web page and API) and overdue marking."""
import re
from datetime import date

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.api import safe
from flask_appbuilder.fieldwidgets import DateTimePickerWidget
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.decorators import has_access, permission_name, protect
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import DateTimeField
from wtforms.validators import Optional

from app.charts import Chart, ChartError, month_labels, month_of
from app.filters import ChoiceEqual, DateBetween
from app.models.calendar import WorkdayOverride, calendar_warning
from app.models.complaints import (
    CATEGORIES,
    DUE_STEPS,
    TITLE_CAP,
    Complaint,
    ImprovementMeasure,
    complaint_problem,
    month_bounds,
    monthly_stats,
    overdue_counts,
    overdue_in_list,
)
from app.models.satisfaction import SatisfactionSurvey, measure_problem, survey_results
from app.saved_views import Preset, this_month
from app.scope import ScopedInterface, current_user, in_scope
from app.security import READ, WRITE
from app.timeutil import now_cn, today_cn
from app.views.base import AUDIT, AUDIT_API, RegisterApi, RegisterView
from app.views.charts import chart_page_context
from app.views.paper_forms import ComplaintFormMixin
from app.widgets import datetime_field
from app.workdays import end_of_workday

# Complaints are records the policy keeps (投诉受理时同步记录): only admins delete them.
COMPLAINT_ACCESS = {"Clerk": WRITE + ("can_escalate",), "Supervisor": WRITE + ("can_escalate",),
                    "Executive": READ + ("can_escalate",), "Finance": READ}
MEASURE_ACCESS = {"Clerk": WRITE, "Supervisor": WRITE, "Executive": READ, "Finance": READ}
STATS_ACCESS = {role: ("can_list",) for role in ("Clerk", "Supervisor", "Executive", "Finance")}


def _is_admin_of_calendar(appbuilder) -> bool:
    return appbuilder.sm.has_access("can_add", "WorkdayOverride")


def _warn_calendar(appbuilder) -> None:
    """Admins are told when this or next year is not in the holidays package."""
    message = calendar_warning()
    if message and _is_admin_of_calendar(appbuilder):
        link = Markup(' <a href="%s">%s</a>') % (url_for("WorkdayOverrideView.list"),
                                                 _("录入工作日调整"))
        flash(escape(message) + link, "warning")


def _overdue_marks(marks) -> Markup:
    return Markup(" ").join(Markup('<span class="label label-danger overdue">%s</span>')
                            % escape(m) for m in (marks or []))


class OverdueFilter(BaseFilter):
    """Rows with a handling, escalation or follow-up deadline passed (API: opr=overdue)."""

    name = _l("超期")
    arg_name = "complaint_overdue"

    def apply(self, query, value):
        return query.filter(Complaint.overdue)


class MyOverdueFilter(BaseFilter):
    """My overdue complaints: overdue rows I own (API: opr=my_overdue)."""

    name = _l("我的超期")
    arg_name = "complaint_my_overdue"

    def apply(self, query, value):
        user = current_user()
        return query.filter(Complaint.overdue, Complaint.owner_id == getattr(user, "id", None))


def complaint_trend(session, user, params) -> dict:
    """投诉月度趋势: per month of the period, complaints received per category (stacked) and
    处理率 / 及时率 / 回访率 of the month — each month is `monthly_stats` (the register's own
    statistics SQL, one GROUP BY per month), so the trend and the monthly table always agree."""
    months = month_labels(params.start, params.end)
    if len(months) > 24:
        raise ChartError(_("趋势图的期间最长 24 个月"))
    where = () if params.department_ids is None else \
        (Complaint.department_id.in_(params.department_ids),)
    received = {category: [] for category in CATEGORIES}
    rates = {"handling_rate": [], "timely_rate": [], "followup_rate": []}
    for month in months:
        rows, total = monthly_stats(session, *month_bounds(month), user=user, where=where)
        for row in rows:
            received[row["category"]].append(row["received"])
        for key, values in rates.items():
            values.append(total[key])
    rate_names = {"handling_rate": _("处理率"), "timely_rate": _("及时率"),
                  "followup_rate": _("回访率")}
    series = [{"name": str(CATEGORIES[c]), "key": c, "data": data}
              for c, data in received.items()]
    series += [{"name": rate_names[k], "key": k, "data": data, "kind": "line", "axis": "rate"}
               for k, data in rates.items()]
    return {"labels": months, "keys": months, "series": series}


def complaint_overdue(session, user, params) -> dict:
    """超期投诉 now, by kind (DESIGN.md §4: counted on the dashboard): `overdue_counts`, one
    SQL query in scope (and department)."""
    where = () if params.department_ids is None else \
        (Complaint.department_id.in_(params.department_ids),)
    counts = overdue_counts(session, user, where=where)
    kinds = ["handling", "escalation", "followup"]
    labels = [str(Complaint.field_labels[f"overdue_{k}"]) for k in kinds]
    return {"labels": labels, "keys": kinds,
            "series": [{"name": _("超期投诉"), "key": "overdue",
                        "data": [counts[k] for k in kinds]}],
            "period": {"from": None, "to": None, "column": None}}


def overdue_list(_view, args, _params) -> str:
    """超期投诉's 明细: the overdue complaints in scope (and the department chosen)."""
    return url_for("OverdueComplaintView.list", **args)


# --- 整改措施 ------------------------------------------------------------------------
class ImprovementMeasureView(RegisterView):
    datamodel = ScopedInterface(ImprovementMeasure)
    role_access = MEASURE_ACCESS
    list_title, show_title = _l("整改措施列表"), _l("查看整改措施")
    add_title, edit_title = _l("新增整改措施"), _l("编辑整改措施")
    list_columns = ["source", "problem", "responsible", "due_date", "status", "verified_on",
                    "owner"]
    show_fieldsets = [
        (_l("整改措施"), {"fields": ["source_type", "complaint", "survey", "problem",
                                    "measure", "responsible", "due_date", "result", "status"]}),
        (_l("完成与验证"), {"fields": ["finished_on", "verified_by", "verified_on"]}),
        (_l("记录信息"), {"fields": AUDIT, "expanded": False}),
    ]
    add_columns = edit_columns = ["source_type", "complaint", "survey", "problem", "measure",
                                  "responsible", "due_date", "result"]
    search_columns = ["source_type", "complaint", "survey", "responsible", "due_date", "status",
                      "owner"]
    description_columns = {
        "survey": _l("来源为满意度调查时选择来源调查"),
        "measure": _l("开始整改前须填写整改措施、责任人和完成期限"),
    }
    base_order = ("due_date", "asc")
    charts = [
        Chart("by_status", _l("整改措施状态"), group_by="status", series="source_type",
              kind="stacked_bar"),
        Chart("per_month", _l("每月到期的整改措施"), group_by=month_of("due_date"),
              series="status", kind="stacked_bar"),
    ]

    def _get_add_widget(self, form, exclude_cols=None, widgets=None):
        if request.method == "GET":
            self._fill_source(form)
        return super()._get_add_widget(form, exclude_cols=exclude_cols, widgets=widgets)

    def _fill_source(self, form):
        """提出整改措施 opens this form filled from its source: ?complaint=<id>, or
        ?survey=<id>&dimension=<name> (a dimension of the survey's results)."""
        session = self.datamodel.session
        complaint, survey = (session.get(model, int(raw)) if raw.isdigit() else None
                             for model, raw in ((Complaint, request.args.get("complaint", "")),
                                                (SatisfactionSurvey,
                                                 request.args.get("survey", ""))))
        if complaint is not None and in_scope(complaint):
            form.source_type.data, form.complaint.data = "complaint", complaint
            form.problem.data = complaint_problem(complaint)
        elif survey is not None and in_scope(survey):
            form.source_type.data, form.survey.data = "survey", survey
            dimensions = survey_results(session, survey, current_user())["dimensions"]
            row = next((r for r in dimensions if r["name"] == request.args.get("dimension")),
                       None)
            form.problem.data = measure_problem(survey, row) if row is not None else None


class ImprovementMeasureApi(RegisterApi):
    resource_name = "improvement_measure"
    datamodel = ScopedInterface(ImprovementMeasure)
    role_access = MEASURE_ACCESS
    list_columns = show_columns = ["id", "source", "source_type", "complaint.id",
                                   "complaint.code", "survey.id", "survey.title", "problem",
                                   "measure",
                                   "responsible", "due_date", "result", "finished_on",
                                   "verified_by.id", "verified_by.username", "verified_on",
                                   "status", *AUDIT_API]
    add_columns = edit_columns = ImprovementMeasureView.add_columns
    search_columns = ["source_type", "complaint", "survey", "status", "due_date"]


# --- 客户投诉登记表 --------------------------------------------------------------------
COMPLAINT_LIST = ["code", "customer", "received_at", "category", "is_collective",
                  "parties_count", "status", "due_at", "due_step", "overdue_marks", "owner"]
COMPLAINT_FIELDSETS = [
    (_l("投诉登记"), {"fields": ["code", "customer", "received_at", "channel", "complainant",
                                "contact_info", "parties_count", "is_collective", "category",
                                "in_scope", "description", "handler", "status"]}),
    (_l("期限"), {"fields": ["customer_due_at", "due_at", "due_step", "escalate_due_at",
                            "escalated_at", "followup_due_at", "overdue_marks"]}),
    (_l("处理与回访"), {"fields": ["handled_at", "resolved_at", "resolution", "followed_up_at",
                                  "followup_result", "satisfied"]}),
    (_l("记录信息"), {"fields": AUDIT, "expanded": False}),
]
COMPLAINT_FORM = ["customer", "received_at", "channel", "complainant", "contact_info",
                  "parties_count", "category", "in_scope", "customer_due_at", "description",
                  "handler"]
COMPLAINT_SEARCH = ["code", "customer", "received_at", "channel", "category", "is_collective",
                    "status", "due_at", "due_step", "handler", "owner", "department"]
COMPLAINT_DESCRIPTIONS = {
    "received_at": _l("默认为当前时间；可改为实际受理时间，但不能晚于现在"),
    "parties_count": _l("五户及以上针对同一事项同时投诉为集体投诉：不论类别，"
                        "均须当天进入处理程序、次个工作日内上报集团，优先处理"),
    "category": _l("重大及集体投诉：当天进入处理程序、次个工作日内上报集团；"
                   "一般：2个工作日内或顾客要求的期限内处理完毕；"
                   "无责任：当天鉴别并进入处理程序；协助处理：范围内当天答复、范围外3个工作日内"),
    "customer_due_at": _l("仅一般责任投诉适用：顾客要求在某时限内解决的，以此为处理期限"),
    "in_scope": _l("仅协助处理投诉适用：属商业广场范围内的当天答复，范围外的3个工作日内答复"),
    "handler": _l("负责处理的人员或部门"),
}
COMPLAINT_FORMATTERS = {"overdue_marks": _overdue_marks}


class DeadlineField(DateTimeField):
    """顾客要求的期限: the picker writes a date alone (YYYY-MM-DD), which means the end of
    that working day; a typed time is kept."""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "") or ""
        if re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", text):
            try:
                self.data = end_of_workday(date.fromisoformat(text.strip()))
            except ValueError:
                self.data = None
                raise ValueError(self.gettext("Not a valid datetime value.")) from None
            return
        super().process_formdata(valuelist)


def _customer_due_field():
    return DeadlineField(_l("顾客要求的期限"), format=["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"],
                         widget=DateTimePickerWidget(), validators=[Optional()],
                         description=COMPLAINT_DESCRIPTIONS["customer_due_at"])


def _received_at_field():
    return datetime_field(_l("受理时间"), COMPLAINT_DESCRIPTIONS["received_at"], default=now_cn)


class ComplaintView(RegisterView):
    datamodel = ScopedInterface(Complaint)
    presets = [
        Preset(_l("我的超期投诉"), endpoint="MyOverdueComplaintView.list"),
        Preset(_l("本月受理的投诉"), {"received_at": (DateBetween, this_month)},
               sort="received_at desc"),
        Preset(_l("待我结案"), {"status": (ChoiceEqual, "followed_up")},
               roles=("Supervisor", "Admin")),
    ]
    role_access = COMPLAINT_ACCESS
    show_template = "complaint/show.html"
    inline_steps = ("resolve", "follow_up", "escalate")  # in the 投诉处理 panel
    list_title, show_title = _l("客户投诉登记表"), _l("查看客户投诉")
    add_title, edit_title = _l("登记客户投诉"), _l("编辑客户投诉")
    list_columns = COMPLAINT_LIST
    show_fieldsets = COMPLAINT_FIELDSETS
    add_columns = edit_columns = COMPLAINT_FORM
    add_form_extra_fields = {"received_at": _received_at_field(),
                             "customer_due_at": _customer_due_field()}
    edit_form_extra_fields = {"customer_due_at": _customer_due_field()}
    search_columns = COMPLAINT_SEARCH
    description_columns = COMPLAINT_DESCRIPTIONS
    formatters_columns = COMPLAINT_FORMATTERS
    related_views = [ImprovementMeasureView]
    base_order = ("is_collective", "desc")
    charts = [
        Chart("trend", _l("投诉月度趋势（处理率、及时率、回访率）"),
              group_by=month_of("received_at"), kind="stacked_bar", query=complaint_trend),
        Chart("per_month", _l("每月投诉（按类别）"), group_by=month_of("received_at"),
              series="category", kind="stacked_bar"),
        Chart("by_category", _l("投诉类别"), group_by="category", kind="pie",
              period="received_at"),
        Chart("by_channel", _l("投诉方式"), group_by="channel", kind="bar",
              period="received_at"),
        Chart("overdue", _l("超期投诉"), kind="bar", query=complaint_overdue,
              drill=overdue_list),
    ]

    def render_template(self, template, **kwargs):
        if template == self.list_template:
            kwargs["title"] = _overdue_title(self.datamodel.session, self.list_title)
            _warn_calendar(self.appbuilder)
        pk = kwargs.get("pk")
        if template == self.show_template and pk is not None:
            item = self.datamodel.get(pk, self._base_filters)
            if item is not None:
                kwargs["complaint"] = item
                kwargs["due_step_label"] = DUE_STEPS.get(item.due_step, item.due_step)
                kwargs["can_raise_measure"] = self.appbuilder.sm.has_access(
                    "can_add", "ImprovementMeasure")
        return super().render_template(template, **kwargs)


def _overdue_title(session, title) -> str:
    total, mine = (f"{TITLE_CAP:,}+" if n > TITLE_CAP else n
                   for n in overdue_in_list(session, current_user()))
    if not total:
        return str(title)
    if not mine:
        return _("%(title)s（超期 %(n)s 条）", title=title, n=total)
    return _("%(title)s（超期 %(n)s 条，其中我的 %(mine)s 条）", title=title, n=total, mine=mine)


class MyOverdueComplaintView(RegisterView):
    """我的超期投诉: the complaints I own with a deadline passed. Rows open in ComplaintView."""

    datamodel = ScopedInterface(Complaint)
    role_access = COMPLAINT_ACCESS
    list_title, show_title = _l("我的超期投诉"), _l("查看客户投诉")
    add_title, edit_title = _l("登记客户投诉"), _l("编辑客户投诉")
    list_columns = COMPLAINT_LIST
    show_fieldsets = COMPLAINT_FIELDSETS
    add_columns = edit_columns = COMPLAINT_FORM
    search_columns = COMPLAINT_SEARCH
    formatters_columns = COMPLAINT_FORMATTERS
    base_filters = [["id", MyOverdueFilter, None]]
    base_order = ("is_collective", "desc")

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        return redirect(url_for("ComplaintView.show", pk=pk))

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        return redirect(url_for("ComplaintView.edit", pk=pk))

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        return redirect(url_for("ComplaintView.add"))


class OverdueComplaintView(MyOverdueComplaintView):
    """超期投诉: every overdue complaint in scope (the dashboard tile's 明细)."""

    datamodel = ScopedInterface(Complaint)
    list_title = _l("超期投诉")
    list_columns = COMPLAINT_LIST
    show_fieldsets = COMPLAINT_FIELDSETS
    add_columns = edit_columns = COMPLAINT_FORM
    search_columns = COMPLAINT_SEARCH
    formatters_columns = COMPLAINT_FORMATTERS
    base_filters = [["id", OverdueFilter, None]]


class ComplaintStatsView(BaseView):
    """投诉月度统计 (policy 4.8.1): per category, with a month picker."""

    route_base = "/complaintstats"
    default_view = "list"
    class_permission_name = "ComplaintStats"
    role_access = STATS_ACCESS

    @expose("/")
    @has_access
    def list(self):
        month = request.args.get("month") or today_cn().strftime("%Y-%m")
        bounds = month_bounds(month)
        if bounds is None:
            flash(_("月份格式应为 YYYY-MM"), "danger")
            month = today_cn().strftime("%Y-%m")
            bounds = month_bounds(month)
        rows, total = monthly_stats(self.appbuilder.session, *bounds, user=current_user())
        trend = {"id": "complaint-trend", "wide": True,
                 "title": _("截至 %(month)s 的 12 个月趋势", month=month),
                 "src": url_for("ChartApi.chart", resource="complaint", name="trend",
                                to=month)}
        return self.render_template("complaint/stats.html", title=_("投诉月度统计"),
                                    month=month, rows=rows, total=total,
                                    categories=CATEGORIES, trend=trend,
                                    **chart_page_context(self.appbuilder))


class ComplaintApi(ComplaintFormMixin, RegisterApi):
    resource_name = "complaint"
    datamodel = ScopedInterface(Complaint)
    role_access = COMPLAINT_ACCESS
    list_columns = show_columns = [
        "id", "code", "customer.id", "customer.name", "received_at", "channel", "complainant",
        "contact_info", "parties_count", "is_collective", "category", "in_scope",
        "description", "handler", "customer_due_at", "due_at", "due_step", "escalate_due_at",
        "escalated_at", "handled_at", "resolved_at",
        "resolution", "followup_due_at", "followed_up_at", "followup_result", "satisfied",
        "status", "overdue", "overdue_handling", "overdue_escalation", "overdue_followup",
        *AUDIT_API]
    add_columns = edit_columns = COMPLAINT_FORM
    search_columns = ["customer", "category", "channel", "status", "received_at",
                      "is_collective", "due_step", "code", "owner"]
    search_filters = {"status": [OverdueFilter, MyOverdueFilter]}
    base_order = ("is_collective", "desc")

    @expose("/stats", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def stats(self):
        """GET /api/v1/complaint/stats?month=YYYY-MM (DESIGN.md §4, §8)."""
        month = request.args.get("month") or today_cn().strftime("%Y-%m")
        bounds = month_bounds(month)
        if bounds is None:
            return self.response_400(message=_("月份格式应为 YYYY-MM"))
        rows, total = monthly_stats(self.datamodel.session, *bounds, user=current_user())
        return self.response(200, month=month, result=rows, total=total)

    @expose("/overdue", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def overdue(self):
        """GET /api/v1/complaint/overdue: overdue counts in my scope (for the dashboard)."""
        return self.response(200, result=overdue_counts(self.datamodel.session,
                                                        current_user()))


# --- 工作日调整 ------------------------------------------------------------------------
class WorkdayOverrideView(RegisterView):
    datamodel = ScopedInterface(WorkdayOverride)
    list_title, show_title = _l("工作日调整"), _l("查看工作日调整")
    add_title, edit_title = _l("新增工作日调整"), _l("编辑工作日调整")
    list_columns = ["date", "is_workday", "note", "owner", "changed_on"]
    show_columns = ["date", "is_workday", "note", "owner", "created_on", "changed_on"]
    add_columns = edit_columns = ["date", "is_workday", "note"]
    search_columns = ["date", "is_workday", "note"]
    description_columns = {
        "date": _l("该日按下面的设置计算，优先于国家法定节假日安排"),
        "is_workday": _l("勾选为工作日（如调休上班），不勾选为休息日"),
    }
    base_order = ("date", "desc")

    def render_template(self, template, **kwargs):
        if template == self.list_template:
            _warn_calendar(self.appbuilder)
        return super().render_template(template, **kwargs)


class WorkdayOverrideApi(RegisterApi):
    resource_name = "workday_override"
    datamodel = ScopedInterface(WorkdayOverride)
    list_columns = show_columns = ["id", "date", "is_workday", "note", "owner.username",
                                   "created_on", "changed_on", "version"]
    add_columns = edit_columns = ["date", "is_workday", "note"]
    search_columns = ["date", "is_workday"]
    base_order = ("date", "desc")


__all__ = ["ComplaintApi", "ComplaintStatsView", "ComplaintView", "ImprovementMeasureApi",
           "ImprovementMeasureView", "MyOverdueComplaintView", "OverdueComplaintView", "WorkdayOverrideApi",
           "WorkdayOverrideView"]
