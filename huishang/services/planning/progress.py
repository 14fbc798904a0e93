"""Progress of the 30-day list: tracked items by status, per street and per inspector."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from huishang.extensions import db
from huishang.models import Street, User
from huishang.models.grading import PLAN_STATUSES, PlanItem
from huishang.models.scope import within_streets


def progress(street_ids: set[int] | None, since: date) -> dict:
    """Items generated since `since`, by status, per street and per inspector."""
    base = within_streets(select(PlanItem).where(PlanItem.generated_on >= since), street_ids, PlanItem.street_id)
    sub = base.subquery()
    streets = dict(db.session.execute(select(Street.id, Street.name)).all())
    per_street: dict[str, dict] = {}
    for sid, status, count in db.session.execute(
        select(sub.c.street_id, sub.c.status, func.count()).group_by(sub.c.street_id, sub.c.status)
    ):
        row = per_street.setdefault(streets.get(sid, "?"), dict.fromkeys(PLAN_STATUSES, 0))
        row[status] = count
    per_inspector: dict[int, dict] = {}
    for col in (sub.c.inspector_id, sub.c.co_inspector_id):
        for uid, status, count in db.session.execute(
            select(col, sub.c.status, func.count()).where(col.is_not(None)).group_by(col, sub.c.status)
        ):
            row = per_inspector.setdefault(uid, dict.fromkeys(PLAN_STATUSES, 0))
            row[status] += count
    names = (
        {u.id: u.label for u in db.session.scalars(select(User).where(User.id.in_(list(per_inspector))))}
        if per_inspector
        else {}
    )
    for table in (per_street, *[per_inspector]):
        for row in table.values():
            row["total"] = sum(row[s] for s in PLAN_STATUSES)
            row["done"] = row["total"] - row["open"]
    return {"streets": per_street, "inspectors": {names.get(k, str(k)): v for k, v in per_inspector.items()}}
