"""客户档案 family: views and REST APIs (declarations only; behaviour is in the bases).

Customers' credit rating and limit are Finance's (policy 04 4.2; DESIGN.md §4): only
Finance and Admin write them — read-only on others' forms, 403 over others' API calls —
and Finance edits exactly these two fields of a customer.
"""
from decimal import Decimal, InvalidOperation

from flask import g, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect as sa_inspect

from app.charts import Chart, count, month_of, sum_of
from app.errors import RowRejected
from app.filters import BooleanEqual, ChoiceEqual
from app.importer import ImportSpec
from app.models.customers import (
    CREDIT_FIELDS,
    ArchiveLoan,
    Contact,
    Customer,
    DevelopmentPlan,
    Transaction,
    credit_only,
    credit_refusal,
    may_set_credit,
)
from app.saved_views import Preset
from app.scope import ScopedInterface
from app.security import FULL, READ, WRITE
from app.views.base import AUDIT, AUDIT_API, RegisterApi, RegisterView
from app.views.complaints import ComplaintView
from app.views.grading import ABC_CHART, CustomerAbcMixin, GradeEvaluationView
from app.views.imports import ImportMixin
from app.views.visits import CONTACT_DUE_CHART, ContactDueMixin, VisitRecordView

FINANCE_WRITES = {"Clerk": FULL, "Supervisor": FULL, "Executive": READ, "Finance": WRITE}
# Finance edits customers, but only their credit fields (CreditRule below).
CUSTOMER_ACCESS = {"Clerk": FULL, "Supervisor": FULL, "Executive": READ,
                   "Finance": READ + ("can_edit",)}
FORM_KEEP = ("expected_version", "csrf_token")


def changed_columns(item) -> set:
    """The customer's columns this write changes (new rows: those given a value)."""
    state = sa_inspect(item)
    if item.id is None:
        return {c.key for c in Customer.__table__.columns
                if getattr(item, c.key, None) not in (None, "")}
    return {c.key for c in Customer.__table__.columns
            if state.attrs[c.key].history.has_changes()}


def credit_import_check(obj, user):
    """An import row may fill the credit columns only when Finance or Admin imports."""
    if any(getattr(obj, c, None) not in (None, "") for c in CREDIT_FIELDS) and \
            not may_set_credit(user):
        return RowRejected(credit_refusal(user, CREDIT_FIELDS), "credit_rating")
    return None


class CreditRule:
    """Mixed into the customer view and API: every write is checked on the model."""

    def _validate(self, item):
        super()._validate(item)
        refusal = credit_refusal(g.user, changed_columns(item))
        if refusal:
            raise RowRejected(refusal, "credit_rating")


class ContactView(ImportMixin, RegisterView):
    datamodel = ScopedInterface(Contact)
    import_spec = ImportSpec(Contact, ("customer", "name", "title", "phone", "email",
                                       "is_decision_maker", "birthday", "hobbies",
                                       "personality", "notes"), natural_key=("customer", "name"))
    list_title, show_title = _l("联系人列表"), _l("查看联系人")
    add_title, edit_title = _l("新增联系人"), _l("编辑联系人")
    list_columns = ["customer", "name", "title", "phone", "is_decision_maker", "owner"]
    show_fieldsets = [
        (_l("联系人"), {"fields": ["customer", "name", "title", "phone", "email",
                                  "is_decision_maker", "birthday"]}),
        (_l("关系维护"), {"fields": ["hobbies", "personality", "notes"]}),
        (_l("记录信息"), {"fields": AUDIT, "expanded": False}),
    ]
    add_columns = edit_columns = ["customer", "name", "title", "phone", "email",
                                  "is_decision_maker", "birthday", "hobbies", "personality",
                                  "notes"]
    search_columns = ["customer", "name", "title", "phone", "is_decision_maker", "owner"]
    description_columns = {"hobbies": _l("制度要求掌握关键决策人的兴趣爱好"),
                           "personality": _l("便于安排拜访与接待")}
    base_order = ("name", "asc")
    charts = [
        Chart("by_owner", _l("各经办人的联系人"), group_by="owner", series="is_decision_maker",
              kind="stacked_bar"),
        Chart("by_customer_type", _l("联系人所属客户类型"), group_by="customer.customer_type",
              kind="pie"),
    ]


class TransactionView(ImportMixin, RegisterView):
    datamodel = ScopedInterface(Transaction)
    import_spec = ImportSpec(Transaction, ("customer", "date", "product", "amount", "profit",
                                           "collected", "is_prepayment", "due_date", "notes"),
                             natural_key=("customer", "date", "product", "amount"))
    role_access = FINANCE_WRITES
    list_title, show_title = _l("交易记录列表"), _l("查看交易记录")
    add_title, edit_title = _l("新增交易记录"), _l("编辑交易记录")
    list_columns = ["customer", "date", "product", "amount", "profit", "collected", "due_date",
                    "owner"]
    show_fieldsets = [
        (_l("交易"), {"fields": ["customer", "date", "product", "amount", "profit",
                                "collected", "is_prepayment", "due_date", "notes"]}),
        (_l("记录信息"), {"fields": AUDIT, "expanded": False}),
    ]
    add_columns = edit_columns = ["customer", "date", "product", "amount", "profit",
                                  "collected", "is_prepayment", "due_date", "notes"]
    search_columns = ["customer", "date", "product", "amount", "collected", "due_date", "owner"]
    base_order = ("date", "desc")
    charts = [
        Chart("sales", _l("月度销售与回款"), group_by=month_of("date"),
              measures=[sum_of("amount", _l("销售额")), sum_of("collected", _l("回款额"))],
              kind="line"),
        Chart("profit", _l("月度利润"), group_by=month_of("date"),
              measures=[sum_of("profit", _l("利润"))], kind="bar"),
        Chart("by_grade", _l("按客户等级的销售额"), group_by="customer.grade",
              measures=[sum_of("amount", _l("销售额"))], kind="pie", period="date"),
    ]


class DevelopmentPlanView(RegisterView):
    datamodel = ScopedInterface(DevelopmentPlan)
    list_title, show_title = _l("大客户开发计划列表"), _l("查看开发计划")
    add_title, edit_title = _l("新增开发计划"), _l("编辑开发计划")
    list_columns = ["customer", "objective", "start_date", "end_date", "budget", "status",
                    "owner"]
    show_fieldsets = [
        (_l("开发计划"), {"fields": ["customer", "objective", "start_date", "end_date",
                                    "budget", "steps", "result", "status"]}),
        (_l("记录信息"), {"fields": AUDIT, "expanded": False}),
    ]
    add_columns = edit_columns = ["customer", "objective", "start_date", "end_date", "budget",
                                  "steps", "result"]
    search_columns = ["customer", "objective", "start_date", "status", "owner", "department"]
    base_order = ("start_date", "desc")
    charts = [
        Chart("by_status", _l("开发计划状态"), group_by="status", kind="pie"),
        Chart("per_month", _l("每月新开始的开发计划"), group_by=month_of("start_date"),
              measures=[count(_l("计划数")), sum_of("budget", _l("预算"))], kind="bar"),
    ]


class ArchiveLoanView(RegisterView):
    datamodel = ScopedInterface(ArchiveLoan)
    list_title, show_title = _l("资料借阅列表"), _l("查看借阅")
    add_title, edit_title = _l("借阅申请"), _l("编辑借阅申请")
    list_columns = ["customer", "document", "borrower", "borrowed_on", "due_on", "returned_on",
                    "status", "overdue"]
    show_fieldsets = [
        (_l("借阅"), {"fields": ["customer", "document", "borrower", "purpose", "borrowed_on",
                                "due_on", "returned_on", "status", "overdue"]}),
        (_l("记录信息"), {"fields": AUDIT, "expanded": False}),
    ]
    add_columns = edit_columns = ["customer", "document", "borrower", "purpose", "due_on"]
    search_columns = ["customer", "document", "borrower", "due_on", "status", "owner"]
    formatters_columns = {"overdue": lambda v: _l("逾期") if v else ""}
    base_order = ("due_on", "asc")
    charts = [
        Chart("by_status", _l("借阅状态"), group_by="status", kind="pie"),
        Chart("per_month", _l("每月应还的借阅"), group_by=month_of("due_on"), series="status",
              kind="stacked_bar"),
    ]


class CustomerView(CreditRule, ImportMixin, RegisterView):
    datamodel = ScopedInterface(Customer)
    presets = [
        Preset(_l("重点客户"), {"is_key": (BooleanEqual, "y")}),
        Preset(_l("合作中的客户"), {"cooperation": (ChoiceEqual, "active")}),
    ]
    role_access = CUSTOMER_ACCESS
    import_spec = ImportSpec(Customer, ("name", "customer_type", "industry", "scale", "address",
                                        "phone", "cooperation", "is_key", "credit_rating",
                                        "credit_limit", "notes"), natural_key=("name",),
                             row_check=credit_import_check)
    list_title, show_title = _l("客户档案列表"), _l("查看客户档案")
    add_title, edit_title = _l("新增客户"), _l("编辑客户档案")
    list_columns = ["code", "name", "customer_type", "cooperation", "is_key", "grade",
                    "credit_rating", "owner", "department"]
    show_fieldsets = [
        (_l("基本信息"), {"fields": ["code", "name", "customer_type", "industry", "scale",
                                    "address", "phone", "cooperation", "is_key", "status",
                                    "notes"]}),
        (_l("等级与信用"), {"fields": ["grade", "grade_provisional", "grade_review_due",
                                     "credit_rating", "credit_limit"]}),
        (_l("记录信息"), {"fields": AUDIT, "expanded": False}),
    ]
    add_columns = edit_columns = ["name", "customer_type", "industry", "scale", "address",
                                  "phone", "cooperation", "is_key", "credit_rating",
                                  "credit_limit", "status", "notes"]
    search_columns = ["code", "name", "customer_type", "industry", "cooperation", "is_key",
                      "grade", "grade_provisional", "owner", "department", "status"]
    description_columns = {
        "grade": _l("由客户质量等级评定的批准结果写入，此处只读"),
        "is_key": _l("重点客户每月至少联系一次、每半年至少实地拜访一次"),
        "credit_rating": _l("由财务部评定（客户分级管理制度 4.2），只有财务或系统管理员可以填写"),
        "credit_limit": _l("由财务部核定，只有财务或系统管理员可以填写"),
    }
    related_views = [ContactView, TransactionView, DevelopmentPlanView, ArchiveLoanView,
                     ComplaintView, GradeEvaluationView, VisitRecordView]
    base_order = ("code", "asc")
    charts = [
        Chart("by_grade", _l("客户等级分布"), group_by="grade", series="customer_type",
              kind="stacked_bar"),
        Chart("by_type", _l("客户类型分布"), group_by="customer_type", kind="pie"),
        Chart("by_cooperation", _l("合作状态"), group_by="cooperation", kind="bar"),
        ABC_CHART,
        CONTACT_DUE_CHART,
    ]

    # --- the form per user: Finance sees the credit fields only; the others see
    # them read-only (disabled, and dropped from what is posted) -------------------
    def _restrict_form(self, form):
        if credit_only(g.user):
            drop = [f.name for f in form if f.name not in (*CREDIT_FIELDS, *FORM_KEEP)]
        elif not may_set_credit(g.user):
            drop = []
            for name in CREDIT_FIELDS:
                if name not in form:
                    continue
                if request.method == "POST":
                    drop.append(name)
                else:
                    form[name].render_kw = {**(form[name].render_kw or {}),
                                            "disabled": "disabled"}
        else:
            drop = []
        for name in drop:
            del form[name]
        return form

    def _fill_form_exclude_cols(self, exclude_cols, form):
        super()._fill_form_exclude_cols(exclude_cols, form)
        self._restrict_form(form)

    def prefill_form(self, form, pk):
        super().prefill_form(form, pk)
        self._restrict_form(form)

    def _get_add_widget(self, form, exclude_cols=None, widgets=None):
        self._restrict_form(form)
        widgets = widgets or {}
        widgets["add"] = self.add_widget(
            form=form, include_cols=[c for c in self.add_columns if c in form],
            exclude_cols=exclude_cols or [], fieldsets=self.add_fieldsets)
        return widgets

    def _get_edit_widget(self, form=None, exclude_cols=None, widgets=None):
        self._restrict_form(form)
        widgets = widgets or {}
        widgets["edit"] = self.edit_widget(
            form=form, include_cols=[c for c in self.edit_columns if c in form],
            exclude_cols=[*(exclude_cols or []), "expected_version"],
            fieldsets=self.edit_fieldsets)
        return widgets



def _differs(item, name, value) -> bool:
    """Whether a JSON value would change the customer's column."""
    current = getattr(item, name, None) if item is not None else None
    if value in (None, "") or current is None:
        return value not in (None, "") or (current is not None and current != "")
    if isinstance(current, Decimal):
        try:
            return Decimal(str(value)) != current
        except (InvalidOperation, ValueError):
            return True
    return value != current


class CustomerApi(CreditRule, ContactDueMixin, CustomerAbcMixin, RegisterApi):
    resource_name = "customer"
    datamodel = ScopedInterface(Customer)
    role_access = CUSTOMER_ACCESS
    list_columns = show_columns = ["id", "code", "name", "customer_type", "industry", "scale",
                                   "address", "phone", "cooperation", "is_key", "grade",
                                   "grade_provisional", "grade_review_due", "credit_rating",
                                   "credit_limit", "status", "notes", *AUDIT_API]
    add_columns = edit_columns = CustomerView.add_columns
    search_columns = CustomerView.search_columns

    def _credit_forbidden(self, item=None):
        """403 when the body would change what this user may not write (checked before
        the body is loaded, so a refused write changes nothing)."""
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            return None
        changed = {k for k, v in payload.items()
                   if k in Customer.__table__.columns and _differs(item, k, v)}
        refusal = credit_refusal(g.user, changed)
        return self.response(403, message=refusal) if refusal else None

    def post_headless(self):
        return self._credit_forbidden() or super().post_headless()

    def put_headless(self, pk):
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()
        return self._credit_forbidden(item) or super().put_headless(pk)


class ContactApi(RegisterApi):
    resource_name = "contact"
    datamodel = ScopedInterface(Contact)
    list_columns = show_columns = ["id", "customer.id", "customer.name", "name", "title", "phone",
                                   "email", "is_decision_maker", "birthday", "hobbies",
                                   "personality", "notes", *AUDIT_API]
    add_columns = edit_columns = ContactView.add_columns
    search_columns = ["customer", "name", "is_decision_maker"]


class TransactionApi(RegisterApi):
    resource_name = "transaction"
    datamodel = ScopedInterface(Transaction)
    role_access = FINANCE_WRITES
    list_columns = show_columns = ["id", "customer.id", "customer.name", "date", "product",
                                   "amount", "profit", "collected", "is_prepayment", "due_date",
                                   "notes", *AUDIT_API]
    add_columns = edit_columns = TransactionView.add_columns
    search_columns = ["customer", "date", "product"]


class DevelopmentPlanApi(RegisterApi):
    resource_name = "development_plan"
    datamodel = ScopedInterface(DevelopmentPlan)
    list_columns = show_columns = ["id", "customer.id", "customer.name", "objective",
                                   "start_date", "end_date", "budget", "steps", "result",
                                   "status", *AUDIT_API]
    add_columns = edit_columns = DevelopmentPlanView.add_columns
    search_columns = ["customer", "objective", "status", "start_date"]


class ArchiveLoanApi(RegisterApi):
    resource_name = "archive_loan"
    datamodel = ScopedInterface(ArchiveLoan)
    list_columns = show_columns = ["id", "customer.id", "customer.name", "document", "borrower",
                                   "purpose", "borrowed_on", "due_on", "returned_on", "status",
                                   "overdue", *AUDIT_API]
    add_columns = edit_columns = ArchiveLoanView.add_columns
    search_columns = ["customer", "document", "borrower", "status", "due_on"]
