"""A complaint's clocks, in working days, and the sweep that escalates late answers.

Time limits (working days, holidays and 调休 from the calendar): the desk accepts or rejects within
2 (legal maximum 7), the merchant answers a forwarded complaint within 3, and every other open
step has a limit too (STEP_LIMITS, overridable with the COMPLAINT_STEP_LIMITS setting).
`sweep_overdue(on)` flags forwards not answered in time: the complaint is escalated (a flag on
the desk) and the shop marked unresponsive until it has no overdue forward left. The calendar
of holidays and make-up working days is kept here too (`set_calendar_day`).
"""
from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import func, select

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import CalendarDay, Complaint, ComplaintEvent, Shop
from huishang.models import today as district_today
from huishang.services import DomainError, NotFound
from huishang.services.core import audit, workdays
from huishang.services.registry import after_shop_change

LEGAL_DECISION_DAYS = 7
STEP_LIMITS = {"submitted": 2, "reopened": 2, "accepted": 2, "forwarded": 3, "answered": 2}


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


def sweep_overdue(on: date | None = None, limit: int | None = None) -> int:
    """Escalate every forwarded complaint not answered by its deadline (at most `limit`, oldest
    first); returns how many were newly escalated. Idempotent: run it from cron
    (`flask complaints sweep`) as often as you like."""
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
            to_status=complaint.status, public=False,
            note=f"商户未在期限（{complaint.merchant_due_on:%Y-%m-%d}）内答复，已升级"))
        audit.record("complaint.escalate", complaint, after={"escalated": True})
        shops[complaint.shop_id] = complaint.shop
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
