"""客户档案 family: customers, contacts, transactions, development plans, archive loans.

Policy 01 (大客户开发管理制度), 02 (大客户服务), 05 (客户维护细则: 客户信息管理).
"""
from decimal import Decimal

from flask_appbuilder import Model
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import relationship

from app.errors import RowRejected
from app.models.base import COMMON_LABELS, RegisterMixin, list_indexes
from app.timeutil import today_cn
from app.workflow import Workflow, reject, send_back, step

CUSTOMER_TYPES = {"important": _l("重要客户"), "high_value": _l("高价值客户"),
                  "group": _l("集团客户"), "strategic": _l("战略客户")}
COOPERATION = {"prospect": _l("潜在"), "active": _l("合作中"), "suspended": _l("暂停"),
               "lost": _l("流失")}
GRADES = {"A": "A", "B": "B", "C": "C", "D": "D"}
CUSTOMER_STATUS = {"active": _l("在册"), "archived": _l("已归档")}
SCALES = {"large": _l("大型"), "medium": _l("中型"), "small": _l("小型"), "micro": _l("微型")}
CREDIT_RATINGS = {"AAA": "AAA", "AA": "AA", "A": "A", "B": "B", "C": "C"}
MONEY = Numeric(14, 2)
# Policy 04 4.2 财务部负责客户资信等级的评定: credit rating and limit are Finance's.
CREDIT_FIELDS = ("credit_rating", "credit_limit")
CREDIT_ROLES = frozenset({"Finance", "Admin"})
CUSTOMER_EDITORS = frozenset({"Admin", "Clerk", "Supervisor"})


def _role_names(user) -> set:
    return {role.name for role in getattr(user, "roles", None) or ()}


def may_set_credit(user) -> bool:
    """Only Finance and Admin write a customer's credit rating and limit."""
    return bool(_role_names(user) & CREDIT_ROLES)


def credit_only(user) -> bool:
    """Finance (without a role that edits customer files) edits exactly the credit fields."""
    roles = _role_names(user)
    return "Finance" in roles and not roles & CUSTOMER_EDITORS


def credit_refusal(user, changed) -> str | None:
    """Why `user` may not change these customer fields, or None (Chinese)."""
    changed = set(changed)
    if changed & set(CREDIT_FIELDS) and not may_set_credit(user):
        return _("信用等级和信用额度由财务部评定，只有财务或系统管理员可以填写")
    if credit_only(user) and changed - set(CREDIT_FIELDS):
        return _("财务只能修改客户的信用等级和信用额度")
    return None


class Customer(RegisterMixin, Model):
    __tablename__ = "customer"
    label = _l("客户档案")
    quick_search = ("code", "name", "address")
    code_prefix = "KH"
    search_index = ("code", "name")
    enums = {"customer_type": CUSTOMER_TYPES, "cooperation": COOPERATION, "grade": GRADES,
             "status": CUSTOMER_STATUS, "scale": SCALES, "credit_rating": CREDIT_RATINGS}
    field_labels = {
        **COMMON_LABELS,
        "code": _l("客户编号"), "name": _l("客户名称"), "customer_type": _l("客户类型"),
        "industry": _l("所属行业"), "scale": _l("企业规模"), "address": _l("地址"),
        "phone": _l("联系电话"), "cooperation": _l("合作状态"), "is_key": _l("重点客户"),
        "grade": _l("客户等级"), "grade_provisional": _l("临时等级"),
        "grade_review_due": _l("等级复评日期"), "credit_rating": _l("信用等级"),
        "credit_limit": _l("信用额度（元）"), "status": _l("档案状态"), "notes": _l("备注"),
    }

    code = Column(String(20), unique=True, nullable=False)
    name = Column(String(200), unique=True, nullable=False)
    customer_type = Column(String(20), nullable=False)
    industry = Column(String(100))
    scale = Column(String(20))
    address = Column(String(300))
    phone = Column(String(50))
    cooperation = Column(String(20), nullable=False, default="prospect")
    is_key = Column(Boolean, nullable=False, default=False)
    grade = Column(String(1))
    grade_provisional = Column(Boolean, nullable=False, default=False)
    grade_review_due = Column(Date)
    credit_rating = Column(String(10))
    credit_limit = Column(MONEY, CheckConstraint("credit_limit >= 0", name="ck_customer_credit"))
    status = Column(String(20), nullable=False, default="active")
    notes = Column(Text)

    def __repr__(self) -> str:
        return self.name or ""

    def validate(self):
        if self.credit_limit is not None and Decimal(self.credit_limit) < 0:
            return RowRejected(_l("信用额度不能为负数"), "credit_limit")
        return None


class CustomerChildMixin(RegisterMixin):
    """Rows about one customer: owner and department follow the customer's."""

    owner_from = "customer"


class Contact(CustomerChildMixin, Model):
    __tablename__ = "contact"
    label = _l("联系人")
    quick_search = ("name", "customer.name", "phone")
    search_index = ("name", "phone")
    field_labels = {
        **COMMON_LABELS,
        "customer": _l("客户"), "name": _l("姓名"), "title": _l("职务"), "phone": _l("电话"),
        "email": _l("电子邮件"), "is_decision_maker": _l("关键决策人"), "birthday": _l("生日"),
        "hobbies": _l("兴趣爱好"), "personality": _l("性格特点"), "notes": _l("备注"),
    }

    customer_id = Column(Integer, ForeignKey("customer.id"), nullable=False, index=True)
    customer = relationship(Customer, backref="contacts")
    name = Column(String(50), nullable=False)
    title = Column(String(100))
    phone = Column(String(50))
    email = Column(String(120))
    is_decision_maker = Column(Boolean, nullable=False, default=False)
    birthday = Column(Date)
    hobbies = Column(String(300))
    personality = Column(String(300))
    notes = Column(Text)

    def __repr__(self) -> str:
        return self.name or ""

    def validate(self):
        if self.birthday and self.birthday > today_cn():
            return RowRejected(_l("生日不能晚于今天"), "birthday")
        return None


class Transaction(CustomerChildMixin, Model):
    __tablename__ = "transaction"
    label = _l("交易记录")
    quick_search = ("customer.name", "product")
    field_labels = {
        **COMMON_LABELS,
        "customer": _l("客户"), "date": _l("交易日期"), "product": _l("产品"),
        "amount": _l("销售额（元）"), "profit": _l("利润（元）"), "collected": _l("回款额（元）"),
        "due_date": _l("应收款到期日"), "is_prepayment": _l("预收款"), "notes": _l("备注"),
    }

    customer_id = Column(Integer, ForeignKey("customer.id"), nullable=False, index=True)
    customer = relationship(Customer, backref="transactions")
    date = Column(Date, nullable=False, index=True)
    product = Column(String(200), nullable=False)
    amount = Column(MONEY, nullable=False)
    profit = Column(MONEY)
    collected = Column(MONEY, nullable=False, default=Decimal("0.00"))
    due_date = Column(Date)
    is_prepayment = Column(Boolean, nullable=False, default=False)
    notes = Column(Text)

    def __repr__(self) -> str:
        return f"{self.customer} {self.date} {self.product}"

    def validate(self):
        amount = Decimal(self.amount if self.amount is not None else 0)
        collected = Decimal(self.collected if self.collected is not None else 0)
        if amount < 0:
            return RowRejected(_l("销售额不能为负数"), "amount")
        if collected < 0:
            return RowRejected(_l("回款额不能为负数"), "collected")
        if collected > amount and not self.is_prepayment:
            return RowRejected(_l("回款额不能大于销售额（预收款请勾选“预收款”）"), "collected")
        if self.profit is not None and Decimal(self.profit) > amount:
            return RowRejected(_l("利润不能大于销售额"), "profit")
        if self.due_date and self.date and self.due_date < self.date:
            return RowRejected(_l("应收款到期日不能早于交易日期"), "due_date")
        return None


PLAN_FLOW = Workflow(
    initial="draft",
    states={"draft": _l("草稿"), "submitted": _l("已提交"), "reviewed": _l("已审核"),
            "approved": _l("已批准"), "returned": _l("已退回"), "rejected": _l("已否决")},
    steps=[
        step("submit", ("draft", "returned"), "submitted", _l("提交"), roles=("Clerk",)),
        step("review", "submitted", "reviewed", _l("审核计划"), roles=("Supervisor",),
             help=_l("制度规定：客户主管审核")),
        step("approve", "reviewed", "approved", _l("批准计划"), roles=("Executive",),
             help=_l("制度规定：营销经理批准")),
        send_back(("submitted", "reviewed")),
        reject(("submitted", "reviewed")),
    ],
)


class DevelopmentPlan(CustomerChildMixin, Model):
    """大客户开发计划 (policy 01 第四章): drafted by 销售专员, reviewed, approved."""

    __tablename__ = "development_plan"
    owner_from = None  # the clerk who drafts it owns it
    label = _l("大客户开发计划")
    quick_search = ("customer.name", "objective")
    workflow = PLAN_FLOW
    enums = {"status": PLAN_FLOW.states}
    field_labels = {
        **COMMON_LABELS,
        "customer": _l("目标客户"), "objective": _l("开发目标"), "start_date": _l("开始日期"),
        "end_date": _l("结束日期"), "budget": _l("预算（元）"), "steps": _l("实施步骤"),
        "result": _l("执行结果"), "status": _l("状态"),
    }

    customer_id = Column(Integer, ForeignKey("customer.id"), nullable=False, index=True)
    customer = relationship(Customer, backref="development_plans")
    objective = Column(String(300), nullable=False)
    start_date = Column(Date, nullable=False)
    end_date = Column(Date, nullable=False)
    budget = Column(MONEY)
    steps = Column(Text)
    result = Column(Text)
    status = Column(String(20), nullable=False, default="draft", index=True)

    def __repr__(self) -> str:
        return f"{self.customer}：{self.objective}"

    def validate(self):
        if self.start_date and self.end_date and self.end_date < self.start_date:
            return RowRejected(_l("结束日期不能早于开始日期"), "end_date")
        if self.budget is not None and Decimal(self.budget) < 0:
            return RowRejected(_l("预算不能为负数"), "budget")
        return None


LOAN_FLOW = Workflow(
    initial="requested",
    editable=("requested",),
    states={"requested": _l("已申请"), "approved": _l("已批准"), "borrowed": _l("借出中"),
            "returned": _l("已归还"), "rejected": _l("已拒绝")},
    steps=[
        step("approve", "requested", "approved", _l("批准借阅"),
             roles=("Supervisor",)),
        step("lend", "approved", "borrowed", _l("借出"), roles=("Clerk",), stamp="borrowed_on"),
        step("give_back", "borrowed", "returned", _l("归还"), roles=("Clerk",),
             stamp="returned_on"),
        reject(("requested",)),
    ],
)


class ArchiveLoan(CustomerChildMixin, Model):
    """资料借阅: customer files leave the archive only with approval and come back."""

    __tablename__ = "archive_loan"
    owner_from = None
    label = _l("资料借阅")
    quick_search = ("customer.name", "document")
    workflow = LOAN_FLOW
    acting = ("borrower",)
    enums = {"status": LOAN_FLOW.states}
    field_labels = {
        **COMMON_LABELS,
        "customer": _l("客户"), "document": _l("借阅资料"), "borrower": _l("借阅人"),
        "purpose": _l("借阅用途"), "borrowed_on": _l("借出日期"), "due_on": _l("应还日期"),
        "returned_on": _l("归还日期"), "status": _l("状态"), "overdue": _l("逾期"),
    }

    customer_id = Column(Integer, ForeignKey("customer.id"), nullable=False, index=True)
    customer = relationship(Customer, backref="archive_loans")
    document = Column(String(200), nullable=False)
    borrower = Column(String(50), nullable=False)
    purpose = Column(String(300))
    borrowed_on = Column(Date)
    due_on = Column(Date, nullable=False)
    returned_on = Column(Date)
    status = Column(String(20), nullable=False, default="requested", index=True)

    def __repr__(self) -> str:
        return f"{self.customer}：{self.document}"

    @property
    def overdue(self) -> bool:
        return self.status == "borrowed" and self.due_on is not None and self.due_on < today_cn()

    def validate(self):
        if self.borrowed_on and self.due_on and self.due_on < self.borrowed_on:
            return RowRejected(_l("应还日期不能早于借出日期"), "due_on")
        if self.borrowed_on is None and self.due_on and self.due_on < today_cn():
            return RowRejected(_l("应还日期不能早于今天"), "due_on")
        return None


list_indexes(Customer, ("code", "name", "customer_type", "cooperation", "grade"),
             filters=("is_key", "grade_provisional", "status"))
list_indexes(Transaction, ("date", "amount"), filters=("collected", "due_date"))
list_indexes(Contact, ("name",), filters=("is_decision_maker",))
list_indexes(DevelopmentPlan, ("start_date", "end_date", "budget", "status"))
list_indexes(ArchiveLoan, ("borrowed_on", "due_on", "returned_on", "status"))
Index("ix_transaction_date_customer_amount", Transaction.date, Transaction.customer_id,
      Transaction.amount)  # ABC: the year's sales per customer from the index alone
