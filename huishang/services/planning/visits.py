"""The inspector's day: the 30-day list's open items assigned to one inspector (as lead or as
co-inspector), the ones due today or overdue first — what the inspector's phone home shows and
keeps for offline patrol. Distance ordering happens on the phone (it knows where it is); the
server gives each shop's coordinates and the list's own order (most overdue first)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from huishang.extensions import db
from huishang.models import Shop
from huishang.models.grading import REASON_LABELS, PlanItem

MAX_VISITS = 200


@dataclass
class Visit:
    item: PlanItem
    shop: Shop
    due_on: date
    days_overdue: int
    reason_label: str
    done_today: bool  # the shop was inspected today already (the item closes at the next refresh)

    @property
    def overdue(self) -> bool:
        return self.days_overdue > 0


def assigned_visits(user, as_of: date) -> tuple[list[Visit], int]:
    """(visits due on or before `as_of`, count of later assigned items) for `user`: open items
    where the user is the lead or the co-inspector, most overdue first, then by shop name."""
    if user is None or getattr(user, "id", None) is None:
        return [], 0
    rows = db.session.scalars(
        select(PlanItem)
        .join(Shop, Shop.id == PlanItem.shop_id)
        .options(joinedload(PlanItem.shop))
        .where(
            PlanItem.status == "open",
            Shop.status != "closed",
            or_(PlanItem.inspector_id == user.id, PlanItem.co_inspector_id == user.id),
        )
        .order_by(PlanItem.due_on, Shop.sign_name)
        .limit(MAX_VISITS + 1)
    ).all()
    today_rows = [r for r in rows if r.due_on <= as_of]
    later = len(rows) - len(today_rows)
    visits = [
        Visit(
            item=r,
            shop=r.shop,
            due_on=r.due_on,
            days_overdue=max(0, (as_of - r.due_on).days),
            reason_label=REASON_LABELS.get(r.reason, r.reason),
            done_today=r.shop.latest_inspected_on == as_of,
        )
        for r in today_rows
    ]
    visits.sort(key=lambda v: (v.done_today, v.due_on, v.shop.sign_name))
    return visits, later
