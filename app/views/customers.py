"""客户档案 family: views and REST APIs (declarations only; behaviour is in the bases)."""
from flask_babel import lazy_gettext as _l

from app.charts import Chart, count, month_of, sum_of
from app.importer import ImportSpec
from app.models.customers import ArchiveLoan, Contact, Customer, DevelopmentPlan, Transaction
from app.scope import ScopedInterface
from app.security import FULL, READ, WRITE
from app.views.base import AUDIT, AUDIT_API, RegisterApi, RegisterView
from app.views.complaints import ComplaintView
from app.views.grading import ABC_CHART, CustomerAbcMixin, GradeEvaluationView
from app.views.imports import ImportMixin

FINANCE_WRITES = {"Clerk": FULL, "Supervisor": FULL, "Executive": READ, "Finance": WRITE}


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


class CustomerView(ImportMixin, RegisterView):
    datamodel = ScopedInterface(Customer)
    import_spec = ImportSpec(Customer, ("name", "customer_type", "industry", "scale", "address",
                                        "phone", "cooperation", "is_key", "credit_rating",
                                        "credit_limit", "notes"), natural_key=("name",))
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
    }
    related_views = [ContactView, TransactionView, DevelopmentPlanView, ArchiveLoanView,
                     ComplaintView, GradeEvaluationView]
    base_order = ("code", "asc")
    charts = [
        Chart("by_grade", _l("客户等级分布"), group_by="grade", series="customer_type",
              kind="stacked_bar"),
        Chart("by_type", _l("客户类型分布"), group_by="customer_type", kind="pie"),
        Chart("by_cooperation", _l("合作状态"), group_by="cooperation", kind="bar"),
        ABC_CHART,
    ]




class CustomerApi(CustomerAbcMixin, RegisterApi):
    resource_name = "customer"
    datamodel = ScopedInterface(Customer)
    list_columns = show_columns = ["id", "code", "name", "customer_type", "industry", "scale",
                                   "address", "phone", "cooperation", "is_key", "grade",
                                   "grade_provisional", "grade_review_due", "credit_rating",
                                   "credit_limit", "status", "notes", *AUDIT_API]
    add_columns = edit_columns = CustomerView.add_columns
    search_columns = CustomerView.search_columns


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
