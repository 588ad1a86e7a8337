"""客户分级 family: grading rules, 客户质量等级评定表, ABC 分析, 等级复评到期.

Declarations on the shared bases, plus the endpoints of DESIGN.md §4/§8:

* GET  /api/v1/customer/abc?year=YYYY[&by_type=1][&page=N][&page_size=M]  (CustomerAbcMixin)
* GET  /api/v1/customer/abc/export.xlsx?year=YYYY[&by_type=1]  (202 + job when large)
* GET  /api/v1/grade_evaluation/suggest?customer=<id>&year=YYYY
* GET  /api/v1/grade_evaluation/reviews_due[?within_days=N]
* POST /api/v1/grade_evaluation/create_year?year=YYYY          (can_create_year)
* web: /gradeevaluationview/create_year (POST), /grading/abc/, /grading/reviews_due/
"""
import tempfile
from decimal import Decimal

from flask import flash, g, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.api import safe
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
from flask_appbuilder.security.decorators import has_access, permission_name, protect
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, extract, func, select
from wtforms import BooleanField, IntegerField
from wtforms.validators import DataRequired, Optional

from app import audit, grading
from app.charts import Chart
from app.errors import RowRejected
from app.excel import XLSX_MIMETYPE, XlsxColumn, write_list
from app.export import YIELD_PER, export_filename, too_many
from app.guards import MAX_PAGE, InputRefused, checks_own_page_arguments, parse_id
from app.models.customers import CUSTOMER_TYPES, Customer, Transaction
from app.models.grading import (
    SCORE_FIELDS,
    THRESHOLD_FIELDS,
    WEIGHT_FIELDS,
    GradeEvaluation,
    GradingRule,
    active_rule,
    duplicate_problem,
    recompute,
    rule_delete_problem,
    rule_problem,
)
from app.scope import ScopedInterface, in_scope, scope_clause
from app.security import FULL, READ
from app.timeutil import today_cn
from app.views.base import (
    AUDIT,
    AUDIT_API,
    RegisterApi,
    RegisterView,
    enqueue_export,
    export_detail,
    in_background,
)
from app.views.charts import chart_page_context
from app.views.home import Panel, home_panel
from app.views.paper_forms import GradeEvaluationFormMixin

EVALUATION_ACCESS = {"Clerk": FULL + ("can_create_year",),
                     "Supervisor": FULL + ("can_create_year",),
                     "Executive": READ, "Finance": READ}
PAGE_ACCESS = {role: ("can_list", "can_export_xlsx")
               for role in ("Clerk", "Supervisor", "Executive", "Finance")}
RULE_COLUMNS = ["name", "active", *WEIGHT_FIELDS, *THRESHOLD_FIELDS, "abc_a", "abc_b",
                "provisional_months", "notes"]
EVALUATION_FORM = ["customer", "year", *SCORE_FIELDS]
MIN_YEAR, MAX_YEAR = 2000, 2100


class BadParameter(Exception):
    def __init__(self, field, message):
        super().__init__(str(message))
        self.field, self.message = field, str(message)


def year_parameter(value, default=None) -> int:
    """?year=YYYY (blank: `default`, else the current year)."""
    if value in (None, ""):
        return default or today_cn().year
    try:
        year = int(str(value).strip())
    except ValueError:
        raise BadParameter("year", _("年份格式应为 YYYY")) from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise BadParameter("year", _("年份须在 %(a)s 到 %(b)s 之间", a=MIN_YEAR, b=MAX_YEAR))
    return year


def evaluation_year(value) -> int:
    """The year of an evaluation: 2000 to next year (as GradeEvaluation.validate)."""
    year = year_parameter(value)
    latest = today_cn().year + 1
    if not MIN_YEAR <= year <= latest:
        raise BadParameter("year", _("评定年度须在 2000 年到 %(max)s 年之间", max=latest))
    return year


def flag_parameter(value) -> bool:
    return str(value or "").strip().lower() in ("1", "true", "yes", "on")


def page_parameter(value, field="page") -> int:
    """?page=N, 0-based as FAB's API (blank: 0), at most the guard's MAX_PAGE."""
    if value in (None, ""):
        return 0
    try:
        page = int(str(value).strip())
    except ValueError:
        raise BadParameter(field, _("页码应为整数")) from None
    if not 0 <= page <= MAX_PAGE:
        raise BadParameter(field, _("页码须在 0 到 %(max)s 之间", max=MAX_PAGE))
    return page


def page_size_parameter(value) -> int:
    """?page_size=M (blank: grading.ABC_PAGE_SIZE), at most grading.ABC_MAX_PAGE_SIZE."""
    if value in (None, ""):
        return grading.ABC_PAGE_SIZE
    try:
        size = int(str(value).strip())
    except ValueError:
        raise BadParameter("page_size", _("每页行数须为整数")) from None
    if not 1 <= size <= grading.ABC_MAX_PAGE_SIZE:
        raise BadParameter("page_size", _("每页行数须在 1 到 %(max)s 之间",
                                          max=grading.ABC_MAX_PAGE_SIZE))
    return size


def days_parameter(value) -> int:
    if value in (None, ""):
        return 0
    try:
        days = int(str(value).strip())
    except ValueError:
        raise BadParameter("within_days", _("天数须为整数")) from None
    if not 0 <= days <= 366:
        raise BadParameter("within_days", _("天数须在 0 到 366 之间"))
    return days


# --- 评级规则 -------------------------------------------------------------------------
class _RuleChecks:
    """One rule stays active; a rule in use or in force is not deleted."""

    def _validate(self, item):
        if item.id is None:
            item.fill_defaults()
        super()._validate(item)
        problem = rule_problem(self.datamodel.session, item)
        if problem:
            raise problem

    def pre_delete(self, item):
        super().pre_delete(item)
        problem = rule_delete_problem(self.datamodel.session, item)
        if problem:
            raise problem


class GradingRuleView(_RuleChecks, RegisterView):
    datamodel = ScopedInterface(GradingRule)
    list_title, show_title = _l("评级规则列表"), _l("查看评级规则")
    add_title, edit_title = _l("新增评级规则"), _l("编辑评级规则")
    list_columns = ["name", "active", "weights_text", "abc_a", "abc_b", "provisional_months",
                    "changed_on"]
    show_fieldsets = [
        (_l("规则"), {"fields": ["name", "active", "notes"]}),
        (_l("六项评分的权重"), {"fields": list(WEIGHT_FIELDS)}),
        (_l("等级分数线"), {"fields": list(THRESHOLD_FIELDS)}),
        (_l("ABC 分析与临时等级"), {"fields": ["abc_a", "abc_b", "provisional_months"]}),
        (_l("记录信息"), {"fields": AUDIT, "expanded": False}),
    ]
    add_columns = edit_columns = RULE_COLUMNS
    search_columns = ["name", "active"]
    # Unticked means False (FAB would make a NOT NULL Boolean a required checkbox).
    add_form_extra_fields = edit_form_extra_fields = {
        "active": BooleanField(_l("启用"), default=True, validators=[Optional()])}
    description_columns = {
        "active": _l("启用一条规则会同时停用其他规则；新的评定表使用最新启用的规则"),
        "weight_sales": _l("综合得分 = Σ 权重 × 评分 / Σ 权重"),
        "threshold_a": _l("综合得分 ≥ A 级分数线为 A，≥ B 级为 B，≥ C 级为 C，其余为 D"),
        "threshold_c": _l("低于此分数为 D 级；设为 0 则不设 D 级，即制度 2.0 的 A、B、C 三类"),
        "abc_a": _l("累计销售额占比 ≤ 此值为 A 类（0–1，默认 0.75）"),
        "abc_b": _l("累计销售额占比 ≤ 此值为 B 类，其余为 C 类（默认 0.95）"),
        "provisional_months": _l("合作（自首次交易起）不满此月数的新客户评为临时等级，"
                                 "在首次交易后满此月数时复评；尚无交易的自批准起算（默认 6）"),
    }
    base_order = ("created_on", "desc")


class GradingRuleApi(_RuleChecks, RegisterApi):
    resource_name = "grading_rule"
    datamodel = ScopedInterface(GradingRule)
    list_columns = show_columns = ["id", *RULE_COLUMNS, "owner.username", "created_on",
                                   "changed_on", "version"]
    add_columns = edit_columns = RULE_COLUMNS
    search_columns = ["name", "active"]


# --- 客户质量等级评定表 ----------------------------------------------------------------
class _EvaluationChecks:
    """Ranges, one per customer and year, suggested scores on add, scoring by the rule."""

    def _validate(self, item):
        session = self.datamodel.session
        problem = item.validate() or duplicate_problem(session, item)
        if problem:
            raise problem
        with session.no_autoflush:  # the new row is not in the session yet
            if item.id is None:
                grading.fill_suggested(session, item, g.user)
            recompute(session, item)
        super()._validate(item)


class GradeEvaluationView(_EvaluationChecks, RegisterView):
    datamodel = ScopedInterface(GradeEvaluation)
    role_access = EVALUATION_ACCESS
    list_title, show_title = _l("客户质量等级评定表"), _l("查看等级评定")
    add_title, edit_title = _l("新增等级评定"), _l("编辑等级评定")
    list_template = "grading/evaluation_list.html"
    add_template = "grading/evaluation_add.html"
    show_template = "grading/evaluation_show.html"
    list_columns = ["customer", "year", "total_score", "proposed_grade", "final_grade",
                    "provisional", "review_due", "status", "owner"]
    show_fieldsets = [
        (_l("评分"), {"fields": ["customer", "year", *SCORE_FIELDS, "total_score",
                                "proposed_grade"]}),
        (_l("评定结果"), {"fields": ["final_grade", "reason", "provisional", "review_due",
                                    "approved_on", "status"]}),
        (_l("评级规则"), {"fields": ["rule", "weights_used"]}),
        (_l("记录信息"), {"fields": AUDIT, "expanded": False}),
    ]
    add_columns = edit_columns = EVALUATION_FORM
    add_form_extra_fields = {
        "year": IntegerField(_l("评定年度"), default=lambda: today_cn().year,
                             validators=[DataRequired()], widget=BS3TextFieldWidget()),
    }
    search_columns = ["customer", "year", "proposed_grade", "final_grade", "provisional",
                      "status", "owner", "department"]
    description_columns = {
        "score_sales": _l("0–100；留空则按当年交易记录建议（本人可见范围内的销售额排名）"),
        "score_payment": _l("0–100；留空则按当年回款额 / 销售额建议"),
        "total_score": _l("按评级规则的权重计算，草稿或退回时随评分更新"),
        "final_grade": _l("总经理批准时确定，未另行指定则取建议等级"),
    }
    base_order = ("year", "desc")
    charts = [
        Chart("by_final_grade", _l("批准等级分布"), group_by="final_grade", kind="pie"),
        Chart("by_year", _l("各年度评定（按建议等级）"), group_by="year",
              series="proposed_grade", kind="stacked_bar"),
        Chart("by_status", _l("评定状态"), group_by="status"),
    ]

    def render_template(self, template, **kwargs):
        kwargs.setdefault("current_year", today_cn().year)
        return super().render_template(template, **kwargs)

    @expose("/create_year", methods=["POST"])
    @has_access
    def create_year(self):
        """创建本年度评定表: drafts for every customer in scope without one."""
        try:
            year = evaluation_year(request.form.get("year"))
            n = grading.create_year(self.datamodel.session, year, g.user)
        except BadParameter as e:
            flash(e.message, "danger")
        except RowRejected as e:
            flash(e.message, "danger")
        except grading.YearAlreadyBeingCreated:
            flash(_("其他用户正在创建同一年度的评定表，请稍后重试"), "danger")
        else:
            if n:
                flash(_("已创建 %(n)s 份 %(year)s 年度评定表（草稿）", n=n, year=year), "success")
            else:
                flash(_("范围内的客户都已有 %(year)s 年度评定表，未创建新的评定表", year=year),
                      "info")
        return redirect(url_for(f"{self.endpoint}.list"))


class GradeEvaluationApi(GradeEvaluationFormMixin, _EvaluationChecks, RegisterApi):
    resource_name = "grade_evaluation"
    datamodel = ScopedInterface(GradeEvaluation)
    role_access = EVALUATION_ACCESS
    list_columns = [
        "id", "customer.id", "customer.name", "year", *SCORE_FIELDS, "total_score",
        "proposed_grade", "final_grade", "provisional", "review_due", "reason", "approved_on",
        "status", "rule.id", "rule.name", "weights_used", *AUDIT_API]
    show_columns = [*list_columns, "rule_snapshot"]  # the weights and thresholds used
    add_columns = edit_columns = EVALUATION_FORM
    search_columns = ["customer", "year", "status", "proposed_grade", "final_grade"]

    def _bad(self, e: BadParameter):
        return self.response_422(message={e.field: [e.message]})

    @expose("/suggest", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def suggest(self):
        """Suggested score_sales / score_payment (formula: app.grading.suggest_scores)."""
        try:
            year = year_parameter(request.args.get("year"))
        except BadParameter as e:
            return self._bad(e)
        customer_id = parse_id(request.args.get("customer", ""))
        if customer_id is None:
            return self.response_422(message={"customer": [_("请指定客户（customer=客户ID）")]})
        session = self.datamodel.session
        customer = session.get(Customer, customer_id)
        if customer is None or not in_scope(customer):
            return self.response_404()
        s = grading.suggest_scores(session, year, g.user, {customer_id})[customer_id]
        return self.response(200, result={
            "customer": customer_id, "year": year,
            "score_sales": str(s["score_sales"]),
            "score_payment": None if s["score_payment"] is None else str(s["score_payment"]),
            "amount": str(s["amount"]), "collected": str(s["collected"]),
            "rank": s["rank"], "ranked": s["ranked"],
            "formula": _("销售额评分 = 100 × (n − 名次 + 1) / n（n 为本人可见范围内当年有销售额的"
                         "客户数，按销售额降序排名）；货款回收评分 = 100 × 回款额 / 销售额（上限 100）"),
        })

    @expose("/reviews_due", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def reviews_due(self):
        """Customers in scope whose provisional grade is due for review (or within N days)."""
        try:
            days = days_parameter(request.args.get("within_days"))
        except BadParameter as e:
            return self._bad(e)
        rows = grading.reviews_due(self.datamodel.session, g.user, days)
        return self.response(200, today=today_cn().isoformat(), within_days=days, count=len(rows),
                             result=rows)

    @expose("/create_year", methods=["POST"])
    @protect()
    @safe
    @permission_name("create_year")
    def create_year(self):
        """Draft evaluations of `year` for every customer in scope without one."""
        body = request.get_json(silent=True) or {}
        try:
            year = evaluation_year(request.args.get("year") or body.get("year"))
            n = grading.create_year(self.datamodel.session, year, g.user)
        except BadParameter as e:
            return self._bad(e)
        except RowRejected as e:
            return self.response_422(message=e.messages())
        except grading.YearAlreadyBeingCreated:
            return self.response(409, message=_("其他用户正在创建同一年度的评定表，请稍后重试"))
        return self.response(200, year=year, created=n,
                             message=_("已创建 %(n)s 份 %(year)s 年度评定表（草稿）", n=n,
                                       year=year))


# --- ABC 分析 -------------------------------------------------------------------------
def write_abc(session, fileobj, year, by_type, rule, title, total=None, progress=None) -> int:
    """Every row of the ranking, streamed from the database into the workbook."""
    rows = (dict(r, amount=Decimal(r["amount"])) for r in grading.stream_abc_rows(
        session, year, g.user, by_type, rule, yield_per=YIELD_PER))
    return write_list(fileobj, title, abc_columns(by_type), rows, total=total,
                      progress=progress)


def abc_export(view, session, api: bool):
    """The ABC analysis of ?year=YYYY[&by_type=1] as .xlsx, the user's scope: streamed,
    or above EXPORT_BACKGROUND_ROWS a job on the task queue (the view's abc_job_file, run
    as this user with this query string). A bad year: 422 (API) or 400, in Chinese."""
    try:
        year = year_parameter(request.args.get("year"))
    except BadParameter as e:
        if api:
            return view.response_422(message={e.field: [e.message]})
        raise InputRefused(e.message) from None
    by_type = flag_parameter(request.args.get("by_type"))
    rule = active_rule(session)
    total = grading.abc_count(session, year, g.user, by_type, rule)
    if too_many(total):
        message = _("共 %(n)d 行，超过 Excel 单表上限 1,048,575 行，请缩小筛选范围后再导出", n=total)
        if api:
            return view.response_422(message=message)
        flash(message, "danger")
        return redirect(url_for(f"{view.endpoint}.list", year=year,
                                by_type=1 if by_type else None))
    title = _("%(year)s 年度 ABC 分析", year=year)
    filename = export_filename(_("ABC 分析"), today_cn())
    audit.record(session, "export", "customer", detail=export_detail(total))
    if in_background(total):
        return enqueue_export(view, session, api, title, filename, total,
                              writer="abc_job_file")
    fh = tempfile.TemporaryFile()
    write_abc(session, fh, year, by_type, rule, title, total=total)
    session.commit()  # the audit entry
    fh.seek(0)
    return send_file(fh, mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=filename)


class AbcJobFile:
    """The ABC export's writer on the task queue (app.export.run_export): the request is
    replayed as the job's user, so ?year and ?by_type are read again, and the scope is
    that user's."""

    def abc_job_file(self, fileobj, job, progress) -> int:
        session = self.appbuilder.session
        year = year_parameter(request.args.get("year"))
        by_type = flag_parameter(request.args.get("by_type"))
        return write_abc(session, fileobj, year, by_type, active_rule(session), job.title,
                         total=job.total, progress=progress)


class CustomerAbcMixin(AbcJobFile):
    """Adds GET /api/v1/customer/abc and /abc/export.xlsx to CustomerApi (DESIGN.md §8)."""

    @expose("/abc/export.xlsx", methods=["GET"])
    @protect()
    @safe
    @permission_name("export_xlsx")
    def abc_export_xlsx(self):
        """The whole ranking as .xlsx; a large one answers 202 with the job's token."""
        return abc_export(self, self.datamodel.session, api=True)

    @expose("/abc", methods=["GET"])
    @checks_own_page_arguments
    @protect()
    @safe
    @permission_name("get")
    def abc(self):
        """ABC analysis of a year, one page of it: see app.grading.abc_analysis for the
        rules. `count`, `abc_counts` and `total_amount` are over every ranked customer
        (with by_type=1: all types together), not the page."""
        try:
            year = year_parameter(request.args.get("year"))
            page = page_parameter(request.args.get("page"))
            page_size = page_size_parameter(request.args.get("page_size"))
        except BadParameter as e:
            return self.response_422(message={e.field: [e.message]})
        by_type = flag_parameter(request.args.get("by_type"))
        session = self.datamodel.session
        rule = active_rule(session)
        answer = grading.abc_analysis(session, year, g.user, by_type, rule, page=page,
                                      page_size=page_size)
        return self.response(200, year=year, by_type=by_type,
                             abc_a=float(rule.abc_a) if rule else 0.75,
                             abc_b=float(rule.abc_b) if rule else 0.95,
                             count=answer.count, page=page, page_size=page_size,
                             abc_counts=answer.abc_counts, total_amount=answer.total_amount,
                             result=answer.rows)


def sales_years(session, user) -> list[int]:
    """Years with transactions of customers in the user's scope, newest first."""
    year = extract("year", Transaction.date)
    return sorted({int(y) for y in session.scalars(
        select(year).join(Customer, Customer.id == Transaction.customer_id)
        .where(scope_clause(Customer, user)).distinct())
        if y is not None and MIN_YEAR <= int(y) <= MAX_YEAR}, reverse=True)


PARETO_SHOWN = 60  # customers drawn one by one; the rest as one bar 其他


def abc_pareto(session, user, params) -> dict:
    """ABC Pareto chart of a year (the year of the period's end, else of the latest
    transaction in scope and department): `app.grading.abc_statement` (window functions, in SQL) with its
    tail beyond the first PARETO_SHOWN customers grouped in the same query, so at most
    PARETO_SHOWN + 1 rows come back; sales bars, the cumulative share on a percent axis with
    the A/B cut-offs, and the class counts."""
    in_department = () if params.department_ids is None else \
        (Transaction.department_id.in_(params.department_ids),)
    day = params.end or params.start or session.scalar(
        select(func.max(Transaction.date)).where(scope_clause(Transaction, user),
                                                 *in_department))
    year = day.year if day is not None else today_cn().year
    rule = active_rule(session)
    ranked = grading.abc_statement(session, year, user, rule=rule,
                                   department_ids=params.department_ids).subquery()
    r = ranked.c
    slot = case((r.position <= PARETO_SHOWN, r.position), else_=PARETO_SHOWN + 1)
    classes = [func.sum(case((r.abc_class == k, 1), else_=0)).label(k) for k in "ABC"]
    query = (select(slot.label("slot"), func.min(r.id).label("id"),
                    func.min(r.name).label("name"), func.min(r.abc_class).label("abc_class"),
                    func.sum(r.cents).label("cents"), func.max(r.running).label("running"),
                    func.max(r.total).label("total"), func.count().label("n"), *classes)
             .group_by(slot).order_by(slot))
    labels, amounts, cumulative, links, keys = [], [], [], [], []
    counts = {k: 0 for k in "ABC"}
    for row in session.execute(query):
        for k in "ABC":
            counts[k] += int(getattr(row, k) or 0)
        if row.slot > PARETO_SHOWN:
            labels.append(_("其他 %(n)d 家", n=row.n))
            links.append(None)
            keys.append(None)
        else:
            labels.append(f"{row.name}（{row.abc_class}）")
            links.append(url_for("CustomerView.show", pk=row.id))
            keys.append(row.id)
        amounts.append(float(Decimal(row.cents) / 100))
        cumulative.append(round(float(Decimal(row.running) / Decimal(row.total)), 6))
    cut_a = float(rule.abc_a) if rule else 0.75
    cut_b = float(rule.abc_b) if rule else 0.95
    return {"labels": labels, "keys": keys, "links": links,
            "list_url": url_for("AbcAnalysisView.list", year=year),
            "series": [{"name": _("销售额"), "key": "amount", "data": amounts},
                       {"name": _("累计占比"), "key": "cumulative_share", "data": cumulative,
                        "kind": "line", "axis": "rate", "marks": [cut_a, cut_b]}],
            "year": year, "abc_counts": counts,
            "period": {"from": f"{year}-01-01", "to": f"{year}-12-31", "column": "date"},
            "note": _("%(year)s 年度：A 类 %(a)d 家，B 类 %(b)d 家，C 类 %(c)d 家",
                      year=year, a=counts["A"], b=counts["B"], c=counts["C"])}


ABC_CHART = Chart("abc", _l("ABC 帕累托分析"), kind="pareto", query=abc_pareto)


class AbcAnalysisView(AbcJobFile, BaseView):
    """ABC 分析: a year picker, one page of the table (FAB's page links, ?page_<endpoint>=N),
    the class counts and total of the whole ranking, and the Pareto chart (the customer
    register's declared `abc` chart, drawn with the vendored ECharts)."""

    route_base = "/grading/abc"
    default_view = "list"
    class_permission_name = "AbcAnalysis"
    role_access = PAGE_ACCESS
    page_size = 50

    def _year_and_type(self) -> tuple[int, bool]:
        # The current year by default, not the newest year with a sale: one stray row dated
        # far ahead would otherwise open the page on it for everyone.
        return (year_parameter(request.args.get("year")),
                flag_parameter(request.args.get("by_type")))

    @property
    def page_arg(self) -> str:
        return f"page_{self.endpoint}"  # the name FAB's render_pagination links with

    @expose("/")
    @checks_own_page_arguments
    @has_access
    def list(self):
        try:
            year, by_type = self._year_and_type()
        except BadParameter as e:
            flash(e.message, "danger")
            return redirect(url_for(f"{self.endpoint}.list"))
        try:
            page = page_parameter(request.args.get(self.page_arg), self.page_arg)
        except BadParameter as e:
            flash(e.message, "danger")
            return redirect(url_for(f"{self.endpoint}.list", year=year,
                                    by_type=1 if by_type else None))
        session = self.appbuilder.session
        rule = active_rule(session)
        answer = grading.abc_analysis(session, year, g.user, by_type, rule, page=page,
                                      page_size=self.page_size)
        years = sorted({*sales_years(session, g.user), year}, reverse=True)
        return self.render_template(
            "grading/abc.html", title=_("ABC 分析"), year=year, years=years, by_type=by_type,
            answer=answer, rows=answer.rows, rule=rule, types=CUSTOMER_TYPES,
            modelview_name=self.endpoint,
            chart=None if by_type or not answer.count else {
                "id": "customer-abc", "wide": True, "title": _("帕累托图"),
                "src": url_for("ChartApi.chart", resource="customer", name="abc",
                               to=f"{year}-12")},
            **chart_page_context(self.appbuilder))

    @expose("/export.xlsx")
    @has_access
    def export_xlsx(self):
        """Every row of the ranking: streamed, or a job on the task queue when large."""
        return abc_export(self, self.appbuilder.session, api=False)


def abc_columns(by_type: bool) -> list[XlsxColumn]:
    """The export's columns (keys of `grading.abc_row`)."""
    types = [XlsxColumn("customer_type", _("客户类型"), "enum",
                        {k: str(v) for k, v in CUSTOMER_TYPES.items()})] if by_type else []
    return [XlsxColumn("rank", _("名次"), "int"), XlsxColumn("name", _("客户名称")), *types,
            XlsxColumn("amount", _("销售额（元）"), "money"),
            XlsxColumn("share", _("占比"), "percent"),
            XlsxColumn("cumulative_share", _("累计占比"), "percent"),
            XlsxColumn("abc_class", _("ABC 类别"))]


# --- 等级复评到期 ------------------------------------------------------------------------
class GradeReviewsDueView(BaseView):
    """Customers whose provisional grade is due (or due within N days) for review."""

    route_base = "/grading/reviews_due"
    default_view = "list"
    class_permission_name = "GradeReviewsDue"
    role_access = {role: ("can_list",) for role in PAGE_ACCESS}

    @expose("/")
    @has_access
    def list(self):
        try:
            days = days_parameter(request.args.get("within_days"))
        except BadParameter as e:
            flash(e.message, "danger")
            days = 0
        rows = grading.reviews_due(self.appbuilder.session, g.user, days)
        may_add = self.appbuilder.sm.has_access("can_add", "GradeEvaluation")
        return self.render_template("grading/reviews_due.html", title=_("等级复评到期"),
                                    rows=rows, within_days=days, today=today_cn(),
                                    may_add=may_add, year=today_cn().year)


# --- 年度评定提醒 (home page) -------------------------------------------------------------
ROUND_ROLES = {"Clerk", "Supervisor"}


@home_panel
def annual_round_panel(appbuilder, user) -> Panel | None:
    """From March 1 (policy 04 5.1.1: the yearly grading in late March), Clerks and
    Supervisors are reminded while customers in their scope lack the year's evaluation."""
    today = today_cn()
    if today.month < grading.ROUND_MONTH or \
            not {r.name for r in user.roles} & ROUND_ROLES or \
            not appbuilder.sm.has_access("can_list", "GradeEvaluation"):
        return None
    total, rows = grading.without_evaluation(appbuilder.session, today.year, user)
    if not total:
        return None
    note = _("每年 3 月 25–30 日进行客户分级综合评定（客户分级管理制度 5.1.1）："
             "您范围内还有 %(n)s 个客户没有 %(year)s 年度评定表，"
             "可在“客户质量等级评定”中创建本年度评定表。", n=total, year=today.year)
    return Panel(title=_("%(year)s 年度客户分级评定", year=today.year),
                 columns=[str(Customer.field_labels["code"]),
                          str(Customer.field_labels["name"]),
                          str(Customer.field_labels["owner"])],
                 rows=[[r.code, r.name, r.username] for r in rows],
                 links=[url_for("CustomerView.show", pk=r.id) for r in rows],
                 url=url_for("GradeEvaluationView.list"), note=note, style="warning")


def register(appbuilder, add, category) -> None:
    """Menu entries and APIs of the family (called from app.views.register_views)."""
    add(appbuilder, GradeEvaluationView, "Grade evaluations", _l("客户质量等级评定"),
        "fa-star-half-o", category)
    add(appbuilder, AbcAnalysisView, "ABC analysis", _l("ABC 分析"), "fa-bar-chart", category)
    add(appbuilder, GradeReviewsDueView, "Grade reviews due", _l("等级复评到期"),
        "fa-calendar-check-o", category)
    add(appbuilder, GradingRuleView, "Grading rules", _l("评级规则"), "fa-sliders", category)
    for api in (GradeEvaluationApi, GradingRuleApi):
        appbuilder.add_api(api)
