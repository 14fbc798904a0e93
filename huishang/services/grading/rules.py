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
# Where each rule comes from, shown beside it on the rules page (docs/grading.md and README list them).
# "区级规则" marks a choice of the district's own (the nine-grid of Xuhui has no published primary
# source, domain-research.md §1.4) within the bounds the cited law sets.
RULE_SOURCES = {
    "tier_map": N_("《食品生产经营监督检查管理办法》（市场监管总局令第49号）第二十一条"
                   "（风险等级 A/B/C/D）；《食品生产经营风险分级管理办法（试行）》"),
    "intervals": N_("区级规则（九宫格）；上限 730 天：总局令第49号第二十二条，"
                    "每户至少每两年全面检查一次"),
    "complaint_threshold": N_("区级规则；总局令第49号第二十一条"
                              "（检查计划考虑食品安全状况）"),
    "complaint_window_days": N_("区级规则；总局令第49号第二十一条"),
    "worsen_on_penalty": N_("区级规则；公示期依《市场监督管理行政处罚信息公示规定》（总局令第45号）"),
    "worsen_on_overdue_rectification": N_("总局令第49号第三十二、三十三条（限期整改，监管部门跟踪）"),
    "no_repeat_days": N_("总局令第49号第四十二条（三个月内不重复检查）；间隔更短的格子按其间隔"),
    "new_shop_days": N_("区级规则（新登记商铺 30 天内首次检查）"),
    "complaint_trigger_days": N_("区级规则；《市场监督管理投诉举报处理暂行办法》（总局令第20号）第二十三条"),
    "sampling_ratios": N_("企业信用风险分类管理（国市监信发〔2022〕6号）；双随机、一公开（国办发〔2015〕58号）"),
    "publicity_months_minor": N_("总局令第45号（通报批评或较低数额罚款公示 3 个月）"),
    "publicity_months_other": N_("总局令第45号（其他行政处罚公示 3 年）"),
    "repair_min_months": N_("总局令第45号（提前停止公示：已履行、危害已消除、未再违法、不在严重违法失信名单）"),
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
    # A table stored before the two-year bound (up to 1,460 days was accepted) is read within it.
    rules["intervals"] = {tier: {grade: min(int(days), MAX_INTERVAL_DAYS) for grade, days in row.items()}
                          for tier, row in rules["intervals"].items()}
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


# Every food business gets at least one full inspection every two years (SAMR Order 49 Art. 22):
# no cell of the nine-grid may wait longer.
MAX_INTERVAL_DAYS = 730
interval = whole_number(1, MAX_INTERVAL_DAYS)


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
