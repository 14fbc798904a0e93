"""九宫格 grading: static tier, dynamic grade, interval, next due date and why.

The rules are data (`GradingRule` rows, defaults below). For one shop the evaluation happens in
two steps so that the 30-day list can be one set-based query for any day T:

1. `build_facts(history)` turns the shop's records into facts that do not depend on T
   (`Facts`: tier, base grade, routine due with and without a worsening) and events that hold
   over a date window (`Event`: worsenings and the rectification / complaint triggers).
2. `evaluate(facts, events, T)` applies the windows for T. `services/planning.py` does the same
   step in SQL over the stored `ShopGrading` / `GradeEvent` rows.

`refresh_shop(shop)` is registered in `registry.SHOP_CHANGE_HOOKS`, so every write that calls
`registry.after_shop_change(shop)` keeps the stored facts and the derived Shop columns current;
`refresh_all()` (the nightly `flask plan refresh`) recomputes every shop in batches.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import delete, func, inspect, select, update

from ..extensions import db
from ..i18n import N_
from ..models import BusinessType, Complaint, Inspection, Penalty, Rectification, Shop, today, utcnow
from ..models.grading import GRADES, TIERS, GradeEvent, GradingRule, PlanItem, ShopGrading
from . import DomainError, audit, registry

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


REFRESH_NOW_LIMIT = 50_000
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


def update_rules(data: dict, *, actor=None) -> dict:
    """Change rule values (regulators). Audited; raises DomainError naming each bad field.

    Every shop's stored facts depend on the rules: with up to REFRESH_NOW_LIMIT shops they are
    recomputed at once (batched, a few seconds); a larger district picks the change up at the
    nightly `flask plan refresh` (or run it by hand), so a web request never runs for minutes.
    Returns the rules in force with "_refreshed": bool.
    """
    clean, errors = validate_rules(data)
    if errors:
        raise DomainError(N_("规则设置有误"), errors)
    current = load_rules()
    changed = {k: v for k, v in clean.items() if current.get(k) != v}
    if not changed:
        return {**current, "_refreshed": False}
    for key, value in changed.items():
        row = db.session.get(GradingRule, key)
        if row is None:
            row = GradingRule(key=key, value=value)
            db.session.add(row)
        row.value = value
        row.updated_at = utcnow()
        row.updated_by_id = getattr(actor, "id", None)
        audit.record("grading.rule", row, actor=actor, before={key: current.get(key)}, after={key: value})
    db.session.flush()
    refreshed = db.session.scalar(select(func.count()).select_from(Shop)) <= REFRESH_NOW_LIMIT
    if refreshed:
        refresh_all()
    else:
        clear_refresh_mark()  # the stored columns follow the old rules until the nightly refresh
    return {**load_rules(), "_refreshed": refreshed}


# -- facts and events ---------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """Calendar months later; the 31st becomes the month's last day (1-31 + 1 month = 2-28/29)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def worse(grade: str) -> str:
    return GRADES[min(GRADES.index(grade) + 1, len(GRADES) - 1)]


def tier_for(static_risk: str | None, rules: dict) -> str:
    return rules["tier_map"].get(static_risk or "", "中")


def interval_for(tier: str, grade: str, rules: dict) -> int:
    return int(rules["intervals"][tier][grade])


@dataclass
class History:
    """A shop's records as plain tuples (loaded per shop or in batches)."""

    static_risk: str | None
    registered_on: date
    inspections: list = field(default_factory=list)  # (id, inspected_on, outcome, full)
    rectifications: list = field(default_factory=list)  # (id, opened_on, deadline, closed_on)
    complaints: list = field(default_factory=list)  # (id, substantiated_on, category)
    penalties: list = field(default_factory=list)  # (id, decided_on, ends_on, repaired_on, no, severity)

    def upto(self, as_of: date) -> History:
        """The records as they stood on `as_of` (later closures count as still open)."""
        return History(
            self.static_risk,
            self.registered_on,
            [i for i in self.inspections if i[1] <= as_of],
            [(i, o, d, c if c and c <= as_of else None) for i, o, d, c in self.rectifications if o <= as_of],
            [c for c in self.complaints if c[1] <= as_of],
            [
                (i, d, e, r if r and r <= as_of else None, n, sv)
                for i, d, e, r, n, sv in self.penalties
                if d <= as_of
            ],
        )


@dataclass
class Facts:
    static_tier: str
    base_grade: str
    last_full_on: date | None
    last_full_outcome: str | None
    last_inspected_on: date | None
    routine_reason: str
    routine_due_base: date
    routine_due_worse: date
    registered_on: date

    @property
    def cycle(self) -> str:
        return self.last_inspected_on.isoformat() if self.last_inspected_on else "new"


@dataclass
class Event:
    effect: str  # worsen | trigger
    kind: str  # complaints | penalty | overdue | rectification | complaint
    starts_on: date
    ends_on: date | None
    due_on: date | None = None
    ref_id: int | None = None
    note: str = ""

    def holds_on(self, day: date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day < self.ends_on)


def routine_due(facts_anchor: date | None, last_inspected: date, tier: str, grade: str, rules: dict) -> date:
    anchor = facts_anchor or last_inspected
    return max(
        anchor + timedelta(days=interval_for(tier, grade, rules)),
        last_inspected + timedelta(days=int(rules["no_repeat_days"])),
    )


def build_facts(history: History, rules: dict) -> tuple[Facts, list[Event]]:
    """The facts and windowed events of one shop's records (see the module docstring)."""
    tier = tier_for(history.static_risk, rules)
    inspections = sorted(history.inspections, key=lambda i: (i[1], i[0]))
    fulls = [i for i in inspections if i[3]]
    last_full = fulls[-1] if fulls else None
    last_any = inspections[-1][1] if inspections else None
    base = OUTCOME_GRADE.get(last_full[2], NEUTRAL_GRADE) if last_full else NEUTRAL_GRADE
    if last_any is None:
        reason = "new"
        due_base = due_worse = history.registered_on + timedelta(days=int(rules["new_shop_days"]))
    else:
        reason = "routine"
        anchor = last_full[1] if last_full else None
        due_base = routine_due(anchor, last_any, tier, base, rules)
        due_worse = routine_due(anchor, last_any, tier, worse(base), rules)
    facts = Facts(
        tier,
        base,
        last_full[1] if last_full else None,
        last_full[2] if last_full else None,
        last_any,
        reason,
        due_base,
        due_worse,
        history.registered_on,
    )
    return facts, build_events(history, inspections, rules)


def build_events(history: History, inspections: list, rules: dict) -> list[Event]:
    events: list[Event] = []
    for rid, opened_on, deadline, closed_on in history.rectifications:
        if closed_on is not None and closed_on <= opened_on:
            continue
        events.append(
            Event(
                "trigger",
                "rectification",
                opened_on,
                closed_on,
                deadline,
                rid,
                N_("整改期限 %(date)s", date=deadline.isoformat()),
            )
        )
        if rules["worsen_on_overdue_rectification"] and (
            closed_on is None or closed_on > deadline + timedelta(days=1)
        ):
            events.append(
                Event(
                    "worsen",
                    "overdue",
                    deadline + timedelta(days=1),
                    closed_on,
                    None,
                    rid,
                    N_("整改逾期（期限 %(date)s）", date=deadline.isoformat()),
                )
            )
    trigger_days = timedelta(days=int(rules["complaint_trigger_days"]))
    for cid, on, category in history.complaints:
        if category != "food_safety":
            continue
        later = [i[1] for i in inspections if i[1] >= on]
        ends = min(later) if later else None
        if ends is None or ends > on:
            events.append(
                Event(
                    "trigger",
                    "complaint",
                    on,
                    ends,
                    on + trigger_days,
                    cid,
                    N_("食品安全投诉查实于 %(date)s", date=on.isoformat()),
                )
            )
    events.extend(complaint_windows(history.complaints, rules))
    if rules["worsen_on_penalty"]:
        for pid, decided_on, ends_on, repaired_on, number, _severity in history.penalties:
            end = min(ends_on, repaired_on) if repaired_on else ends_on
            if end > decided_on:
                events.append(
                    Event(
                        "worsen",
                        "penalty",
                        decided_on,
                        end,
                        None,
                        pid,
                        N_("行政处罚 %(number)s 公示期至 %(date)s", number=number, date=ends_on.isoformat()),
                    )
                )
    return events


def complaint_windows(complaints: list, rules: dict) -> list[Event]:
    """≥ N substantiated complaints within the last W days holds on T when some N consecutive
    complaints (by date) c_i..c_{i+N-1} satisfy c_{i+N-1} ≤ T < c_i + W."""
    n, window = int(rules["complaint_threshold"]), int(rules["complaint_window_days"])
    days = sorted(c[1] for c in complaints)
    events = []
    for i in range(len(days) - n + 1):
        start, end = days[i + n - 1], days[i] + timedelta(days=window)
        if start < end:
            events.append(
                Event(
                    "worsen",
                    "complaints",
                    start,
                    end,
                    None,
                    None,
                    N_(
                        "%(window)s天内查实投诉%(n)s件以上（%(date)s 起）",
                        window=window,
                        n=n,
                        date=days[i].isoformat(),
                    ),
                )
            )
    return events


# -- evaluation for a day -----------------------------------------------------------------------


@dataclass
class Grading:
    """A shop's grading on one day, with the explanation."""

    as_of: date
    static_tier: str
    base_grade: str
    dynamic_grade: str
    interval: int
    due_on: date
    reason: str
    worsened_by: list[Event]
    candidates: list[tuple[str, date, str]]  # (reason, date, why), earliest first
    facts: Facts

    @property
    def overdue(self) -> bool:
        return self.due_on < self.as_of


REASON_RANK = {"rectification": 0, "complaint": 1, "new": 2, "routine": 2}


def evaluate(facts: Facts, events: list[Event], as_of: date, rules: dict) -> Grading:
    """Apply the windowed events for `as_of`: the Python twin of planning.plan_query()."""
    worsened_by = [e for e in events if e.effect == "worsen" and e.holds_on(as_of)]
    grade = worse(facts.base_grade) if worsened_by else facts.base_grade
    routine = facts.routine_due_worse if worsened_by else facts.routine_due_base
    if facts.routine_reason == "new":
        why = N_(
            "从未检查：登记日 %(date)s + %(days)s 天",
            date=facts.registered_on.isoformat(),
            days=rules["new_shop_days"],
        )
    else:
        why = N_(
            "上次全面检查 %(full)s + %(interval)s 天，且不早于上次检查 %(last)s + %(no_repeat)s 天",
            full=facts.last_full_on or facts.last_inspected_on,
            interval=interval_for(facts.static_tier, grade, rules),
            last=facts.last_inspected_on,
            no_repeat=rules["no_repeat_days"],
        )
    candidates = [(facts.routine_reason, routine, why)]
    for e in events:
        if e.effect == "trigger" and e.holds_on(as_of):
            candidates.append((e.kind, e.due_on, e.note))
    candidates.sort(key=lambda c: (c[1], REASON_RANK[c[0]]))
    reason, due_on, _ = candidates[0]
    return Grading(
        as_of,
        facts.static_tier,
        facts.base_grade,
        grade,
        interval_for(facts.static_tier, grade, rules),
        due_on,
        reason,
        worsened_by,
        candidates,
        facts,
    )


# -- loading history ----------------------------------------------------------------------------


def load_histories(
    shop_ids: list[int] | None = None, id_range: tuple[int, int] | None = None
) -> dict[int, History]:
    """The records of many shops in five queries (used per shop and by the nightly batch, which
    passes an id range: a range scan, where a 5,000-element IN list costs more to parse than to run)."""

    def which(column):
        return column.between(*id_range) if id_range else column.in_(shop_ids)

    histories: dict[int, History] = {}
    rows = db.session.execute(
        select(Shop.id, BusinessType.static_risk, Shop.registered_on)
        .join(BusinessType, Shop.business_type_id == BusinessType.id)
        .where(which(Shop.id))
    )
    for sid, risk, registered_on in rows:
        histories[sid] = History(risk, registered_on or today())
    for sid, *rest in db.session.execute(
        select(
            Inspection.shop_id, Inspection.id, Inspection.inspected_on, Inspection.outcome, Inspection.full
        ).where(which(Inspection.shop_id))
    ):
        histories[sid].inspections.append(tuple(rest))
    for sid, *rest in db.session.execute(
        select(
            Rectification.shop_id,
            Rectification.id,
            Inspection.inspected_on,
            Rectification.deadline,
            Rectification.closed_on,
        )
        .join(Inspection, Rectification.inspection_id == Inspection.id)
        .where(which(Rectification.shop_id))
    ):
        histories[sid].rectifications.append(tuple(rest))
    for sid, *rest in db.session.execute(
        select(Complaint.shop_id, Complaint.id, Complaint.substantiated_on, Complaint.category).where(
            which(Complaint.shop_id),
            Complaint.substantiated.is_(True),
            Complaint.substantiated_on.is_not(None),
        )
    ):
        histories[sid].complaints.append(tuple(rest))
    for sid, *rest in db.session.execute(
        select(
            Penalty.shop_id,
            Penalty.id,
            Penalty.decided_on,
            Penalty.publicity_ends_on,
            Penalty.repaired_on,
            Penalty.decision_no,
            Penalty.severity,
        ).where(which(Penalty.shop_id))
    ):
        histories[sid].penalties.append(tuple(rest))
    return histories


def explain(shop: Shop, as_of: date | None = None, rules: dict | None = None) -> Grading:
    """The grading of `shop` on `as_of` (default today) from its records as they stood then."""
    as_of = as_of or today()
    rules = rules or load_rules()
    history = load_histories([shop.id])[shop.id].upto(as_of)
    facts, events = build_facts(history, rules)
    return evaluate(facts, events, as_of, rules)


# -- storing ------------------------------------------------------------------------------------


def cell_ranks(rules: dict) -> dict[tuple[str, str], int]:
    """List order of the nine cells: shorter interval first; at equal interval the higher tier."""
    cells = [(t, g) for t in TIERS for g in GRADES]
    cells.sort(key=lambda c: (interval_for(c[0], c[1], rules), TIERS.index(c[0])))
    return {cell: rank for rank, cell in enumerate(cells)}


def _grading_row(shop_id: int, facts: Facts, shop: tuple, ranks: dict) -> dict:
    """`shop`: (street_id, status, registered_on)."""
    worse_grade = worse(facts.base_grade)
    return {
        "shop_id": shop_id,
        "street_id": shop[0],
        "status": shop[1],
        "registered_on": shop[2],
        "static_tier": facts.static_tier,
        "base_grade": facts.base_grade,
        "worse_grade": worse_grade,
        "rank_base": ranks[(facts.static_tier, facts.base_grade)],
        "rank_worse": ranks[(facts.static_tier, worse_grade)],
        "last_full_on": facts.last_full_on,
        "last_inspected_on": facts.last_inspected_on,
        "cycle": facts.cycle,
        "routine_reason": facts.routine_reason,
        "routine_due_base": facts.routine_due_base,
        "routine_due_worse": facts.routine_due_worse,
        "floor_due": min(facts.routine_due_base, facts.routine_due_worse),
        "refreshed_at": utcnow(),
    }


def _event_rows(shop_id: int, events: list[Event]) -> list[dict]:
    return [
        {
            "shop_id": shop_id,
            "effect": e.effect,
            "kind": e.kind,
            "starts_on": e.starts_on,
            "ends_on": e.ends_on,
            "due_on": e.due_on,
            "ref_id": e.ref_id,
            "note": e.note[:200],
        }
        for e in events
    ]


# The shop columns a refresh derives (in this order), compared before writing.
DERIVED_NAMES = (
    "static_tier",
    "dynamic_grade",
    "next_due_on",
    "due_reason",
    "credit_class",
    "plan_rank",
    "plan_cycle",
)
DERIVED_COLUMNS = tuple(getattr(Shop, name) for name in DERIVED_NAMES)
UNRANKED = 99  # a cell the rules do not rank (never with the nine cells complete)


def _plan_rank(result: Grading, ranks: dict) -> int:
    """The list order of the shop's cell (`cell_ranks`), stored as shops.plan_rank."""
    return ranks.get((result.static_tier, result.dynamic_grade), UNRANKED)


def refresh_shop(shop: Shop) -> Grading:
    """Recompute one shop's stored facts and its derived columns for today. Registered as a
    shop-change hook; flushes."""
    from . import credit

    db.session.flush()
    # Serialise concurrent refreshes of one shop (two inspections at once would otherwise both
    # insert its ShopGrading row). PostgreSQL row lock; SQLite writers are serialised anyway.
    db.session.execute(select(Shop.id).where(Shop.id == shop.id).with_for_update())
    rules = load_rules()
    ranks = cell_ranks(rules)
    history = load_histories([shop.id])[shop.id]
    facts, events = build_facts(history, rules)
    row = _grading_row(shop.id, facts, (shop.street_id, shop.status, shop.registered_on or today()), ranks)
    stored = db.session.get(ShopGrading, shop.id)  # update in place: no identity-map clash
    if stored is None:
        db.session.add(ShopGrading(**row))
    else:
        for key, value in row.items():
            setattr(stored, key, value)
    # Core statements for the events: they are never loaded as objects.
    db.session.execute(delete(GradeEvent).where(GradeEvent.shop_id == shop.id))
    event_rows = _event_rows(shop.id, events)
    if event_rows:
        db.session.execute(GradeEvent.__table__.insert(), event_rows)
    result = evaluate(facts, events, today(), rules)
    shop.static_tier, shop.dynamic_grade = result.static_tier, result.dynamic_grade
    shop.next_due_on, shop.due_reason = result.due_on, result.reason
    shop.plan_rank, shop.plan_cycle = _plan_rank(result, ranks), facts.cycle
    shop.credit_class = credit.classify(history, today(), shop.unresponsive, shop.status).credit_class
    close_items_for(shop.id, facts.cycle, shop.status, facts.last_inspected_on)
    db.session.flush()
    from .planning import sync_tracking

    sync_tracking([shop.id])
    return result


def close_items_for(shop_id: int, cycle: str, status: str, inspected_on: date | None) -> None:
    """An inspection recorded after an item was generated closes it; so does 注销."""
    if status == "closed":
        db.session.execute(
            update(PlanItem)
            .where(PlanItem.shop_id == shop_id, PlanItem.status == "open")
            .values(status="closed_business", closed_on=today(), closed_note="商铺已注销")
        )
        return
    db.session.execute(
        update(PlanItem)
        .where(PlanItem.shop_id == shop_id, PlanItem.status == "open", PlanItem.cycle != cycle)
        .values(status="inspected", closed_on=inspected_on or today(), closed_note="已录入检查")
    )


def refresh_all(
    batch_size: int = 2000, street_id: int | None = None, shop_ids: list[int] | None = None
) -> int:
    """Recompute every shop's facts, events and derived columns (nightly, and after a rules
    change): batched bulk loads and bulk writes, not a query per shop. Returns shops refreshed.
    `shop_ids` limits it to those shops (the registry import's hook for new shops)."""
    from . import credit

    rules = load_rules()
    ranks = cell_ranks(rules)
    on = today()
    query = select(Shop.id).order_by(Shop.id)
    if street_id is not None:
        query = query.where(Shop.street_id == street_id)
    ids = sorted(set(shop_ids)) if shop_ids is not None else list(db.session.scalars(query))
    # The whole district goes by id ranges (range scans); a subset (one street, an import) by id,
    # unless it is one contiguous block of ids, as a bulk import's new shops usually are.
    contiguous = shop_ids is not None and bool(ids) and ids[-1] - ids[0] + 1 == len(ids)
    every = street_id is None and (shop_ids is None or contiguous)
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        lo, hi = chunk[0], chunk[-1]

        def which(column, chunk=chunk, lo=lo, hi=hi):
            return column.between(lo, hi) if every else column.in_(chunk)

        histories = load_histories(id_range=(lo, hi)) if every else load_histories(chunk)
        flags, places, stored = {}, {}, {}
        for sid, unresponsive, status, street, registered_on, *derived in db.session.execute(
            select(
                Shop.id, Shop.unresponsive, Shop.status, Shop.street_id, Shop.registered_on, *DERIVED_COLUMNS
            ).where(which(Shop.id))
        ):
            flags[sid], places[sid] = (unresponsive, status), (street, status, registered_on or on)
            stored[sid] = tuple(derived)
        gradings, events_rows, shop_rows = [], [], []
        for sid in chunk:
            facts, events = build_facts(histories[sid], rules)
            gradings.append(_grading_row(sid, facts, places[sid], ranks))
            events_rows.extend(_event_rows(sid, events))
            result = evaluate(facts, events, on, rules)
            klass = credit.classify(histories[sid], on, *flags[sid]).credit_class
            derived = (
                result.static_tier,
                result.dynamic_grade,
                result.due_on,
                result.reason,
                klass,
                _plan_rank(result, ranks),
                facts.cycle,
            )
            # Only rows whose values changed are written: a night where little changed leaves
            # the rest of the table (and the list's covering index) as it was.
            if derived != stored[sid]:
                shop_rows.append({"id": sid, **dict(zip(DERIVED_NAMES, derived, strict=True))})
        db.session.execute(delete(GradeEvent).where(which(GradeEvent.shop_id)))
        db.session.execute(delete(ShopGrading).where(which(ShopGrading.shop_id)))
        db.session.execute(ShopGrading.__table__.insert(), gradings)
        if events_rows:
            db.session.execute(GradeEvent.__table__.insert(), events_rows)
        if shop_rows:
            db.session.execute(update(Shop), shop_rows)
    from .planning import close_stale_items, sync_tracking

    close_stale_items()
    if street_id is not None:
        sync_tracking(street_ids={street_id})
    elif shop_ids is None:
        sync_tracking()
    else:
        for start in range(0, len(ids), batch_size):
            sync_tracking(ids[start : start + batch_size])
    if street_id is None and shop_ids is None:
        mark_refreshed(on)  # every shop now describes today
    db.session.flush()
    return len(ids)


if refresh_shop not in registry.SHOP_CHANGE_HOOKS:
    registry.SHOP_CHANGE_HOOKS.append(refresh_shop)


def refresh_imported(shop_ids: list[int]) -> None:
    """Set-based refresh of shops a registry import has just bulk-inserted."""
    refresh_all(shop_ids=shop_ids)


def _register_import_hook() -> None:
    from . import importing

    if refresh_imported not in importing.IMPORT_HOOKS:
        importing.IMPORT_HOOKS.append(refresh_imported)


_register_import_hook()
