"""Pure scoring of the 客户质量等级评定表 (DESIGN.md §4): no app, no database."""
from datetime import date
from decimal import Decimal

import pytest

from app.models.grading import (
    DEFAULT_RULE,
    THRESHOLD_FIELDS,
    WEIGHT_FIELDS,
    GradingRule,
    add_months,
    grade_for,
    is_provisional,
    review_due_date,
    total_score,
    weights_text,
)

WEIGHTS = [DEFAULT_RULE[f] for f in WEIGHT_FIELDS]  # 30, 10, 25, 10, 15, 10
THRESHOLDS = [DEFAULT_RULE[f] for f in THRESHOLD_FIELDS]  # 85, 70, 55


def grade(total):
    return grade_for(Decimal(str(total)), *THRESHOLDS)


@pytest.mark.parametrize("total, expected", [
    ("100", "A"), ("85", "A"), ("85.00", "A"), ("84.99", "B"), ("70", "B"), ("69.99", "C"),
    ("55", "C"), ("54.99", "D"), ("0", "D"),
])
def test_grade_thresholds_at_the_boundaries(total, expected):
    assert grade(total) == expected


def test_total_is_weighted_mean_with_default_weights():
    scores = [90, 80, 70, 60, 50, 40]
    # (30×90 + 10×80 + 25×70 + 10×60 + 15×50 + 10×40) / 100 = 70.00
    assert total_score(scores, WEIGHTS) == Decimal("70.00")


def test_total_rounds_half_up_to_two_places():
    # (1×1 + 2×0) / 3 = 0.333… → 0.33; (2×1 + 1×0)/3 = 0.666… → 0.67
    assert total_score([1, 0, 0, 0, 0, 0], [1, 2, 0, 0, 0, 0]) == Decimal("0.33")
    assert total_score([1, 0, 0, 0, 0, 0], [2, 1, 0, 0, 0, 0]) == Decimal("0.67")
    # exactly half a cent rounds up: (0.005 × 1) / 1
    assert total_score(["0.005", 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0]) == Decimal("0.01")


def test_total_is_decimal_with_two_places():
    total = total_score([84.99] * 6, WEIGHTS)
    assert isinstance(total, Decimal) and total == Decimal("84.99")
    assert str(total) == "84.99"
    assert grade(total) == "B"


def test_equal_scores_give_that_score_whatever_the_weights():
    assert total_score([85] * 6, WEIGHTS) == Decimal("85.00")
    assert total_score([54.99] * 6, [1, 2, 3, 4, 5, 6]) == Decimal("54.99")


def test_zero_weight_ignores_that_score():
    assert total_score([100, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0]) == Decimal("100.00")


def test_missing_score_or_zero_weights_give_no_total():
    assert total_score([None, 1, 2, 3, 4, 5], WEIGHTS) is None
    assert total_score([1] * 6, [0] * 6) is None
    assert grade_for(None, *THRESHOLDS) is None


def test_other_thresholds_are_respected():
    assert grade_for(Decimal("90"), 95, 80, 60) == "B"
    assert grade_for(Decimal("59.99"), 95, 80, 60) == "D"


@pytest.mark.parametrize("first, approval, expected", [
    (None, date(2026, 3, 28), True),  # no transaction
    (date(2025, 9, 29), date(2026, 3, 28), True),  # 5 months and a bit
    (date(2025, 9, 28), date(2026, 3, 28), False),  # exactly 6 months (合作满六个月)
    (date(2025, 8, 28), date(2026, 3, 28), False),  # 7 months
    (date(2025, 10, 28), date(2026, 3, 28), True),  # 5 months
    (date(2024, 1, 1), date(2026, 3, 28), False),
    (date(2026, 3, 1), date(2026, 3, 28), True),
])
def test_provisional_when_new_customer(first, approval, expected):
    assert is_provisional(first, approval) is expected


def test_provisional_months_come_from_the_rule():
    assert is_provisional(date(2025, 9, 1), date(2026, 3, 28), months=12) is True
    assert is_provisional(date(2026, 1, 1), date(2026, 3, 28), months=2) is False


@pytest.mark.parametrize("first, approval, months, expected", [
    (date(2025, 11, 10), date(2026, 3, 28), 6, date(2026, 5, 10)),  # after the first deal
    (None, date(2026, 3, 28), 6, date(2026, 9, 28)),  # no deal yet: after the approval
    (date(2026, 2, 28), date(2026, 3, 28), 3, date(2026, 5, 28)),
])
def test_review_is_due_months_after_the_first_transaction(first, approval, months, expected):
    assert review_due_date(first, approval, months) == expected


@pytest.mark.parametrize("day, months, expected", [
    (date(2026, 3, 28), 6, date(2026, 9, 28)),
    (date(2026, 8, 31), 6, date(2027, 2, 28)),  # month end clamps
    (date(2027, 8, 31), 6, date(2028, 2, 29)),  # leap year
    (date(2026, 1, 15), 24, date(2028, 1, 15)),
])
def test_review_due_is_months_later(day, months, expected):
    assert add_months(day, months) == expected


def rule(**overrides):
    return GradingRule(**{**DEFAULT_RULE, **overrides})


def test_default_rule_is_valid():
    assert rule().validate() is None


@pytest.mark.parametrize("overrides, field, text", [
    ({"weight_price": Decimal(-1)}, "weight_price", "权重不能为负数"),
    ({f: Decimal(0) for f in WEIGHT_FIELDS}, "weight_sales", "六项权重不能全部为零"),
    ({"threshold_a": Decimal(101)}, "threshold_a", "0 到 100"),
    ({"threshold_c": Decimal(-1)}, "threshold_c", "0 到 100"),
    ({"threshold_a": Decimal(70)}, "threshold_a", "A 级分数线须高于 B 级分数线"),
    ({"threshold_c": Decimal(70)}, "threshold_b", "B 级分数线须高于 C 级分数线"),
    ({"abc_a": Decimal(0)}, "abc_a", "A 类累计占比上限"),
    ({"abc_a": Decimal("0.95")}, "abc_b", "B 类累计占比上限"),
    ({"abc_b": Decimal(1)}, "abc_b", "B 类累计占比上限"),
    ({"provisional_months": 0}, "provisional_months", "1 到 24"),
    ({"provisional_months": 25}, "provisional_months", "1 到 24"),
])
def test_bad_rule_is_refused_in_chinese(overrides, field, text):
    problem = rule(**overrides).validate()
    assert problem is not None and problem.field == field and text in problem.message


def test_weights_text_lists_weights_and_thresholds():
    text = weights_text({**{f: str(DEFAULT_RULE[f]) for f in WEIGHT_FIELDS + THRESHOLD_FIELDS}})
    assert text.startswith("销售额 30 · 销售价格 10 · 货款回收 25")
    assert "A ≥ 85，B ≥ 70，C ≥ 55" in text
