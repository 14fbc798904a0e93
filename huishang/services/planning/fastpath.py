"""The fast path of the 30-day list: the list for today, read from the shop columns.

Once today's full refresh has run (`grading.refreshed_on()`), the list for today is read from
the Shop columns every write maintains (`fast_plan_query`), group by group in the order of one
covering index; it gives the same items as the general query (`query.plan_query`). Each shop
carries a copy of its current cycle's tracking (`grading.sync_tracking`, after every write to
plan items or to the cycle), which the fast path reads instead of joining.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import psycopg
from sqlalchemy import case, func, literal_column, select

from huishang.models import Shop, today
from huishang.models.scope import street_criteria
from huishang.services import grading

from .query import Item, cell_ranks, sort_order

OPEN = literal_column("'open'")  # inline, not a parameter: the partial indexes then serve every plan


def _fast_where(as_of: date, days: int, street_ids: set[int] | None, part: str | None = None) -> list:
    """Open shops due by the horizon; `part` "overdue" (due before `as_of`) or "due" (the rest)."""
    horizon = as_of + timedelta(days=days)
    where = [Shop.status == OPEN, Shop.next_due_on <= horizon, Shop.registered_on <= as_of]
    if part == "overdue":
        where.append(Shop.next_due_on < as_of)
    elif part == "due":
        where.append(Shop.next_due_on >= as_of)
    return where + street_criteria(street_ids, Shop.street_id)


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


# Rows per chunk when a whole list is streamed (`_streamed_items`): small enough that the database
# sends the next chunks while Python makes items of this one, large enough that the chunks cost
# little (a district's list at 1,000,000 shops: 250 to 2,000 rows did about as well, 20,000 lost
# most of the overlap).
STREAM_CHUNK = 1000


def _driver_cursor(connection):
    """A cursor of the psycopg connection under `connection`, making an `Item` of every row (its
    loaders already give ints, strings and dates): for a district's list, building SQLAlchemy rows
    costs more than the index scan."""
    cursor = connection.connection.dbapi_connection.cursor()
    cursor.row_factory = lambda _cursor: Item._make
    return cursor


def _compiled(connection, query) -> tuple[str, dict]:
    compiled = query.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    return str(compiled), compiled.params


def _items(connection, query) -> list[Item]:
    """All rows of `query` as items. On PostgreSQL straight from the driver (`_driver_cursor`);
    elsewhere (SQLite stores dates as text) through SQLAlchemy, whose result processors turn them
    into dates."""
    if connection.dialect.name != "postgresql":
        return [Item._make(row) for row in connection.execute(query)]
    cursor = _driver_cursor(connection)
    try:
        cursor.execute(*_compiled(connection, query))
        return cursor.fetchall()
    finally:
        cursor.close()


def _streamed_items(connection, query) -> Iterator[Item]:
    """The rows of `query` as items, as `_items` gives them; on PostgreSQL in chunks of
    STREAM_CHUNK rows (libpq 17 or later), so that the database reads and sends the rest while
    Python makes items of what arrived. Fetched whole, the wait for the result and the making of
    its items came one after the other, each about half of the time of a district's list."""
    if connection.dialect.name != "postgresql" or not psycopg.capabilities.has_stream_chunked():
        yield from _items(connection, query)
        return
    cursor = _driver_cursor(connection)
    try:
        yield from cursor.stream(*_compiled(connection, query), size=STREAM_CHUNK)
    finally:
        cursor.close()


@contextmanager
def _bulk_objects():
    """Hundreds of thousands of small objects at once (items of ints, strings and dates, with no
    reference cycles among them): the cyclic garbage collector would otherwise walk the growing
    heap again and again while they are made, and once more, all of them, at its first young
    collection after (0.08 s for a district's list). So it is off while they are made, and they
    leave as the oldest generation (`gc.freeze` then `gc.unfreeze`), which only a full collection
    walks — with whatever else was young then, collected there instead."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def fast_plan_items(connection, as_of: date, days: int, street_ids: set[int] | None, rules: dict) -> list[Item]:
    """The whole list for today (fast path): its groups read one after another, each an index
    range already in list order and streamed (`_streamed_items`) — the database neither sorts nor
    joins, and it sends while Python makes the items."""
    items = []
    with _bulk_objects():
        for part, rank in _groups(rules):
            items.extend(_streamed_items(connection, fast_plan_query(as_of, days, street_ids, part, rank)))
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
        rows += _items(connection, query)
        skip = 0
    return rows, total


def fast_sorted_page(
    connection, as_of: date, days: int, street_ids: set[int] | None, limit: int, offset: int,
    sort: str | None, descending: bool,
) -> tuple[list[Item], int]:
    """One page of the list for today (fast path) sorted by another column (`query.sort_order`):
    one count and one ordered, limited SELECT over the same shop columns."""
    total = connection.execute(
        select(func.count()).select_from(Shop).where(*_fast_where(as_of, days, street_ids))).scalar()
    if offset >= total:
        return [], total
    priority = [case((Shop.next_due_on < as_of, 0), else_=1), Shop.plan_rank, Shop.next_due_on, Shop.id]
    order = sort_order(sort, descending, priority, due=Shop.next_due_on, name=Shop.sign_name,
                       street_id=Shop.street_id, status=Shop.plan_status)
    query = fast_plan_query(as_of, days, street_ids).order_by(None).order_by(*order).limit(limit).offset(offset)
    return _items(connection, query), total


def fast_path_applies(as_of: date, stale: set[int]) -> bool:
    """The stored shop columns describe `as_of` exactly when it is today, the last full refresh
    (`flask plan refresh`) ran today — every write since re-evaluated its shop for today — and
    no shop lacks stored facts. Worsenings and triggers expire with time, so values computed on
    an earlier day are not trusted: the general query evaluates the windows for `as_of`."""
    return not stale and as_of == today() and grading.refreshed_on() == as_of
