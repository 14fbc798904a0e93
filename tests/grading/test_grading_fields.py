"""The grading rules' fields (`services.grading.rules`): each check's boundaries; a malformed table
names its cells and is never a server error."""
import pytest

from huishang.services import DomainError, grading
from huishang.services.core import Invalid
from huishang.services.grading import rules
from tests.factories import make_regulator


def messages(check, value) -> list[str]:
    with pytest.raises(Invalid) as info:
        check(value)
    return [str(m) for m in info.value.messages]


def test_interval_days():
    assert rules.interval(1) == 1 and rules.interval(" 730 ") == 730 and rules.interval("６０") == 60
    assert messages(rules.interval, 0) == ["应在 1–730 之间"]
    assert messages(rules.interval, 731) == ["应在 1–730 之间"]
    assert messages(rules.interval, "两个月") == ["应为整数"] and messages(rules.interval, None) == ["应为整数"]
    assert messages(rules.interval, "60.5") == ["应为整数"]


def test_other_rules():
    assert rules.rule_check("no_repeat_days")(0) == 0
    assert messages(rules.rule_check("complaint_threshold"), 0) == ["应在 1–3650 之间"]
    assert rules.sampling_ratio(0) == 0 and rules.sampling_ratio("1") == 1 and rules.sampling_ratio(0.03) == 0.03
    assert messages(rules.sampling_ratio, 1.01) == ["应为 0–1 之间的比例"] and messages(rules.sampling_ratio, -0.01)
    assert messages(rules.sampling_ratio, None) == ["应为 0–1 之间的比例"] and messages(rules.sampling_ratio, "nan")
    assert rules.flag(False) is False and messages(rules.flag, "否") == ["应为是/否"]
    assert rules.tier_map({"A": "低", "B": "低", "C": "中", "D": "高"})["D"] == "高"
    assert messages(rules.tier_map, {"A": "低", "B": "低", "C": "中"}) == ["须为 A/B/C/D 各对应 高/中/低"]


def test_a_table_row_that_is_not_a_table_names_its_cells():
    """validate_rules raised AttributeError on such a table before."""
    with pytest.raises(DomainError) as info:
        grading.update_rules({"intervals": {"高": 60}}, actor=make_regulator())
    cells = {f"intervals.{tier}.{grade}" for tier in "高中低" for grade in ("良好", "一般", "较差")}
    assert set(info.value.errors) == cells
    assert info.value.errors["intervals.高.较差"] == ["应为整数"]
    assert grading.load_rules() == grading.RULE_DEFAULTS
