"""Demo rows of the 客户接待 family: 24 receptions of the last six months in every state
(some estimated above the Executive's limit), their expense lines and the history fire()
would have written.

Deterministic (random.Random per row); idempotent (receptions by customer and visitors).
Needs the demo customers (app.demo_customers runs first).
"""
import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import insert, select

from app.models.customers import Customer
from app.models.receptions import RECEPTION_FLOW, Reception, ReceptionExpense, executive_limit
from app.timeutil import now_cn
from app.workflow import TransitionLog

SEED = 2026 + 12
SUPERVISOR_OF = {"clerk1": "supervisor1", "clerk2": "supervisor1", "clerk3": "supervisor2"}
NOTICE_FROM = ["销售一部", "销售二部", "市场部", "技术部", "总经理办公室"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭"
TITLES = ["总经理", "采购总监", "采购经理", "技术主管", "财务经理", "董事长助理"]
PURPOSES = ["考察生产线并洽谈年度框架协议", "验收新品样品，商定批量订单交期",
            "年度合作回顾及下一年度采购计划沟通", "处理质量投诉后的现场复核",
            "参观展厅并了解新面料系列", "商谈付款条件与信用额度调整"]
PLANS = ["专车机场接站；公司会议室召开接待会议，总经理出席；公司附近酒店用餐；安排参观生产车间。",
         "高铁站接站；技术部讲解新品工艺；晚宴由销售部长作陪；次日送站。",
         "公司门口迎接；会议室座谈；午餐在公司餐厅贵宾间；会后赠送纪念品。"]
CONTENTS = ["参观生产车间与质检中心，双方就年度订单量和交期进行了座谈。",
            "客户验收样品并提出两处改进意见，技术部当场答复。",
            "回顾本年度合作情况，客户对交付及时性表示满意，提出增加新品类。"]
OUTCOMES = ["初步达成下一年度框架协议意向，金额约 300 万元。", "客户确认批量订单，两周内下单。",
            "客户同意将付款期由 60 天缩短为 45 天。"]
# state the row ends in → the steps that lead there (see RECEPTION_FLOW)
PATHS = {
    "notified": [],
    "requested": ["request"],
    "approved": ["request", "approve"],
    "received": ["request", "approve", "receive"],
    "verified": ["request", "approve", "receive", "verify"],
    "settled": ["request", "approve", "receive", "verify", "settle"],
    "returned": ["request", "send_back"],
    "rejected": ["request", "reject"],
}
# (state, big: estimated above the limit), spread over six months, newest last
PLAN = [("settled", False), ("settled", True), ("settled", False), ("verified", False),
        ("settled", False), ("rejected", True), ("settled", True), ("received", False),
        ("settled", False), ("verified", True), ("returned", False), ("settled", False),
        ("received", True), ("settled", False), ("approved", False), ("verified", False),
        ("requested", True), ("approved", True), ("received", False), ("returned", True),
        ("requested", False), ("approved", False), ("notified", False), ("notified", True)]
EXPENSE_KINDS = [("meal", "接待午餐"), ("meal", "欢迎晚宴"), ("lodging", "酒店住宿"),
                 ("transport", "接送站用车"), ("gift", "纪念品"), ("other", "会议茶歇")]


def _money(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def _estimates(rng, big, visitors):
    if big:
        return _money(rng.randint(30, 60) * 100), _money(rng.randint(25, 45) * 100)
    return _money(rng.randint(8, 25) * 100), _money(rng.choice([0, 0, rng.randint(6, 20) * 100]))


def load(session, users) -> list[str]:
    now = now_cn()
    customers = {name: session.scalars(select(Customer).where(Customer.owner_id == users[name].id)
                                       .order_by(Customer.code).limit(40)).all()
                 for name in SUPERVISOR_OF if name in users}
    clerks = [name for name in SUPERVISOR_OF if customers.get(name)]
    if not clerks or "executive" not in users or "finance" not in users:
        return ["receptions: skipped (no demo customers)"]
    made = expenses = 0
    span, limit = 180, executive_limit()
    for k, (state, big) in enumerate(PLAN):
        rng = random.Random(SEED * 100 + k)  # each row its own draws: skipping one changes none
        clerk = users[clerks[k % len(clerks)]]
        supervisor = users[SUPERVISOR_OF[clerk.username]]
        customer = rng.choice(customers[clerk.username])
        days_ago = span - k * span // len(PLAN) - rng.randint(0, 3)
        if state in ("notified", "requested", "approved", "returned"):
            days_ago = -rng.randint(3, 20)  # still to come
        arrival = datetime.combine((now - timedelta(days=days_ago)).date(),
                                   time(rng.choice([9, 10, 14])))
        departure = arrival + timedelta(days=rng.choice([0, 1, 1, 2]), hours=rng.randint(3, 8))
        notice = arrival - timedelta(days=rng.randint(5, 12))
        visitors = rng.randint(2, 8)
        names = "、".join(rng.choice(SURNAMES) + rng.choice(["总", "经理", "工", "主任"])
                         for _ in range(min(visitors, 4)))
        if session.scalar(select(Reception.id).where(Reception.customer_id == customer.id,
                                                     Reception.visitor_names == names)):
            continue
        meal, lodging = _estimates(rng, big, visitors)
        row = Reception(
            customer_id=customer.id, owner_id=clerk.id, department_id=clerk.department_id,
            notice_from=rng.choice(NOTICE_FROM), visitor_names=names, visitor_count=visitors,
            purpose=rng.choice(PURPOSES), arrival=arrival, departure=departure,
            host=str(clerk), need_meal=True, meal_estimate=meal,
            need_lodging=lodging > 0, lodging_estimate=lodging,
            plan=rng.choice(PLANS) if state != "notified" else None,
            itinerary="第一天：接站、座谈、参观；第二天：送站" if departure.date() > arrival.date()
            else "上午座谈，下午参观后送站",
            created_on=notice, changed_on=notice, status=RECEPTION_FLOW.initial)
        row.compute_estimate()
        path = PATHS[state]
        logs, current, moment = [], RECEPTION_FLOW.initial, notice
        for name in path:
            chosen = RECEPTION_FLOW.by_name[name]
            actor = {"approve": users["executive"] if row.estimated_cost > limit else supervisor,
                     "verify": supervisor, "settle": users["finance"],
                     "send_back": supervisor, "reject": supervisor}.get(name, clerk)
            if name in ("receive",):
                moment = departure + timedelta(hours=rng.randint(1, 20))
            elif name == "verify":
                moment = moment + timedelta(days=rng.randint(1, 3))
            elif name == "settle":
                moment = moment + timedelta(days=rng.randint(2, 7))
            else:
                moment = min(moment + timedelta(hours=rng.randint(4, 48)), arrival)
            moment = min(moment, now)
            comment = {"send_back": "预算依据不足，请按人数细化用餐标准",
                       "reject": "本次来访由销售部自行接待，不另行安排",
                       "approve": "同意，注意控制标准"}.get(name)
            if name == "approve":
                row.approved_at, row.approved_by_id = moment, actor.id
            if name == "receive":
                row.content, row.outcome = rng.choice(CONTENTS), rng.choice(OUTCOMES)
                row.people_met = "总经理、销售部长、" + str(clerk)
                row.received_at = moment
            if name == "verify":
                row.verified_at, row.verified_by_id = moment, actor.id
            if name == "settle":
                row.settled_at, row.settled_by_id = moment, actor.id
            logs.append({"register": "reception", "step": name, "from_state": current,
                         "to_state": chosen.target, "user_id": actor.id, "at": moment,
                         "comment": comment})
            current = chosen.target
        row.status = "verified" if current == "settled" else current  # lines before the lock
        row.changed_on = moment
        session.add(row)
        session.flush()
        if current in ("received", "verified", "settled"):
            budget = row.estimated_cost
            kinds = rng.sample(EXPENSE_KINDS, rng.randint(2, 5))
            for n, (category, remark) in enumerate(kinds):
                share = budget / len(kinds) * Decimal(rng.randint(80, 115)) / 100
                session.add(ReceptionExpense(
                    reception=row, category=category, amount=_money(max(share, 50)),
                    invoice_no=f"{arrival:%Y%m}{k:02d}{n:02d}{rng.randint(1000, 9999)}",
                    remarks=remark, owner_id=clerk.id, department_id=clerk.department_id,
                    created_on=moment, changed_on=moment))
                expenses += 1
            session.flush()
        if current == "settled":
            row.status = "settled"
            session.flush()
        for log in logs:
            log["row_id"] = row.id
        if logs:
            session.execute(insert(TransitionLog), logs)
        made += 1
    session.commit()
    return [f"receptions: {made} new of {len(PLAN)}, {expenses} expense lines"]
