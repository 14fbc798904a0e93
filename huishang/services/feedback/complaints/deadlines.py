"""A complaint's clocks, in working days, and the sweep that escalates late answers.

Every filing carries two kinds of clock (working days, holidays and 调休 from the calendar):

- the district's **service promise** for the current step (STEP_LIMITS, overridable with the
  COMPLAINT_STEP_LIMITS setting): the desk decides within 2, the merchant answers a forwarded
  complaint within 3, ... — `Complaint.due_on`;
- the **legal limits** behind it (CLOCKS, each with its source), from 市场监督管理投诉举报处理暂行办法
  (SAMR Order 20, amended 2022-03-24; ../shared/design/domain-research.md §2.2):
  投诉 — accept or reject within 7 working days of receipt (Art. 14); mediation ends when no
  agreement is reached within 45 working days of acceptance (Art. 21(1)(5));
  举报 — handled under the administrative-penalty procedure (Art. 31(1)): verified and a decision
  whether to open a case within 15 working days of receipt, extendable by 15 with the head's
  approval (市场监督管理行政处罚程序规定 Art. 18; Order 20 Art. 23 sets the same 15 + 15 for leads
  found in mediation); a real-name reporter is told of that decision within 5 working days (Art. 31(2)).

`clocks(complaint)` gives each clock's state in words with its source (desk detail, merchant
tasks); `sweep_overdue(on)` — the nightly `flask complaints sweep` — escalates forwards not
answered in time (the shop is marked unresponsive until it has no overdue forward left) and marks
each legal clock that has run out, once, with an internal note. The calendar of holidays and
make-up working days is kept here too (`set_calendar_day`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import func, select

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import CalendarDay, Complaint, ComplaintEvent, Shop, User
from huishang.models import today as district_today
from huishang.models.feedback import OPEN_STATUSES
from huishang.services import DomainError, NotFound
from huishang.services.core import audit, notify, workdays
from huishang.services.registry import after_shop_change

LEGAL_DECISION_DAYS = 7
STEP_LIMITS = {"submitted": 2, "reopened": 2, "accepted": 2, "forwarded": 3, "answered": 2}
PROMISE_SOURCE = "本区服务承诺（严于法定时限）"
ORDER_20 = "《市场监督管理投诉举报处理暂行办法》（市场监管总局令第20号，2022年修改）"


@dataclass(frozen=True)
class Clock:
    """A legal time limit, as data: which kind it binds, what must happen, from which day it runs,
    how many working days (and an approved extension), and the rule it comes from."""

    code: str
    kind: str  # complaint | report
    label: str  # what must happen by the due day
    start: str  # the Complaint date column it runs from
    days: int
    source: str
    extension: int = 0  # further working days when Complaint.case_extended (report only)
    named_only: bool = False  # runs only for a real-name filing


CLOCKS: tuple[Clock, ...] = (
    Clock("accept_decision", "complaint", "作出受理或不予受理决定并告知投诉人", "submitted_on", LEGAL_DECISION_DAYS,
          ORDER_20 + "第十四条：自收到投诉之日起七个工作日内"),
    Clock("mediation", "complaint", "调解终结（期满未达成调解协议的终止调解）", "accepted_on", 45,
          ORDER_20 + "第二十一条第一款第（五）项：自投诉受理之日起四十五个工作日"),
    Clock("case_decision", "report", "核查并决定是否立案", "submitted_on", 15,
          ORDER_20 + "第三十一条第一款 → 《市场监督管理行政处罚程序规定》第十八条：自收到材料之日起十五个工作日内核查，"
          "特殊情况经负责人批准可延长十五个工作日", extension=15),
    Clock("reporter_notice", "report", "告知实名举报人是否立案", "closed_on", 5,
          ORDER_20 + "第三十一条第二款：自作出是否立案决定之日起五个工作日内", named_only=True),
)


@dataclass(frozen=True)
class ClockState:
    """One clock of one complaint as the desk reads it."""

    code: str
    label: str
    source: str
    legal: bool
    due_on: date | None
    state: str  # waiting (not started) | running | met | late (done after the due day) | overdue
    words: str


def _clock_done_on(clock: Clock, complaint: Complaint) -> date | None:
    if clock.code == "accept_decision":
        return complaint.accepted_on or (complaint.closed_on if complaint.status in ("rejected", "duplicate",
                                                                                     "not_our_jurisdiction") else None)
    if clock.code == "reporter_notice":
        # The closing note is written for the citizen and shown on their tracking page (and sent
        # by SMS when they agreed): the decision is told the day it is made.
        return complaint.closed_on
    return complaint.closed_on


def _words(state: str, due: date | None, on: date, done: date | None) -> str:
    if state == "waiting":
        return "尚未开始"
    if state == "met":
        return f"已于 {done:%Y-%m-%d} 完成（期限 {due:%Y-%m-%d}）"
    if state == "late":
        return f"{done:%Y-%m-%d} 完成，超过期限 {due:%Y-%m-%d}"
    left = workdays.workdays_between(on, due)
    if state == "overdue":
        return f"已超期 {-left} 个工作日（期限 {due:%Y-%m-%d}）"
    if left == 0:
        return f"今天到期（{due:%Y-%m-%d}）"
    return f"还剩 {left} 个工作日（{due:%Y-%m-%d} 前）"


def clock_due(clock: Clock, complaint: Complaint) -> date | None:
    start = getattr(complaint, clock.start)
    if start is None:
        return None
    days = clock.days + (clock.extension if clock.extension and complaint.case_extended else 0)
    return workdays.add_workdays(start, days)


def clocks(complaint: Complaint, on: date | None = None) -> list[ClockState]:
    """The complaint's clocks: the service promise for its current step, then each legal clock of
    its kind (a real-name reporter's notice only when the report is named), each in words with its
    source."""
    on = on or district_today()
    states = []
    if complaint.is_open and complaint.due_on:
        state = "overdue" if complaint.due_on < on else "running"
        states.append(ClockState("promise", f"本环节办理（{complaint.status_label}）", PROMISE_SOURCE, False,
                                 complaint.due_on, state, _words(state, complaint.due_on, on, None)))
    for clock in CLOCKS:
        if clock.kind != complaint.kind or (clock.named_only and not complaint.named):
            continue
        due = clock_due(clock, complaint)
        done = _clock_done_on(clock, complaint)
        if due is None:
            state = "waiting"
        elif done is not None:
            state = "late" if done > due else "met"
        elif complaint.status not in OPEN_STATUSES:
            continue  # closed without this step (e.g. a complaint rejected before mediation)
        else:
            state = "overdue" if due < on else "running"
        states.append(ClockState(clock.code, clock.label, clock.source, True, due, state,
                                 _words(state, due, on, done)))
    return states


def clocks_in_words(complaint: Complaint, on: date | None = None) -> str:
    """One line for a task list: the most pressing running clock, e.g. "答复期限：还剩 2 个工作日"."""
    running = [c for c in clocks(complaint, on) if c.state in ("running", "overdue")]
    if not running:
        return ""
    first = min(running, key=lambda c: c.due_on)
    return f"{first.label}：{first.words}"


def step_limits() -> dict[str, int]:
    limits = dict(STEP_LIMITS)
    limits.update(current_app.config.get("COMPLAINT_STEP_LIMITS") or {})
    return limits


def _due(on: date, status: str) -> date | None:
    days = step_limits().get(status)
    return workdays.add_workdays(on, days) if days is not None else None


def refresh_unresponsive(shop: Shop, on: date | None = None) -> None:
    """Shop.unresponsive: true while any forwarded complaint is past its answer deadline."""
    on = on or district_today()
    overdue = db.session.scalar(select(func.count(Complaint.id)).where(
        Complaint.shop_id == shop.id, Complaint.status == "forwarded", Complaint.merchant_due_on < on))
    flag = bool(overdue)
    if shop.unresponsive != flag:
        audit.record("shop.unresponsive", shop, before={"unresponsive": shop.unresponsive},
                     after={"unresponsive": flag})
        shop.unresponsive = flag
        after_shop_change(shop)


def sweep_legal(on: date | None = None) -> int:
    """Mark every legal clock of an open complaint that ran out before `on`, once per clock: the
    code goes into Complaint.overdue_clocks and an internal event names the limit and its source.
    Returns how many clocks were newly marked."""
    on = on or district_today()
    marked = 0
    for complaint in db.session.scalars(select(Complaint).where(Complaint.status.in_(OPEN_STATUSES))
                                        .order_by(Complaint.id)):
        flagged = set(filter(None, (complaint.overdue_clocks or "").split(",")))
        for state in clocks(complaint, on):
            if not state.legal or state.state != "overdue" or state.code in flagged:
                continue
            flagged.add(state.code)
            marked += 1
            db.session.add(ComplaintEvent(
                complaint_id=complaint.id, action="overdue", actor_role="system", from_status=complaint.status,
                to_status=complaint.status, public=False, audience="internal",
                note=f"法定时限已过：{state.label}（期限 {state.due_on:%Y-%m-%d}；{state.source}）"))
            audit.record("complaint.overdue", complaint, after={"clock": state.code, "due_on": state.due_on})
        complaint.overdue_clocks = ",".join(sorted(flagged))
    db.session.flush()
    return marked


def sweep_overdue(on: date | None = None, limit: int | None = None) -> int:
    """Escalate every forwarded complaint not answered by its deadline (at most `limit`, oldest
    first); returns how many were newly escalated. Idempotent: run it from cron
    (`flask complaints sweep`, which also runs `sweep_legal`) as often as you like."""
    from sqlalchemy.orm import selectinload

    on = on or district_today()
    late = list(db.session.scalars(select(Complaint).options(selectinload(Complaint.shop)).where(
        Complaint.status == "forwarded", Complaint.merchant_due_on < on, Complaint.escalated.is_(False))
        .order_by(Complaint.merchant_due_on, Complaint.id).limit(limit)))
    shops = {}
    for complaint in late:
        complaint.escalated = True
        # Added directly (not through complaint.events) so that a large sweep loads no histories.
        db.session.add(ComplaintEvent(
            complaint_id=complaint.id, action="escalate", actor_role="system", from_status=complaint.status,
            to_status=complaint.status, public=False, audience="internal",
            note=f"商户未在期限（{complaint.merchant_due_on:%Y-%m-%d}）内答复，已升级"))
        audit.record("complaint.escalate", complaint, after={"escalated": True})
        shops[complaint.shop_id] = complaint.shop
        handler = db.session.get(User, complaint.assignee_id) if complaint.assignee_id else None
        if handler is not None and handler.active:  # the desk handler hears of it (in-app, SMS, e-mail)
            notify(handler, "escalation", f"投诉升级 {complaint.ticket}：{complaint.shop.sign_name}",
                   f"商户未在 {complaint.merchant_due_on:%Y-%m-%d} 前答复，请处理。",
                   f"/admin/complaints/{complaint.ticket}")
    for shop in shops.values():
        refresh_unresponsive(shop, on)
    db.session.flush()
    return len(late)


# -- the calendar -------------------------------------------------------------------------------

def set_calendar_day(day: date | None, is_workday: bool, name: str, *, actor):
    """Add or change a holiday (is_workday False) or a make-up working day (调休, True)."""
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if day is None:
        errors["day"] = [N_("请填写日期（YYYY-MM-DD）")]
    if len(name) > 40:
        errors["name"] = [N_("名称不能超过40字")]
    if errors:
        raise DomainError(N_("日历信息有误"), errors)
    row = db.session.get(CalendarDay, day)
    before = {"is_workday": row.is_workday, "name": row.name} if row else None
    if row is None:
        row = CalendarDay(day=day)
        db.session.add(row)
    row.is_workday, row.name = bool(is_workday), name
    db.session.flush()
    audit.record("calendar.set", row, actor=actor, before=before,
                 after={"day": day, "is_workday": bool(is_workday), "name": name})
    return row


def delete_calendar_day(day: date, *, actor) -> None:
    row = db.session.get(CalendarDay, day)
    if row is None:
        raise NotFound(N_("该日期没有设置"), {"day": [N_("该日期没有设置")]})
    audit.record("calendar.delete", row, actor=actor, before={"day": day, "is_workday": row.is_workday,
                                                              "name": row.name})
    db.session.delete(row)
    db.session.flush()
