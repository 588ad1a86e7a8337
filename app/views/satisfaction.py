"""满意度 family: 满意度调查 (plan → approve → start → report), 调查答卷 (entered on the
survey's page or imported from Excel), results with a bar per dimension, 提出整改措施
from a low dimension, the report form as Excel; 客户需求受理 with overdue marks, the
monthly statistics and the home-page panels.

* GET /api/v1/satisfaction_survey/<id>/results, /<id>/form.xlsx
* GET /api/v1/service_request/overdue, /stats?month=YYYY-MM
* web: /satisfactionsurveyview/results/<id>, raise_measure/<id> (POST),
  import_responses/<id>, response_template/, form/<id>
"""
import io
from datetime import timedelta

from flask import abort, flash, request, send_file, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.api import safe
from flask_appbuilder.fieldwidgets import DateTimePickerWidget
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.decorators import has_access, permission_name, protect
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select
from wtforms import BooleanField, DateTimeField, SelectField
from wtforms.validators import Optional

from app.charts import Chart, ChartError, month_labels, month_of
from app.excel import XLSX_MIMETYPE, Field, FormLayout, SheetSpec, XlsxColumn
from app.filters import ChoiceEqual
from app.importer import ImportSpec, template
from app.models.customers import Customer
from app.models.satisfaction import (
    DIMENSIONS,
    LEVELS,
    METHODS,
    REPORT_HEADINGS,
    URGENCIES,
    SatisfactionSurvey,
    ServiceRequest,
    SurveyResponse,
    dimension_scores,
    full_survey_due,
    last_reported_on,
    level_from,
    overdue_count,
    overdue_requests,
    service_request_stats,
    survey_results,
)
from app.saved_views import Preset
from app.scope import ScopedInterface, current_user, scope_clause
from app.security import READ, WRITE
from app.timeutil import month_bounds, now_cn, today_cn
from app.views.base import AUDIT, AUDIT_API, RegisterApi, RegisterView
from app.views.complaints import ImprovementMeasureView
from app.views.home import Panel, home_panel
from app.views.imports import import_upload
from app.views.paper_forms import send_form

# Surveys and their answers are records: only admins delete them.
RECORD_ACCESS = {"Clerk": WRITE, "Supervisor": WRITE, "Executive": READ, "Finance": READ}


def _level_choices():
    return [("", "—")] + [(str(n), label) for n, label in LEVELS.items()]


def _to_level(value):
    return None if value in (None, "", "None") else int(value)


def level_fields() -> dict:
    """One select per dimension: 非常满意 … 非常不满意, or — when not asked."""
    return {d: SelectField(label, choices=_level_choices(), coerce=_to_level,
                           validators=[Optional()],
                           description=_l("未询问的项目留空"))
            for d, label in DIMENSIONS.items()}


def _level_label(value):
    return "" if value is None else LEVELS.get(value, value)


def _paragraphs(text) -> Markup:
    """Multi-line text (the report) keeps its lines on the show page."""
    return Markup("<br>").join(escape(line) for line in (text or "").splitlines())


def _percent(value) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def _score(value) -> str:
    return "" if value is None else f"{value:.2f}"


# --- 调查答卷 ---------------------------------------------------------------------------
RESPONSE_FORM = ["survey", "customer", "answered_on", "respondent_profile",
                 "purchase_behaviour", *DIMENSIONS, "comments", "valid"]
RESPONSE_IMPORT = ImportSpec(
    SurveyResponse,
    ("customer", "answered_on", "respondent_profile", "purchase_behaviour", *DIMENSIONS,
     "comments", "valid"),
    natural_key=(),
    parsers={d: level_from for d in DIMENSIONS},
    hints={d: _l("填 1–5 或：非常满意、满意、一般、不满意、非常不满意；未询问的留空")
           for d in DIMENSIONS})


def satisfaction_by_dimension(session, user, params) -> dict:
    """Dashboard tile: `dimension_scores` (one SQL query) of the reported surveys' valid
    answers in the period (to inclusive) and department, lowest first."""
    end = params.end + timedelta(days=1) if params.end else None
    rows = dimension_scores(session, user, params.start, end, params.department_ids)
    return {"labels": [str(r["label"]) for r in rows],
            "series": [{"name": _("平均分"), "key": "average",
                        "data": [r["average"] for r in rows]},
                       {"name": _("满意率"), "key": "satisfied_share", "kind": "line",
                        "axis": "rate", "data": [r["satisfied_share"] for r in rows]}]}


def service_requests_in_time(session, user, params) -> dict:
    """需求响应及时率 per month of the period: `service_request_stats` (one GROUP BY) for
    each month — received, responded, responded in time, and 响应及时率 as a line."""
    months = month_labels(params.start, params.end)
    if len(months) > 24:
        raise ChartError(_("趋势图的期间最长 24 个月"))
    keys = ("received", "responded", "responded_in_time")
    data = {k: [] for k in (*keys, "response_timely_rate")}
    for month in months:
        stats = service_request_stats(session, *month_bounds(month), user=user,
                                      department_ids=params.department_ids)
        for k in data:
            data[k].append(stats[k])
    names = {"received": _("受理"), "responded": _("已响应"),
             "responded_in_time": _("及时响应"), "response_timely_rate": _("响应及时率")}
    series = [{"name": names[k], "key": k, "data": data[k]} for k in keys]
    series.append({"name": names["response_timely_rate"], "key": "response_timely_rate",
                   "data": data["response_timely_rate"], "kind": "line", "axis": "rate"})
    return {"labels": months, "keys": months, "series": series}


class SurveyResponseView(RegisterView):
    charts = [Chart("by_dimension", _l("满意度（各维度平均分与满意率）"), kind="bar",
                    query=satisfaction_by_dimension)]
    datamodel = ScopedInterface(SurveyResponse)
    role_access = RECORD_ACCESS
    list_title, show_title = _l("调查答卷"), _l("查看调查答卷")
    add_title, edit_title = _l("录入调查答卷"), _l("编辑调查答卷")
    list_columns = ["survey", "customer", "answered_on", "average", "valid", "owner"]
    show_fieldsets = [
        (_l("第一部分：客户资料"), {"fields": ["survey", "customer", "answered_on",
                                           "respondent_profile"]}),
        (_l("第二部分：购买行为特征"), {"fields": ["purchase_behaviour"]}),
        (_l("第三部分：满意度"), {"fields": [*DIMENSIONS, "average", "comments", "valid"]}),
        (_l("记录信息"), {"fields": AUDIT, "expanded": False}),
    ]
    add_columns = edit_columns = RESPONSE_FORM
    add_form_extra_fields = {**level_fields(), "valid": BooleanField(
        _l("有效答卷"), default=True, validators=[Optional()],
        description=_l("无效答卷不计入回收率和满意度"))}
    edit_form_extra_fields = level_fields()
    search_columns = ["survey", "customer", "answered_on", "valid", "owner"]
    formatters_columns = {**{d: _level_label for d in DIMENSIONS}, "average": _score}
    description_columns = {
        "respondent_profile": _l("问卷第一部分：客户基本情况"),
        "purchase_behaviour": _l("问卷第二部分：购买行为特征"),
        "comments": _l("开放型问题的回答"),
        "valid": _l("无效答卷不计入回收率和满意度"),
    }
    base_order = ("answered_on", "desc")


class SurveyResponseApi(RegisterApi):
    resource_name = "survey_response"
    datamodel = ScopedInterface(SurveyResponse)
    role_access = RECORD_ACCESS
    list_columns = show_columns = ["id", "survey.id", "survey.title", "customer.id",
                                   "customer.name", "answered_on", "respondent_profile",
                                   "purchase_behaviour", *DIMENSIONS, "average", "comments",
                                   "valid", *AUDIT_API]
    add_columns = edit_columns = RESPONSE_FORM
    search_columns = ["survey", "customer", "answered_on", "valid"]
    base_order = ("answered_on", "desc")


# --- 满意度调查 -------------------------------------------------------------------------
def results_sheets(survey, results) -> list[SheetSpec]:
    """满意度调查报告表: the plan, the figures, a row per dimension, the report text."""
    layout = FormLayout(
        title=_("客户满意度调查报告表"),
        header_fields=[(_("调查名称"), "title"), (_("制表日期"), "printed_on")],
        fields=[(str(SatisfactionSurvey.field_labels["method"]), "method"),
                (_("调查期间"), "period"),
                (str(SatisfactionSurvey.field_labels["staff"]), "staff"),
                (str(SatisfactionSurvey.field_labels["status"]), "status"),
                Field(_("发放份数"), "issued", "int"), Field(_("有效回收份数"), "valid", "int"),
                (_("回收率"), "return_rate"), (_("总体平均分"), "average"),
                (_("总体满意率"), "satisfied_share"), (_("回收份数"), "returned"),
                Field(str(SatisfactionSurvey.field_labels["target"]), "target", span=2)],
        fields_per_row=2,
        table=[XlsxColumn("seq", _("序号"), "int", width=6),
               XlsxColumn("label", _("调查项目"), width=18),
               XlsxColumn("answers", _("答题数"), "int", width=10),
               XlsxColumn("average", _("平均分（1–5）"), "decimal", width=14),
               XlsxColumn("satisfied", _("满意率（%）"), "decimal", width=14)],
        footer_fields=[Field(_("调查报告"), "report")],
        signatures=[_("调查人员"), _("主管领导")],
        orientation="portrait",
    )
    overall = results["overall"]
    header = {
        "title": survey.title, "printed_on": now_cn().strftime("%Y-%m-%d"),
        "method": str(METHODS.get(survey.method, survey.method or "")),
        "period": f"{survey.period_start} ~ {survey.period_end}", "staff": survey.staff,
        "status": str(survey.workflow.state_label(survey.status)),
        "issued": results["issued"], "valid": results["valid"],
        "returned": results["returned"], "return_rate": _percent(results["return_rate"]),
        "average": _score(overall["average"]),
        "satisfied_share": _percent(overall["satisfied_share"]), "target": survey.target,
    }
    rows = [(seq, r["label"], r["answers"], r["average"],
             None if r["satisfied_share"] is None else round(r["satisfied_share"] * 100, 1))
            for seq, r in enumerate(results["dimensions"], start=1)]
    return [SheetSpec(layout, header, rows, footer={"report": survey.report or ""})]


def _form_name(survey) -> str:
    return f"{_('客户满意度调查报告表')}_{survey.id}.xlsx"


class SatisfactionSurveyView(RegisterView):
    datamodel = ScopedInterface(SatisfactionSurvey)
    role_access = RECORD_ACCESS
    show_template = "satisfaction/survey_show.html"
    list_title, show_title = _l("满意度调查"), _l("查看满意度调查")
    add_title, edit_title = _l("新增满意度调查计划"), _l("编辑满意度调查计划")
    list_columns = ["title", "period_start", "period_end", "method", "issued_count",
                    "valid_count", "return_rate", "status", "reported_on", "owner"]
    show_fieldsets = [
        (_l("调查计划"), {"fields": ["title", "period_start", "period_end", "method", "target",
                                    "content", "issued_count", "staff", "status"]}),
        (_l("回收"), {"fields": ["response_count", "valid_count", "return_rate"]}),
        (_l("调查报告"), {"fields": ["report", "reported_on"]}),
        (_l("记录信息"), {"fields": AUDIT, "expanded": False}),
    ]
    add_columns = edit_columns = ["title", "period_start", "period_end", "method", "target",
                                  "content", "issued_count", "staff"]
    search_columns = ["title", "period_start", "method", "status", "reported_on", "owner",
                      "department"]
    formatters_columns = {"return_rate": _percent, "report": _paragraphs}
    description_columns = {
        "target": _l("调查对象及其特点，如喜欢的调查方式"),
        "content": _l("调查内容：产品（功能、质量、价格、样式、使用方便程度、交货）与服务（内容、质量、态度）"),
        "issued_count": _l("发放的问卷份数，用于计算回收率（有效回收份数 ÷ 发放份数）"),
        "staff": _l("负责编制计划和实施调查的人员"),
    }
    related_views = [SurveyResponseView, ImprovementMeasureView]
    base_order = ("period_start", "desc")

    def _survey_or_404(self, pk):
        survey = self.datamodel.get(pk, self._base_filters)
        if survey is None:
            abort(404)
        return survey

    def render_template(self, template, **kwargs):
        pk = kwargs.get("pk")
        if template == self.show_template and pk is not None:
            survey = self.datamodel.get(pk, self._base_filters)
            if survey is not None:
                sm = self.appbuilder.sm
                kwargs["survey"] = survey
                kwargs["report_headings"] = str(REPORT_HEADINGS)
                kwargs["may_answer"] = survey.status == "in_progress" and \
                    sm.has_access("can_add", "SurveyResponse")
                kwargs["may_import"] = survey.status == "in_progress" and \
                    sm.has_access("can_import_xlsx", self.class_permission_name)
        return super().render_template(template, **kwargs)

    @expose("/results/<int:pk>")
    @has_access
    @permission_name("show")
    def results(self, pk):
        """回收率 and per dimension the average and 满意率, lowest first, with bars."""
        survey = self._survey_or_404(pk)
        results = survey_results(self.datamodel.session, survey, current_user())
        return self.render_template(
            "satisfaction/results.html", title=_("满意度调查结果：%(t)s", t=survey.title),
            survey=survey, results=results, levels=LEVELS,
            may_raise=self.appbuilder.sm.has_access("can_add", "ImprovementMeasure"))

    @expose("/form/<int:pk>")
    @has_access
    @permission_name("show")
    def report_form(self, pk):
        survey = self._survey_or_404(pk)
        results = survey_results(self.datamodel.session, survey, current_user())
        return send_form(results_sheets(survey, results), _form_name(survey))

    def import_setup(self, pk):
        return RESPONSE_IMPORT, {"survey": self._survey_or_404(pk)}

    @expose("/import_responses/<int:pk>", methods=["GET", "POST"])
    @has_access
    @permission_name("import_xlsx")
    def import_responses(self, pk):
        """导入答卷 of this survey (all or nothing, through app.importer)."""
        survey = self._survey_or_404(pk)
        problems = []
        if request.method == "POST":
            response, problems = import_upload(self, request.files.get("file"),
                                               url_for(f"{self.endpoint}.show", pk=pk), pk)
            if response is not None:
                return response
        register = _("%(survey)s的调查答卷", survey=survey.title)
        return self.render_template("register/import.html", problems=problems,
                                    title=_("导入%(register)s", register=register),
                                    register=register)

    @expose("/import_template/")
    @has_access
    @permission_name("import_xlsx")
    def import_template(self):
        name = _("%(register)s导入模板", register=SurveyResponse.label) + ".xlsx"
        return send_file(io.BytesIO(template(RESPONSE_IMPORT)), mimetype=XLSX_MIMETYPE,
                         as_attachment=True, download_name=name)


class SatisfactionSurveyApi(RegisterApi):
    resource_name = "satisfaction_survey"
    datamodel = ScopedInterface(SatisfactionSurvey)
    role_access = RECORD_ACCESS
    list_columns = show_columns = ["id", "title", "period_start", "period_end", "method",
                                   "target", "content", "issued_count", "staff", "status",
                                   "report", "reported_on", "response_count", "valid_count",
                                   "return_rate", *AUDIT_API]
    add_columns = edit_columns = SatisfactionSurveyView.add_columns
    search_columns = ["title", "method", "status", "period_start", "reported_on"]
    base_order = ("period_start", "desc")

    @expose("/<int:pk>/results", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def results(self, pk):
        """DESIGN.md §8: {issued, valid, return_rate, dimensions: [...], overall}."""
        survey = self.datamodel.get(pk, self._base_filters)
        if survey is None:
            return self.response_404()
        return self.response(200, **survey_results(self.datamodel.session, survey,
                                                   current_user()))

    @expose("/<int:pk>/form.xlsx", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def report_form(self, pk):
        survey = self.datamodel.get(pk, self._base_filters)
        if survey is None:
            return self.response_404()
        results = survey_results(self.datamodel.session, survey, current_user())
        return send_form(results_sheets(survey, results), _form_name(survey))


# --- 客户需求受理 -----------------------------------------------------------------------
class OverdueRequestFilter(BaseFilter):
    """Requests not answered by their deadline (API: opr=overdue)."""

    name = _l("超时未响应")
    arg_name = "request_overdue"

    def apply(self, query, value):
        return query.filter(ServiceRequest.overdue)


def _overdue_mark(mark) -> Markup:
    if not mark:
        return Markup("")
    return Markup('<span class="label label-danger overdue">%s</span>') % escape(mark)


REQUEST_FORM = ["customer", "received_at", "channel", "urgency", "content"]
REQUEST_DESCRIPTIONS = {
    "received_at": _l("默认为当前时间；可改为实际受理时间，但不能晚于现在"),
    "urgency": _l("紧急需求 1 小时内响应，一般需求 24 小时内响应（按自然小时计算）"),
}


def _received_at_field():
    # the picker fills in the day only; the clerk adds the time (seconds optional)
    return DateTimeField(_l("受理时间"), format=["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M",
                                              "%Y-%m-%d"], default=now_cn,
                         widget=DateTimePickerWidget(), validators=[Optional()],
                         description=REQUEST_DESCRIPTIONS["received_at"])


class ServiceRequestView(RegisterView):
    charts = [Chart("per_month", _l("每月客户需求（按紧急程度）"), group_by=month_of("received_at"),
                    series="urgency", kind="stacked_bar"),
              Chart("in_time", _l("需求响应及时率（每月）"), group_by=month_of("received_at"),
                    kind="bar", query=service_requests_in_time)]
    datamodel = ScopedInterface(ServiceRequest)
    presets = [
        Preset(_l("紧急需求"), {"urgency": (ChoiceEqual, "urgent")}),
        Preset(_l("待响应的需求"), {"status": (ChoiceEqual, "received")}),
    ]
    role_access = RECORD_ACCESS
    show_template = "satisfaction/request_show.html"
    inline_steps = ("respond", "resolve")  # in the 响应与解决 panel, with their text
    list_title, show_title = _l("客户需求受理"), _l("查看客户需求")
    add_title, edit_title = _l("受理客户需求"), _l("编辑客户需求")
    list_columns = ["code", "customer", "received_at", "urgency", "content", "respond_due_at",
                    "responded_at", "status", "overdue_mark", "owner"]
    show_fieldsets = [
        (_l("需求受理"), {"fields": ["code", "customer", "received_at", "channel", "urgency",
                                    "content", "status"]}),
        (_l("响应与解决"), {"fields": ["respond_due_at", "overdue_mark", "responded_at",
                                      "response", "resolved_at", "resolution"]}),
        (_l("记录信息"), {"fields": AUDIT, "expanded": False}),
    ]
    add_columns = edit_columns = REQUEST_FORM
    add_form_extra_fields = {"received_at": _received_at_field(), "urgency": SelectField(
        _l("紧急程度"), choices=list(URGENCIES.items()), default="normal",
        description=REQUEST_DESCRIPTIONS["urgency"])}
    edit_form_extra_fields = {"received_at": _received_at_field()}
    search_columns = ["code", "customer", "received_at", "channel", "urgency", "status",
                      "respond_due_at", "owner", "department"]
    description_columns = REQUEST_DESCRIPTIONS
    formatters_columns = {"overdue_mark": _overdue_mark}
    base_order = ("received_at", "desc")

    def render_template(self, template, **kwargs):
        if template == self.list_template:
            n = overdue_count(self.datamodel.session, current_user())
            if n:
                kwargs["title"] = _("%(title)s（超时未响应 %(n)s 条）", title=self.list_title,
                                    n=n)
        pk = kwargs.get("pk")
        if template == self.show_template and pk is not None:
            kwargs["request_row"] = self.datamodel.get(pk, self._base_filters)
        return super().render_template(template, **kwargs)


class ServiceRequestApi(RegisterApi):
    resource_name = "service_request"
    datamodel = ScopedInterface(ServiceRequest)
    role_access = RECORD_ACCESS
    list_columns = show_columns = [
        "id", "code", "customer.id", "customer.name", "received_at", "channel", "urgency",
        "content", "respond_due_at", "responded_at", "response", "resolved_at", "resolution",
        "status", "overdue", "responded_late", *AUDIT_API]
    add_columns = edit_columns = REQUEST_FORM
    search_columns = ["customer", "urgency", "channel", "status", "received_at", "code"]
    search_filters = {"status": [OverdueRequestFilter]}
    base_order = ("received_at", "desc")

    @expose("/overdue", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def overdue(self):
        """GET /api/v1/service_request/overdue: not answered by respond_due_at, in scope."""
        rows = overdue_requests(self.datamodel.session, current_user())
        return self.response(200, count=len(rows), result=[
            {"id": r.id, "code": r.code, "customer": {"id": r.customer_id,
                                                      "name": r.customer.name},
             "urgency": r.urgency, "received_at": r.received_at.isoformat(),
             "respond_due_at": r.respond_due_at.isoformat(), "status": r.status,
             "owner": r.owner.username} for r in rows])

    @expose("/stats", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def stats(self):
        """GET /api/v1/service_request/stats?month=YYYY-MM (DESIGN.md §8)."""
        month = request.args.get("month") or today_cn().strftime("%Y-%m")
        bounds = month_bounds(month)
        if bounds is None:
            return self.response_400(message=_("月份格式应为 YYYY-MM"))
        stats = service_request_stats(self.datamodel.session, *bounds, user=current_user())
        return self.response(200, month=month, **stats)


class ServiceRequestStatsView(BaseView):
    """需求月度统计 (policy 05 四.1): received, responded, in time and 响应及时率."""

    route_base = "/servicerequeststats"
    default_view = "list"
    class_permission_name = "ServiceRequestStats"
    role_access = {role: ("can_list",) for role in ("Clerk", "Supervisor", "Executive",
                                                     "Finance")}

    @expose("/")
    @has_access
    def list(self):
        month = request.args.get("month") or today_cn().strftime("%Y-%m")
        bounds = month_bounds(month)
        if bounds is None:
            flash(_("月份格式应为 YYYY-MM"), "danger")
            month = today_cn().strftime("%Y-%m")
            bounds = month_bounds(month)
        stats = service_request_stats(self.appbuilder.session, *bounds, user=current_user())
        return self.render_template("satisfaction/request_stats.html",
                                    title=_("需求月度统计"), month=month, stats=stats,
                                    urgencies=ServiceRequest.enums["urgency"])


# --- 首页 -----------------------------------------------------------------------------
PANEL_ROWS = 10


@home_panel
def my_pending_requests(appbuilder, user):
    """我的待响应需求: my requests not answered yet, the nearest deadline first."""
    if not appbuilder.sm.has_access("can_respond", "ServiceRequest"):
        return None
    session = appbuilder.session
    rows = session.execute(
        select(ServiceRequest.id, ServiceRequest.code, Customer.name, ServiceRequest.urgency,
               ServiceRequest.received_at, ServiceRequest.respond_due_at)
        .join(Customer, Customer.id == ServiceRequest.customer_id)
        .where(ServiceRequest.owner_id == user.id, ServiceRequest.status == "received",
               scope_clause(ServiceRequest, user))
        .order_by(ServiceRequest.respond_due_at, ServiceRequest.id).limit(PANEL_ROWS)).all()
    if not rows:
        return None
    now = now_cn()
    urgencies = ServiceRequest.enums["urgency"]
    table = [[r[1], r[2], str(urgencies.get(r[3], r[3])), f"{r[4]:%Y-%m-%d %H:%M}",
              f"{r[5]:%Y-%m-%d %H:%M}",
              _overdue_mark(str(ServiceRequest.field_labels["overdue"]) if r[5] < now else "")]
             for r in rows]
    late = sum(1 for r in rows if r[5] < now)
    return Panel(title=_("我的待响应需求"),
                 columns=[_("需求编号"), _("客户"), _("紧急程度"), _("受理时间"), _("响应期限"),
                          _("超时提示")],
                 rows=table, links=[url_for("ServiceRequestView.show", pk=r[0]) for r in rows],
                 url=url_for("ServiceRequestView.list", _flt_0_status="received"),
                 note=_("紧急需求 1 小时内、一般需求 24 小时内响应。") if not late else
                 _("其中 %(n)d 条已超过响应期限，请尽快响应。", n=late),
                 style="danger" if late else "default")


@home_panel
def full_survey_reminder(appbuilder, user):
    """Policy 05 五.1: Supervisors are told when no survey was reported in 6 months."""
    if "Supervisor" not in {role.name for role in user.roles}:
        return None
    last = last_reported_on(appbuilder.session, user)
    if not full_survey_due(last, today_cn()):
        return None
    note = (_("尚无已报告的满意度调查。") if last is None else
            _("最近一次满意度调查报告于 %(d)s，已超过 6 个月。", d=last.isoformat())) + \
        _("按制度至少每半年进行一次全面的客户满意度调查，请安排调查计划。")
    return Panel(title=_("满意度调查提醒"), note=note, style="warning",
                 url=url_for("SatisfactionSurveyView.list"))


__all__ = ["SatisfactionSurveyApi", "SatisfactionSurveyView", "ServiceRequestApi",
           "ServiceRequestStatsView", "ServiceRequestView", "SurveyResponseApi", "SurveyResponseView"]
