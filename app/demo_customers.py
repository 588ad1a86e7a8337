"""Demo rows of the 客户档案 family: a textile mill's key-account book.

About 200 customers of three clerks (clerk1, clerk2 in 销售一部; clerk3 in 销售二部) with
their contacts, two years of transactions (2025-01-01 to today, Pareto-distributed so that
an ABC analysis is meaningful), development plans in every workflow state and archive
loans (one overdue), each with the transition history it went through.

Deterministic (random.Random(2026)); idempotent (customers by name, plans by customer and
objective, loans by customer and document); bulk inserts.
"""
import random
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import insert, select

from app.models.customers import (
    LOAN_FLOW,
    PLAN_FLOW,
    ArchiveLoan,
    Contact,
    Customer,
    DevelopmentPlan,
    Transaction,
)
from app.timeutil import today_cn
from app.workflow import TransitionLog

SEED = 2026
START = date(2025, 1, 1)
CUSTOMER_COUNT = 200
CENT = Decimal("0.01")

# city, pinyin initials (mail domains), area code, province + city, districts
CITIES = [
    ("杭州", "hz", "0571", "浙江省杭州市", ["萧山区", "余杭区", "滨江区", "钱塘区", "临平区"]),
    ("宁波", "nb", "0574", "浙江省宁波市", ["鄞州区", "北仑区", "镇海区", "慈溪市"]),
    ("绍兴", "sx", "0575", "浙江省绍兴市", ["柯桥区", "越城区", "上虞区", "诸暨市"]),
    ("嘉兴", "jx", "0573", "浙江省嘉兴市", ["南湖区", "秀洲区", "桐乡市", "海宁市"]),
    ("湖州", "huz", "0572", "浙江省湖州市", ["吴兴区", "南浔区", "长兴县"]),
    ("温州", "wz", "0577", "浙江省温州市", ["鹿城区", "瓯海区", "乐清市", "瑞安市"]),
    ("苏州", "suz", "0512", "江苏省苏州市", ["吴江区", "相城区", "常熟市", "昆山市"]),
    ("无锡", "wx", "0510", "江苏省无锡市", ["惠山区", "锡山区", "江阴市"]),
    ("常州", "cz", "0519", "江苏省常州市", ["武进区", "新北区"]),
    ("南通", "nt", "0513", "江苏省南通市", ["通州区", "海门区", "崇川区"]),
    ("南京", "nj", "025", "江苏省南京市", ["江宁区", "浦口区", "栖霞区"]),
    ("上海", "sh", "021", "上海市", ["松江区", "嘉定区", "青浦区", "闵行区", "浦东新区"]),
    ("合肥", "hf", "0551", "安徽省合肥市", ["蜀山区", "包河区", "肥西县"]),
    ("广州", "gz", "020", "广东省广州市", ["番禺区", "白云区", "黄埔区"]),
    ("佛山", "fs", "0757", "广东省佛山市", ["南海区", "顺德区"]),
    ("东莞", "dg", "0769", "广东省东莞市", ["长安镇", "虎门镇", "松山湖"]),
    ("青岛", "qd", "0532", "山东省青岛市", ["黄岛区", "城阳区", "即墨区"]),
    ("武汉", "wh", "027", "湖北省武汉市", ["东西湖区", "江夏区", "汉阳区"]),
]
ROADS = ["建设一路", "人民路", "解放东路", "工业大道", "科技路", "创业路", "纬三路", "兴业大道",
         "滨江路", "经济开发区金桥路", "高新区长江路", "开发区东方大道", "环城北路", "世纪大道"]
# 字号 (trade names) with their pinyin for mail domains
TRADE_NAMES = [
    ("恒丰", "hengfeng"), ("华瑞", "huarui"), ("金达", "jinda"), ("新宇", "xinyu"),
    ("鑫源", "xinyuan"), ("天成", "tiancheng"), ("宏图", "hongtu"), ("瑞康", "ruikang"),
    ("海天", "haitian"), ("博远", "boyuan"), ("凯盛", "kaisheng"), ("中润", "zhongrun"),
    ("永盛", "yongsheng"), ("德隆", "delong"), ("汇通", "huitong"), ("嘉禾", "jiahe"),
    ("富华", "fuhua"), ("宏达", "hongda"), ("万通", "wantong"), ("盛泰", "shengtai"),
    ("星河", "xinghe"), ("明辉", "minghui"), ("立信", "lixin"), ("华星", "huaxing"),
    ("东升", "dongsheng"), ("远航", "yuanhang"), ("正德", "zhengde"), ("信达", "xinda"),
    ("泰和", "taihe"), ("安泰", "antai"), ("利源", "liyuan"), ("鼎盛", "dingsheng"),
    ("金鹰", "jinying"), ("三友", "sanyou"), ("永固", "yonggu"), ("恒信", "hengxin"),
    ("宝丰", "baofeng"), ("协和", "xiehe"), ("丰源", "fengyuan"), ("联创", "lianchuang"),
    ("瑞丰", "ruifeng"), ("佳和", "jiahe"), ("亿达", "yida"), ("华联", "hualian"),
    ("金泰", "jintai"), ("润达", "runda"), ("精工", "jinggong"), ("华盛", "huasheng"),
]
# industry: (words in company names, products our mill sells them)
INDUSTRIES = {
    "纺织": (["纺织", "织造", "化纤"], ["涤纶长丝 FDY 150D", "涤纶低弹丝 DTY 75D",
                                     "全棉精梳纱 40S", "涤棉混纺坯布"]),
    "服装": (["服饰", "制衣"], ["色织衬衫面料", "功能性户外面料", "弹力牛仔面料"]),
    "印染": (["印染", "染整"], ["涤棉混纺坯布", "全棉坯布 133×72"]),
    "机械制造": (["机械", "重工", "精密机械"], ["工业帆布", "输送带骨架布"]),
    "电子": (["电子", "电子科技", "微电子"], ["导电屏蔽布", "电子级玻纤布"]),
    "化工": (["化工", "新材料"], ["工业滤布", "耐酸碱过滤布"]),
    "物流": (["物流", "供应链管理", "国际货运"], ["包装用编织布", "防水篷布"]),
    "建材": (["建材", "新型建材"], ["土工布", "防水卷材胎基布"]),
    "食品": (["食品", "食品科技"], ["食品级过滤布", "食品包装编织袋"]),
    "医药": (["医药", "药业", "生物医药"], ["医用无纺布", "医用纱布坯布"]),
    "汽车零部件": (["汽车部件", "汽配"], ["汽车内饰面料", "安全带织带"]),
    "家具": (["家居", "家具"], ["沙发面料", "家纺印花面料"]),
}
INDUSTRY_WEIGHTS = {"纺织": 22, "服装": 18, "印染": 8, "机械制造": 10, "电子": 8, "化工": 7,
                    "物流": 6, "建材": 6, "食品": 5, "医药": 5, "汽车零部件": 8, "家具": 7}
SUFFIXES = [("有限公司", 70), ("股份有限公司", 20), ("集团有限公司", 10)]
SCALE_WEIGHTS = {"large": 20, "medium": 40, "small": 30, "micro": 10}
COOPERATION_WEIGHTS = {"active": 65, "prospect": 15, "suspended": 10, "lost": 10}
# credit rating: (weight, credit limit range in 万元)
CREDIT = {"AAA": (10, (500, 1000)), "AA": (25, (200, 500)), "A": (35, (80, 200)),
          "B": (20, (20, 80)), "C": (10, (0, 20))}
OWNERS = [("clerk1", 70), ("clerk2", 70), ("clerk3", 60)]
SUPERVISOR_OF = {"clerk1": "supervisor1", "clerk2": "supervisor1", "clerk3": "supervisor2"}

SURNAMES = [("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"),
            ("杨", "yang"), ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"),
            ("徐", "xu"), ("孙", "sun"), ("马", "ma"), ("朱", "zhu"), ("胡", "hu"),
            ("郭", "guo"), ("何", "he"), ("林", "lin"), ("罗", "luo"), ("高", "gao"),
            ("郑", "zheng"), ("沈", "shen"), ("钱", "qian"), ("蒋", "jiang"), ("韩", "han"),
            ("冯", "feng"), ("曹", "cao"), ("彭", "peng"), ("潘", "pan"), ("邵", "shao")]
GIVEN_NAMES = [("建国", "jianguo"), ("志强", "zhiqiang"), ("丽华", "lihua"), ("海燕", "haiyan"),
               ("文杰", "wenjie"), ("晓东", "xiaodong"), ("红梅", "hongmei"), ("国平", "guoping"),
               ("立新", "lixin"), ("静", "jing"), ("磊", "lei"), ("勇", "yong"), ("敏", "min"),
               ("伟", "wei"), ("芳", "fang"), ("秀英", "xiuying"), ("建华", "jianhua"),
               ("俊杰", "junjie"), ("雪梅", "xuemei"), ("德明", "deming"), ("振宇", "zhenyu"),
               ("春燕", "chunyan"), ("永康", "yongkang"), ("慧敏", "huimin"), ("卫东", "weidong"),
               ("亚楠", "yanan"), ("明远", "mingyuan"), ("婷婷", "tingting"), ("浩然", "haoran"),
               ("玉兰", "yulan")]
DECISION_TITLES = ["总经理", "董事长", "采购总监", "副总经理"]
OTHER_TITLES = ["采购经理", "采购主管", "财务总监", "财务经理", "生产总监", "技术总监",
                "供应链经理", "品质部经理"]
HOBBIES = ["高尔夫、品茶", "钓鱼", "书法、收藏紫砂壶", "羽毛球", "登山、徒步", "摄影",
           "围棋", "马拉松", "古典音乐", "自驾游", "乒乓球", "收藏普洱茶", "网球", "太极拳"]
PERSONALITIES = ["性格稳重，注重细节，决策谨慎", "爽快直接，重视效率，不喜欢绕弯子",
                 "重情义，喜欢当面沟通", "数据导向，要求报价清单清晰", "谦和低调，重视长期合作",
                 "强势果断，关注价格和账期", "技术出身，关心面料指标和检测报告",
                 "讲究礼节，重视来访接待安排"]
OBJECTIVES = ["签订年度框架采购协议", "进入其华东生产基地合格供应商名录",
              "完成样品试用并取得首批小批量订单", "将我厂在其面料采购中的份额提升至30%",
              "恢复暂停的合作并重新确定账期", "争取成为其新产品线的独家面料供应商"]
PLAN_STEPS = ("1. 召开目标客户开发会议，明确分工；\n2. 寄送样品及公司介绍资料；\n"
              "3. 拜访关键决策人，了解采购流程与现有供应商；\n4. 邀请客户来厂考察；\n"
              "5. 跟踪考察意见，提出成交要求并签订合同。")
DOCUMENTS = ["2025年度购销合同", "客户信息登记表", "营业执照及资质复印件", "信用评估报告",
             "2026年上半年对账单", "客户开发记录表", "质量协议", "年度框架协议"]


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def pick(rng, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def at(day: date, rng) -> datetime:
    """A plausible office-hours time on `day`."""
    return datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59)))


def months(first: date, last: date):
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        yield y, m
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


# --- customers --------------------------------------------------------------------------
def company_names(rng, n):
    """n unique names: city + 字号 + industry word + 有限公司/股份有限公司/集团有限公司."""
    seen, rows = set(), []
    suffixes = dict(SUFFIXES)
    while len(rows) < n:
        city = rng.choice(CITIES)
        trade = rng.choice(TRADE_NAMES)
        industry = pick(rng, INDUSTRY_WEIGHTS)
        word = rng.choice(INDUSTRIES[industry][0])
        suffix = pick(rng, suffixes)
        name = f"{city[0]}{trade[0]}{word}{suffix}"
        if name in seen:
            continue
        seen.add(name)
        rows.append((name, city, trade, industry, suffix))
    return rows


def plan_customers(rng, today):
    """Every generated customer as a dict (drawn whatever is already in the database)."""
    owners = dict(OWNERS)
    result = []
    for name, city, trade, industry, suffix in company_names(rng, CUSTOMER_COUNT):
        weight = min(rng.paretovariate(1.16), 60.0)  # 80/20 sales
        cooperation = pick(rng, COOPERATION_WEIGHTS)
        scale = pick(rng, SCALE_WEIGHTS)
        if weight > 6 or suffix == "集团有限公司":
            scale = "large"
        rating = pick(rng, {k: v[0] for k, v in CREDIT.items()})
        low, high = CREDIT[rating][1]
        limit = money(rng.randint(low, high) * 10000)
        # first order: most customers since 2025, some won in 2026 (provisional grades)
        if cooperation == "prospect":
            first = None
        elif rng.random() < 0.75:
            first = START + timedelta(days=rng.randint(0, 120))
        else:  # won in the last year: their grades are provisional
            newest = max(date(2026, 1, 2), today - timedelta(days=45))
            first = date(2026, 1, 1) + timedelta(days=rng.randint(0, (newest - date(
                2026, 1, 1)).days))
        last = today
        if cooperation == "lost" and first is not None:
            last = min(today, max(first + timedelta(days=60),
                                  date(2025, 6, 1) + timedelta(days=rng.randint(0, 200))))
        elif cooperation == "suspended" and first is not None:
            last = min(today, max(first + timedelta(days=60),
                                  date(2026, 2, 1) + timedelta(days=rng.randint(0, 180))))
        registered = (first or today - timedelta(days=rng.randint(20, 600))) - \
            timedelta(days=rng.randint(10, 240))
        district = rng.choice(city[4])
        result.append({
            "name": name, "industry": industry, "scale": scale, "weight": weight,
            "cooperation": cooperation, "first": first, "last": last,
            "owner": rng.choices(list(owners), weights=list(owners.values()))[0],
            "customer_type": "group" if suffix == "集团有限公司" else
            rng.choices(["important", "high_value", "strategic"], weights=[55, 35, 10])[0],
            "address": f"{city[3]}{district}{rng.choice(ROADS)}{rng.randint(1, 999)}号",
            "phone": f"{city[2]}-{rng.choice('86')}{rng.randint(0, 9999999):07d}",
            "credit_rating": rating, "credit_limit": limit,
            "status": "archived" if cooperation == "lost" and rng.random() < 0.4 else "active",
            "registered": at(registered, rng),
            "domain": f"{city[1]}{trade[1]}.com.cn",
            "products": INDUSTRIES[industry][1],
        })
    # 20 % key customers: mostly the big buyers, a few promising smaller ones
    ranked = sorted((i for i, row in enumerate(result) if row["cooperation"] != "lost"),
                    key=lambda i: -result[i]["weight"])
    key = set(ranked[:30]) | set(rng.sample(ranked[30:], CUSTOMER_COUNT // 5 - 30))
    for i, row in enumerate(result):
        row["is_key"] = i in key
        if row["is_key"] and row["weight"] > 10 and row["customer_type"] != "group":
            row["customer_type"] = "strategic"
    return result


def plan_contacts(rng, cust, today):
    rows = []
    for n in range(rng.choice([1, 2, 2, 3])):
        surname, sur_py = rng.choice(SURNAMES)
        given, given_py = rng.choice(GIVEN_NAMES)
        decision = n == 0
        born = date(rng.randint(1962, 1994), rng.randint(1, 12), rng.randint(1, 28))
        rows.append({
            "name": surname + given,
            "title": rng.choice(DECISION_TITLES if decision else OTHER_TITLES),
            "phone": f"1{rng.choice('3578')}{rng.randint(0, 999999999):09d}",
            "email": f"{given_py}.{sur_py}@{cust['domain']}",
            "is_decision_maker": decision,
            "birthday": born if born <= today else None,
            "hobbies": rng.choice(HOBBIES) if decision or rng.random() < 0.3 else None,
            "personality": rng.choice(PERSONALITIES) if decision else None,
            "notes": "逢年过节寄送贺卡；春节前安排拜访" if decision and rng.random() < 0.3
            else None,
        })
    return rows


def plan_transactions(rng, cust, today):
    """Monthly orders, the customer's yearly sales ∝ its Pareto weight."""
    if cust["first"] is None:
        return []
    yearly = 300_000 * cust["weight"]
    monthly_chance = min(0.95, 0.25 + 0.08 * cust["weight"])
    per_order = yearly / (12 * monthly_chance * 1.3)
    rows = []
    for y, m in months(cust["first"], cust["last"]):
        if rng.random() > monthly_chance:
            continue
        for _ in range(rng.choice([1, 1, 1, 2])):
            day = date(y, m, rng.randint(1, 28))
            if day < cust["first"] or day > cust["last"] or day > today:
                continue
            amount = money(max(3000.0, per_order * rng.lognormvariate(0, 0.35)))
            profit = money(amount * Decimal(str(round(rng.uniform(0.06, 0.26), 4))))
            due = day + timedelta(days=rng.choice([30, 45, 60, 90]))
            prepaid = rng.random() < 0.03
            if prepaid:  # an advance for the coming orders
                collected = money(amount * Decimal(str(round(rng.uniform(1.05, 1.3), 2))))
            elif due < today - timedelta(days=30):
                collected = amount if rng.random() < 0.9 else \
                    money(amount * Decimal(str(round(rng.uniform(0.3, 0.95), 2))))
            elif due < today:
                collected = amount if rng.random() < 0.6 else \
                    money(amount * Decimal(str(round(rng.uniform(0, 0.8), 2))))
            else:
                collected = Decimal("0.00") if rng.random() < 0.7 else \
                    money(amount * Decimal(str(round(rng.uniform(0.1, 0.5), 2))))
            rows.append({"date": day, "product": rng.choice(cust["products"]),
                         "amount": amount, "profit": profit, "collected": collected,
                         "due_date": due, "is_prepayment": prepaid,
                         "notes": "预收货款" if prepaid else None})
    return rows


# --- workflow rows ------------------------------------------------------------------------
def walk(flow, row, path, register, start, rng):
    """Run `path` [(step, actor, comment)] through the workflow's rules: status and logs.

    Refuses a path the workflow would refuse, so the demo history is one `fire()` could
    have written.
    """
    state, moment, logs = flow.initial, start, []
    for name, actor, comment in path:
        chosen = flow.by_name[name]
        if not chosen.starts_from(state):
            raise ValueError(f"{register}: {name} cannot run from {state}")
        if chosen.comment and not comment:
            raise ValueError(f"{register}: {name} needs a comment")
        moment = at(moment.date() + timedelta(days=rng.randint(1, 6)), rng)
        if chosen.stamp:
            row[chosen.stamp] = moment.date()
        logs.append({"register": register, "step": name, "from_state": state,
                     "to_state": chosen.target, "user_id": actor.id, "at": moment,
                     "comment": comment})
        state = chosen.target
    row["status"] = state
    row["changed_on"] = moment
    return logs


def plan_paths(owner, supervisor, executive):
    """Development plans: paths to every state of PLAN_FLOW (DESIGN.md §3)."""
    submit = ("submit", owner, None)
    review = ("review", supervisor, "同意，按计划推进")
    return [
        [],  # draft
        [],
        [submit],  # submitted
        [submit],
        [submit, review],  # reviewed
        [submit, ("send_back", supervisor, "预算依据不足，请补充费用明细"), submit, review],
        [submit, review, ("approve", executive, "批准，注意控制接待费用")],  # approved
        [submit, review, ("approve", executive, "同意")],
        [submit, ("send_back", supervisor, "开发目标不够具体，请量化到季度")],  # returned
        [submit, review, ("send_back", executive, "请先确认客户信用状况后再报")],
        [submit, ("reject", supervisor, "客户信用等级偏低，暂缓开发")],  # rejected
        [submit, review, ("approve", executive, "批准")],
    ]


def load_plans(session, users, customers_by_owner, today) -> int:
    rng = random.Random(SEED + 1)  # independent of how many rows came before
    existing = set(session.execute(
        select(DevelopmentPlan.customer_id, DevelopmentPlan.objective)).all())
    rows = []
    for k, owner_name in enumerate(("clerk1", "clerk2", "clerk3")):
        owner, supervisor = users[owner_name], users[SUPERVISOR_OF[owner_name]]
        paths = plan_paths(owner, supervisor, users["executive"])[k::3]
        customers = rng.sample(customers_by_owner[owner_name], len(paths))
        for customer, path in zip(customers, paths):
            objective = rng.choice(OBJECTIVES)
            created = at(today - timedelta(days=rng.randint(40, 200)), rng)
            start = created.date() + timedelta(days=rng.randint(3, 20))
            row = {"customer_id": customer.id, "objective": objective, "start_date": start,
                   "end_date": start + timedelta(days=rng.choice([90, 120, 180])),
                   "budget": money(rng.randint(2, 15) * 10000), "steps": PLAN_STEPS,
                   "result": None, "owner_id": owner.id,
                   "department_id": owner.department_id, "created_on": created}
            logs = walk(PLAN_FLOW, row, path, "development_plan", created, rng)
            if row["status"] == "approved":
                row["result"] = "已完成样品试用，客户反馈良好，正在洽谈年度协议。"
            if (customer.id, objective) not in existing:
                existing.add((customer.id, objective))
                rows.append((row, logs))
    return _insert_with_logs(session, DevelopmentPlan, rows)


LOAN_KINDS = {"clerk1": ["borrowed_overdue", "returned", "requested"],
              "clerk2": ["approved", "borrowed", "rejected"],
              "clerk3": ["returned", "requested", "borrowed"]}


def load_loans(session, users, customers_by_owner, today) -> int:
    rng = random.Random(SEED + 2)
    existing = set(session.execute(select(ArchiveLoan.customer_id, ArchiveLoan.document)).all())
    rows = []
    for owner_name, kinds in LOAN_KINDS.items():
        owner, supervisor = users[owner_name], users[SUPERVISOR_OF[owner_name]]
        for customer, kind in zip(rng.sample(customers_by_owner[owner_name], len(kinds)),
                                  kinds):
            document = rng.choice(DOCUMENTS)
            approve, lend = ("approve", supervisor, None), ("lend", owner, None)
            path = {"requested": [], "approved": [approve], "borrowed": [approve, lend],
                    "borrowed_overdue": [approve, lend],
                    "returned": [approve, lend, ("give_back", owner, None)],
                    "rejected": [("reject", supervisor, "原件涉及保密条款，不外借，请查阅复印件")],
                    }[kind]
            days_ago = {"borrowed_overdue": 50, "returned": rng.randint(60, 150)}.get(
                kind, rng.randint(15, 25))
            created = at(today - timedelta(days=days_ago), rng)
            row = {"customer_id": customer.id, "document": document, "borrower": str(owner),
                   "purpose": rng.choice(["核对合同条款", "准备年度评级资料",
                                          "客户回访前熟悉资料", "对账"]),
                   "owner_id": owner.id, "department_id": owner.department_id,
                   "created_on": created, "borrowed_on": None, "returned_on": None}
            logs = walk(LOAN_FLOW, row, path, "archive_loan", created, rng)
            lent = row["borrowed_on"] or created.date()
            row["due_on"] = lent + timedelta(days=14 if kind == "borrowed_overdue" else 30)
            if (customer.id, document) not in existing:
                existing.add((customer.id, document))
                rows.append((row, logs))
    return _insert_with_logs(session, ArchiveLoan, rows)


def _insert_with_logs(session, model, rows) -> int:
    for row, logs in rows:
        obj = model(**row)
        session.add(obj)
        session.flush()
        for log in logs:
            log["row_id"] = obj.id
        if logs:
            session.execute(insert(TransitionLog), logs)
    return len(rows)


# --- entry point --------------------------------------------------------------------------
def load(session, users) -> list[str]:
    rng = random.Random(SEED)
    today = today_cn()
    drawn = plan_customers(rng, today)
    existing = set(session.scalars(select(Customer.name)))
    new = [c for c in drawn if c["name"] not in existing]
    # contacts and transactions are drawn for every customer, so the data stay the same
    # whichever customers were already there
    children = {c["name"]: (plan_contacts(rng, c, today), plan_transactions(rng, c, today))
                for c in drawn}

    objects = []
    for c in sorted(new, key=lambda c: c["registered"]):  # codes in registration order
        owner = users[c["owner"]]
        objects.append(Customer(
            name=c["name"], customer_type=c["customer_type"], industry=c["industry"],
            scale=c["scale"], address=c["address"], phone=c["phone"],
            cooperation=c["cooperation"], is_key=c["is_key"], credit_rating=c["credit_rating"],
            credit_limit=c["credit_limit"], status=c["status"], owner_id=owner.id,
            department_id=owner.department_id, created_on=c["registered"],
            changed_on=c["registered"]))
    session.add_all(objects)  # codes come from the before_insert event (KH<year>-00001)
    session.flush()

    contact_rows, transaction_rows = [], []
    for obj in objects:
        contacts, transactions = children[obj.name]
        common = {"customer_id": obj.id, "owner_id": obj.owner_id,
                  "department_id": obj.department_id, "version": 1}
        stamp = obj.created_on + timedelta(days=1)
        contact_rows += [{**common, **row, "created_on": stamp, "changed_on": stamp}
                         for row in contacts]
        for row in transactions:
            moment = datetime.combine(row["date"], time(16, 30))
            transaction_rows.append({**common, **row, "created_on": moment,
                                     "changed_on": moment})
    if contact_rows:
        session.execute(insert(Contact), contact_rows)
    if transaction_rows:
        session.execute(insert(Transaction), transaction_rows)

    by_owner: dict[str, list] = {}
    owner_names = {users[name].id: name for name, _ in OWNERS}
    for customer in session.scalars(select(Customer).where(
            Customer.name.in_([c["name"] for c in drawn])).order_by(Customer.name)):
        if customer.owner_id in owner_names and customer.cooperation != "lost":
            by_owner.setdefault(owner_names[customer.owner_id], []).append(customer)
    plans = load_plans(session, users, by_owner, today)
    loans = load_loans(session, users, by_owner, today)
    session.commit()
    total = sum((t["amount"] for t in transaction_rows), Decimal("0.00"))
    return [f"customers: {len(objects)} new of {len(drawn)}; contacts: {len(contact_rows)}; "
            f"transactions: {len(transaction_rows)} (销售额 {total:,.2f} 元); "
            f"development plans: {plans}; archive loans: {loans}"]

