"""客户分级: grading rules, 客户质量等级评定表 and its approval chain, suggested scores,
ABC analysis, provisional reviews and the yearly drafts (DESIGN.md §2–§4, §8).

Tests share one database: rows are made with unique names, and the data sets whose whole
answer is asserted (ABC, reviews due, yearly drafts) belong to users made for this module
(a department of its own), so the row scope isolates them.
"""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from app.models.customers import Customer
from app.models.grading import SCORE_FIELDS, GradeEvaluation, GradingRule
from app.timeutil import today_cn
from app.workflow import TransitionLog
from tests.conftest import Api, flashes, unique

YEAR = 2025
TODAY = today_cn()


# --- helpers -----------------------------------------------------------------------------
def scores(value=80, **overrides) -> dict:
    return {**{f: str(value) for f in SCORE_FIELDS}, **overrides}


def new_customer(a, **fields) -> int:
    r = a.post("/api/v1/customer/", json={"name": unique("分级客户"),
                                          "customer_type": "important", **fields})
    assert r.status_code == 201, r.json
    return r.json["id"]


def sale(a, customer_id, day, amount, collected="0.00"):
    r = a.post("/api/v1/transaction/", json={
        "customer": customer_id, "date": str(day), "product": "涤纶长丝",
        "amount": str(amount), "collected": str(collected)})
    assert r.status_code == 201, r.json


def new_evaluation(a, customer_id, year=YEAR, **body):
    return a.post("/api/v1/grade_evaluation/", json={"customer": customer_id, "year": year,
                                                     **body})


def evaluation_id(a, customer_id, year=YEAR, value=80, **overrides) -> int:
    r = new_evaluation(a, customer_id, year, **scores(value, **overrides))
    assert r.status_code == 201, r.json
    return r.json["id"]


def step(a, pk, name, **body):
    return a.post(f"/api/v1/grade_evaluation/{pk}/transition/{name}", json=body)


def reviewed(api, value=80, customer_id=None, **overrides) -> tuple[int, int]:
    """A customer of clerk1 and its evaluation declared and reviewed."""
    clerk = api("clerk1")
    customer_id = customer_id or new_customer(clerk)
    pk = evaluation_id(clerk, customer_id, value=value, **overrides)
    assert step(clerk, pk, "declare").status_code == 200
    assert step(api("supervisor1"), pk, "review").status_code == 200
    return customer_id, pk


def count(session, model=GradeEvaluation) -> int:
    return session.scalar(select(func.count(model.id)))


def reread(session, model, pk):
    return session.get(model, pk, populate_existing=True)


def add_months(day, months):
    from dateutil.relativedelta import relativedelta
    return day + relativedelta(months=months)


@pytest.fixture(scope="module")
def team(app):
    """A department of its own: two clerks and their supervisor (isolated row scope)."""
    from app.demo import DEMO_PASSWORD, ensure_user
    admin = Api(app, "admin")
    department = unique("分级测试部")
    assert admin.post("/api/v1/department/", json={"name": department}).status_code == 201
    names = {}
    with app.app_context():
        for key, role in (("clerk", "Clerk"), ("other", "Clerk"), ("supervisor", "Supervisor")):
            names[key] = unique(f"g{key}")
            ensure_user(app.appbuilder, names[key], "测试" + key, role, department, DEMO_PASSWORD)
    return names


@pytest.fixture
def clerk(app, dedicated_clerk):
    """A fresh clerk: they see only what the test gives them."""
    a = Api(app, dedicated_clerk)
    a.username = dedicated_clerk
    return a


@pytest.fixture
def default_rule_restored(api, session):
    """Tests that switch the active rule put the default rule back in force."""
    yield
    default = session.scalar(select(GradingRule).where(GradingRule.name == "默认评级规则"))
    r = api("admin").put(f"/api/v1/grading_rule/{default.id}", json={"active": True})
    assert r.status_code == 200, r.json


# --- rules -------------------------------------------------------------------------------
def test_default_rule_is_seeded_with_design_values(api):
    rules = api("clerk1").get("/api/v1/grading_rule/").json["result"]
    default = next(r for r in rules if r["name"] == "默认评级规则")
    weights = [default[f"weight_{f.removeprefix('score_')}"] for f in SCORE_FIELDS]
    assert [Decimal(w) for w in weights] == [30, 10, 25, 10, 15, 10]
    assert [Decimal(default[k]) for k in ("threshold_a", "threshold_b", "threshold_c")] == \
        [85, 70, 55]
    assert Decimal(default["abc_a"]) == Decimal("0.75") and \
        Decimal(default["abc_b"]) == Decimal("0.95")
    assert default["provisional_months"] == 6 and default["active"] is True


@pytest.mark.parametrize("user", ["clerk1", "supervisor1", "executive", "finance"])
def test_only_admin_changes_rules(api, session, user):
    before = count(session, GradingRule)
    r = api(user).post("/api/v1/grading_rule/", json={"name": unique("规则")})
    assert r.status_code == 403
    assert count(session, GradingRule) == before


@pytest.mark.parametrize("body, text", [
    ({"threshold_a": 70, "threshold_b": 70}, "A 级分数线须高于 B 级分数线"),
    ({"threshold_c": 75}, "B 级分数线须高于 C 级分数线"),
    ({"threshold_a": 120}, "分数线须在 0 到 100 之间"),
    ({"weight_sales": -5}, "权重不能为负数"),
    ({f"weight_{f.removeprefix('score_')}": 0 for f in SCORE_FIELDS}, "六项权重不能全部为零"),
    ({"abc_a": 0.96}, "B 类累计占比上限须大于 A 类上限且小于 1"),
    ({"abc_a": 0}, "A 类累计占比上限须大于 0 且小于 1"),
    ({"provisional_months": 30}, "临时等级复评期须为 1 到 24 个月"),
])
def test_bad_rule_is_refused_with_chinese_422_and_nothing_changes(api, session, body, text):
    before = count(session, GradingRule)
    r = api("admin").post("/api/v1/grading_rule/",
                          json={"name": unique("规则"), "active": False, **body})
    assert r.status_code == 422
    assert text in str(r.json["message"])
    assert count(session, GradingRule) == before


def test_last_active_rule_cannot_be_deactivated_or_deleted(api, session):
    active = session.scalar(select(GradingRule).where(GradingRule.active.is_(True)))
    admin = api("admin")
    r = admin.put(f"/api/v1/grading_rule/{active.id}", json={"active": False})
    assert r.status_code == 422 and "至少需要一条启用的评级规则" in str(r.json["message"])
    r = admin.delete(f"/api/v1/grading_rule/{active.id}")
    assert r.status_code == 422
    assert reread(session, GradingRule, active.id).active is True


def test_unused_inactive_rule_can_be_deleted(api, session):
    admin = api("admin")
    r = admin.post("/api/v1/grading_rule/", json={"name": unique("规则"), "active": False})
    pk = r.json["id"]
    assert admin.delete(f"/api/v1/grading_rule/{pk}").status_code == 200
    assert reread(session, GradingRule, pk) is None


def test_rule_change_does_not_alter_old_evaluations(api, session, default_rule_restored):
    clerk, admin = api("clerk1"), api("admin")
    draft = evaluation_id(clerk, new_customer(clerk), value=80, score_sales="100")
    _, approved = reviewed(api, value=60)
    assert step(api("executive"), approved, "approve").status_code == 200
    old = {pk: clerk.get(f"/api/v1/grade_evaluation/{pk}").json["result"]
           for pk in (draft, approved)}

    # a new rule in force: sales only, other thresholds
    r = admin.post("/api/v1/grading_rule/", json={
        "name": unique("只看销售额"), "active": True, "weight_sales": 100, "weight_price": 0,
        "weight_payment": 0, "weight_cooperation": 0, "weight_potential": 0, "weight_credit": 0,
        "threshold_a": 95, "threshold_b": 90, "threshold_c": 50})
    assert r.status_code == 201, r.json
    new_rule = r.json["id"]
    actives = session.scalars(select(GradingRule.id).where(GradingRule.active.is_(True))).all()
    assert actives == [new_rule]  # activating one deactivates the others

    for pk in (draft, approved):
        now = clerk.get(f"/api/v1/grade_evaluation/{pk}").json["result"]
        for key in ("total_score", "proposed_grade", "final_grade", "rule", "weights_used"):
            assert now[key] == old[pk][key]
    assert "销售额 30" in old[draft]["weights_used"]

    # an editable row is rescored with its own rule, not the one now in force
    r = clerk.put(f"/api/v1/grade_evaluation/{draft}", json={"score_credit": "0"})
    assert r.status_code == 200, r.json
    row = clerk.get(f"/api/v1/grade_evaluation/{draft}").json["result"]
    assert row["rule"]["id"] == old[draft]["rule"]["id"]
    assert Decimal(row["total_score"]) == Decimal("78.00")  # (30×100 + 60×80 + 10×0)/100

    # a new row takes the rule in force
    fresh = evaluation_id(clerk, new_customer(clerk), value=40, score_sales="92")
    row = clerk.get(f"/api/v1/grade_evaluation/{fresh}").json["result"]
    assert row["rule"]["id"] == new_rule and row["total_score"] == "92.00"
    assert row["proposed_grade"] == "B" and "销售额 100" in row["weights_used"]

    # editing the rule in place leaves a declared evaluation as it was scored
    assert step(clerk, fresh, "declare").status_code == 200
    r = admin.put(f"/api/v1/grading_rule/{new_rule}", json={"weight_sales": 50,
                                                            "weight_credit": 50})
    assert r.status_code == 200, r.json
    again = clerk.get(f"/api/v1/grade_evaluation/{fresh}").json["result"]
    assert again["total_score"] == "92.00" and "销售额 100" in again["weights_used"]


# --- scores and grades -------------------------------------------------------------------
@pytest.mark.parametrize("value, grade", [
    ("85", "A"), ("84.99", "B"), ("70", "B"), ("69.99", "C"), ("55", "C"), ("54.99", "D"),
    ("100", "A"), ("0", "D"),
])
def test_total_score_and_proposed_grade_at_the_boundaries(api, value, grade):
    clerk = api("clerk1")
    pk = evaluation_id(clerk, new_customer(clerk), value=value)
    row = clerk.get(f"/api/v1/grade_evaluation/{pk}").json["result"]
    assert Decimal(row["total_score"]) == Decimal(value)
    assert row["total_score"] == f"{Decimal(value):.2f}"
    assert row["proposed_grade"] == grade


def test_total_score_is_the_weighted_mean(api):
    clerk = api("clerk1")
    pk = evaluation_id(clerk, new_customer(clerk), score_sales="90", score_price="80",
                       score_payment="70", score_cooperation="60", score_potential="50",
                       score_credit="40")
    row = clerk.get(f"/api/v1/grade_evaluation/{pk}").json["result"]
    assert row["total_score"] == "70.00" and row["proposed_grade"] == "B"


def test_draft_is_rescored_when_its_scores_change(api):
    clerk = api("clerk1")
    pk = evaluation_id(clerk, new_customer(clerk), value=80)
    assert clerk.put(f"/api/v1/grade_evaluation/{pk}", json={"score_sales": "100"}).status_code \
        == 200
    row = clerk.get(f"/api/v1/grade_evaluation/{pk}").json["result"]
    assert row["total_score"] == "86.00" and row["proposed_grade"] == "A"


@pytest.mark.parametrize("field, value", [("score_price", "100.01"), ("score_credit", "-1"),
                                          ("score_sales", "150")])
def test_score_out_of_range_is_422_in_chinese_and_nothing_changes(api, session, field, value):
    clerk = api("clerk1")
    customer_id = new_customer(clerk)
    before = count(session)
    r = new_evaluation(clerk, customer_id, **scores(80, **{field: value}))
    assert r.status_code == 422
    assert "须在 0 到 100 之间" in r.json["message"][field][0]
    assert count(session) == before


def test_score_out_of_range_on_edit_is_refused(api, session):
    clerk = api("clerk1")
    pk = evaluation_id(clerk, new_customer(clerk), value=80)
    r = clerk.put(f"/api/v1/grade_evaluation/{pk}", json={"score_potential": "101"})
    assert r.status_code == 422 and "发展潜力评分须在 0 到 100 之间" in str(r.json["message"])
    assert reread(session, GradeEvaluation, pk).score_potential == Decimal("80.00")


def test_web_form_refuses_score_out_of_range_in_chinese(browser, api, session):
    customer_id = new_customer(api("clerk1"))
    before = count(session)
    r = browser("clerk1").post("/gradeevaluationview/add", {
        "customer": str(customer_id), "year": str(YEAR), **scores(80, score_price="120")},
        follow_redirects=True)
    assert "销售价格评分须在 0 到 100 之间" in flashes(r.get_data(as_text=True))
    assert count(session) == before


def test_duplicate_customer_and_year_is_422_in_chinese_and_nothing_changes(api, session):
    clerk = api("clerk1")
    customer_id = new_customer(clerk)
    first = evaluation_id(clerk, customer_id)
    before = count(session)
    r = new_evaluation(clerk, customer_id, **scores(70))
    assert r.status_code == 422
    assert "年度的评定表已存在" in r.json["message"]["year"][0]
    assert count(session) == before
    # another year is fine; moving it onto the taken year is not
    other = evaluation_id(clerk, customer_id, year=YEAR - 1)
    r = clerk.put(f"/api/v1/grade_evaluation/{other}", json={"year": YEAR})
    assert r.status_code == 422 and "已存在" in str(r.json["message"])
    assert reread(session, GradeEvaluation, other).year == YEAR - 1
    assert reread(session, GradeEvaluation, first).year == YEAR


def test_web_duplicate_shows_chinese_flash_not_a_database_error(browser, api, session):
    clerk = api("clerk1")
    customer_id = new_customer(clerk)
    evaluation_id(clerk, customer_id)
    before = count(session)
    r = browser("clerk1").post("/gradeevaluationview/add", {
        "customer": str(customer_id), "year": str(YEAR), **scores(70)}, follow_redirects=True)
    assert "年度的评定表已存在" in flashes(r.get_data(as_text=True))
    assert count(session) == before


def test_evaluation_of_customer_out_of_scope_is_refused_as_missing(api, session):
    customer_id = new_customer(api("clerk1"))
    before = count(session)
    r = new_evaluation(api("clerk3"), customer_id, **scores(80))
    assert r.status_code == 422 and "所选的客户不存在" in str(r.json["message"])
    assert count(session) == before


def test_evaluation_out_of_scope_answers_404(api):
    clerk = api("clerk1")
    pk = evaluation_id(clerk, new_customer(clerk))
    other = api("clerk3")
    assert other.get(f"/api/v1/grade_evaluation/{pk}").status_code == 404
    assert step(other, pk, "declare").status_code == 404


def test_evaluation_is_owned_by_the_declaring_user(api, session):
    customer_id = new_customer(api("clerk1"))
    pk = evaluation_id(api("supervisor1"), customer_id)
    row = reread(session, GradeEvaluation, pk)
    assert row.owner.username == "supervisor1" and row.customer.owner.username == "clerk1"


# --- approval chain ----------------------------------------------------------------------
def test_clerk_declares_but_cannot_review_or_approve(api, session):
    clerk = api("clerk1")
    pk = evaluation_id(clerk, new_customer(clerk))
    assert step(clerk, pk, "declare").json["result"]["status"] == "declared"
    assert step(clerk, pk, "review").status_code == 403
    assert step(clerk, pk, "approve").status_code == 403
    assert reread(session, GradeEvaluation, pk).status == "declared"


def test_supervisor_reviews_but_cannot_approve(api, session):
    clerk, supervisor = api("clerk1"), api("supervisor1")
    pk = evaluation_id(clerk, new_customer(clerk))
    step(clerk, pk, "declare")
    assert step(supervisor, pk, "approve").status_code == 403
    assert step(supervisor, pk, "review").status_code == 200
    assert step(supervisor, pk, "approve").status_code == 403
    assert reread(session, GradeEvaluation, pk).status == "reviewed"


def test_steps_out_of_order_are_409(api):
    clerk = api("clerk1")
    pk = evaluation_id(clerk, new_customer(clerk))
    assert step(api("executive"), pk, "approve").status_code == 409
    assert step(api("supervisor1"), pk, "review").status_code == 409


def test_declare_needs_all_six_scores(api, session):
    clerk = api("clerk1")
    pk = new_evaluation(clerk, new_customer(clerk), score_price="80").json["id"]
    r = step(clerk, pk, "declare")
    assert r.status_code == 422 and "申报前需要填写" in r.json["message"]
    assert "合作状况评分" in r.json["message"]
    assert reread(session, GradeEvaluation, pk).status == "draft"


def test_declared_evaluation_cannot_be_edited(api, session):
    clerk = api("clerk1")
    pk = evaluation_id(clerk, new_customer(clerk))
    step(clerk, pk, "declare")
    r = clerk.put(f"/api/v1/grade_evaluation/{pk}", json={"score_sales": "10"})
    assert r.status_code == 422 and "不能修改" in str(r.json["message"])
    assert reread(session, GradeEvaluation, pk).score_sales == Decimal("80.00")


def test_send_back_needs_comment_and_the_owner_declares_again(api, session):
    clerk, supervisor = api("clerk1"), api("supervisor1")
    pk = evaluation_id(clerk, new_customer(clerk))
    step(clerk, pk, "declare")
    assert step(supervisor, pk, "send_back").status_code == 422
    assert step(supervisor, pk, "send_back", comment="请补充合作状况依据").status_code == 200
    assert clerk.put(f"/api/v1/grade_evaluation/{pk}",
                     json={"score_cooperation": "90"}).status_code == 200
    assert step(clerk, pk, "declare").json["result"]["status"] == "declared"
    history = clerk.get(f"/api/v1/grade_evaluation/{pk}").json["result"]["history"]
    assert [h["step"] for h in history] == ["declare", "send_back", "declare"]
    assert history[1]["comment"] == "请补充合作状况依据"


def test_executive_approval_writes_provisional_grade_of_a_new_customer(api, session):
    customer_id, pk = reviewed(api, value=72)
    before = reread(session, Customer, customer_id).version
    r = step(api("executive"), pk, "approve")
    assert r.status_code == 200, r.json
    row = r.json["result"]
    assert row["status"] == "approved" and row["final_grade"] == "B"
    assert row["approved_on"] == TODAY.isoformat()
    customer = reread(session, Customer, customer_id)
    assert customer.grade == "B"
    assert customer.grade_provisional is True  # no transaction yet
    assert customer.grade_review_due == add_months(TODAY, 6)
    assert customer.version == before + 1
    evaluation = reread(session, GradeEvaluation, pk)
    assert evaluation.provisional is True and evaluation.review_due == add_months(TODAY, 6)


def test_customer_with_seven_months_of_cooperation_gets_a_final_grade(api, session):
    """Policy 04 5.1.2 D: 合作满六个月 — the rule's months, not a year."""
    clerk = api("clerk1")
    customer_id = new_customer(clerk)
    sale(clerk, customer_id, add_months(TODAY, -7), "1000.00")
    sale(clerk, customer_id, TODAY - timedelta(days=10), "500.00")
    customer_id, pk = reviewed(api, value=90, customer_id=customer_id)
    assert step(api("executive"), pk, "approve").status_code == 200
    customer = reread(session, Customer, customer_id)
    assert customer.grade == "A"
    assert customer.grade_provisional is False and customer.grade_review_due is None


def test_customer_with_five_months_of_cooperation_is_provisional_until_six(api, session):
    """Review due six months after the first transaction, not after the approval."""
    clerk = api("clerk1")
    customer_id = new_customer(clerk)
    first = add_months(TODAY, -5)
    sale(clerk, customer_id, first, "1000.00")
    sale(clerk, customer_id, TODAY - timedelta(days=3), "500.00")
    customer_id, pk = reviewed(api, value=60, customer_id=customer_id)
    assert step(api("executive"), pk, "approve").status_code == 200
    customer = reread(session, Customer, customer_id)
    assert customer.grade == "C" and customer.grade_provisional is True
    assert customer.grade_review_due == add_months(first, 6)
    evaluation = reread(session, GradeEvaluation, pk)
    assert evaluation.provisional is True and evaluation.review_due == add_months(first, 6)


def test_executive_may_set_another_grade_with_a_reason(api, session):
    customer_id, pk = reviewed(api, value=75)
    executive = api("executive")
    r = step(executive, pk, "approve", final_grade="A")
    assert r.status_code == 422 and "调整理由" in r.json["message"]
    assert reread(session, GradeEvaluation, pk).status == "reviewed"
    assert reread(session, Customer, customer_id).grade is None
    r = step(executive, pk, "approve", final_grade="A", reason="战略客户，总经理特批")
    assert r.status_code == 200, r.json
    assert r.json["result"]["proposed_grade"] == "B" and r.json["result"]["final_grade"] == "A"
    assert r.json["result"]["reason"] == "战略客户，总经理特批"
    assert reread(session, Customer, customer_id).grade == "A"


def test_unknown_final_grade_is_refused(api, session):
    _, pk = reviewed(api)
    r = step(api("executive"), pk, "approve", final_grade="E", reason="x")
    assert r.status_code == 422 and "A、B、C、D" in r.json["message"]
    assert reread(session, GradeEvaluation, pk).status == "reviewed"


def test_failing_after_hook_leaves_nothing_changed(api, session):
    customer_id, pk = reviewed(api, value=90)
    customer_before = reread(session, Customer, customer_id)
    version, logs = customer_before.version, count(session, TransitionLog)

    def refuse(*_args):
        raise RuntimeError("database refused the customer")

    event.listen(Customer, "before_update", refuse)
    try:
        r = step(api("executive"), pk, "approve")
    finally:
        event.remove(Customer, "before_update", refuse)
    assert r.status_code == 500
    evaluation = reread(session, GradeEvaluation, pk)
    assert evaluation.status == "reviewed" and evaluation.final_grade is None
    assert evaluation.approved_on is None
    customer = reread(session, Customer, customer_id)
    assert customer.grade is None and customer.grade_provisional is False
    assert customer.grade_review_due is None and customer.version == version
    assert count(session, TransitionLog) == logs
    # nothing half-done: the same approval runs once the fault is gone
    assert step(api("executive"), pk, "approve").status_code == 200
    assert reread(session, Customer, customer_id).grade == "A"


def test_approving_an_older_year_keeps_the_newer_grade(api, session):
    clerk, supervisor, executive = api("clerk1"), api("supervisor1"), api("executive")
    customer_id = new_customer(clerk)
    newer = evaluation_id(clerk, customer_id, year=YEAR, value=90)
    older = evaluation_id(clerk, customer_id, year=YEAR - 1, value=60)
    for pk in (newer, older):
        step(clerk, pk, "declare")
        step(supervisor, pk, "review")
    assert step(executive, newer, "approve").status_code == 200
    assert step(executive, older, "approve").status_code == 200
    assert reread(session, Customer, customer_id).grade == "A"
    assert reread(session, GradeEvaluation, older).final_grade == "C"


def test_web_approval_with_final_grade_from_the_show_page(browser, api, session):
    customer_id, pk = reviewed(api, value=56)
    b = browser("executive")
    html = b.text(f"/gradeevaluationview/show/{pk}")
    assert 'name="final_grade"' in html and "销售额 30" in html
    r = b.post(f"/gradeevaluationview/action/approve/{pk}",
               {"final_grade": "B", "reason": "回款改善", "comment": "同意"},
               follow_redirects=True)
    assert "已批准评定" in flashes(r.get_data(as_text=True))
    assert reread(session, Customer, customer_id).grade == "B"
    assert reread(session, GradeEvaluation, pk).proposed_grade == "C"


def test_web_edit_of_a_draft_rescores_it(browser, api, session):
    clerk = api("clerk1")
    customer_id = new_customer(clerk)
    pk = evaluation_id(clerk, customer_id, value=80)
    b = browser("clerk1")
    assert 'name="score_sales"' in b.text(f"/gradeevaluationview/edit/{pk}")
    version = reread(session, GradeEvaluation, pk).version
    b.post(f"/gradeevaluationview/edit/{pk}", {
        "customer": str(customer_id), "year": str(YEAR), "expected_version": str(version),
        **scores(80, score_sales="40")}, follow_redirects=True)
    row = reread(session, GradeEvaluation, pk)
    assert row.score_sales == Decimal("40.00")
    assert row.total_score == Decimal("68.00") and row.proposed_grade == "C"


def test_evaluations_export_to_excel(browser, api):
    clerk = api("clerk1")
    evaluation_id(clerk, new_customer(clerk))
    r = browser("clerk1").get("/gradeevaluationview/export_xlsx/")
    assert r.status_code == 200 and r.data[:2] == b"PK"
    r = clerk.get("/api/v1/grade_evaluation/export.xlsx")
    assert r.status_code == 200 and r.data[:2] == b"PK"


def test_admin_adds_an_inactive_rule_in_the_browser(browser, session):
    name = unique("规则")
    r = browser("admin").post("/gradingruleview/add", {
        "name": name, "weight_sales": "30", "weight_price": "10", "weight_payment": "25",
        "weight_cooperation": "10", "weight_potential": "15", "weight_credit": "10",
        "threshold_a": "90", "threshold_b": "75", "threshold_c": "60", "abc_a": "0.7",
        "abc_b": "0.9", "provisional_months": "6"}, follow_redirects=True)
    assert r.status_code == 200
    rule = session.scalar(select(GradingRule).where(GradingRule.name == name))
    assert rule is not None and rule.active is False and rule.owner.username == "admin"
    assert "默认评级规则" in {r.name for r in session.scalars(
        select(GradingRule).where(GradingRule.active.is_(True)))}


def test_customer_page_lists_its_evaluations(browser, api):
    clerk = api("clerk1")
    customer_id = new_customer(clerk)
    evaluation_id(clerk, customer_id)
    html = browser("clerk1").text(f"/customerview/show/{customer_id}")
    assert "客户质量等级评定表" in html and "GradeEvaluationView" in html


# --- suggested scores --------------------------------------------------------------------
def test_suggested_scores_come_from_the_years_transactions(clerk):
    top, middle, last, idle = (new_customer(clerk) for _ in range(4))
    sale(clerk, top, f"{YEAR}-02-01", "200.00", "100.00")
    sale(clerk, top, f"{YEAR}-11-30", "100.00", "50.00")
    sale(clerk, top, f"{YEAR + 1}-01-05", "9000.00")  # another year
    sale(clerk, middle, f"{YEAR}-06-01", "200.00", "200.00")
    sale(clerk, last, f"{YEAR}-06-01", "100.00", "0.00")
    sale(clerk, idle, f"{YEAR - 1}-06-01", "5000.00", "5000.00")

    def suggest(customer_id):
        r = clerk.get(f"/api/v1/grade_evaluation/suggest?customer={customer_id}&year={YEAR}")
        assert r.status_code == 200, r.json
        return r.json["result"]

    assert (suggest(top)["score_sales"], suggest(top)["score_payment"]) == ("100.00", "50.00")
    assert (suggest(middle)["score_sales"], suggest(middle)["score_payment"]) == \
        ("66.67", "100.00")
    assert (suggest(last)["score_sales"], suggest(last)["score_payment"]) == ("33.33", "0.00")
    assert (suggest(idle)["score_sales"], suggest(idle)["score_payment"]) == ("0.00", None)
    assert suggest(top)["amount"] == "300.00"


def test_blank_sales_and_payment_scores_get_the_suggestion(clerk):
    customer_id = new_customer(clerk)
    sale(clerk, customer_id, f"{YEAR}-03-01", "1000.00", "800.00")
    r = new_evaluation(clerk, customer_id, score_price="80", score_cooperation="80",
                       score_potential="80", score_credit="80")
    assert r.status_code == 201, r.json
    row = clerk.get(f"/api/v1/grade_evaluation/{r.json['id']}").json["result"]
    assert row["score_sales"] == "100.00" and row["score_payment"] == "80.00"
    assert row["total_score"] == "86.00"  # (30×100 + 25×80 + 45×80) / 100


def test_suggestion_for_customer_out_of_scope_is_404(api, clerk):
    customer_id = new_customer(api("clerk1"))
    r = clerk.get(f"/api/v1/grade_evaluation/suggest?customer={customer_id}&year={YEAR}")
    assert r.status_code == 404


def test_suggestion_needs_a_customer_and_a_valid_year(clerk):
    r = clerk.get(f"/api/v1/grade_evaluation/suggest?year={YEAR}")
    assert r.status_code == 422 and "请指定客户" in str(r.json["message"])
    r = clerk.get("/api/v1/grade_evaluation/suggest?customer=1&year=20x5")
    assert r.status_code == 422 and "YYYY" in str(r.json["message"])


def test_add_form_prefills_suggestions(browser):
    html = browser("clerk1").text("/gradeevaluationview/add")
    assert "/api/v1/grade_evaluation/suggest" in html and 'name="score_sales"' in html


# --- ABC analysis ------------------------------------------------------------------------
def abc(a, **params):
    query = "&".join(f"{k}={v}" for k, v in {"year": YEAR, **params}.items())
    r = a.get(f"/api/v1/customer/abc?{query}")
    assert r.status_code == 200, r.json
    return r.json["result"]


def named(a, amounts: dict, customer_type="important", year=YEAR) -> dict:
    """Customers named prefix+key with one sale each; returns key -> id."""
    prefix = unique("ABC")
    ids = {}
    for key, amount in amounts.items():
        ids[key] = new_customer(a, name=f"{prefix}{key}", customer_type=customer_type)
        if amount:
            sale(a, ids[key], f"{year}-05-01", amount)
    return ids


def test_abc_classes_on_a_known_data_set(clerk):
    ids = named(clerk, {"f": "70.00", "e": "80.00", "d": "60.00", "c": "150.00",
                        "b": "300.00", "a": "300.00"})
    sale(clerk, ids["d"], f"{YEAR}-12-31", "40.00")  # two sales: 100 in the year
    sale(clerk, ids["f"], f"{YEAR - 1}-12-31", "999.00")  # other years do not count
    sale(clerk, ids["f"], f"{YEAR + 1}-01-01", "999.00")
    ids2 = named(clerk, {"z": None})  # a customer without sales is not listed
    # total 1000; a and b tie at 300 (by name: a first); cumulative .3 .6 .75 .85 .93 1
    rows = abc(clerk)
    assert [r["id"] for r in rows] == [ids[k] for k in "abcdef"]
    assert ids2["z"] not in [r["id"] for r in rows]
    assert [r["amount"] for r in rows] == ["300.00", "300.00", "150.00", "100.00", "80.00",
                                           "70.00"]
    assert [r["share"] for r in rows] == [0.3, 0.3, 0.15, 0.1, 0.08, 0.07]
    assert [r["cumulative_share"] for r in rows] == [0.3, 0.6, 0.75, 0.85, 0.93, 1.0]
    assert [r["abc_class"] for r in rows] == ["A", "A", "A", "B", "B", "C"]
    assert set(rows[0]) >= {"id", "name", "amount", "share", "cumulative_share", "abc_class"}


def test_abc_boundaries_include_the_customer_itself(clerk):
    ids = named(clerk, {"1": "750.00", "2": "200.00", "3": "49.99", "4": "0.01"})
    rows = abc(clerk)
    assert [r["id"] for r in rows] == [ids[k] for k in "1234"]
    assert [r["cumulative_share"] for r in rows] == [0.75, 0.95, 0.99999, 1.0]
    assert [r["abc_class"] for r in rows] == ["A", "B", "C", "C"]


def test_first_customer_is_always_class_a(clerk):
    ids = named(clerk, {"big": "900.00", "mid": "60.00", "small": "40.00"})
    rows = abc(clerk)
    assert [r["id"] for r in rows] == [ids["big"], ids["mid"], ids["small"]]
    assert [r["abc_class"] for r in rows] == ["A", "C", "C"]
    assert rows[0]["cumulative_share"] == 0.9


def test_abc_ties_are_ordered_by_name(clerk):
    ids = named(clerk, {"c": "100.00", "b": "100.00", "a": "100.00"})
    rows = abc(clerk)
    assert [r["id"] for r in rows] == [ids["a"], ids["b"], ids["c"]]
    assert [r["cumulative_share"] for r in rows] == [0.333333, 0.666667, 1.0]
    assert [r["abc_class"] for r in rows] == ["A", "A", "C"]


def test_abc_uses_the_cut_offs_of_the_rule_in_force(api, clerk, default_rule_restored):
    ids = named(clerk, {"a": "500.00", "b": "300.00", "c": "200.00"})
    assert [r["abc_class"] for r in abc(clerk)] == ["A", "B", "C"]  # .5 .8 1.0
    r = api("admin").post("/api/v1/grading_rule/", json={
        "name": unique("宽松ABC"), "active": True, "abc_a": 0.8, "abc_b": 0.99})
    assert r.status_code == 201, r.json
    rows = abc(clerk)
    assert [r["id"] for r in rows] == [ids["a"], ids["b"], ids["c"]]
    assert [r["abc_class"] for r in rows] == ["A", "A", "C"]


def test_abc_by_type_ranks_within_each_customer_type(clerk):
    important = named(clerk, {"i1": "800.00", "i2": "200.00"}, "important")
    strategic = named(clerk, {"s1": "100.00", "s2": "50.00", "s3": "50.00"}, "strategic")
    rows = abc(clerk, by_type=1)
    by_type = {}
    for r in rows:
        by_type.setdefault(r["customer_type"], []).append(r)
    assert [r["id"] for r in by_type["important"]] == [important["i1"], important["i2"]]
    assert [r["share"] for r in by_type["important"]] == [0.8, 0.2]
    assert [r["abc_class"] for r in by_type["important"]] == ["A", "C"]
    assert [r["id"] for r in by_type["strategic"]] == [strategic[k] for k in ("s1", "s2", "s3")]
    assert [r["cumulative_share"] for r in by_type["strategic"]] == [0.5, 0.75, 1.0]
    assert [r["abc_class"] for r in by_type["strategic"]] == ["A", "A", "C"]
    # rows of one type stay together
    types = [r["customer_type"] for r in rows]
    assert types == sorted(types)
    # without by_type the same customers are ranked together
    flat = abc(clerk)
    assert [r["cumulative_share"] for r in flat][:2] == [0.666667, 0.833333]


def test_abc_leaves_out_customers_out_of_scope(app, team):
    clerk, other = Api(app, team["clerk"]), Api(app, team["other"])
    mine = named(clerk, {"m": "100.00"})
    theirs = named(other, {"t": "300.00"})
    assert [r["id"] for r in abc(clerk)] == [mine["m"]]
    assert [r["id"] for r in abc(other)] == [theirs["t"]]
    department = abc(Api(app, team["supervisor"]))  # the supervisor sees the department
    assert [r["id"] for r in department] == [theirs["t"], mine["m"]]
    assert [r["abc_class"] for r in department] == ["A", "C"]  # .75, 1.0
    ids = {r["id"] for r in abc(Api(app, "clerk1"))}
    assert mine["m"] not in ids and theirs["t"] not in ids


def test_abc_year_must_be_a_year(clerk):
    r = clerk.get("/api/v1/customer/abc?year=abcd")
    assert r.status_code == 422 and "YYYY" in str(r.json["message"])


def test_abc_page_shows_table_and_chart(app, browser, clerk):
    ids = named(clerk, {"x": "700.00", "y": "300.00"})
    b = browser(clerk.username)
    html = b.text(f"/grading/abc/?year={YEAR}")
    assert "ABC 分析" in html and f"/api/v1/chart/customer/abc?to={YEAR}-12" in html
    assert f"/customerview/show/{ids['x']}" in html and "70.00%" in html
    r = b.get(f"/grading/abc/export.xlsx?year={YEAR}")
    assert r.status_code == 200 and r.data[:2] == b"PK"


# --- ABC analysis in pages (issue 18) ----------------------------------------------------
def abc_answer(a, **params) -> dict:
    query = "&".join(f"{k}={v}" for k, v in {"year": YEAR, **params}.items())
    r = a.get(f"/api/v1/customer/abc?{query}")
    assert r.status_code == 200, r.json
    return r.json


FIVE = {"a": "400.00", "b": "300.00", "c": "150.00", "d": "100.00", "e": "50.00"}
# cumulative .4 .7 .85 .95 1.0 → A A B B C


def test_abc_pages_join_to_the_whole_ranking(clerk):
    ids = named(clerk, FIVE)
    whole = abc_answer(clerk)
    first, second = abc_answer(clerk, page=0, page_size=2), abc_answer(clerk, page=1,
                                                                         page_size=2)
    assert first["result"] + second["result"] == whole["result"][:4]
    assert [r["id"] for r in whole["result"]] == [ids[k] for k in "abcde"]
    assert [r["rank"] for r in second["result"]] == [3, 4]
    assert [r["abc_class"] for r in second["result"]] == ["B", "B"]
    assert second["result"][0]["cumulative_share"] == 0.85
    for answer in (first, second):
        assert answer["count"] == whole["count"] == 5
        assert answer["abc_counts"] == whole["abc_counts"] == {"A": 2, "B": 2, "C": 1}
        assert answer["total_amount"] == whole["total_amount"] == "1000.00"
        assert answer["page_size"] == 2
    assert (first["page"], second["page"]) == (0, 1)


def test_abc_page_past_the_end_still_counts(clerk):
    named(clerk, FIVE)
    answer = abc_answer(clerk, page=9, page_size=2)
    assert answer["result"] == [] and answer["count"] == 5
    assert answer["abc_counts"] == {"A": 2, "B": 2, "C": 1}
    assert answer["total_amount"] == "1000.00"


def test_abc_answer_defaults_to_the_first_page_of_1000(clerk):
    named(clerk, {"x": "0.10", "y": "0.05"})
    answer = abc_answer(clerk)
    assert (answer["page"], answer["page_size"], answer["count"]) == (0, 1000, 2)
    assert answer["total_amount"] == "0.15"
    assert {"year", "by_type", "abc_a", "abc_b", "result"} <= set(answer)
    assert set(answer["result"][0]) == {"id", "name", "customer_type", "amount", "share",
                                        "cumulative_share", "abc_class", "rank"}


def test_abc_of_a_year_without_sales_is_empty(clerk):
    named(clerk, FIVE)
    answer = abc_answer(clerk, year=YEAR - 10)
    assert answer["result"] == [] and answer["count"] == 0
    assert answer["abc_counts"] == {"A": 0, "B": 0, "C": 0}
    assert answer["total_amount"] == "0.00"


def test_abc_by_type_counts_all_types_together(clerk):
    named(clerk, {"i1": "800.00", "i2": "200.00"}, "important")
    named(clerk, {"s1": "100.00", "s2": "50.00", "s3": "50.00"}, "strategic")
    answer = abc_answer(clerk, by_type=1, page_size=3)
    assert answer["count"] == 5 and len(answer["result"]) == 3
    assert answer["abc_counts"] == {"A": 3, "B": 0, "C": 2}  # A C | A A C
    assert answer["total_amount"] == "1200.00"
    rest = abc_answer(clerk, by_type=1, page=1, page_size=3)["result"]
    assert [r["rank"] for r in answer["result"] + rest] == [1, 2, 1, 2, 3]


@pytest.mark.parametrize("params, field, text", [
    ({"page": "x"}, "page", "页码应为整数"),
    ({"page": "-1"}, "page", "页码须在 0 到 10000000 之间"),
    ({"page": "10000001"}, "page", "页码须在 0 到 10000000 之间"),
    ({"page": "1" * 30}, "page", "页码须在 0 到 10000000 之间"),
    ({"page_size": "abc"}, "page_size", "每页行数须为整数"),
    ({"page_size": "0"}, "page_size", "每页行数须在 1 到 10000 之间"),
    ({"page_size": "-5"}, "page_size", "每页行数须在 1 到 10000 之间"),
    ({"page_size": "10001"}, "page_size", "每页行数须在 1 到 10000 之间"),
])
def test_abc_bad_page_parameter_is_422_in_chinese(clerk, session, params, field, text):
    named(clerk, FIVE)
    before = count(session, Customer)
    query = "&".join(f"{k}={v}" for k, v in {"year": YEAR, **params}.items())
    r = clerk.get(f"/api/v1/customer/abc?{query}")
    assert r.status_code == 422
    assert r.json == {"message": {field: [text]}}
    assert count(session, Customer) == before


def test_abc_counts_of_a_clerk_hold_only_customers_in_scope(app, team):
    clerk, other = Api(app, team["clerk"]), Api(app, team["other"])
    named(other, {"t": "300.00", "u": "200.00"})
    before = abc_answer(clerk)
    mine = named(clerk, {"m": "100.00"})
    after = abc_answer(clerk, page_size=1)
    assert after["count"] == before["count"] + 1
    assert sum(after["abc_counts"].values()) == after["count"]
    assert mine["m"] in {r["id"] for r in abc(clerk, page_size=1000)}
    department = abc_answer(Api(app, team["supervisor"]))
    assert department["count"] >= after["count"] + 2


def test_abc_page_is_one_select_of_the_transactions(app, clerk):
    from app.extensions import db
    named(clerk, FIVE)
    with app.app_context():
        engine = db.engine
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        answer = abc_answer(clerk, page=1, page_size=2)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert answer["count"] == 5 and len(answer["result"]) == 2
    assert sum("transaction" in s.lower() for s in statements) == 1


def test_abc_web_page_shows_page_links_and_counts(browser, clerk, monkeypatch):
    from app.views.grading import AbcAnalysisView
    monkeypatch.setattr(AbcAnalysisView, "page_size", 2)
    ids = named(clerk, FIVE)
    b = browser(clerk.username)
    html = b.text(f"/grading/abc/?year={YEAR}")
    assert "共 5 家客户：A 类 2 家，B 类 2 家，C 类 1 家；销售额合计 1,000.00 元" in html
    assert 'class="pagination' in html and "page_AbcAnalysisView=2" in html
    assert "第 1 页，共 3 页，每页 2 家" in html
    assert f"/customerview/show/{ids['b']}" in html
    assert f"/customerview/show/{ids['c']}" not in html
    html = b.text(f"/grading/abc/?year={YEAR}&page_AbcAnalysisView=2")
    assert f"/customerview/show/{ids['e']}" in html and "第 3 页，共 3 页" in html
    assert f"/customerview/show/{ids['a']}" not in html


@pytest.mark.parametrize("value, text", [("x", "页码应为整数"),
                                         ("-1", "页码须在 0 到 10000000 之间")])
def test_abc_web_page_refuses_a_bad_page_with_a_flash(browser, clerk, value, text):
    b = browser(clerk.username)
    r = b.get(f"/grading/abc/?year={YEAR}&page_AbcAnalysisView={value}")
    assert r.status_code == 302 and f"year={YEAR}" in r.headers["Location"]
    assert text in flashes(b.text(r.headers["Location"]))


def test_abc_export_holds_every_row(browser, clerk, monkeypatch):
    import io

    from openpyxl import load_workbook

    from app.views.grading import AbcAnalysisView
    monkeypatch.setattr(AbcAnalysisView, "page_size", 2)
    named(clerk, FIVE)
    r = browser(clerk.username).get(f"/grading/abc/export.xlsx?year={YEAR}")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("名次", "客户名称", "销售额（元）", "占比", "累计占比", "ABC 类别")
    assert len(rows) == 6 and [row[1][-1] for row in rows[1:]] == list("abcde")
    assert [row[0] for row in rows[1:]] == [1, 2, 3, 4, 5]
    assert [row[2] for row in rows[1:]] == [400, 300, 150, 100, 50]
    assert [row[5] for row in rows[1:]] == ["A", "A", "B", "B", "C"]


def test_abc_export_is_in_the_audit_log(browser, clerk, session):
    from app.audit import AuditLog
    named(clerk, FIVE)
    r = browser(clerk.username).get(f"/grading/abc/export.xlsx?year={YEAR}")
    assert r.status_code == 200
    entry = session.scalars(select(AuditLog).where(AuditLog.action == "export")
                            .order_by(AuditLog.id.desc())).first()
    assert entry.resource == "customer" and entry.detail.startswith("5 行")


# --- provisional reviews -----------------------------------------------------------------
def set_provisional(session, customer_id, due, provisional=True, grade="B"):
    customer = reread(session, Customer, customer_id)
    customer.grade, customer.grade_provisional, customer.grade_review_due = \
        grade, provisional, due
    session.commit()


def test_reviews_due_lists_overdue_provisional_grades_in_scope(api, clerk, session):
    overdue, today, upcoming, later, final = (new_customer(clerk) for _ in range(5))
    set_provisional(session, overdue, TODAY - timedelta(days=10), grade="C")
    set_provisional(session, today, TODAY)
    set_provisional(session, upcoming, TODAY + timedelta(days=20))
    set_provisional(session, later, TODAY + timedelta(days=200))
    set_provisional(session, final, TODAY - timedelta(days=30), provisional=False)

    r = clerk.get("/api/v1/grade_evaluation/reviews_due")
    assert r.status_code == 200
    rows = r.json["result"]
    assert [row["id"] for row in rows] == [overdue, today]
    first = rows[0]
    assert first["days_overdue"] == 10 and first["grade"] == "C"
    assert first["grade_review_due"] == (TODAY - timedelta(days=10)).isoformat()
    assert first["owner"] == clerk.username and first["name"]
    assert rows[1]["days_overdue"] == 0

    rows = clerk.get("/api/v1/grade_evaluation/reviews_due?within_days=30").json["result"]
    assert [row["id"] for row in rows] == [overdue, today, upcoming]
    assert rows[2]["days_overdue"] == -20

    ids = {row["id"] for row in
           api("clerk1").get("/api/v1/grade_evaluation/reviews_due?within_days=366").json["result"]}
    assert not ids & {overdue, today, upcoming, later}


def test_reviews_due_refuses_bad_within_days(clerk):
    r = clerk.get("/api/v1/grade_evaluation/reviews_due?within_days=soon")
    assert r.status_code == 422 and "天数" in str(r.json["message"])


def test_reviews_due_page_lists_them(browser, clerk, session):
    customer_id = new_customer(clerk)
    set_provisional(session, customer_id, TODAY - timedelta(days=3))
    b = browser(clerk.username)
    html = b.text("/grading/reviews_due/")
    assert "等级复评到期" in html and f"/customerview/show/{customer_id}" in html


def test_grading_menu_is_offered(browser):
    html = browser("clerk1").text("/")
    for label in ("客户分级", "客户质量等级评定", "ABC 分析", "等级复评到期", "评级规则"):
        assert label in html


# --- yearly drafts -----------------------------------------------------------------------
def test_create_year_drafts_one_per_customer_in_scope(app, team, session):
    clerk = Api(app, team["clerk"])
    has_one, lacks_one, archived = (new_customer(clerk) for _ in range(3))
    clerk.put(f"/api/v1/customer/{archived}", json={"status": "archived"})
    sale(clerk, lacks_one, f"{YEAR - 2}-04-01", "500.00", "250.00")
    evaluation_id(clerk, has_one, year=YEAR - 2)
    supervisor = Api(app, team["supervisor"])  # runs it for the whole department
    r = supervisor.post(f"/api/v1/grade_evaluation/create_year?year={YEAR - 2}")
    assert r.status_code == 200, r.json
    assert r.json["created"] >= 1 and "已创建" in r.json["message"]
    made = session.scalars(select(GradeEvaluation).where(
        GradeEvaluation.year == YEAR - 2,
        GradeEvaluation.customer_id.in_([has_one, lacks_one, archived]))).all()
    assert sorted(e.customer_id for e in made) == sorted([has_one, lacks_one])
    draft = next(e for e in made if e.customer_id == lacks_one)
    assert draft.status == "draft" and draft.owner.username == team["clerk"]
    assert draft.score_sales == Decimal("100.00") and draft.score_payment == Decimal("50.00")
    # a second run has nothing left to create
    again = supervisor.post(f"/api/v1/grade_evaluation/create_year?year={YEAR - 2}")
    assert again.status_code == 200 and again.json["created"] == 0


def test_create_year_only_touches_the_users_scope(clerk, session):
    mine = new_customer(clerk)
    before = count(session)
    r = clerk.post(f"/api/v1/grade_evaluation/create_year?year={YEAR - 3}")
    assert r.status_code == 200 and r.json["created"] == 1
    assert count(session) == before + 1
    row = session.scalar(select(GradeEvaluation).where(GradeEvaluation.customer_id == mine))
    assert row.year == YEAR - 3 and row.score_sales == Decimal("0.00")


def test_create_year_is_all_or_nothing(clerk, session, monkeypatch):
    for _ in range(3):
        new_customer(clerk)
    import app.grading as grading
    calls = []
    real = grading.recompute

    def fail_on_third(session_, evaluation):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("boom")
        return real(session_, evaluation)

    monkeypatch.setattr(grading, "recompute", fail_on_third)
    before = count(session)
    r = clerk.post(f"/api/v1/grade_evaluation/create_year?year={YEAR - 4}")
    assert r.status_code == 500
    assert count(session) == before


def test_executive_cannot_create_year(api, session):
    before = count(session)
    r = api("executive").post(f"/api/v1/grade_evaluation/create_year?year={YEAR}")
    assert r.status_code == 403
    assert count(session) == before


def test_create_year_button_reports_how_many(browser, clerk, session):
    new_customer(clerk)
    new_customer(clerk)
    b = browser(clerk.username)
    assert "创建本年度评定表" in b.text("/gradeevaluationview/list/")
    r = b.post("/gradeevaluationview/create_year", {"year": str(YEAR - 5)},
               follow_redirects=True)
    assert "已创建 2 份" in flashes(r.get_data(as_text=True))
    r = b.post("/gradeevaluationview/create_year", {"year": str(YEAR - 5)},
               follow_redirects=True)
    assert "未创建新的评定表" in flashes(r.get_data(as_text=True))
