"""30日内待检查单位清单 — the 30-day inspection list, its tracking and its exports.

`plan_items(T, days)` computes the list for day T in one set-based query over the stored
per-shop facts (`shop_gradings`) and the events that hold on T (`grade_events`): a worsening
or a trigger that expired before T, or starts after it, does not count, whatever the stored
Shop columns say. Shops whose records changed after T (an inspection dated after T) or have no
stored facts are evaluated from their history as it stood on T (`grading.explain`) and merged.

Fast path: the list for today, once today's full refresh has run (`grading.refreshed_on()`), is
read from the Shop columns every write maintains (`fast_plan_query`), group by group in the order
of one covering index; it gives the same items.

Tracking: a `PlanItem` per shop and due cycle (the shop's last inspection date), created by
`generate()`; regenerating on another day finds the same item, so assignments and closures stay.
Each shop carries a copy of its current cycle's tracking (`sync_tracking`, after every write to
plan items or to the cycle), which the fast path reads instead of joining.
"""

from __future__ import annotations

import csv
import gc
import heapq
import io
from contextlib import contextmanager
from datetime import date, timedelta
from typing import NamedTuple

from sqlalchemy import (
    Date,
    DateTime,
    and_,
    case,
    exists,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import Shop, Street, User, today, utcnow
from huishang.models.grading import (
    PLAN_STATUS_LABELS,
    PLAN_STATUSES,
    REASON_LABELS,
    GradeEvent,
    PlanItem,
    ShopGrading,
)
from huishang.models.users import user_streets
from huishang.services import DomainError, grading
from huishang.services.core import audit, pdf_font
from huishang.services.grading import LIVE, close_stale_items, sync_tracking

FAR = date(9999, 12, 31)
MAX_DAYS = 366


class InspectionPlan:
    """The list as an audited object (it has no row of its own: its items are the rows)."""

    def __init__(self, key: str):
        self.id = key


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


def plan_query(as_of: date, days: int, street_ids: set[int] | None, rules: dict | None = None):
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
    if street_ids is not None:
        inner = inner.where(g.street_id.in_(street_ids or {-1}))
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
        .order_by(case((mid.c.due_on < as_of, 0), else_=1), mid.c.rank, mid.c.due_on, mid.c.shop_id)
    )


OPEN = literal_column("'open'")  # inline, not a parameter: the partial indexes then serve every plan
NO_TRACKING = (None, None, None, None, None)


def _fast_where(as_of: date, days: int, street_ids: set[int] | None, part: str | None = None) -> list:
    """Open shops due by the horizon; `part` "overdue" (due before `as_of`) or "due" (the rest)."""
    horizon = as_of + timedelta(days=days)
    where = [Shop.status == OPEN, Shop.next_due_on <= horizon, Shop.registered_on <= as_of]
    if part == "overdue":
        where.append(Shop.next_due_on < as_of)
    elif part == "due":
        where.append(Shop.next_due_on >= as_of)
    if street_ids is not None:
        where.append(Shop.street_id.in_(street_ids or {-1}))
    return where


def fast_plan_query(
    as_of: date, days: int, street_ids: set[int] | None, part: str | None = None, rank: int | None = None
):
    """The list for TODAY from the columns kept on `shops` — the cell, due date and reason, cell
    rank and cycle every refresh writes, and the copy of that cycle's tracking `sync_tracking`
    keeps — in the order of the index `ix_shops_plan_order` (cell rank, due date, id), which
    carries every column selected. One group — `part` "overdue" (due before `as_of`) or "due",
    and one cell `rank` — is one range of that index: PostgreSQL reads it from the index alone,
    in order, with no sort and no join (`fast_plan_items` reads the groups in list order). Same
    columns, in the same order, as `plan_query`. Exact only when the columns describe `as_of` —
    `plan_page` uses it only then (`fast_path_applies`)."""
    where = _fast_where(as_of, days, street_ids, part)
    if rank is not None:
        where.append(Shop.plan_rank == rank)
    return (
        select(
            Shop.id,
            Shop.code,
            Shop.sign_name,
            Shop.address,
            Shop.street_id,
            Shop.static_tier,
            Shop.dynamic_grade,
            Shop.plan_cycle,
            Shop.next_due_on,
            Shop.due_reason,
            Shop.plan_item_id,
            Shop.plan_status,
            Shop.plan_inspector_id,
            Shop.plan_co_inspector_id,
            Shop.plan_closed_on,
        )
        .where(*where)
        .order_by(Shop.plan_rank, Shop.next_due_on, Shop.id)
    )


def _groups(rules: dict) -> list[tuple[str, int]]:
    """The list's groups in list order: overdue shops first, then the rest; within each part
    the cells by rank (`grading.cell_ranks`, and UNRANKED last)."""
    ranks = sorted({*cell_ranks(rules).values(), grading.UNRANKED})
    return [(part, rank) for part in ("overdue", "due") for rank in ranks]


def _plain_rows(connection, query) -> list[tuple]:
    """All rows of `query` as plain tuples. On PostgreSQL straight from the driver (psycopg's
    loaders already give ints, strings and dates): for a district's list, building SQLAlchemy
    rows costs more than the index scan. Elsewhere (SQLite stores dates as text) through
    SQLAlchemy, whose result processors turn them into dates."""
    if connection.dialect.name != "postgresql":
        return [tuple(row) for row in connection.execute(query)]
    compiled = query.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute(str(compiled), compiled.params)
        return cursor.fetchall()
    finally:
        cursor.close()


@contextmanager
def _bulk_objects():
    """Hundreds of thousands of small objects at once (rows, then items): the cyclic garbage
    collector would otherwise walk the growing heap again and again while they are made, and
    there are no reference cycles among them."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def fast_plan_items(connection, as_of: date, days: int, street_ids: set[int] | None, rules: dict) -> list[Item]:
    """The whole list for today (fast path): its groups read one after another, each an index
    range already in list order — the database neither sorts nor joins, Python only appends."""
    make = Item._make
    items = []
    with _bulk_objects():
        for part, rank in _groups(rules):
            items.extend(map(make, _plain_rows(connection, fast_plan_query(as_of, days, street_ids, part, rank))))
    return items


def fast_plan_page(
    connection, as_of: date, days: int, street_ids: set[int] | None, rules: dict, limit: int, offset: int
) -> tuple[list[Item], int]:
    """One page of the list for today (fast path) and the list's length: one count per group
    (over the index), then only the groups the page falls in, each from its own offset."""
    part = case((Shop.next_due_on < as_of, "overdue"), else_="due")
    sizes = {
        (p, r): n
        for p, r, n in connection.execute(
            select(part, Shop.plan_rank, func.count()).where(*_fast_where(as_of, days, street_ids)).group_by(
                part, Shop.plan_rank
            )
        )
    }
    total = sum(sizes.values())
    rows, skip = [], offset
    for group in _groups(rules):
        size = sizes.get(group, 0)
        if len(rows) >= limit:
            break
        if skip >= size:
            skip -= size
            continue
        query = fast_plan_query(as_of, days, street_ids, *group).limit(limit - len(rows)).offset(skip)
        rows += _plain_rows(connection, query)
        skip = 0
    return [Item._make(row) for row in rows], total


# -- the tracking copy on shops -------------------------------------------------------------------

def fast_path_applies(as_of: date, stale: set[int]) -> bool:
    """The stored shop columns describe `as_of` exactly when it is today, the last full refresh
    (`flask plan refresh`) ran today — every write since re-evaluated its shop for today — and
    no shop lacks stored facts. Worsenings and triggers expire with time, so values computed on
    an earlier day are not trusted: the general query evaluates the windows for `as_of`."""
    return not stale and as_of == today() and grading.refreshed_on() == as_of


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
    query = select(Shop).where(Shop.id.in_(stale))
    if street_ids is not None:
        query = query.where(Shop.street_id.in_(street_ids or {-1}))
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


def plan_items(
    as_of: date | None = None, days: int = 30, street_ids: set[int] | None = None, rules: dict | None = None
) -> list[Item]:
    """The list for day `as_of` (default today), in list order. `street_ids` None = district."""
    return plan_page(as_of, days, street_ids, rules)[0]


def plan_page(
    as_of: date | None = None,
    days: int = 30,
    street_ids: set[int] | None = None,
    rules: dict | None = None,
    limit: int | None = None,
    offset: int = 0,
    *,
    status: str | None = None,
    assignee_id: int | None = None,
    fast: bool = True,
) -> tuple[list[Item], int]:
    """(items, total): one page of the list (all of it when `limit` is None) and its length.

    A page is read from the database alone: the groups it falls in on the fast path, a top-N of
    the ordered query otherwise. The list for today after today's refresh reads the maintained
    shop columns (`fast_plan_query`); `fast=False` forces the general query (tests compare the
    two). `status` (a tracking status; no item yet counts as open) and `assignee_id` (lead or
    co-inspector) filter the whole list before it is paged."""
    if status is not None or assignee_id is not None:
        items, _ = plan_page(as_of, days, street_ids, rules, fast=fast)
        if status is not None:
            items = [i for i in items if (i.status or "open") == status]
        if assignee_id is not None:
            items = [i for i in items if assignee_id in (i.inspector_id, i.co_inspector_id)]
        return (items if limit is None else items[offset : offset + limit]), len(items)
    as_of = as_of or today()
    if not 0 <= days <= MAX_DAYS:
        raise DomainError(N_("天数超出范围"), {"days": [N_("应在 0–%(max)s 之间", max=MAX_DAYS)]}, status=400)
    rules = rules or grading.load_rules()
    if db.engine.dialect.name == "postgresql":
        # Sorting a district's list (hundreds of thousands of rows) in memory, not on disk.
        db.session.execute(text("SET LOCAL work_mem = '64MB'"))
        db.session.execute(text("SET LOCAL jit = off"))  # compiling costs more than it saves here
    stale = stale_ids(as_of)
    connection = db.session.connection()
    if fast and fast_path_applies(as_of, stale):
        if limit is None:
            items = fast_plan_items(connection, as_of, days, street_ids, rules)
            return items, len(items)
        return fast_plan_page(connection, as_of, days, street_ids, rules, limit, offset)
    slow = _slow_path(as_of, days, street_ids, rules, stale)
    query = plan_query(as_of, days, street_ids, rules)
    # Core rows, not ORM entities: a district's list is hundreds of thousands of rows.
    if limit is not None and not slow:
        total = connection.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar()
        if offset >= total:  # past the end (also an offset the database could not take)
            return [], total
        page = [Item._make(row) for row in connection.execute(query.limit(limit).offset(offset))]
        return page, total
    items = [Item._make(row) for row in connection.execute(query)]
    if slow:
        ranks = cell_ranks(rules)
        slow.sort(key=lambda i: i.sort_key(as_of, ranks))
        items = list(heapq.merge(items, slow, key=lambda i: i.sort_key(as_of, ranks)))
    if limit is None:
        return items, len(items)
    return items[offset : offset + limit], len(items)


def scope_street_ids(user, street_name: str | None = None) -> set[int] | None:
    """Streets the list covers for `user`, narrowed to `street_name` (raises DomainError 400 for an
    unknown street, 403 for one outside the user's scope)."""
    allowed = user.street_ids()
    if not street_name:
        return allowed
    street = db.session.scalar(
        select(Street).where((Street.name == street_name) | (Street.code == street_name.upper()))
    )
    if street is None:
        raise DomainError(N_("未知街道"), {"street": [N_("未知街道：%(street)s", street=street_name)]}, status=400)
    if allowed is not None and street.id not in allowed:
        raise DomainError(N_("该街道不在您的管辖范围"), {"street": [N_("不在管辖范围")]}, status=403)
    return {street.id}


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


# -- tracking -------------------------------------------------------------------------------------


def generate(
    as_of: date | None = None, days: int = 30, street_ids: set[int] | None = None, *, actor=None
) -> int:
    """Save the list for day `as_of` as tracked items: new (shop, cycle) pairs are added, open
    ones get the day's due date, reason and cell; closed ones and assignments are kept.

    Set-based: one INSERT … SELECT and one UPDATE … FROM over the list query (the few shops on the
    slow path go row by row). Returns the number of items on the list."""
    as_of = as_of or today()
    if not 0 <= days <= MAX_DAYS:
        raise DomainError(N_("天数超出范围"), {"days": [N_("应在 0–%(max)s 之间", max=MAX_DAYS)]}, status=400)
    close_stale_items()
    rules = grading.load_rules()
    listed = plan_query(as_of, days, street_ids, rules).order_by(None).subquery("listed")
    now = utcnow()
    added = db.session.execute(
        insert(PlanItem).from_select(
            [
                "shop_id",
                "cycle",
                "street_id",
                "due_on",
                "reason",
                "static_tier",
                "dynamic_grade",
                "generated_on",
                "status",
                "closed_note",
                "created_at",
            ],
            select(
                listed.c.shop_id,
                listed.c.cycle,
                listed.c.street_id,
                listed.c.due_on,
                listed.c.reason,
                listed.c.static_tier,
                listed.c.grade,
                literal(as_of, Date()),
                literal("open"),
                literal(""),
                literal(now, DateTime()),
            ).where(listed.c.id.is_(None)),
        )
    ).rowcount
    db.session.execute(
        update(PlanItem)
        .where(
            PlanItem.id == listed.c.id,
            PlanItem.status == "open",
            # only items whose day's values changed: regenerating writes what moved, not the list
            or_(
                PlanItem.due_on != listed.c.due_on,
                PlanItem.reason != listed.c.reason,
                PlanItem.static_tier != listed.c.static_tier,
                PlanItem.dynamic_grade != listed.c.grade,
            ),
        )
        .values(
            due_on=listed.c.due_on,
            reason=listed.c.reason,
            static_tier=listed.c.static_tier,
            dynamic_grade=listed.c.grade,
        )
        .execution_options(synchronize_session=False)
    )
    total = db.session.scalar(select(func.count()).select_from(listed))
    for item in _slow_path(as_of, days, street_ids, rules):
        total += 1
        values = {
            "due_on": item.due_on,
            "reason": item.reason,
            "static_tier": item.static_tier,
            "dynamic_grade": item.dynamic_grade,
        }
        if item.item_id is None:
            db.session.add(
                PlanItem(
                    shop_id=item.shop_id,
                    cycle=item.cycle,
                    street_id=item.street_id,
                    generated_on=as_of,
                    status="open",
                    **values,
                )
            )
            added += 1
        elif item.status == "open":
            db.session.execute(update(PlanItem).where(PlanItem.id == item.item_id).values(**values))
    db.session.flush()
    sync_tracking(street_ids=street_ids)
    audit.record(
        "plan.generate",
        InspectionPlan(as_of.isoformat()),
        actor=actor,
        after={
            "as_of": as_of,
            "days": days,
            "items": total,
            "new": added,
            "streets": sorted(street_ids) if street_ids is not None else "all",
        },
    )
    db.session.flush()
    return total


def street_pairs(street_id: int, exclude: set[int] = frozenset()) -> list[tuple[int, int | None]]:
    """Inspector pairs of a street: consecutive by id; an odd one out pairs with the first."""
    ids = [
        u
        for u in db.session.scalars(
            select(User.id)
            .join(user_streets, user_streets.c.user_id == User.id)
            .where(user_streets.c.street_id == street_id, User.role == "inspector", User.active.is_(True))
            .order_by(User.id)
        )
        if u not in exclude
    ]
    pairs = [(ids[k], ids[k + 1]) for k in range(0, len(ids) - 1, 2)]
    if len(ids) % 2 == 1:
        pairs.append((ids[-1], ids[0] if len(ids) > 1 else None))
    return pairs


def workload(user_ids) -> dict[int, int]:
    """Open items per inspector (as lead or co-inspector)."""
    load = dict.fromkeys(user_ids, 0)
    for col in (PlanItem.inspector_id, PlanItem.co_inspector_id):
        for uid, count in db.session.execute(
            select(col, func.count()).where(PlanItem.status == "open", col.in_(list(load))).group_by(col)
        ):
            load[uid] += count
    return load


def auto_assign(street_ids: set[int] | None, *, actor=None) -> int:
    """Assign every open, unassigned item in scope to an inspector pair of its street, in list
    order, always to the pair with the lightest open workload. Returns items assigned."""
    query = select(PlanItem).where(PlanItem.status == "open", PlanItem.inspector_id.is_(None))
    if street_ids is not None:
        query = query.where(PlanItem.street_id.in_(street_ids or {-1}))
    rules = grading.load_rules()
    ranks = cell_ranks(rules)
    on = today()
    items = sorted(
        db.session.scalars(query),
        key=lambda p: (
            0 if p.due_on < on else 1,
            ranks.get((p.static_tier, p.dynamic_grade), 99),
            p.due_on,
            p.id,
        ),
    )
    by_street: dict[int, list] = {}
    for item in items:
        by_street.setdefault(item.street_id, []).append(item)
    assigned = 0
    for street_id, street_items in by_street.items():
        pairs = street_pairs(street_id)
        if not pairs:
            continue
        load = workload({u for p in pairs for u in p if u})
        for item in street_items:
            pair = min(pairs, key=lambda p: (load[p[0]] + load.get(p[1], 0), pairs.index(p)))
            item.inspector_id, item.co_inspector_id, item.assigned_at = pair[0], pair[1], utcnow()
            for u in pair:
                if u:
                    load[u] += 1
            assigned += 1
    db.session.flush()
    if assigned:
        sync_tracking(street_ids=street_ids)
        audit.record(
            "plan.auto_assign", InspectionPlan(today().isoformat()), actor=actor, after={"assigned": assigned}
        )
    db.session.flush()
    return assigned


def assign(item: PlanItem, inspector_id: int, co_inspector_id: int | None, *, actor=None) -> PlanItem:
    """Manual (re)assignment to inspectors of the item's street. Raises DomainError naming the field."""
    errors: dict[str, list[str]] = {}
    if item.status != "open":
        raise DomainError(N_("该清单事项已关闭"), {"status": [N_("已关闭的事项不能再分派")]}, status=409)
    allowed = {u for p in street_pairs(item.street_id) for u in p if u}
    if inspector_id not in allowed:
        errors["inspector_id"] = [N_("须为该街道的执法人员")]
    if co_inspector_id is not None and (co_inspector_id not in allowed or co_inspector_id == inspector_id):
        errors["co_inspector_id"] = [N_("须为该街道的另一名执法人员")]
    if errors:
        raise DomainError(N_("分派有误"), errors)
    before = {"inspector_id": item.inspector_id, "co_inspector_id": item.co_inspector_id}
    item.inspector_id, item.co_inspector_id, item.assigned_at = inspector_id, co_inspector_id, utcnow()
    db.session.flush()
    sync_tracking([item.shop_id])
    audit.record(
        "plan.assign",
        item,
        actor=actor,
        before=before,
        after={"inspector_id": inspector_id, "co_inspector_id": co_inspector_id},
    )
    return item


def close_item(item: PlanItem, status: str, note: str = "", *, actor=None) -> PlanItem:
    """Close an item by hand: 查无此店 (not_found) or 已停业/注销 (closed_business)."""
    if status not in ("not_found", "closed_business"):
        raise DomainError(N_("关闭方式有误"), {"status": [N_("只能是 not_found 或 closed_business")]})
    if item.status != "open":
        raise DomainError(N_("该清单事项已关闭"), {"status": [N_("已关闭")]}, status=409)
    note = (note or "").strip()
    if len(note) > 300:
        raise DomainError(N_("说明过长"), {"note": [N_("不能超过300个字符")]})
    item.status, item.closed_on, item.closed_note = status, today(), note
    db.session.flush()
    sync_tracking([item.shop_id])
    audit.record(
        "plan.close", item, actor=actor, before={"status": "open"}, after={"status": status, "note": note}
    )
    return item


def progress(street_ids: set[int] | None, since: date) -> dict:
    """Items generated since `since`, by status, per street and per inspector."""
    base = select(PlanItem).where(PlanItem.generated_on >= since)
    if street_ids is not None:
        base = base.where(PlanItem.street_id.in_(street_ids or {-1}))
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


# -- exports --------------------------------------------------------------------------------------

HEADERS = [
    "序号",
    "商铺码",
    "店招名称",
    "地址",
    "街道",
    "应检日期",
    "原因",
    "静态层级",
    "动态等级",
    "逾期",
    "状态",
    "执法人员",
]


def _row(n: int, d: dict) -> list:
    people = d["assignment"] or {}
    return [
        n,
        d["shop_code"],
        d["sign_name"],
        d["address"],
        d["street"],
        d["due_on"],
        d["reason_label"],
        d["cell"]["static"],
        d["cell"]["dynamic"],
        "是" if d["overdue"] else "",
        d["status_label"],
        " / ".join(p for p in (people.get("inspector"), people.get("co_inspector")) if p),
    ]


def export(rows: list[dict], fmt: str, title: str) -> bytes:
    """The list as CSV (UTF-8 with BOM, opens in Chinese Excel), XLSX or PDF."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(HEADERS)
        writer.writerows(_row(n, d) for n, d in enumerate(rows, 1))
        return buffer.getvalue().encode("utf-8-sig")
    if fmt == "xlsx":
        return _xlsx(rows, title)
    if fmt == "pdf":
        return _pdf(rows, title)
    raise DomainError(N_("不支持的导出格式"), {"format": [N_("应为 csv、xlsx 或 pdf")]}, status=400)


def _xlsx(rows: list[dict], title: str) -> bytes:
    """Streamed (write-only): a district's list is tens of thousands of rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet("待检查清单")
    for col, width in zip("ABCDEFGHIJKL", (6, 14, 24, 36, 12, 12, 12, 8, 8, 6, 10, 18), strict=True):
        sheet.column_dimensions[col].width = width
    sheet.freeze_panes = "A3"
    sheet.append([title])
    bold = Font(bold=True)
    header = []
    for name in HEADERS:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for n, d in enumerate(rows, 1):
        sheet.append(_row(n, d))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _pdf(rows: list[dict], title: str) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle


    font = pdf_font()
    cell_style = ParagraphStyle("cell", fontName=font, fontSize=8, leading=10)
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=landscape(A4), leftMargin=24, rightMargin=24, topMargin=24, bottomMargin=24, title=title
    )
    data = [HEADERS] + [[Paragraph(str(v), cell_style) for v in _row(n, d)] for n, d in enumerate(rows, 1)]
    table = Table(data, repeatRows=1, colWidths=[28, 70, 110, 170, 60, 60, 60, 40, 40, 30, 50, 80])
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, 0), 8),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    heading = ParagraphStyle("h", fontName=font, fontSize=14, leading=18, spaceAfter=8)
    doc.build([Paragraph(title, heading), table])
    return out.getvalue()
