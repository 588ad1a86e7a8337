"""Demo rows of the 客户拜访 family: 客户拜访计划表 of the last three months (and the next
one) for 销售一部 and 销售二部 in every state, items assigned to clerk1–clerk3, visit records
(some late, some with problems left unsolved) and everyday contacts, so that some
customers are behind the contact rule and others are not.

Deterministic (random.Random(2026 + 11)); idempotent (plans by department and month,
records by customer, date and type). Needs the demo customers (app.demo_customers).
"""
import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import insert, select

from app.demo_customers import walk
from app.models.customers import Contact, Customer
from app.models.visits import (
    PLAN_FLOW,
    RECORD_FLOW,
    VisitPlan,
    VisitPlanItem,
    VisitRecord,
    add_months,
    customer_defaults,
    visit_record_contact,
)
from app.timeutil import now_cn, today_cn
from app.workflow import TransitionLog

SEED = 2026 + 11
DEPARTMENTS = {"supervisor1": ("clerk1", "clerk2"), "supervisor2": ("clerk3",)}
# month offset → state of the plan, per supervisor
PLAN_STATES = {"supervisor1": {-2: "approved", -1: "approved", 0: "approved", 1: "draft"},
               "supervisor2": {-2: "approved", -1: "approved", 0: "submitted", 1: "returned"}}
PURPOSES = ["了解年度采购计划，介绍新品面料", "回访交货质量，收集使用反馈", "洽谈年度框架协议续签",
            "沟通应收账款回收安排", "介绍秋冬流行趋势与新工艺", "处理上月投诉的整改结果回访",
            "了解客户新项目需求，提供解决方案"]
NEEDS = ["希望缩短交货周期至 15 天", "需要提供环保认证资料", "希望增加小批量定制",
         "要求提供色牢度检测报告", "希望月结账期延长至 60 天"]
SOLUTIONS = ["已协调生产部优先排产", "现场提供了认证复印件，原件下周寄送", "介绍了小批量打样流程",
             "承诺一周内提供检测报告"]
OBJECTIONS = ["认为价格高于同行约 5%，原因是原料上涨未及时沟通", "对上批次色差有意见，原因是染色批次不同",
              "对交货延误不满，原因是物流商调整"]
UNSOLVED = ["客户要求账期延长至 90 天，超出本人权限", "客户要求独家供货条款，需公司决定",
            "大批量降价 8% 的要求需经理审批"]
PROPOSALS = ["建议给予 60 天账期并要求提供担保", "建议签订区域独家协议，期限一年",
             "建议按阶梯价格给予 5% 折扣"]
RESULTS = ["客户对服务满意，预计下月追加订单", "达成初步意向，待报价", "了解到竞争对手动态，已记录",
           "客户确认续签意向"]


def _at(day: date, rng) -> datetime:
    return datetime.combine(day, time(rng.randint(9, 17), rng.randint(0, 59)))


def _month(today: date, offset: int) -> str:
    first = add_months(today.replace(day=1), offset)
    return f"{first.year}-{first.month:02d}"


def _cap(row, logs, now):
    for log in logs:
        log["at"] = min(log["at"], now)
    row["changed_on"] = min(row["changed_on"], now)


def _insert(session, model, row, logs) -> int:
    obj = model(**row)
    session.add(obj)
    session.flush()
    obj_id = obj.id
    for log in logs:
        log["row_id"] = obj_id
    if logs:
        session.execute(insert(TransitionLog), logs)
    return obj_id


def _plan_path(state, supervisor, executive):
    submit = ("submit", supervisor, None)
    return {"draft": [], "submitted": [submit],
            "approved": [submit, ("approve", executive, "同意，按计划执行")],
            "returned": [submit, ("send_back", executive, "重点客户覆盖不足，请补充实地拜访安排")],
            }[state]


def _record_path(kind, owner, supervisor, executive):
    submit, review = ("submit", owner, None), ("review", supervisor, "已审核")
    return {"draft": [], "submitted": [submit], "reviewed": [submit, review],
            "returned": [submit, ("send_back", supervisor, "请补充客户异议的产生原因")],
            "solution_approved": [submit, review,
                                  ("approve_solution", executive, "同意所提方案，由客户关系主管组织实施")],
            }[kind]


def load(session, users) -> list[str]:
    today, now = today_cn(), now_cn()
    executive = users["executive"]
    customers = session.scalars(select(Customer).where(Customer.status == "active",
                                                       Customer.cooperation != "lost")
                                .order_by(Customer.code)).all()
    by_owner: dict[int, list] = {}
    for c in customers:
        by_owner.setdefault(c.owner_id, []).append(c)
    contacts = {}
    for contact_id, customer_id in session.execute(
            select(Contact.id, Contact.customer_id)
            .order_by(Contact.is_decision_maker.desc(), Contact.id)):
        contacts.setdefault(customer_id, contact_id)
    existing_plans = set(session.execute(select(VisitPlan.department_id, VisitPlan.month)).all())
    existing_records = set(session.execute(
        select(VisitRecord.customer_id, VisitRecord.visit_date, VisitRecord.visit_type)).all())
    plans = items = records = 0

    def add_record(customer, owner, supervisor, day, visit_type, kind, item=None):
        nonlocal records
        key = (customer.id, day, visit_type)
        if key in existing_records or day > today:
            return
        existing_records.add(key)
        rng = random.Random(f"{SEED}-{customer.code}-{day}-{visit_type}")  # per record
        unsolved = kind == "solution_approved" or (kind == "reviewed" and rng.random() < 0.3)
        row = {"customer_id": customer.id, "visit_plan_item_id": item.id if item else None,
               "visit_date": day, "visit_type": visit_type, "visitors": str(owner),
               "needs": rng.choice(NEEDS), "solutions": rng.choice(SOLUTIONS),
               "objections": rng.choice(OBJECTIONS) if rng.random() < 0.5 else None,
               "promised_date": day + timedelta(days=rng.randint(5, 20)),
               "gifts": "公司台历、面料样册" if visit_type == "on_site" else None,
               "result": rng.choice(RESULTS),
               "unsolved": rng.choice(UNSOLVED) if unsolved else None,
               "proposed_solution": rng.choice(PROPOSALS) if unsolved else None,
               "late": bool(item is not None and day > item.deadline),
               "owner_id": owner.id, "department_id": owner.department_id,
               "created_on": _at(day, rng), "version": 1}
        row["changed_on"] = row["created_on"]
        logs = walk(RECORD_FLOW, row, _record_path(kind, owner, supervisor, executive),
                    "visit_record", row["created_on"], rng)
        _cap(row, logs, now)
        record_id = _insert(session, VisitRecord, row, logs)
        if customer.id in contacts:
            session.execute(insert(visit_record_contact).values(
                visit_record_id=record_id, contact_id=contacts[customer.id]))
        records += 1

    for supervisor_name, clerk_names in DEPARTMENTS.items():
        supervisor = users[supervisor_name]
        clerks = [users[n] for n in clerk_names]
        for offset, state in PLAN_STATES[supervisor_name].items():
            month = _month(today, offset)
            if (supervisor.department_id, month) in existing_plans:
                continue
            rng = random.Random(f"{SEED}-{supervisor_name}-{offset}")  # per plan
            first = add_months(today.replace(day=1), offset)
            created = _at(first - timedelta(days=rng.randint(3, 8)), rng)
            row = {"month": month, "title": f"{supervisor.department}{month}客户拜访计划",
                   "owner_id": supervisor.id, "department_id": supervisor.department_id,
                   "created_on": created, "changed_on": created, "version": 1}
            logs = walk(PLAN_FLOW, row, _plan_path(state, supervisor, executive), "visit_plan",
                        created, rng)
            _cap(row, logs, now)
            plan_id = _insert(session, VisitPlan, row, logs)
            plans += 1
            seq = 0
            for clerk in clerks:
                mine = by_owner.get(clerk.id, [])
                chosen = sorted(rng.sample(mine, min(3, len(mine))),
                                key=lambda c: (not c.is_key, c.code))
                for customer in chosen:
                    seq += 1
                    deadline = first.replace(day=rng.choice([10, 15, 20, 25, 28]))
                    filled = customer_defaults(session, customer)
                    item = VisitPlanItem(
                        visit_plan_id=plan_id, seq=seq, customer_id=customer.id,
                        address=filled["address"] or None,
                        contact_info=filled["contact_info"] or None,
                        visitor_id=clerk.id, purpose=rng.choice(PURPOSES), deadline=deadline,
                        remarks="重点客户" if customer.is_key else None,
                        owner_id=clerk.id, department_id=supervisor.department_id,
                        created_on=created, changed_on=created)
                    session.add(item)
                    session.flush()
                    items += 1
                    if state != "approved":
                        continue
                    # past months: most items visited (some late), this month: a few
                    chance = {-2: 0.9, -1: 0.6, 0: 0.3}[offset]
                    if rng.random() > chance:
                        continue
                    late = rng.random() < 0.3
                    day = deadline + timedelta(days=rng.randint(1, 6)) if late else \
                        deadline - timedelta(days=rng.randint(0, 8))
                    kind = rng.choice(["reviewed", "reviewed", "solution_approved",
                                       "submitted"] if offset < 0 else ["submitted", "draft"])
                    add_record(customer, clerk, supervisor, min(day, today), "on_site", kind,
                               item)

    # everyday contacts (phone, WeChat, e-mail) over the last months: most customers are
    # kept up with, some fall behind the rule
    rng = random.Random(SEED + 1)
    for supervisor_name, clerk_names in DEPARTMENTS.items():
        supervisor = users[supervisor_name]
        for clerk in (users[n] for n in clerk_names):
            for customer in by_owner.get(clerk.id, []):
                skip, on_site = rng.random() < 0.25, rng.random() < 0.6
                day = today - timedelta(days=rng.randint(3, 80 if customer.is_key else 120))
                kind = rng.choice(["submitted", "reviewed", "reviewed", "returned"])
                visit_type = rng.choice(["phone", "wechat", "email", "meeting"])
                site_day = today - timedelta(days=rng.randint(20, 170))
                if customer.cooperation == "prospect" or skip:
                    continue
                add_record(customer, clerk, supervisor, day, visit_type, kind)
                if customer.is_key and on_site:
                    add_record(customer, clerk, supervisor, site_day, "on_site", "reviewed")
    session.commit()
    return [f"visit plans: {plans}; plan items: {items}; visit records: {records}"]
