"""The grading rules (九宫格 intervals, worsening, triggers) as data: defaults, the stored values a
regulator may change, their validation, and the mark of the last full refresh."""
from __future__ import annotations

from datetime import date

from sqlalchemy import delete, inspect, select

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import utcnow
from huishang.models.grading import GRADES, TIERS, GradingRule
from huishang.services.core import Field, Invalid, Report

OUTCOME_GRADE = {"pass": "良好", "partial": "一般", "fail": "较差"}
NEUTRAL_GRADE = "一般"
FAR_FUTURE = date(9999, 12, 31)

RULE_DEFAULTS: dict = {
    "tier_map": {"A": "低", "B": "低", "C": "中", "D": "高"},
    "intervals": {
        "高": {"良好": 120, "一般": 90, "较差": 60},
        "中": {"良好": 180, "一般": 120, "较差": 90},
        "低": {"良好": 365, "一般": 240, "较差": 180},
    },
    "complaint_threshold": 2,
    "complaint_window_days": 90,
    "worsen_on_penalty": True,
    "worsen_on_overdue_rectification": True,
    "no_repeat_days": 90,
    "new_shop_days": 30,
    "complaint_trigger_days": 7,
    "sampling_ratios": {"A": 0.03, "B": 0.10, "C": 0.30, "D": 0.80},
    "publicity_months_minor": 3,
    "publicity_months_other": 36,
    "repair_min_months": 3,
}
RULE_LABELS = {
    "tier_map": N_("静态风险等级 → 静态层级（A/B/C/D → 高/中/低）"),
    "intervals": N_("检查间隔天数（静态层级 × 动态等级）"),
    "complaint_threshold": N_("加重：窗口内查实投诉件数（≥）"),
    "complaint_window_days": N_("加重：查实投诉统计窗口（天）"),
    "worsen_on_penalty": N_("加重：行政处罚公示期内"),
    "worsen_on_overdue_rectification": N_("加重：整改逾期未完成"),
    "no_repeat_days": N_("三个月内不重复检查（天）"),
    "new_shop_days": N_("新登记未检查：登记后（天）"),
    "complaint_trigger_days": N_("查实食品安全投诉后应检查（天）"),
    "sampling_ratios": N_("双随机抽取比例（按信用风险分类）"),
    "publicity_months_minor": N_("处罚公示期：轻微（月）"),
    "publicity_months_other": N_("处罚公示期：一般/严重（月）"),
    "repair_min_months": N_("信用修复：最短公示期（月）"),
}


# -- rules --------------------------------------------------------------------------------------


def seed_rules(session=None) -> int:
    """Add the default rule rows that are missing; never overwrites a regulator's edit."""
    session = session or db.session
    if not inspect(session.connection()).has_table(GradingRule.__tablename__):
        return 0  # an older schema (a data migration before the grading tables): defaults apply
    existing = set(session.scalars(select(GradingRule.key)))
    added = 0
    for key, value in RULE_DEFAULTS.items():
        if key not in existing:
            session.add(GradingRule(key=key, value=value))
            added += 1
    session.flush()
    return added


def load_rules() -> dict:
    """The rules in force: stored rows over the defaults."""
    rules = {k: (dict(v) if isinstance(v, dict) else v) for k, v in RULE_DEFAULTS.items()}
    for key, value in db.session.execute(select(GradingRule.key, GradingRule.value)):
        if key in rules:
            rules[key] = value
    return rules


# -- the rules' fields ----------------------------------------------------------------------------

def whole_number(low: int, high: int):
    """The check of a whole number of days, months or complaints in [low, high]."""

    def check(value) -> int:
        try:
            number = int(str(value).strip())
        except (TypeError, ValueError):
            raise Invalid(N_("应为整数")) from None
        if not low <= number <= high:
            raise Invalid(N_("应在 %(low)s–%(high)s 之间", low=low, high=high))
        return number

    return check


def sampling_ratio(value) -> float:
    """A sampling ratio between 0 and 1."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = -1
    if not 0 <= number <= 1:
        raise Invalid(N_("应为 0–1 之间的比例"))
    return number


def flag(value) -> bool:
    """A yes/no rule: a JSON boolean."""
    if not isinstance(value, bool):
        raise Invalid(N_("应为是/否"))
    return value


def tier_map(value) -> dict:
    """Each national risk grade A/B/C/D mapped to a static tier 高/中/低."""
    if not isinstance(value, dict) or set(value) != {"A", "B", "C", "D"} or not set(value.values()) <= set(TIERS):
        raise Invalid(N_("须为 A/B/C/D 各对应 高/中/低"))
    return dict(value)


interval = whole_number(1, 1460)


def rule_check(key: str):
    """The check of a rule that is one value (the intervals and the ratios are tables)."""
    if key == "tier_map":
        return tier_map
    if isinstance(RULE_DEFAULTS[key], bool):
        return flag
    return whole_number(0 if key in ("no_repeat_days", "complaint_trigger_days", "new_shop_days") else 1, 3650)


def validate_rules(data: dict) -> tuple[dict, dict]:
    """Check a (partial) rules update. Returns (clean, errors); unknown keys are errors."""
    report = Report(data)
    for key, value in data.items():
        if key not in RULE_DEFAULTS:
            report.add(key, N_("未知规则"))
        elif key == "intervals":
            _check_table(report, key, value, [(tier, grade) for tier in TIERS for grade in GRADES], interval)
        elif key == "sampling_ratios":
            _check_table(report, key, value, [(cls,) for cls in ("A", "B", "C", "D")], sampling_ratio)
        else:
            report.take(Field(key, rule_check(key)))
    return report.clean, report.errors


def _check_table(report: Report, key: str, value, cells: list[tuple], check) -> None:
    """A table rule: every cell checked under `key.cell`; the table is clean when all are."""
    table: dict = {}
    for path in cells:
        cell = value
        for step in path:
            cell = cell.get(step) if isinstance(cell, dict) else None
        row = table
        for step in path[:-1]:
            row = row.setdefault(step, {})
        row[path[-1]] = report.check(".".join((key, *path)), check, cell)
    if not any(name.startswith(key + ".") for name in report.errors):
        report.clean[key] = table


# Not a rule: a grading_rules row recording the day of the last full refresh (`refresh_all` of
# every shop), after which the derived Shop columns describe that day (planning's fast path).
REFRESH_MARK = "plan_refreshed"


def refreshed_on() -> date | None:
    """The day the last full refresh ran (None: never, or the rules changed since without one)."""
    value = db.session.scalar(select(GradingRule.value).where(GradingRule.key == REFRESH_MARK))
    try:
        return date.fromisoformat(value["on"])
    except (TypeError, KeyError, ValueError):
        return None


def mark_refreshed(on: date) -> None:
    row = db.session.get(GradingRule, REFRESH_MARK)
    if row is None:
        row = GradingRule(key=REFRESH_MARK, value={})
        db.session.add(row)
    row.value = {"on": on.isoformat()}
    row.updated_at = utcnow()
    db.session.flush()


def clear_refresh_mark() -> None:
    db.session.execute(delete(GradingRule).where(GradingRule.key == REFRESH_MARK))
