"""客户拜访 family: 客户拜访计划表 with its items (edited on the plan's page, FAB related
view), 客户拜访记录表, 待联系客户 (the contact-frequency rule), the Clerk's home panels and
the §8 endpoints (visit_plan_item/mine, customer/contact_due, visit_plan/<id>/form.xlsx)."""
from datetime import date

from flask import flash, g, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.api import safe
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget, DatePickerWidget
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.decorators import has_access, permission_name, protect
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import Column, case, func, select
from sqlalchemy import inspect as sa_inspect
from wtforms import DateField, IntegerField, StringField
from wtforms.validators import DataRequired, NumberRange, Optional

from app.charts import Chart, month_of
from app.errors import RowRejected
from app.filters import ChoiceEqual, DateBetween
from app.guards import parse_id
from app.models.customers import Contact, Customer
from app.models.org import ConsoleUser, department_subtree
from app.models.visits import (
    VisitPlan,
    VisitPlanItem,
    VisitRecord,
    contact_due,
    contact_due_statement,
    customer_contacts,
    customer_defaults,
    fill_item,
    my_tasks,
    plan_duplicate,
    plan_items,
)
from app.saved_views import Preset, this_month
from app.scope import DEPARTMENT, ScopedInterface, current_user, in_scope, user_scope
from app.security import FULL, READ
from app.timeutil import today_cn
from app.views.base import AUDIT, AUDIT_API, RegisterApi, RegisterView
from app.views.home import Panel, home_panel
from app.views.paper_forms import VisitPlanFormMixin

PLAN_ACCESS = {"Clerk": READ, "Supervisor": FULL, "Executive": READ, "Finance": READ}
ITEM_ACCESS = PLAN_ACCESS
PAGE_ACCESS = {role: ("can_list",) for role in ("Clerk", "Supervisor", "Executive", "Finance")}
HOME_ROWS = 10


def next_month() -> str:
    today = today_cn()
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return f"{year}-{month:02d}"


# --- dropdown filters (the rows a form offers) -----------------------------------------
class ClerksOfMyDepartment(BaseFilter):
    """拜访人员: active Clerks of the signed-in user's department (all for wider scopes)."""

    name = _l("本部门业务员")
    arg_name = "visit_clerks"

    def apply(self, query, value):
        user = current_user()
        query = query.filter(ConsoleUser.active.is_(True),
                             ConsoleUser.roles.any(name="Clerk"))
        if user is None or user_scope(user) not in ("all", DEPARTMENT):
            return query.filter(ConsoleUser.id == getattr(user, "id", None))
        if user_scope(user) == DEPARTMENT:
            return query.filter(ConsoleUser.department_id.in_(user.department_tree_ids()))
        return query


class EditablePlans(BaseFilter):
    name = _l("可编辑的计划")
    arg_name = "visit_plan_editable"

    def apply(self, query, value):
        return query.filter(VisitPlan.status.in_(VisitPlan.workflow.editable))


class OpenTasks(BaseFilter):
    """计划明细 offered by a visit record: items of approved plans not yet visited."""

    name = _l("未完成的拜访任务")
    arg_name = "visit_open_tasks"

    def apply(self, query, value):
        return query.filter(VisitPlanItem.visit_plan.has(VisitPlan.status == "approved"),
                            ~VisitPlanItem.done)


class MyTasksFilter(BaseFilter):
    """API: opr=mine on any column: my open tasks of approved plans."""

    name = _l("我的拜访任务")
    arg_name = "visit_mine"

    def apply(self, query, value):
        user = current_user()
        return OpenTasks.apply(self, query, value).filter(
            VisitPlanItem.visitor_id == getattr(user, "id", None))


class ItemInterface(ScopedInterface):
    """Scoped; `done` is a read-only computed column (a correlated EXISTS), which FAB's
    column checks would read as a table column."""

    def _computed(self, col_name) -> bool:
        return col_name in self.list_columns and \
            not isinstance(self.list_columns[col_name], Column)

    def is_unique(self, col_name):
        return False if self._computed(col_name) else super().is_unique(col_name)

    def is_nullable(self, col_name):
        return True if self._computed(col_name) else super().is_nullable(col_name)

    def is_pk(self, col_name):
        return False if self._computed(col_name) else super().is_pk(col_name)


# --- 拜访计划明细 --------------------------------------------------------------------------
ITEM_COLUMNS = ["seq", "customer", "address", "contact_info", "visitor", "purpose", "deadline",
                "remarks", "done"]
ITEM_FORM = ["visit_plan", "seq", "customer", "address", "contact_info", "visitor", "visitors",
             "purpose", "deadline", "remarks"]


class _ItemChecks:
    """Owner = the visitor, department = the plan's; the plan must still be editable."""

    def _validate(self, item):
        with self.datamodel.session.no_autoflush:
            fill_item(self.datamodel.session, item)
            super()._validate(item)

    @staticmethod
    def _check_plan_open(plan):
        if plan is not None and plan.status not in plan.workflow.editable:
            raise RowRejected(_("计划“%(plan)s”已%(state)s，不能再修改明细", plan=plan,
                                state=plan.workflow.state_label(plan.status)))

    def pre_update(self, item):
        """An item does not leave a submitted or approved plan either."""
        for plan in sa_inspect(item).attrs.visit_plan.history.deleted or ():
            self._check_plan_open(plan)
        super().pre_update(item)

    def pre_delete(self, item):
        self._check_plan_open(item.visit_plan)
        super().pre_delete(item)


class VisitPlanItemView(_ItemChecks, RegisterView):
    charts = [Chart("planned_vs_done", _l("每位业务员的拜访任务（计划与完成）"),
                    group_by="visitor", series="done", kind="stacked_bar", period="deadline")]
    datamodel = ItemInterface(VisitPlanItem)
    role_access = ITEM_ACCESS
    add_template = "visits/item_form.html"
    edit_template = "visits/item_edit.html"
    list_title, show_title = _l("拜访计划明细"), _l("查看拜访计划明细")
    add_title, edit_title = _l("新增拜访计划明细"), _l("编辑拜访计划明细")
    list_columns = ["visit_plan", *ITEM_COLUMNS]
    show_fieldsets = [
        (_l("拜访计划明细"), {"fields": ["visit_plan", *ITEM_COLUMNS[:6], "visitors",
                                        "deadline", "remarks", "done"]}),
        (_l("记录信息"), {"fields": AUDIT, "expanded": False}),
    ]
    add_columns = edit_columns = ITEM_FORM
    search_columns = ["visit_plan", "customer", "visitor", "deadline", "purpose"]
    add_form_extra_fields = edit_form_extra_fields = {
        "seq": IntegerField(_l("序号"), validators=[Optional(), NumberRange(min=1)],
                            widget=BS3TextFieldWidget()),
    }
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "visitor": [["id", ClerksOfMyDepartment, None]],
        "visit_plan": [["id", EditablePlans, None]],
    }
    description_columns = {
        "seq": _l("留空则自动编号"),
        "customer": _l("只能选择本部门的客户；选择后自动带出地址和关键决策人的联系方式，可修改"),
        "visitor": _l("本部门的业务员；计划批准后出现在其首页的拜访任务中"),
        "visitors": _l("其他同行人员，可不填"),
        "deadline": _l("应在此日期前完成拜访，晚于此日期的拜访记录标为超时"),
    }
    formatters_columns = {"done": lambda v: _("是") if v else _("否")}
    base_order = ("seq", "asc")


class VisitPlanItemApi(_ItemChecks, RegisterApi):
    resource_name = "visit_plan_item"
    datamodel = ItemInterface(VisitPlanItem)
    role_access = ITEM_ACCESS
    list_columns = show_columns = [
        "id", "visit_plan.id", "visit_plan.month", "seq", "customer.id", "customer.name",
        "address", "contact_info", "visitor.id", "visitor.username", "visitors", "purpose",
        "deadline", "remarks", "done", *AUDIT_API]
    add_columns = edit_columns = ITEM_FORM
    search_columns = ["visit_plan", "customer", "visitor", "deadline"]
    search_filters = {"deadline": [MyTasksFilter]}
    base_order = ("seq", "asc")

    @expose("/mine", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def mine(self):
        """GET /api/v1/visit_plan_item/mine: my open visit tasks of approved plans."""
        rows = my_tasks(self.datamodel.session, g.user)
        return self.response(200, count=len(rows), result=rows)

    @expose("/customer_defaults", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def customer_defaults(self):
        """Address and contact of a customer in scope, for the item form."""
        ident = parse_id(request.args.get("customer", ""))
        customer = self.datamodel.session.get(Customer, ident) if ident else None
        if customer is None or not in_scope(customer):
            return self.response_404()
        return self.response(200, result=customer_defaults(self.datamodel.session, customer))


# --- 客户拜访计划表 -------------------------------------------------------------------------
class _PlanChecks:
    def _validate(self, item):
        with self.datamodel.session.no_autoflush:
            problem = item.validate() or plan_duplicate(self.datamodel.session, item)
            if problem:
                raise problem
            super()._validate(item)


class VisitPlanView(_PlanChecks, RegisterView):
    datamodel = ScopedInterface(VisitPlan)
    role_access = PLAN_ACCESS
    show_template = "visits/plan_show.html"
    list_title, show_title = _l("客户拜访计划表"), _l("查看客户拜访计划表")
    add_title, edit_title = _l("新增客户拜访计划表"), _l("编辑客户拜访计划表")
    list_columns = ["month", "title", "department", "status", "owner"]
    show_fieldsets = [
        (_l("客户拜访计划表"), {"fields": ["month", "title", "department", "status", "owner"]}),
        (_l("记录信息"), {"fields": ["created_on", "changed_on"], "expanded": False}),
    ]
    add_columns = edit_columns = ["month", "title"]
    add_form_extra_fields = {
        "month": StringField(_l("计划月份"), default=next_month, validators=[DataRequired()],
                             description=_l("格式 YYYY-MM；每个部门每月一份计划")),
    }
    search_columns = ["month", "title", "status", "department", "owner"]
    related_views = [VisitPlanItemView]
    base_order = ("month", "desc")

    def render_template(self, template, **kwargs):
        pk = kwargs.get("pk")
        if template == self.show_template and pk is not None:
            plan = self.datamodel.get(pk, self._base_filters)
            if plan is not None:
                kwargs["plan"] = plan
                kwargs["plan_items"] = plan_items(self.datamodel.session, plan)
                kwargs["may_add_item"] = (
                    plan.status in plan.workflow.editable
                    and self.appbuilder.sm.has_access("can_add", "VisitPlanItem"))
        return super().render_template(template, **kwargs)


class VisitPlanApi(VisitPlanFormMixin, _PlanChecks, RegisterApi):
    resource_name = "visit_plan"
    datamodel = ScopedInterface(VisitPlan)
    role_access = PLAN_ACCESS
    list_columns = show_columns = ["id", "month", "title", "status", *AUDIT_API]
    add_columns = edit_columns = ["month", "title"]
    search_columns = ["month", "status", "department"]
    base_order = ("month", "desc")


# --- 客户拜访记录表 -------------------------------------------------------------------------
RECORD_FORM = ["customer", "visit_plan_item", "visit_date", "visit_type", "visitors",
               "contacts_met", "needs", "solutions", "objections", "promised_date", "gifts",
               "result", "unsolved", "proposed_solution"]


class _RecordChecks:
    def _validate(self, item):
        with self.datamodel.session.no_autoflush:
            if item.customer is None and item.visit_plan_item is not None:
                item.customer = item.visit_plan_item.customer
            super()._validate(item)


def _late_mark(value):
    return _("超时") if value else ""


class VisitRecordView(_RecordChecks, RegisterView):
    charts = [Chart("per_month", _l("每月拜访（按方式）"), group_by=month_of("visit_date"),
                    series="visit_type", kind="stacked_bar")]
    datamodel = ScopedInterface(VisitRecord)
    presets = [
        Preset(_l("本月拜访"), {"visit_date": (DateBetween, this_month)}),
        Preset(_l("待我审核"), {"status": (ChoiceEqual, "submitted")},
               roles=("Supervisor", "Admin")),
        Preset(_l("待我审批"), {"status": (ChoiceEqual, "reviewed")},
               roles=("Executive", "Admin")),
    ]
    add_template = "visits/record_add.html"
    edit_template = "visits/record_edit.html"
    list_title, show_title = _l("客户拜访记录表"), _l("查看客户拜访记录")
    add_title, edit_title = _l("新增客户拜访记录"), _l("编辑客户拜访记录")
    list_columns = ["customer", "visit_date", "visit_type", "visit_plan_item", "late", "status",
                    "owner"]
    show_fieldsets = [
        (_l("拜访"), {"fields": ["customer", "visit_plan_item", "visit_date", "visit_type",
                                "visitors", "contacts_met", "late", "status"]}),
        (_l("拜访过程"), {"fields": ["needs", "solutions", "objections", "promised_date",
                                    "gifts", "result"]}),
        (_l("遗留问题"), {"fields": ["unsolved", "proposed_solution"]}),
        (_l("记录信息"), {"fields": AUDIT, "expanded": False}),
    ]
    add_columns = edit_columns = RECORD_FORM
    add_form_extra_fields = {
        "visit_date": DateField(_l("拜访日期"), default=today_cn, widget=DatePickerWidget(),
                                validators=[DataRequired()]),
    }
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "visit_plan_item": [["id", OpenTasks, None]],
    }
    search_columns = ["customer", "visit_date", "visit_type", "late", "status", "owner",
                      "department"]
    description_columns = {
        "visit_plan_item": _l("按计划拜访时选择；提交后该明细记为已拜访"),
        "contacts_met": _l("从该客户的联系人中选择"),
        "objections": _l("客户的异议及其产生原因；能解释清楚的应现场解释"),
        "promised_date": _l("不能现场解决的问题，向客户承诺的解决时间"),
        "unsolved": _l("无法解决的问题：审核后报客户服务部经理批准解决方案"),
    }
    formatters_columns = {"late": _late_mark}
    base_order = ("visit_date", "desc")

    def prefill_add(self, form):
        """填写拜访记录 from a visit task (?task=<item>): its customer, the plan item, who
        goes, the customer's contacts the task names; its purpose shown above the form."""
        item = self.datamodel.session.get(VisitPlanItem, request.args.get("task", 0, type=int))
        if item is None or not in_scope(item):
            return
        form.customer.data, form.visit_plan_item.data = item.customer, item
        form.visitors.data = "、".join(filter(None, [str(item.visitor or ""), item.visitors]))
        named = item.contact_info or ""
        form.contacts_met.data = [c for c in item.customer.contacts
                                  if c.name in named or (c.phone and c.phone in named)]
        flash(_("按拜访任务填写：拜访目的 %(purpose)s；联系方式 %(contact)s",
                purpose=item.purpose or "—", contact=named or "—"), "info")


class VisitRecordApi(_RecordChecks, RegisterApi):
    resource_name = "visit_record"
    datamodel = ScopedInterface(VisitRecord)
    list_columns = show_columns = [
        "id", "customer.id", "customer.name", "visit_plan_item.id", "visit_date", "visit_type",
        "visitors", "contacts_met.id", "contacts_met.name", "needs", "solutions", "objections",
        "promised_date", "gifts", "result", "unsolved", "proposed_solution", "late", "status",
        *AUDIT_API]
    add_columns = edit_columns = RECORD_FORM
    search_columns = ["customer", "visit_date", "visit_type", "late", "status"]
    base_order = ("visit_date", "desc")

    @expose("/contacts", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def contacts(self):
        """GET /api/v1/visit_record/contacts?customer=<id>: whom the 接待人员 picker offers."""
        raw = request.args.get("customer", "")
        customer = self.datamodel.session.get(Customer, int(raw)) if raw.isdigit() else None
        if customer is None or not in_scope(customer):
            return self.response_404()
        return self.response(200, result=customer_contacts(self.datamodel.session, customer))

    def _payload_problem(self):
        problem = super()._payload_problem()
        if problem:
            return problem
        payload = request.get_json(silent=True)
        ids = payload.get("contacts_met") if isinstance(payload, dict) else None
        if ids is not None and not (isinstance(ids, list) and all(
                isinstance(i, int) and not isinstance(i, bool) for i in ids)):
            return RowRejected(_("接待人员应为联系人 ID 的列表"), "contacts_met")
        if ids:
            for contact_id in ids:
                contact = self.datamodel.session.get(Contact, contact_id)
                if contact is None or not in_scope(contact):
                    return RowRejected(_("所选的%(label)s不存在",
                                         label=VisitRecord.field_labels["contacts_met"]),
                                       "contacts_met")
        return None


# --- 待联系客户 (联系频率规则) --------------------------------------------------------------
class ContactDueView(BaseView):
    """待联系客户: customers in scope behind the contact rule, most overdue first."""

    route_base = "/visits/contact_due"
    default_view = "list"
    class_permission_name = "ContactDue"
    role_access = PAGE_ACCESS

    @expose("/")
    @has_access
    def list(self):
        """?department=<id>: that department and those below it (the dashboard's filter)."""
        department = request.args.get("department", type=int)
        where = () if department is None else (Customer.department_id.in_(
            department_subtree(self.appbuilder.session, department)),)
        rows = contact_due(self.appbuilder.session, g.user, where=where)
        return self.render_template("visits/contact_due.html", title=_("待联系客户"),
                                    rows=rows, today=today_cn(),
                                    may_add=self.appbuilder.sm.has_access("can_add",
                                                                          "VisitRecord"))


class ContactDueMixin:
    """Adds GET /api/v1/customer/contact_due to CustomerApi (DESIGN.md §8)."""

    @expose("/contact_due", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def contact_due(self):
        """?as_of=YYYY-MM-DD evaluates the rule on another day (default: today)."""
        raw = request.args.get("as_of")
        try:
            as_of = date.fromisoformat(raw) if raw else today_cn()
        except ValueError:
            return self.response_400(message=_("日期格式应为 YYYY-MM-DD"))
        if not date(1900, 1, 1) <= as_of <= date(2100, 12, 31):
            return self.response_400(message=_("日期应在 1900 至 2100 年之间"))
        rows = contact_due(self.datamodel.session, g.user, as_of)
        return self.response(200, today=as_of.isoformat(), count=len(rows), result=rows)


# --- 首页 ------------------------------------------------------------------------------------
def _is_clerk(user) -> bool:
    return any(role.name == "Clerk" for role in user.roles)


@home_panel
def visit_tasks_panel(appbuilder, user):
    """我的拜访任务: items of approved plans assigned to me, not yet visited."""
    if not _is_clerk(user) or not appbuilder.sm.has_access("can_list", "VisitPlanItem"):
        return None
    rows = my_tasks(appbuilder.session, user, limit=HOME_ROWS)
    return Panel(
        title=_("我的拜访任务"),
        columns=[_("客户名称"), _("拜访目的"), _("拜访时限"), _("计划月份"), ""],
        rows=[[r["customer"], r["purpose"],
               r["deadline"] + (_("（已超时限）") if r["overdue"] else ""), r["month"],
               Markup('<a class="btn btn-xs btn-primary record-visit" href="%s">%s</a>') % (
                   url_for("VisitRecordView.add", task=r["id"]), _("填写拜访记录"))]
              for r in rows],
        links=[url_for("VisitPlanItemView.show", pk=r["id"]) for r in rows],
        url=url_for("VisitPlanItemView.list"),
        style="warning" if any(r["overdue"] for r in rows) else "default")


@home_panel
def contact_due_panel(appbuilder, user):
    """我的客户中未按规定联系的: the contact rule over my customers."""
    if not _is_clerk(user) or not appbuilder.sm.has_access("can_list", "ContactDue"):
        return None
    rows = contact_due(appbuilder.session, user)
    return Panel(
        title=_("待联系客户"),
        note=_("共 %(n)s 个客户未按联系频率规则联系（重点客户每月联系、每半年实地拜访；"
               "一般客户每季度联系）", n=len(rows)) if rows else None,
        columns=[_("客户名称"), _("最近联系"), _("最近实地拜访"), _("逾期天数"), _("原因")],
        rows=[[r["name"], r["last_contact"] or "—", r["last_on_site"] or "—",
               r["days_overdue"], r["reason"]] for r in rows[:HOME_ROWS]],
        links=[url_for("CustomerView.show", pk=r["id"]) for r in rows[:HOME_ROWS]],
        url=url_for("ContactDueView.list"),
        style="danger" if rows else "default")


def register(appbuilder, add, category) -> None:
    """Menu entries and APIs of the family (called from app.views.register_views)."""
    add(appbuilder, VisitPlanView, "Visit plans", _l("客户拜访计划表"), "fa-calendar",
        category)
    add(appbuilder, VisitPlanItemView, "Visit plan items", _l("拜访计划明细"), "fa-list-ol",
        category)
    add(appbuilder, VisitRecordView, "Visit records", _l("客户拜访记录表"), "fa-handshake-o",
        category)
    add(appbuilder, ContactDueView, "Contact due", _l("待联系客户"), "fa-phone", category)
    for api in (VisitPlanApi, VisitPlanItemApi, VisitRecordApi):
        appbuilder.add_api(api)


__all__ = ["ContactDueMixin", "VisitPlanApi", "VisitPlanItemApi", "VisitPlanItemView",
           "VisitPlanView", "VisitRecordApi", "VisitRecordView", "register"]


def contact_due_by_owner(session, user, params) -> dict:
    """客户联系频率 (DESIGN.md §4–5): customers behind the contact rule now, per owner, key
    customers apart; one GROUP BY over `contact_due_statement` in the viewer's scope."""
    due = contact_due_statement(user)
    if params.department_ids is not None:  # the dashboard's department filter
        due = due.where(Customer.department_id.in_(params.department_ids))
    due = due.subquery()
    key = func.sum(case((due.c.is_key.is_(True), 1), else_=0))
    rows = session.execute(
        select(due.c.username, due.c.last_name, due.c.first_name, func.count(), key)
        .group_by(due.c.username, due.c.last_name, due.c.first_name)
        .order_by(func.count().desc(), due.c.username)).all()
    labels = [f"{r.last_name or ''}{r.first_name or ''}" or r.username for r in rows]
    return {"labels": labels, "keys": [r.username for r in rows],
            "series": [{"name": _("重点客户"), "key": "key", "data": [int(r[4]) for r in rows]},
                       {"name": _("其他客户"), "key": "other",
                        "data": [int(r[3]) - int(r[4]) for r in rows]}]}


def contact_due_list(_view, _args, params) -> str:
    """待联系客户's 明细: the customers behind the rule (in the department chosen)."""
    return url_for("ContactDueView.list", department=params.department_id)


CONTACT_DUE_CHART = Chart("contact_due", _l("待联系客户（按经办人）"), kind="stacked_bar",
                          query=contact_due_by_owner, drill=contact_due_list)
