"""The registers the generated tests run over, read from the app's declarations.

`registers(app)` lists every RegisterApi the app registered (resource, model, workflow);
`SAMPLES` holds one valid new row per resource — the only thing a new register has to
declare here to join the role × register matrix (test_matrix.py), the generated bad input
(test_fuzz.py), the script payloads (test_escaping.py) and the random day
(test_random_day.py). test_matrix fails while a registered resource has no sample.
"""
import itertools
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Boolean, Date, DateTime, select
from sqlalchemy import inspect as sa_inspect

from app.models.org import ConsoleUser, Department, department_subtree
from app.scope import ALL, DEPARTMENT, OWN, ROLE_SCOPES
from app.timeutil import now_cn, today_cn
from tests.conftest import unique

_months = itertools.count(0)
_days = itertools.count(0)


def fresh_month() -> str:
    """A month no other sample of this process uses (one visit plan per department and
    month): from 2060 on, where no other test plans."""
    n = next(_months)
    return f"{2060 + n // 12}-{n % 12 + 1:02d}"


def fresh_date() -> str:
    return (today_cn().replace(year=2070) + timedelta(days=next(_days))).isoformat()


@dataclass
class Register:
    resource: str
    model: type
    api: object  # the RegisterApi instance
    view: object | None  # its web RegisterView (the first registered for the model)

    @property
    def workflow(self):
        return getattr(self.model, "workflow", None)

    @property
    def scoped(self) -> bool:
        return getattr(self.model, "row_scope", None) is not None


def registers(app) -> list[Register]:
    from app.views.base import RegisterApi, RegisterView
    baseviews = app.appbuilder.baseviews
    views = {}
    for v in baseviews:
        if isinstance(v, RegisterView):
            views.setdefault(v.datamodel.obj, v)
    return [Register(v.resource_name, v.datamodel.obj, v, views.get(v.datamodel.obj))
            for v in baseviews if isinstance(v, RegisterApi)]


# --- valid new rows ----------------------------------------------------------------------
# Who creates a register's rows when a test asks for "a row of clerk1": most registers are
# a Clerk's; visit plans are drafted by the department's Supervisor; shared registers
# (no row scope) are the Admin's.
SUPERVISOR_OF = {"clerk1": "supervisor1", "clerk2": "supervisor1", "clerk3": "supervisor2"}
AUTHOR = {"visit_plan": "supervisor", "visit_plan_item": "supervisor"}


class Maker:
    """Creates valid rows over the API; `make(resource, clerk)` answers the new id."""

    def __init__(self, app, clients):
        self.app, self.clients = app, clients  # clients: username → Api

    def author(self, resource, clerk) -> str:
        reg = next((r for r in registers(self.app) if r.resource == resource), None)
        if reg is not None and not reg.scoped:
            return "admin"
        return SUPERVISOR_OF[clerk] if AUTHOR.get(resource) == "supervisor" else clerk

    def user_id(self, username) -> int:
        with self.app.app_context():
            from app.extensions import db
            return db.session.scalar(select(ConsoleUser.id).where(
                ConsoleUser.username == username))

    def make(self, resource, clerk="clerk1", **extra) -> int:
        body = {**SAMPLES[resource](self, clerk), **extra}
        author = self.author(resource, clerk)
        r = self.clients(author).post(f"/api/v1/{resource}/", json=body)
        assert r.status_code == 201, (resource, author, r.json)
        pk = r.json["id"]
        if resource == "visit_plan":  # a plan with no items cannot be submitted
            item = {"visit_plan": pk, **_item(self, clerk),
                    "deadline": f"{_plan_month(self, pk)}-20"}
            r = self.clients(author).post("/api/v1/visit_plan_item/", json=item)
            assert r.status_code == 201, r.json
        if resource == "reception":  # settled only with its expenses and invoices
            r = self.clients(author).post("/api/v1/reception_expense/", json=EXPENSE(pk))
            assert r.status_code == 201, r.json
        return pk

    def advance(self, resource, pk, *steps) -> int:
        """Run workflow steps on a row as the Admin (who may run every step)."""
        for name in steps:
            r = self.clients("admin").post(f"/api/v1/{resource}/{pk}/transition/{name}",
                                           json={})
            assert r.status_code == 200, (resource, name, r.json)
        return pk

    def body(self, resource, clerk="clerk1") -> dict:
        return SAMPLES[resource](self, clerk)


def _plan_month(m, plan_id) -> str:
    return m.clients("admin").get(f"/api/v1/visit_plan/{plan_id}").json["result"]["month"]


def _item(m, clerk):
    return {"customer": m.make("customer", clerk), "visitor": m.user_id(clerk),
            "purpose": "了解年度采购计划"}


def _visit_plan_item(m, clerk):
    plan = m.clients(SUPERVISOR_OF[clerk]).post("/api/v1/visit_plan/",
                                                json=SAMPLES["visit_plan"](m, clerk))
    assert plan.status_code == 201, plan.json
    pk = plan.json["id"]
    return {"visit_plan": pk, **_item(m, clerk), "deadline": f"{_plan_month(m, pk)}-20"}


def EXPENSE(reception) -> dict:  # noqa: N802 (a sample, like the table below)
    return {"reception": reception, "category": "meal", "amount": "100.00",
            "invoice_no": unique("FP")}


SAMPLES = {
    "customer": lambda m, c: {"name": unique("客户"), "customer_type": "important",
                              "cooperation": "active"},
    "contact": lambda m, c: {"customer": m.make("customer", c), "name": unique("联系人"),
                             "phone": "13800000000"},
    "transaction": lambda m, c: {"customer": m.make("customer", c), "date": "2026-03-02",
                                 "product": unique("产品"), "amount": "1000.00",
                                 "collected": "400.00"},
    "development_plan": lambda m, c: {"customer": m.make("customer", c),
                                      "objective": unique("开发目标"),
                                      "start_date": "2026-01-01", "end_date": "2026-06-30"},
    "archive_loan": lambda m, c: {"customer": m.make("customer", c), "document": unique("资料"),
                                  "borrower": "王明",
                                  "due_on": (today_cn() + timedelta(days=30)).isoformat()},
    "visit_plan": lambda m, c: {"month": fresh_month(), "title": unique("拜访计划")},
    "visit_plan_item": _visit_plan_item,
    "visit_record": lambda m, c: {"customer": m.make("customer", c),
                                  "visit_date": today_cn().isoformat(), "visit_type": "phone",
                                  "result": unique("拜访结果"), "unsolved": "价格异议"},
    "grade_evaluation": lambda m, c: {"customer": m.make("customer", c), "year": 2025,
                                      **{f"score_{k}": "80" for k in (
                                          "sales", "price", "payment", "cooperation",
                                          "potential", "credit")}},
    "grading_rule": lambda m, c: {"name": unique("规则"), "active": False},
    "reception": lambda m, c: {"customer": m.make("customer", c), "notice_from": "销售一部",
                               "visitor_names": unique("来宾"), "visitor_count": 2,
                               "purpose": "考察生产线", "arrival": "2025-08-12T09:00:00",
                               "departure": "2025-08-13T16:00:00", "need_meal": True,
                               "meal_estimate": "300.00", "plan": "会议室座谈"},
    "reception_expense": lambda m, c: EXPENSE(m.make("reception", c)),
    "satisfaction_survey": lambda m, c: {"title": unique("调查"), "period_start": "2026-03-01",
                                         "period_end": "2026-03-31", "method": "questionnaire",
                                         "target": "全部 A 类客户", "issued_count": 10,
                                         "staff": "王明、李华"},
    "survey_response": lambda m, c: {"survey": m.advance(  # answers come in while it runs
        "satisfaction_survey", m.make("satisfaction_survey", c), "submit", "approve", "start"),
                                     "customer": m.make("customer", c), "price": 4,
                                     "comments": unique("意见")},
    "service_request": lambda m, c: {"customer": m.make("customer", c),
                                     "content": unique("需求"), "urgency": "normal"},
    "complaint": lambda m, c: {"customer": m.make("customer", c), "complainant": "张先生",
                               "category": "major", "description": unique("投诉")},  # major: 上报集团 too
    "improvement_measure": lambda m, c: {"problem": unique("问题"), "measure": "加强培训"},
    "workday_override": lambda m, c: {"date": fresh_date(), "is_workday": True,
                                      "note": unique("调休")},
    "department": lambda m, c: {"name": unique("部门")},
}




# --- what DESIGN.md §1 says a user may see -----------------------------------------------
def visible_ids(session, model, username, where=None) -> set[int]:
    """The ids `username` may see, by DESIGN.md §1 written as SQL (not the app's clause)."""
    user = session.scalar(select(ConsoleUser).where(ConsoleUser.username == username))
    query = select(model.id)
    if where is not None:
        query = query.where(where)
    if getattr(model, "row_scope", None) is not None:
        widest = max((ROLE_SCOPES.get(r.name, OWN) for r in user.roles),
                     key=[OWN, DEPARTMENT, ALL].index, default=OWN)
        if widest == DEPARTMENT and user.department_id is not None:
            query = query.where(model.department_id.in_(
                department_subtree(session, user.department_id)))
        elif widest != ALL:
            query = query.where(model.owner_id == user.id)
    return set(session.scalars(query))


def department_id(session, name) -> int:
    return session.scalar(select(Department.id).where(Department.name == name))


# --- values of a column's type (workflow step bodies) ------------------------------------
def value_for(model, column: str):
    col = sa_inspect(model).columns.get(column)
    if col is None:
        return "已处理"
    enums = getattr(model, "enums", {})
    if column in enums:
        return next(iter(enums[column]))
    if isinstance(col.type, Boolean):
        return True
    if isinstance(col.type, DateTime):
        return now_cn().replace(microsecond=0, tzinfo=None).isoformat()
    if isinstance(col.type, Date):
        return today_cn().isoformat()
    return "已处理：" + unique("说明")
