"""Demo rows of the 满意度 family: two reported satisfaction surveys (销售一部 about eight
months ago, so its Supervisor is reminded of the half-year survey; 销售二部 two months
ago) with about 60 answers, a planned one, and about 45 service requests of the last
three months in every state, some answered late and some overdue — each with the history
fire() would have written.

Deterministic (random.Random(2026 + 13)) relative to today; idempotent (surveys by title,
requests loaded once). Needs the demo customers.
"""
import random
from datetime import datetime, time, timedelta

from sqlalchemy import insert, select

from app.models.complaints import ImprovementMeasure
from app.models.customers import Customer
from app.models.satisfaction import (
    SatisfactionSurvey,
    ServiceRequest,
    SurveyResponse,
    add_months,
    respond_deadline,
)
from app.timeutil import now_cn
from app.workflow import TransitionLog

SEED = 2026 + 13
SUPERVISOR_OF = {"clerk1": "supervisor1", "clerk2": "supervisor1", "clerk3": "supervisor2"}
# (owner, title, months ago it was reported, answers, dimension means)
SURVEYS = [
    ("clerk1", "大客户满意度调查（销售一部）", 8, 32,
     {"product_function": 4.2, "product_quality": 4.3, "price": 2.9, "product_style": 3.8,
      "ease_of_use": 4.0, "delivery": 3.1, "service_content": 3.9, "service_quality": 4.1,
      "service_attitude": 4.4}),
    ("clerk3", "大客户满意度调查（销售二部）", 2, 28,
     {"product_function": 4.0, "product_quality": 4.1, "price": 3.3, "product_style": 3.6,
      "ease_of_use": 3.9, "delivery": 3.5, "service_content": 3.4, "service_quality": 3.8,
      "service_attitude": 4.2}),
]
PLANNED = ("clerk2", "新客户满意度电话回访", "phone")
PROFILES = ["男，45 岁，采购经理，本科", "女，38 岁，总经理助理，硕士", "男，52 岁，企业主，大专",
            "女，29 岁，采购专员，本科", "男，41 岁，生产厂长，本科"]
BEHAVIOURS = ["每月固定采购，关注交期", "按季度集中采购，对价格敏感", "项目制采购，重视样式与定制",
              "长期合作，以质量为首要考虑", "新合作客户，试单为主"]
COMMENTS = ["希望交货周期再缩短", "价格偏高，希望有阶梯优惠", "业务员响应及时，服务很好",
            "希望增加新花型", "", "", "售后处理速度有待提高"]
REPORT = ("一、基本状况：发放问卷 {issued} 份，有效回收 {valid} 份。\n"
          "二、调查结果：总体满意度良好，价格和交货及时性得分最低。\n"
          "三、满意度现状：产品质量和服务态度获得多数客户认可。\n"
          "四、改进建议：制定分级价格说明，优化排产与物流以缩短交期。")
REQUESTS = ["要求提供新季度面料样品", "询问大货交期能否提前一周", "需要补开增值税发票",
            "要求上门调试设备", "咨询批量采购的价格优惠", "反映上批货色差，需要技术人员确认",
            "要求提供质检报告", "需要修改收货地址", "要求加急补发短缺的 20 匹布",
            "咨询新产品的使用方法"]
RESPONSES = ["已电话联系客户并确认需求", "已安排专人跟进，今日回复方案", "已发送资料至客户邮箱"]
RESOLUTIONS = ["已按客户要求处理完毕", "样品已寄出，客户确认收到", "已完成并经客户确认"]
CHANNEL_WEIGHTS = {"phone": 45, "wechat": 25, "email": 15, "visit": 10, "other": 5}


def _log(logs, register, step, source, target, user, at, comment=None):
    logs.append({"register": register, "step": step, "from_state": source,
                 "to_state": target, "user_id": user.id, "at": at, "comment": comment})


def _level(rng, mean):
    return max(1, min(5, round(rng.gauss(mean, 0.75))))


def _add_with_history(session, row, logs):
    session.add(row)
    session.flush()
    for log in logs:
        log["row_id"] = row.id
    if logs:
        session.execute(insert(TransitionLog), logs)


def load_surveys(session, users, customers, today, rng) -> int:
    made = 0
    for owner_name, title, months_ago, answers, means in SURVEYS:
        if owner_name not in users or not customers.get(owner_name) or session.scalar(
                select(SatisfactionSurvey.id).where(SatisfactionSurvey.title == title)):
            continue
        owner, supervisor = users[owner_name], users[SUPERVISOR_OF[owner_name]]
        reported = add_months(today, -months_ago)
        start = reported - timedelta(days=40)
        end = start + timedelta(days=25)
        planned_at = datetime.combine(start - timedelta(days=14), time(10, 0))
        issued = answers + rng.randint(6, 12)
        survey = SatisfactionSurvey(
            title=title, period_start=start, period_end=end, method="questionnaire",
            target="本部门全部重要客户和高价值客户的采购负责人",
            content="产品功能、质量、价格、样式、使用方便程度、交货；服务内容、质量、态度",
            issued_count=issued, staff=f"{owner}、客户服务部", status="planned",
            owner_id=owner.id, department_id=owner.department_id, created_on=planned_at,
            changed_on=planned_at)
        logs = []
        path = [("submit", "planned", "submitted", owner, planned_at + timedelta(hours=2)),
                ("approve", "submitted", "approved", supervisor, planned_at + timedelta(days=2)),
                ("start", "approved", "in_progress", owner, datetime.combine(start, time(9))),
                ("report", "in_progress", "reported", owner, datetime.combine(reported,
                                                                               time(16)))]
        for name, source, target, actor, at in path:
            _log(logs, "satisfaction_survey", name, source, target, actor, at,
                 "同意按计划实施" if name == "approve" else None)
        _add_with_history(session, survey, logs)
        valid = 0
        for k in range(answers):
            levels = {d: (None if rng.random() < 0.06 else _level(rng, mean))
                      for d, mean in means.items()}
            is_valid = k % 15 != 7  # about two invalid answers per survey
            valid += is_valid
            answered = start + timedelta(days=rng.randint(0, (end - start).days))
            session.add(SurveyResponse(
                survey_id=survey.id, customer_id=rng.choice(customers[owner_name]).id,
                answered_on=answered, respondent_profile=rng.choice(PROFILES),
                purchase_behaviour=rng.choice(BEHAVIOURS), comments=rng.choice(COMMENTS) or None,
                valid=is_valid, owner_id=owner.id, department_id=owner.department_id,
                created_on=datetime.combine(answered, time(15)),
                changed_on=datetime.combine(answered, time(15)), **levels))
        session.flush()
        survey.report = REPORT.format(issued=issued, valid=valid)
        survey.status, survey.reported_on = "reported", reported
        survey.changed_on = datetime.combine(reported, time(16))
        made += 1
    owner_name, title, method = PLANNED
    if owner_name in users and not session.scalar(
            select(SatisfactionSurvey.id).where(SatisfactionSurvey.title == title)):
        owner = users[owner_name]
        start = today + timedelta(days=10)
        session.add(SatisfactionSurvey(
            title=title, period_start=start, period_end=start + timedelta(days=14),
            method=method, target="近半年新合作的客户", issued_count=15,
            staff=str(owner), status="planned", owner_id=owner.id,
            department_id=owner.department_id))
        made += 1
    # the complaints' demo measure raised from "a survey" points at the 销售一部 survey
    first = session.scalar(select(SatisfactionSurvey).where(
        SatisfactionSurvey.title == SURVEYS[0][1]))
    if first is not None:
        for measure in session.scalars(select(ImprovementMeasure).where(
                ImprovementMeasure.source_type == "survey",
                ImprovementMeasure.survey_id.is_(None))):
            measure.survey_id = first.id
    return made


OVERDUE = (38, 40, 42)  # recent requests nobody answered: overdue


def _request_path(rng, received, urgency, now, age_days, unanswered=False):
    """(status, responded_at, resolved_at, closed_at) of one demo request."""
    due = respond_deadline(received, urgency)
    if now < due or unanswered:  # within its deadline, or forgotten: open
        return "received", None, None, None
    limit = 60 if urgency == "urgent" else 24 * 60
    late = rng.random() < 0.15
    minutes = rng.randint(limit + 20, limit * 2) if late else rng.randint(5, limit - 5)
    responded = min(received + timedelta(minutes=minutes), now - timedelta(minutes=5))
    if age_days <= 8:
        return "responded", responded, None, None
    resolved = min(responded + timedelta(hours=rng.randint(4, 72)), now - timedelta(minutes=3))
    if age_days <= 16 or rng.random() < 0.2:
        return "resolved", responded, resolved, None
    closed = min(resolved + timedelta(days=rng.randint(1, 3)), now - timedelta(minutes=1))
    return "closed", responded, resolved, closed


def load_requests(session, users, customers, now, rng) -> int:
    """Once: receipt times follow the clock, so a second run finds the first one's rows
    by their contents and adds nothing."""
    if session.scalar(select(ServiceRequest.id).where(ServiceRequest.content.in_(REQUESTS))
                      .limit(1)):
        return 0
    existing = set()
    clerks = [name for name in SUPERVISOR_OF if customers.get(name)]
    made = 0
    for k in range(45):
        clerk_name = clerks[k % len(clerks)]
        owner, supervisor = users[clerk_name], users[SUPERVISOR_OF[clerk_name]]
        age_days = 90 * (45 - k) // 45
        day = now.date() - timedelta(days=age_days)
        received = datetime.combine(day, time(rng.randint(8, 22), rng.randint(0, 59)))
        if k >= 43:  # two fresh ones, still within their deadline
            received = now - timedelta(minutes=20 + 10 * (k - 43))
        received = min(received, now - timedelta(minutes=10))
        customer = rng.choice(customers[clerk_name])
        content = rng.choice(REQUESTS)
        urgency = "urgent" if rng.random() < 0.3 else "normal"
        if k >= 43:
            urgency = "normal"
        if (customer.id, content, received) in existing:
            continue
        existing.add((customer.id, content, received))
        status, responded, resolved, closed = _request_path(rng, received, urgency, now,
                                                            age_days, k in OVERDUE)
        row = ServiceRequest(
            customer_id=customer.id, received_at=received, urgency=urgency, content=content,
            channel=rng.choices(list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values()))[0],
            status=status, responded_at=responded, resolved_at=resolved,
            response=rng.choice(RESPONSES) if responded else None,
            resolution=rng.choice(RESOLUTIONS) if resolved else None,
            owner_id=owner.id, department_id=owner.department_id, created_on=received,
            changed_on=closed or resolved or responded or received)
        logs = []
        if responded:
            _log(logs, "service_request", "respond", "received", "responded", owner, responded)
        if resolved:
            _log(logs, "service_request", "resolve", "responded", "resolved", owner, resolved)
        if closed:
            _log(logs, "service_request", "close", "resolved", "closed", supervisor, closed,
                 "客户已确认")
        _add_with_history(session, row, logs)
        made += 1
    return made


def load(session, users) -> list[str]:
    rng = random.Random(SEED)
    now = now_cn()
    customers = {name: session.scalars(select(Customer).where(
        Customer.owner_id == users[name].id).order_by(Customer.code).limit(40)).all()
        for name in SUPERVISOR_OF if name in users}
    if not any(customers.values()):
        return ["satisfaction: skipped (no demo customers)"]
    surveys = load_surveys(session, users, customers, now.date(), rng)
    requests = load_requests(session, users, customers, now, random.Random(SEED + 1))
    session.commit()
    return [f"satisfaction surveys: {surveys} new; service requests: {requests} new"]


__all__ = ["load"]
