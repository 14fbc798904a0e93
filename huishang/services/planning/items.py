"""The 30-day list's tracked items (PlanItem): saving the list, assigning and closing items.

A `PlanItem` per shop and due cycle (the shop's last inspection date), created by `generate()`;
regenerating on another day finds the same item, so assignments and closures stay. Every write
refreshes the shop's copy of its tracking (`grading.sync_tracking`) and is audited.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, DateTime, func, insert, literal, or_, select, update

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import User, today, utcnow
from huishang.models.grading import PlanItem
from huishang.models.scope import within_streets
from huishang.models.users import user_streets
from huishang.services import DomainError, grading
from huishang.services.core import audit, notify
from huishang.services.grading import close_stale_items, sync_tracking

from .query import MAX_DAYS, _slow_path, cell_ranks, plan_query


class InspectionPlan:
    """The list as an audited object (it has no row of its own: its items are the rows)."""

    def __init__(self, key: str):
        self.id = key


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
    query = within_streets(query, street_ids, PlanItem.street_id)
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
    per_inspector: dict[int, int] = {}
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
                    per_inspector[u] = per_inspector.get(u, 0) + 1
            assigned += 1
    db.session.flush()
    for user_id, count in per_inspector.items():  # one notice per inspector, not one per visit
        _tell_inspector(user_id, N_("新分派 %(n)s 户待检查", n=count), N_("请在“今日检查”中查看，逾期的排在前面。"))
    if assigned:
        sync_tracking(street_ids=street_ids)
        audit.record(
            "plan.auto_assign", InspectionPlan(today().isoformat()), actor=actor, after={"assigned": assigned}
        )
    db.session.flush()
    return assigned


def _tell_inspector(user_id: int, title, body) -> None:
    """The inspector's notice of new visits (in-app, and by SMS / e-mail through the outbox)."""
    user = db.session.get(User, user_id)
    if user is not None and user.active:
        notify(user, "assignment", str(title), str(body), "/admin/plan?mine=1")


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
    for user_id in {inspector_id, co_inspector_id} - {before["inspector_id"], before["co_inspector_id"], None}:
        _tell_inspector(user_id, N_("新分派检查：%(shop)s", shop=item.shop.sign_name),
                        N_("应检日期 %(due)s", due=item.due_on.isoformat()))
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
