"""The 30-day list for any day, set-based (30日内待检查单位清单).

`plan_query(T, days)` computes the list for day T in one set-based query over the stored
per-shop facts (`shop_gradings`) and the events that hold on T (`grade_events`): a worsening
or a trigger that expired before T, or starts after it, does not count, whatever the stored
Shop columns say. Shops whose records changed after T (an inspection dated after T) or have no
stored facts (`stale_ids`) are evaluated from their history as it stood on T (`grading.explain`,
the slow path) and merged by `pages.plan_page`. `Item` is one shop on the list; `present` shows
items as the API and the exports do.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

from sqlalchemy import Date, and_, case, exists, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from huishang.extensions import db
from huishang.models import Shop, Street, User
from huishang.models.grading import PLAN_STATUS_LABELS, REASON_LABELS, GradeEvent, PlanItem, ShopGrading
from huishang.models.scope import within_streets
from huishang.services import grading
from huishang.services.grading import LIVE

FAR = date(9999, 12, 31)
MAX_DAYS = 366


def cell_ranks(rules: dict) -> dict[tuple[str, str], int]:
    return grading.cell_ranks(rules)


class least(FunctionElement):
    """LEAST(a, b, ...) on PostgreSQL, min(a, b, ...) on SQLite (arguments are never null here)."""

    inherit_cache = True
    name = "least"
    type = Date()


@compiles(least)
def _least_default(element, compiler, **kw):
    return f"min({compiler.process(element.clauses, **kw)})"


@compiles(least, "postgresql")
def _least_postgresql(element, compiler, **kw):
    return f"LEAST({compiler.process(element.clauses, **kw)})"


SORT_KEYS = ("priority", "due", "shop", "street", "status")


def sort_order(sort: str | None, descending: bool, priority: list, *, due, name, street_id, status) -> list:
    """The ORDER BY of the list sorted by `sort` (one of SORT_KEYS; None or "priority": the list
    order), the list order breaking ties so a page boundary is stable. `priority` is the list order
    itself (overdue first, cell rank, due date, shop id) in the query's own columns."""
    if sort in (None, "priority"):
        return [term.desc() for term in priority] if descending else list(priority)
    column = {
        "due": due,
        "shop": name,
        "street": select(Street.position).where(Street.id == street_id).scalar_subquery(),
        "status": func.coalesce(status, "open"),
    }[sort]
    return [column.desc() if descending else column.asc(), *priority]


def plan_query(as_of: date, days: int, street_ids: set[int] | None, rules: dict | None = None,
               sort: str | None = None, descending: bool = False):
    """The SELECT of the list for day `as_of`, in list order (fast path: shops whose facts hold).

    One narrow table (`shop_gradings`) is filtered by its due floor; the events holding on T are
    aggregated per shop (few rows: most events are closed windows of the past); only the rows on
    the list are joined to `shops` for their names and to `plan_items` for their tracking."""
    horizon = as_of + timedelta(days=days)
    holds = and_(GradeEvent.starts_on <= as_of, or_(GradeEvent.ends_on.is_(None), GradeEvent.ends_on > as_of))
    ev = (
        select(
            GradeEvent.shop_id.label("shop_id"),
            func.max(case((GradeEvent.effect == "worsen", 1), else_=0)).label("w"),
            func.min(case((GradeEvent.kind == "rectification", GradeEvent.due_on))).label("rect_due"),
            func.min(case((GradeEvent.kind == "complaint", GradeEvent.due_on))).label("comp_due"),
        )
        .where(holds)
        .group_by(GradeEvent.shop_id)
        .subquery("ev")
    )
    g = ShopGrading
    worse_now = func.coalesce(ev.c.w, 0) == 1
    inner = (
        select(
            g.shop_id,
            g.street_id,
            g.static_tier,
            g.cycle,
            g.routine_reason,
            case((worse_now, g.worse_grade), else_=g.base_grade).label("grade"),
            case((worse_now, g.rank_worse), else_=g.rank_base).label("rank"),
            case((worse_now, g.routine_due_worse), else_=g.routine_due_base).label("routine_due"),
            func.coalesce(ev.c.rect_due, FAR).label("rect_due"),
            func.coalesce(ev.c.comp_due, FAR).label("comp_due"),
        )
        .outerjoin(ev, ev.c.shop_id == g.shop_id)
        .where(
            g.status == "open",
            g.registered_on <= as_of,
            or_(g.last_inspected_on.is_(None), g.last_inspected_on <= as_of),
            or_(g.floor_due <= horizon, ev.c.shop_id.is_not(None)),
        )
    )
    inner = within_streets(inner, street_ids, g.street_id)
    inner = inner.subquery("inner_plan")
    due = least(inner.c.routine_due, inner.c.rect_due, inner.c.comp_due)
    reason = case(
        (
            and_(inner.c.rect_due <= inner.c.routine_due, inner.c.rect_due <= inner.c.comp_due),
            literal("rectification"),
        ),
        (inner.c.comp_due <= inner.c.routine_due, literal("complaint")),
        else_=inner.c.routine_reason,
    )
    mid = (
        select(
            inner.c.shop_id,
            inner.c.street_id,
            inner.c.static_tier,
            inner.c.grade,
            inner.c.cycle,
            inner.c.rank,
            due.label("due_on"),
            reason.label("reason"),
        )
        .where(due <= horizon)
        .subquery("mid")
    )
    return (
        select(
            mid.c.shop_id,
            Shop.code,
            Shop.sign_name,
            Shop.address,
            mid.c.street_id,
            mid.c.static_tier,
            mid.c.grade,
            mid.c.cycle,
            mid.c.due_on,
            mid.c.reason,
            PlanItem.id,
            PlanItem.status,
            PlanItem.inspector_id,
            PlanItem.co_inspector_id,
            PlanItem.closed_on,
        )
        .join(Shop, Shop.id == mid.c.shop_id)
        .outerjoin(
            PlanItem,
            and_(PlanItem.shop_id == mid.c.shop_id, PlanItem.cycle == mid.c.cycle, PlanItem.status != LIVE),
        )
        .order_by(*sort_order(
            sort, descending, [case((mid.c.due_on < as_of, 0), else_=1), mid.c.rank, mid.c.due_on, mid.c.shop_id],
            due=mid.c.due_on, name=Shop.sign_name, street_id=mid.c.street_id, status=PlanItem.status))
    )


NO_TRACKING = (None, None, None, None, None)


class Item(NamedTuple):
    """One shop on the list. A tuple: a district's list is hundreds of thousands of them, made
    straight from database rows (`Item._make(row)`), in the column order of `plan_query`."""

    shop_id: int
    shop_code: str
    sign_name: str
    address: str
    street_id: int
    static_tier: str
    dynamic_grade: str
    cycle: str
    due_on: date
    reason: str
    # The tracking of the shop's current cycle (None: not saved as an item yet)
    item_id: int | None = None
    status: str | None = None
    inspector_id: int | None = None
    co_inspector_id: int | None = None
    closed_on: date | None = None

    def column_key(self, sort: str, streets: dict):
        """The value `sort_order` sorts by, for items sorted in Python (the slow path's merge)."""
        return {"due": self.due_on, "shop": self.sign_name, "street": streets.get(self.street_id, 0),
                "status": self.status or "open"}[sort]

    def sort_key(self, as_of: date, ranks: dict):
        return (
            0 if self.due_on < as_of else 1,
            ranks.get((self.static_tier, self.dynamic_grade), 99),
            self.due_on,
            self.shop_id,
        )


def stale_ids(as_of: date) -> set[int]:
    """Open shops whose stored facts do not describe `as_of`: inspected after it (a list for a
    past day), or never refreshed. Cheap when there are none (an index range and two counts)."""
    ids = set(
        db.session.scalars(
            select(ShopGrading.shop_id).where(
                ShopGrading.last_inspected_on > as_of,
                ShopGrading.status == "open",
                ShopGrading.registered_on <= as_of,
            )
        )
    )
    shops = db.session.scalar(select(func.count()).select_from(Shop))
    if shops != db.session.scalar(select(func.count()).select_from(ShopGrading)):
        missing = ~exists().where(ShopGrading.shop_id == Shop.id)
        ids |= set(
            db.session.scalars(
                select(Shop.id).where(missing, Shop.status == "open", Shop.registered_on <= as_of)
            )
        )
    return ids


def _slow_path(as_of: date, days: int, street_ids, rules, stale: set[int] | None = None) -> list[Item]:
    """Shops the stored facts do not describe on `as_of`, evaluated from their history then."""
    horizon = as_of + timedelta(days=days)
    stale = stale_ids(as_of) if stale is None else stale
    if not stale:
        return []
    query = within_streets(select(Shop).where(Shop.id.in_(stale)), street_ids, Shop.street_id)
    due = []
    for shop in db.session.scalars(query):
        result = grading.explain(shop, as_of, rules)
        if result.due_on <= horizon:
            due.append(
                (
                    shop.id,
                    shop.code,
                    shop.sign_name,
                    shop.address,
                    shop.street_id,
                    result.static_tier,
                    result.dynamic_grade,
                    result.facts.cycle,
                    result.due_on,
                    result.reason,
                )
            )
    tracking = {}
    if due:
        for row in db.session.scalars(
            select(PlanItem).where(PlanItem.shop_id.in_([d[0] for d in due]), PlanItem.status != LIVE)
        ):
            tracking[(row.shop_id, row.cycle)] = (
                row.id,
                row.status,
                row.inspector_id,
                row.co_inspector_id,
                row.closed_on,
            )
    items = [Item._make(d + tracking.get((d[0], d[7]), NO_TRACKING)) for d in due]
    return items


# -- presenting -----------------------------------------------------------------------------------


def present(items: list[Item], as_of: date) -> list[dict]:
    """Items as the API and the exports show them (names resolved in two queries)."""
    streets = dict(db.session.execute(select(Street.id, Street.name)).all())
    user_ids = {u for i in items for u in (i.inspector_id, i.co_inspector_id) if u}
    names = {}
    if user_ids:
        names = {u.id: u.label for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))}
    out = []
    for i in items:
        out.append(
            {
                "item_id": i.item_id,
                "shop_code": i.shop_code,
                "sign_name": i.sign_name,
                "address": i.address,
                "street": streets.get(i.street_id, ""),
                "due_on": i.due_on.isoformat(),
                "reason": i.reason,
                "reason_label": REASON_LABELS[i.reason],
                "cell": {"static": i.static_tier, "dynamic": i.dynamic_grade},
                "overdue": i.due_on < as_of,
                "days_overdue": max(0, (as_of - i.due_on).days),
                "status": i.status or "open",
                "status_label": PLAN_STATUS_LABELS[i.status or "open"],
                "assignment": (
                    {"inspector": names.get(i.inspector_id), "co_inspector": names.get(i.co_inspector_id)}
                    if i.inspector_id
                    else None
                ),
                "closed_on": i.closed_on.isoformat() if i.closed_on else None,
            }
        )
    return out
