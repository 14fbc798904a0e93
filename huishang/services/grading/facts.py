"""九宫格 grading: static tier, dynamic grade, interval, next due date and why.

The rules are data (`GradingRule` rows, defaults below). For one shop the evaluation happens in
two steps so that the 30-day list can be one set-based query for any day T:

1. `build_facts(history)` turns the shop's records into facts that do not depend on T
   (`Facts`: tier, base grade, routine due with and without a worsening) and events that hold
   over a date window (`Event`: worsenings and the rectification / complaint triggers).
2. `evaluate(facts, events, T)` applies the windows for T. `services/planning.py` does the same
   step in SQL over the stored `ShopGrading` / `GradeEvent` rows.

`refresh_shop(shop)` receives the `shop_changed` signal (connected in `create_app`), so every write
that calls `registry.after_shop_change(shop)` keeps the stored facts and the derived Shop columns current;
`refresh_all()` (the nightly `flask plan refresh`) recomputes every shop in batches.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

from huishang.i18n import N_
from huishang.models.grading import GRADES

from .rules import NEUTRAL_GRADE, OUTCOME_GRADE

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


def no_repeat_floor(interval: int, rules: dict) -> int:
    """Days after any inspection before the routine one may fall due: three months (SAMR Order 49
    Art. 42, no repeat within three months), or the cell's interval itself where that is shorter —
    the floor never overrides a shorter interval, so a 高·较差 shop keeps its 60 days."""
    return min(int(rules["no_repeat_days"]), interval)


def routine_due(facts_anchor: date | None, last_inspected: date, tier: str, grade: str, rules: dict) -> date:
    anchor = facts_anchor or last_inspected
    interval = interval_for(tier, grade, rules)
    return max(
        anchor + timedelta(days=interval),
        last_inspected + timedelta(days=no_repeat_floor(interval, rules)),
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
            no_repeat=no_repeat_floor(interval_for(facts.static_tier, grade, rules), rules),
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
