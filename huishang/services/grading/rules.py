"""The grading rules (九宫格 intervals, worsening, triggers) as data: defaults, the stored values a
regulator may change, their validation, and the mark of the last full refresh."""
from __future__ import annotations

from datetime import date

from sqlalchemy import delete, inspect, select

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import utcnow
from huishang.models.grading import GRADES, TIERS, GradingRule

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


def _positive_int(value, name, errors, low=1, high=3650):
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        errors.setdefault(name, []).append(N_("应为整数"))
        return None
    if not low <= number <= high:
        errors.setdefault(name, []).append(N_("应在 %(low)s–%(high)s 之间", low=low, high=high))
        return None
    return number


def validate_rules(data: dict) -> tuple[dict, dict]:
    """Check a (partial) rules update. Returns (clean, errors); unknown keys are errors."""
    clean, errors = {}, {}
    for key, value in data.items():
        if key not in RULE_DEFAULTS:
            errors.setdefault(key, []).append(N_("未知规则"))
        elif key == "tier_map":
            if (
                not isinstance(value, dict)
                or set(value) != {"A", "B", "C", "D"}
                or not set(value.values()) <= set(TIERS)
            ):
                errors.setdefault(key, []).append(N_("须为 A/B/C/D 各对应 高/中/低"))
            else:
                clean[key] = dict(value)
        elif key == "intervals":
            table = {}
            for tier in TIERS:
                for grade in GRADES:
                    cell = (value or {}).get(tier, {}).get(grade) if isinstance(value, dict) else None
                    number = _positive_int(cell, f"intervals.{tier}.{grade}", errors, 1, 1460)
                    table.setdefault(tier, {})[grade] = number
            if not any(k.startswith("intervals.") for k in errors):
                clean[key] = table
        elif key == "sampling_ratios":
            ratios = {}
            for cls in ("A", "B", "C", "D"):
                try:
                    ratio = float((value or {}).get(cls))
                except (TypeError, ValueError, AttributeError):
                    ratio = -1
                if not 0 <= ratio <= 1:
                    errors.setdefault(f"sampling_ratios.{cls}", []).append(N_("应为 0–1 之间的比例"))
                ratios[cls] = ratio
            if not any(k.startswith("sampling_ratios.") for k in errors):
                clean[key] = ratios
        elif isinstance(RULE_DEFAULTS[key], bool):
            if not isinstance(value, bool):
                errors.setdefault(key, []).append(N_("应为是/否"))
            else:
                clean[key] = value
        else:
            low = 0 if key in ("no_repeat_days", "complaint_trigger_days", "new_shop_days") else 1
            number = _positive_int(value, key, errors, low, 3650)
            if number is not None:
                clean[key] = number
    return clean, errors


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
