"""The 30-day list as the pages, the API and the commands read it: `plan_page` takes the fast
path when it applies and the general query (merged with the slow path) otherwise, then filters
and pages; `scope_street_ids` says which streets the list covers for a user.
"""

from __future__ import annotations

import heapq
from datetime import date

from sqlalchemy import func, select, text

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import Street, today
from huishang.services import DomainError, grading

from .fastpath import fast_path_applies, fast_plan_items, fast_plan_page, fast_sorted_page
from .query import MAX_DAYS, SORT_KEYS, Item, _slow_path, cell_ranks, plan_query, stale_ids


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
    sort: str | None = None,
    descending: bool = False,
) -> tuple[list[Item], int]:
    """(items, total): one page of the list (all of it when `limit` is None) and its length.

    A page is read from the database alone: the groups it falls in on the fast path, a top-N of
    the ordered query otherwise. The list for today after today's refresh reads the maintained
    shop columns (`fast_plan_query`); `fast=False` forces the general query (tests compare the
    two). `status` (a tracking status; no item yet counts as open) and `assignee_id` (lead or
    co-inspector) filter the whole list before it is paged. `sort` (one of SORT_KEYS; unknown keys
    are ignored) and `descending` order the list by another column, in SQL on both paths, the list
    order breaking ties (the desk's table headers)."""
    sort = sort if sort in SORT_KEYS and sort != "priority" else None
    ordered = sort is not None or descending
    if status is not None or assignee_id is not None:
        items, _ = plan_page(as_of, days, street_ids, rules, fast=fast, sort=sort, descending=descending)
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
        if ordered:
            if limit is None:
                limit, offset = 10**9, 0
            items, total = fast_sorted_page(connection, as_of, days, street_ids, limit, offset, sort, descending)
            return items, total
        if limit is None:
            items = fast_plan_items(connection, as_of, days, street_ids, rules)
            return items, len(items)
        return fast_plan_page(connection, as_of, days, street_ids, rules, limit, offset)
    slow = _slow_path(as_of, days, street_ids, rules, stale)
    query = plan_query(as_of, days, street_ids, rules, sort, descending)
    # Core rows, not ORM entities: a district's list is hundreds of thousands of rows.
    if limit is not None and not slow:
        total = connection.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar()
        if offset >= total:  # past the end (also an offset the database could not take)
            return [], total
        page = [Item._make(row) for row in connection.execute(query.limit(limit).offset(offset))]
        return page, total
    items = [Item._make(row) for row in connection.execute(query)]
    if slow and ordered:  # a few stale shops: merged into the sorted list the way SQL sorted it
        ranks = cell_ranks(rules)
        items = sorted(items + slow, key=lambda i: i.sort_key(as_of, ranks), reverse=sort is None)
        if sort is not None:
            streets = dict(db.session.execute(select(Street.id, Street.position)).all())
            items.sort(key=lambda i: i.column_key(sort, streets), reverse=descending)
    elif slow:
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
