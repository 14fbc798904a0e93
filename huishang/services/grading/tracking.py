"""The tracking copy on shops: each shop carries its current cycle's plan-item tracking (id, status,
both inspectors, closed-on), which the 30-day list's fast path reads instead of joining. Kept by
every refresh and every write to plan items; closing the items an inspection or 注销 ends."""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, exists, literal_column, or_, select, update

from huishang.extensions import db
from huishang.models import Shop, today
from huishang.models.grading import PlanItem, ShopGrading
from huishang.models.scope import street_criteria

LIVE = literal_column("'inspected'")

TRACKING_COPY = {
    "plan_item_id": PlanItem.id,
    "plan_status": PlanItem.status,
    "plan_inspector_id": PlanItem.inspector_id,
    "plan_co_inspector_id": PlanItem.co_inspector_id,
    "plan_closed_on": PlanItem.closed_on,
}


def sync_tracking(shop_ids=None, street_ids: set[int] | None = None,
                  id_range: tuple[int, int] | None = None) -> None:
    """Copy onto each shop in scope the tracking of its current cycle's plan item (or nothing,
    if that cycle has no item). Called after every write to plan items and by every refresh
    (which may move a shop's cycle on); set-based, and writes only rows that differ.
    `id_range` (lo, hi) limits it to shops with ids in that range (one range scan, e.g. the block
    of ids a bulk import has just written, instead of dozens of 2,000-id IN lists).

    The current item is the one of the shop's cycle that is still live: an item is closed as
    inspected only once its shop's cycle has moved on (`ix_plan_items_live`)."""
    scope = []
    if shop_ids is not None:
        scope.append(Shop.id.in_(sorted(shop_ids) or [-1]))
    if id_range is not None:
        scope.append(Shop.id.between(*id_range))
    scope += street_criteria(street_ids, Shop.street_id)
    current = and_(PlanItem.shop_id == Shop.id, PlanItem.cycle == Shop.plan_cycle, PlanItem.status != LIVE)
    differs = or_(*[getattr(Shop, name).is_distinct_from(column) for name, column in TRACKING_COPY.items()])
    db.session.execute(
        update(Shop)
        .where(current, differs, *scope)
        .values(**TRACKING_COPY, updated_at=Shop.updated_at)  # internal bookkeeping, not a change to the shop
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Shop)
        .where(Shop.plan_item_id.is_not(None), ~exists().where(current), *scope)
        .values({**dict.fromkeys(TRACKING_COPY), "updated_at": Shop.updated_at})
        .execution_options(synchronize_session=False)
    )


def close_stale_items() -> int:
    """Set-based: an open item whose shop has been inspected since (its cycle moved on) is closed
    as inspected; an open item of a 注销 shop as closed business."""
    newer = (
        select(ShopGrading.last_inspected_on)
        .where(ShopGrading.shop_id == PlanItem.shop_id, ShopGrading.cycle != PlanItem.cycle)
        .scalar_subquery()
    )
    moved = exists().where(ShopGrading.shop_id == PlanItem.shop_id, ShopGrading.cycle != PlanItem.cycle)
    done = db.session.execute(
        update(PlanItem)
        .where(PlanItem.status == "open", moved)
        .values(status="inspected", closed_on=newer, closed_note="已录入检查")
        .execution_options(synchronize_session=False)
    ).rowcount
    closed = exists().where(Shop.id == PlanItem.shop_id, Shop.status == "closed")
    done += db.session.execute(
        update(PlanItem)
        .where(PlanItem.status == "open", closed)
        .values(status="closed_business", closed_on=today(), closed_note="商铺已注销")
        .execution_options(synchronize_session=False)
    ).rowcount
    return done


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
