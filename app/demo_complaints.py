"""Demo rows of the 客户投诉 family: about 40 complaints from 2025-01 to today in every
category and state (some overdue; one collective general complaint, which gets the major
deadlines; one general complaint with the customer's own deadline), with the history
fire() would have written (handled_at from the handle step), and a few improvement
measures.

Deterministic (random.Random(2026 + 6)); idempotent (complaints by customer, complainant
and content; measures by complaint and problem). Needs the demo customers
(app.demo_customers runs first).
"""
import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import insert, select

from app.models.calendar import work_calendar
from app.models.complaints import (
    MEASURE_FLOW,
    Complaint,
    ImprovementMeasure,
    complaint_deadlines,
    followup_deadline,
)
from app.models.customers import Customer
from app.timeutil import now_cn
from app.workdays import end_of_workday
from app.workflow import TransitionLog

SEED = 2026 + 6
SUPERVISOR_OF = {"clerk1": "supervisor1", "clerk2": "supervisor1", "clerk3": "supervisor2"}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
CHANNEL_WEIGHTS = {"phone": 40, "visit": 20, "email": 12, "web": 12, "letter": 8, "other": 8}
TOPICS = {
    "major": [("合同约定的空调改造迟迟未实施，多次反映未解决", "总经理带队上门致歉，制定改造计划并于两周内完工"),
              ("货梯故障导致客户货物受损，造成明显经济损失", "已协商赔偿方案并完成赔付，货梯全面检修"),
              ("地方媒体报道我方服务问题，客户要求公开说明", "已发布情况说明并当面沟通整改安排")],
    "general": [("交货单据错漏，财务对账困难", "重新开具单据并安排专人对账"),
                ("客服电话多次无人接听", "调整值班表并开通转接"),
                ("样品寄送延误两天", "加急补寄并调整物流商"),
                ("发票开具错误需要重开", "已作废重开并快递送达"),
                ("业务员未按约定时间回电", "已致歉并明确回电时限"),
                ("包装破损导致部分面料污损", "补发合格品并改进包装")],
    "no_liability": [("要求按合同外标准提供免费仓储", "已解释合同条款，客户表示理解"),
                     ("对市场价格上涨不满要求维持旧价", "说明原料价格变动情况并提供替代方案"),
                     ("反映的质量问题经检测符合标准", "提供检测报告并耐心解释")],
    "assist": [("园区道路施工影响送货车辆通行", "已协调园区管委会错峰施工"),
               ("相邻企业噪音影响客户办公", "已转告相关方并协调整改"),
               ("市政停水影响客户生产安排", "协助联系供水部门并提供临时水源信息")],
}
FOLLOWUPS = [("电话回访，客户对处理结果满意", True), ("上门回访，客户表示满意", True),
             ("电话回访，客户基本满意，希望加快响应", True),
             ("回访时客户仍有意见，已记录并转整改", False)]


def _moment(day: date, rng, start=9, end=17) -> datetime:
    return datetime.combine(day, time(rng.randint(start, end - 1), rng.randint(0, 59)))


def _plan(rng, today):
    """(kind, category, received day) for the 40 demo complaints."""
    plans = []
    # 2025-01 .. two months ago: finished business, some late
    first, last = date(2025, 1, 6), today - timedelta(days=60)
    span = (last - first).days
    for k in range(28):
        day = first + timedelta(days=span * k // 28 + rng.randint(0, 5))
        kind = rng.choices(["closed", "closed_late", "followed_up", "followup_late"],
                           [12, 4, 3, 2])[0]
        plans.append((kind, None, day))
    # recent weeks: open work, some of it overdue
    recent = ["registered_overdue", "registered", "handling_overdue", "handling",
              "resolved_followup_overdue", "resolved", "returned", "registered_overdue",
              "handling", "resolved", "escalation_overdue", "collective", "customer_deadline"]
    for k, kind in enumerate(recent):
        days_ago = {"registered": 0, "resolved": 2, "handling": 1}.get(kind, 6 + k)
        plans.append((kind, None, today - timedelta(days=days_ago)))
    return plans


def _category(rng, kind):
    if kind == "escalation_overdue":
        return "major"
    if kind in ("collective", "customer_deadline", "handling_overdue"):
        return "general"  # collective: a general complaint with the major deadlines
    return rng.choices(list(TOPICS), [2, 6, 3, 3])[0]


def _log(logs, step, source, target, user, at, comment=None):
    logs.append({"register": "complaint", "step": step, "from_state": source,
                 "to_state": target, "user_id": user.id, "at": at, "comment": comment})


def _build(rng, calendar, kind, category, received, clerk, supervisor, now):
    """A complaint row (dict) and its history, consistent with COMPLAINT_FLOW."""
    topic, resolution = rng.choice(TOPICS[category])
    in_scope = category == "assist" and rng.random() < 0.5
    parties = 8 if kind == "collective" else rng.choice([1, 1, 1, 2, 3])
    customer_due = end_of_workday(calendar.add_workdays(received, 5)) \
        if kind == "customer_deadline" else None
    due_step, due, escalate_due = complaint_deadlines(
        calendar, received, category, in_scope, collective=parties >= 5,
        customer_due_at=customer_due)
    row = {"received_at": received, "category": category, "in_scope": in_scope,
           "channel": rng.choices(list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values()))[0],
           "complainant": rng.choice(SURNAMES) + rng.choice(["先生", "女士", "经理", "主任"]),
           "contact_info": f"13{rng.randint(100000000, 999999999)}",
           "parties_count": parties,
           "description": ("五户商户联名反映：" if kind == "collective" else "") + topic,
           "handler": rng.choice(["客户服务部", "销售部", "物流部", "质检部"]),
           "customer_due_at": customer_due,
           "status": "registered", "created_on": received, "changed_on": received}
    logs = []
    if kind in ("registered", "registered_overdue"):
        return row, logs
    late = kind == "closed_late"
    handle_at = min(received + timedelta(hours=1), now)
    if late and due_step == "handle":  # late into handling (the deadline of its step)
        handle_at = min(due + timedelta(hours=rng.randint(20, 50)), now)
    _log(logs, "handle", "registered", "handling", clerk, handle_at)
    row["status"], row["changed_on"], row["handled_at"] = "handling", handle_at, handle_at
    if escalate_due is not None and kind != "escalation_overdue":
        row["escalated_at"] = min(escalate_due - timedelta(hours=rng.randint(2, 8)),
                                  now - timedelta(minutes=rng.randint(10, 60)))
        logs.append({"register": "complaint", "step": "escalate", "from_state": "handling",
                     "to_state": "handling", "user_id": clerk.id, "at": row["escalated_at"],
                     "comment": "已书面报告集团商业中心"})
    if kind in ("handling", "handling_overdue", "escalation_overdue", "collective",
                "customer_deadline"):
        return row, logs
    if due_step == "handle":  # resolved some hours or days after entering handling
        resolved = handle_at + timedelta(hours=rng.randint(2, 40))
    else:
        resolved = due + timedelta(days=rng.randint(2, 6)) if late else \
            max(due - timedelta(hours=rng.randint(1, 6)), handle_at + timedelta(minutes=30))
    resolved = min(resolved, now - timedelta(minutes=rng.randint(5, 30)))
    row.update(resolution=resolution, resolved_at=resolved, status="resolved",
               changed_on=resolved)
    _log(logs, "resolve", "handling", "resolved", clerk, resolved)
    if kind == "returned":
        back = min(resolved + timedelta(hours=2), now)
        _log(logs, "send_back", "resolved", "returned", supervisor, back,
             "处理结果未附客户确认，请补充后重新处理")
        row.update(status="returned", changed_on=back)
        return row, logs
    if kind in ("resolved", "resolved_followup_overdue"):
        return row, logs
    followup_due = followup_deadline(calendar, resolved)
    followed = followup_due + timedelta(days=rng.randint(1, 4)) if kind == "followup_late" \
        else followup_due - timedelta(hours=rng.randint(2, 20))
    followed = min(max(followed, resolved + timedelta(hours=1)), now)
    result, satisfied = rng.choice(FOLLOWUPS)
    row.update(followed_up_at=followed, followup_result=result, satisfied=satisfied,
               status="followed_up", changed_on=followed)
    _log(logs, "follow_up", "resolved", "followed_up", clerk, followed)
    if kind in ("closed", "closed_late"):
        closed = min(followed + timedelta(days=rng.randint(1, 3)), now)
        _log(logs, "close", "followed_up", "closed", supervisor, closed, "同意结案")
        row.update(status="closed", changed_on=closed)
    return row, logs


MEASURES = [  # (complaint index, measure, responsible, path)
    (0, "建立空调等设施改造台账，每月跟踪进度", "客户服务部", ["start", "finish", "verify"]),
    (3, "客服热线增设转接与回拨机制", "客户服务部", ["start", "finish"]),
    (7, "修订包装标准，增加防潮防压层", "物流部", ["start"]),
    (None, "针对满意度调查中价格维度得分偏低，制定分级价格说明", "销售部", []),
]


def load(session, users) -> list[str]:
    rng = random.Random(SEED)
    now = now_cn()
    today = now.date()
    customers = {name: session.scalars(select(Customer).where(Customer.owner_id == users[name].id)
                                       .order_by(Customer.code).limit(30)).all()
                 for name in SUPERVISOR_OF if name in users}
    if not any(customers.values()):
        return ["complaints: skipped (no demo customers)"]
    calendar = work_calendar(session)
    existing = set(session.execute(select(Complaint.customer_id, Complaint.complainant,
                                          Complaint.description)).all())
    made, rows = 0, []
    clerks = [name for name in SUPERVISOR_OF if customers.get(name)]
    for k, (kind, _none, day) in enumerate(_plan(rng, today)):
        clerk_name = clerks[k % len(clerks)]
        customer = rng.choice(customers[clerk_name])
        category = _category(rng, kind)
        received = _moment(day, rng)
        if received > now:
            received = now - timedelta(minutes=30)
        row, logs = _build(rng, calendar, kind, category, received, users[clerk_name],
                           users[SUPERVISOR_OF[clerk_name]], now)
        row.update(customer_id=customer.id, owner_id=customer.owner_id,
                   department_id=customer.department_id)
        rows.append((row, logs))
    complaints = []
    for row, logs in rows:
        key = (row["customer_id"], row["complainant"], row["description"])
        found = session.scalar(select(Complaint).where(
            Complaint.customer_id == key[0], Complaint.complainant == key[1],
            Complaint.description == key[2]))
        if found is None and key not in existing:
            found = Complaint(**row)  # deadlines and code from the model's listeners
            session.add(found)
            session.flush()
            for log in logs:
                log["row_id"] = found.id
            if logs:
                session.execute(insert(TransitionLog), logs)
            existing.add(key)
            made += 1
        complaints.append(found)
    measures = 0
    for index, text, responsible, path in MEASURES:
        complaint = complaints[index] if index is not None and index < len(complaints) else None
        problem = (f"{complaint.code}：{complaint.description}" if complaint is not None
                   else "满意度调查：价格维度满意率低于 60%")
        if session.scalar(select(ImprovementMeasure.id).where(
                ImprovementMeasure.problem == problem)):
            continue
        owner = complaint.owner if complaint is not None else users["clerk1"]
        created = (complaint.resolved_at or complaint.received_at) if complaint is not None \
            else now - timedelta(days=20)
        measure = ImprovementMeasure(
            source_type="complaint" if complaint is not None else "survey",
            complaint=complaint, problem=problem, measure=text, responsible=responsible,
            due_date=created.date() + timedelta(days=30), owner_id=owner.id,
            department_id=owner.department_id, created_on=created, changed_on=created,
            status=MEASURE_FLOW.initial)
        logs, state, moment = [], MEASURE_FLOW.initial, created
        for name in path:
            chosen = MEASURE_FLOW.by_name[name]
            moment = min(moment + timedelta(days=rng.randint(2, 8)), now)
            actor = users[SUPERVISOR_OF.get(owner.username, "supervisor1")] \
                if name == "verify" else owner
            if name == "finish":
                measure.result, measure.finished_on = "已按措施落实并形成制度文件", moment.date()
            if name == "verify":
                measure.verified_by_id, measure.verified_on = actor.id, moment.date()
            logs.append({"register": "improvement_measure", "step": name, "from_state": state,
                         "to_state": chosen.target, "user_id": actor.id, "at": moment,
                         "comment": "整改到位" if name == "verify" else None})
            state = chosen.target
        measure.status, measure.changed_on = state, moment
        session.add(measure)
        session.flush()
        for log in logs:
            log["row_id"] = measure.id
        if logs:
            session.execute(insert(TransitionLog), logs)
        measures += 1
    session.commit()
    return [f"complaints: {made} new of {len(rows)}; improvement measures: {measures} new"]
