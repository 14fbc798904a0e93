"""Storing the grading: each shop's facts, events and derived columns (`refresh_shop` on the
`shop_changed` signal, `refresh_all` nightly and after a rules change), and `explain` for any day."""
from __future__ import annotations

from datetime import date

from sqlalchemy import delete, func, select, text, update

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import BusinessType, Shop, today, utcnow
from huishang.models.grading import GRADES, TIERS, GradeEvent, GradingRule, ShopGrading
from huishang.services import DomainError
from huishang.services.core import audit

from . import credit
from .facts import Event, Facts, Grading, History, build_facts, evaluate, interval_for, worse
from .history import load_histories
from .rules import clear_refresh_mark, load_rules, mark_refreshed, validate_rules
from .tracking import close_items_for, close_stale_items, sync_tracking


def explain(shop: Shop, as_of: date | None = None, rules: dict | None = None) -> Grading:
    """The grading of `shop` on `as_of` (default today) from its records as they stood then."""
    as_of = as_of or today()
    rules = rules or load_rules()
    history = load_histories([shop.id])[shop.id].upto(as_of)
    facts, events = build_facts(history, rules)
    return evaluate(facts, events, as_of, rules)




REFRESH_NOW_LIMIT = 50_000  # shops regraded at once after a rules change; a larger district waits for the night


def update_rules(data: dict, *, actor=None) -> dict:
    """Change rule values (regulators). Audited; raises DomainError naming each bad field.

    Every shop's stored facts depend on the rules: with up to REFRESH_NOW_LIMIT shops they are
    recomputed at once (batched, a few seconds); a larger district picks the change up at the
    nightly `flask plan refresh` (or run it by hand), so a web request never runs for minutes.
    Returns the rules in force with "_refreshed": bool.
    """
    clean, errors = validate_rules(data)
    if errors:
        raise DomainError(N_("规则设置有误"), errors)
    current = load_rules()
    changed = {k: v for k, v in clean.items() if current.get(k) != v}
    if not changed:
        return {**current, "_refreshed": False}
    for key, value in changed.items():
        row = db.session.get(GradingRule, key)
        if row is None:
            row = GradingRule(key=key, value=value)
            db.session.add(row)
        row.value = value
        row.updated_at = utcnow()
        row.updated_by_id = getattr(actor, "id", None)
        audit.record("grading.rule", row, actor=actor, before={key: current.get(key)}, after={key: value})
    db.session.flush()
    refreshed = db.session.scalar(select(func.count()).select_from(Shop)) <= REFRESH_NOW_LIMIT
    if refreshed:
        refresh_all()
    else:
        clear_refresh_mark()  # the stored columns follow the old rules until the nightly refresh
    return {**load_rules(), "_refreshed": refreshed}


# -- storing ------------------------------------------------------------------------------------


def cell_ranks(rules: dict) -> dict[tuple[str, str], int]:
    """List order of the nine cells: shorter interval first; at equal interval the higher tier."""
    cells = [(t, g) for t in TIERS for g in GRADES]
    cells.sort(key=lambda c: (interval_for(c[0], c[1], rules), TIERS.index(c[0])))
    return {cell: rank for rank, cell in enumerate(cells)}


def _grading_row(shop_id: int, facts: Facts, shop: tuple, ranks: dict) -> dict:
    """`shop`: (street_id, status, registered_on)."""
    worse_grade = worse(facts.base_grade)
    return {
        "shop_id": shop_id,
        "street_id": shop[0],
        "status": shop[1],
        "registered_on": shop[2],
        "static_tier": facts.static_tier,
        "base_grade": facts.base_grade,
        "worse_grade": worse_grade,
        "rank_base": ranks[(facts.static_tier, facts.base_grade)],
        "rank_worse": ranks[(facts.static_tier, worse_grade)],
        "last_full_on": facts.last_full_on,
        "last_inspected_on": facts.last_inspected_on,
        "cycle": facts.cycle,
        "routine_reason": facts.routine_reason,
        "routine_due_base": facts.routine_due_base,
        "routine_due_worse": facts.routine_due_worse,
        "floor_due": min(facts.routine_due_base, facts.routine_due_worse),
        "refreshed_at": utcnow(),
    }


def _event_rows(shop_id: int, events: list[Event]) -> list[dict]:
    return [
        {
            "shop_id": shop_id,
            "effect": e.effect,
            "kind": e.kind,
            "starts_on": e.starts_on,
            "ends_on": e.ends_on,
            "due_on": e.due_on,
            "ref_id": e.ref_id,
            "note": e.note[:200],
        }
        for e in events
    ]


# The shop columns a refresh derives (in this order), compared before writing.
DERIVED_NAMES = (
    "static_tier",
    "dynamic_grade",
    "next_due_on",
    "due_reason",
    "credit_class",
    "plan_rank",
    "plan_cycle",
)
DERIVED_COLUMNS = tuple(getattr(Shop, name) for name in DERIVED_NAMES)
UNRANKED = 99  # a cell the rules do not rank (never with the nine cells complete)
CLASS = DERIVED_NAMES.index("credit_class")


def _plan_rank(result: Grading, ranks: dict) -> int:
    """The list order of the shop's cell (`cell_ranks`), stored as shops.plan_rank."""
    return ranks.get((result.static_tier, result.dynamic_grade), UNRANKED)


def _derive(history, on: date, rules: dict, ranks: dict, klass: str | None,
            unresponsive: bool = False, status: str = "open") -> tuple[Facts, list[Event], tuple]:
    """A shop's facts, events and derived column values (DERIVED_NAMES order) on `on`; `klass`
    None: the shop's own credit class (a chain's is the entity's, passed in)."""
    facts, events = build_facts(history, rules)
    result = evaluate(facts, events, on, rules)
    if klass is None:
        klass = credit.classify(history, on, unresponsive, status).credit_class
    return facts, events, (result.static_tier, result.dynamic_grade, result.due_on, result.reason, klass,
                           _plan_rank(result, ranks), facts.cycle)


def _no_records(history: History) -> bool:
    return not (history.inspections or history.rectifications or history.complaints or history.penalties)


def prepare_new(rows: list[dict]) -> None:
    """Derived columns for shops about to be written in bulk, which have no records yet (the
    `shops_importing` receiver): each row gets them in place, so the shops go in graded once and
    the refresh after the import finds nothing to rewrite. Shops with the same business type,
    registration day and status grade alike, so each such group is evaluated once."""
    if not rows:
        return
    rules, on = load_rules(), today()
    ranks = cell_ranks(rules)
    risks = dict(db.session.execute(select(BusinessType.id, BusinessType.static_risk)).all())
    done: dict[tuple, dict] = {}
    for row in rows:
        key = (risks.get(row["business_type_id"]), row.get("registered_on") or on,
               bool(row.get("unresponsive")), row.get("status") or "open")
        values = done.get(key)
        if values is None:
            _facts, _events, derived = _derive(History(key[0], key[1]), on, rules, ranks, None, key[2], key[3])
            values = done[key] = dict(zip(DERIVED_NAMES, derived, strict=True))
        row.update(values)


def refresh_shop(shop: Shop) -> Grading:
    """Recompute one shop's stored facts and its derived columns for today. The
    `shop_changed` receiver; flushes."""
    db.session.flush()
    # Serialise concurrent refreshes of one shop (two inspections at once would otherwise both
    # insert its ShopGrading row). PostgreSQL row lock; SQLite writers are serialised anyway.
    # FOR NO KEY UPDATE, not FOR UPDATE: the inspection's own rows hold a KEY SHARE lock on the shop
    # (their foreign key), and two submits upgrading to FOR UPDATE deadlocked (35 of 36 concurrent
    # inspections of one shop answered 503 before; tests/jobs/test_fast_writes.py).
    db.session.execute(select(Shop.id).where(Shop.id == shop.id).with_for_update(key_share=True))
    rules = load_rules()
    ranks = cell_ranks(rules)
    history = load_histories([shop.id])[shop.id]
    facts, events = build_facts(history, rules)
    row = _grading_row(shop.id, facts, (shop.street_id, shop.status, shop.registered_on or today()), ranks)
    stored = db.session.get(ShopGrading, shop.id)  # update in place: no identity-map clash
    if stored is None:
        db.session.add(ShopGrading(**row))
    else:
        for key, value in row.items():
            setattr(stored, key, value)
    # Core statements for the events: they are never loaded as objects.
    db.session.execute(delete(GradeEvent).where(GradeEvent.shop_id == shop.id))
    event_rows = _event_rows(shop.id, events)
    if event_rows:
        db.session.execute(GradeEvent.__table__.insert(), event_rows)
    result = evaluate(facts, events, today(), rules)
    shop.static_tier, shop.dynamic_grade = result.static_tier, result.dynamic_grade
    shop.next_due_on, shop.due_reason = result.due_on, result.reason
    shop.plan_rank, shop.plan_cycle = _plan_rank(result, ranks), facts.cycle
    if db.session.scalar(select(func.count()).where(Shop.entity_id == shop.entity_id)) > 1:
        credit.sync_entity(shop.entity_id)  # a chain: one class for every branch
    else:
        shop.credit_class = credit.classify(history, today(), shop.unresponsive, shop.status).credit_class
    close_items_for(shop.id, facts.cycle, shop.status, facts.last_inspected_on)
    db.session.flush()
    sync_tracking([shop.id])
    return result


def refresh_all(
    batch_size: int = 2000, street_id: int | None = None, shop_ids: list[int] | None = None
) -> int:
    """Recompute every shop's facts, events and derived columns (nightly, and after a rules
    change): batched bulk loads and bulk writes, not a query per shop. Returns shops refreshed.
    `shop_ids` limits it to those shops (the registry import's hook for new shops)."""
    rules = load_rules()
    ranks = cell_ranks(rules)
    on = today()
    query = select(Shop.id).order_by(Shop.id)
    if street_id is not None:
        query = query.where(Shop.street_id == street_id)
    ids = sorted(set(shop_ids)) if shop_ids is not None else list(db.session.scalars(query))
    # The whole district goes by id ranges (range scans); a subset (one street, an import) by id,
    # unless it is one contiguous block of ids, as a bulk import's new shops usually are.
    contiguous = shop_ids is not None and bool(ids) and ids[-1] - ids[0] + 1 == len(ids)
    every = street_id is None and (shop_ids is None or contiguous)
    # Market entities with several shops: their class is the entity's, written after the batches.
    chains = set(db.session.scalars(select(Shop.entity_id).group_by(Shop.entity_id).having(func.count() > 1)))
    touched: set[int] = set()
    # A subset (an import) keeps its chain shops' records, so an entity whose shops are all in the
    # subset is classed from them without loading them again (the nightly run reloads by entity).
    members: dict[int, list[credit.Member]] | None = {} if shop_ids is not None else None
    stored_classes: dict[int, set[str]] = {}  # entity → the classes its shops store now
    alike: dict[tuple, tuple] = {}  # shops with no records grade alike by (risk, registered, flags)
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        lo, hi = chunk[0], chunk[-1]

        def which(column, chunk=chunk, lo=lo, hi=hi):
            return column.between(lo, hi) if every else column.in_(chunk)

        histories = load_histories(id_range=(lo, hi)) if every else load_histories(chunk)
        flags, places, stored = {}, {}, {}
        in_chain = {}
        for sid, entity_id, unresponsive, status, street, registered_on, name, code, *derived in db.session.execute(
            select(
                Shop.id, Shop.entity_id, Shop.unresponsive, Shop.status, Shop.street_id, Shop.registered_on,
                Shop.sign_name, Shop.code, *DERIVED_COLUMNS
            ).where(which(Shop.id))
        ):
            flags[sid], places[sid] = (unresponsive, status), (street, status, registered_on or on)
            stored[sid] = tuple(derived)
            if entity_id in chains:
                in_chain[sid] = entity_id
                touched.add(entity_id)
                if members is not None:
                    members.setdefault(entity_id, []).append(
                        credit.Member(f"{name}（{code}）", histories[sid], bool(unresponsive), status))
                    stored_classes.setdefault(entity_id, set()).add(derived[CLASS])
        gradings, events_rows, shop_rows = [], [], []
        for sid in chunk:
            history = histories[sid]
            klass = stored[sid][CLASS] if sid in in_chain else None
            if _no_records(history):
                key = (history.static_risk, history.registered_on, *flags[sid], klass)
                if key not in alike:
                    alike[key] = _derive(history, on, rules, ranks, klass, *flags[sid])
                facts, events, derived = alike[key]
            else:
                facts, events, derived = _derive(history, on, rules, ranks, klass, *flags[sid])
            gradings.append(_grading_row(sid, facts, places[sid], ranks))
            events_rows.extend(_event_rows(sid, events))
            # Only rows whose values changed are written: a night where little changed leaves
            # the rest of the table (and the list's covering index) as it was.
            if derived != stored[sid]:
                shop_rows.append({"id": sid, **dict(zip(DERIVED_NAMES, derived, strict=True))})
        db.session.execute(delete(GradeEvent).where(which(GradeEvent.shop_id)))
        db.session.execute(delete(ShopGrading).where(which(ShopGrading.shop_id)))
        _insert_rows(ShopGrading.__table__, gradings)
        _insert_rows(GradeEvent.__table__, events_rows)
        _update_shops(shop_rows)
    if members is not None and touched:
        elsewhere = _with_shops_outside(sorted(touched), ids, contiguous)
        classes = _classify_members({e: ms for e, ms in members.items() if e not in elsewhere}, on)
        _write_classes({eid: klass for eid, klass in classes.items() if stored_classes[eid] != {klass}})
        touched = elsewhere
    _sync_chains(sorted(touched), on)
    close_stale_items()
    if street_id is not None:
        sync_tracking(street_ids={street_id})
    elif shop_ids is None:
        sync_tracking()
    elif contiguous:
        sync_tracking(id_range=(ids[0], ids[-1]))
    else:
        for start in range(0, len(ids), batch_size):
            sync_tracking(ids[start : start + batch_size])
    if street_id is None and shop_ids is None:
        mark_refreshed(on)  # every shop now describes today
    db.session.flush()
    return len(ids)


def _copy(connection, table: str, columns: list[str], rows: list[dict]) -> None:
    with connection.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])


def _insert_rows(table, rows: list[dict]) -> None:
    """INSERT these rows (same keys); on PostgreSQL with COPY, which is several times faster
    than a 2,000-statement executemany."""
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        db.session.execute(table.insert(), rows)
        return
    _copy(connection, table.name, list(rows[0]), rows)


def _update_shops(rows: list[dict]) -> None:
    """UPDATE shops SET the derived columns (and `updated_at`, as the ORM's onupdate does) by id.
    On PostgreSQL: the rows go by COPY into a temporary table and one UPDATE ... FROM writes
    them all (set-based, instead of one UPDATE statement per shop)."""
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        db.session.execute(update(Shop), rows)
        return
    columns = ["id", *DERIVED_NAMES]
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE grading_shop_rows ON COMMIT DROP AS SELECT {', '.join(columns)} "  # noqa: S608 (constant names)
        "FROM shops WITH NO DATA"
    )
    _copy(connection, "grading_shop_rows", columns, rows)
    assignments = ", ".join(f"{name} = r.{name}" for name in DERIVED_NAMES)
    connection.execute(
        text(f"UPDATE shops SET {assignments}, updated_at = :now "  # noqa: S608 (constant column names)
             "FROM grading_shop_rows r WHERE shops.id = r.id"),
        {"now": utcnow()},
    )
    connection.exec_driver_sql("DROP TABLE grading_shop_rows")


def _sync_chains(entity_ids: list[int], on: date, batch_size: int = 500) -> None:
    """The class of each market entity with several shops, written to every one of its shops
    (grading.credit: the class is the entity's) — batched, only the rows that change."""
    for start in range(0, len(entity_ids), batch_size):
        chunk = entity_ids[start : start + batch_size]
        rows = db.session.execute(
            select(Shop.id, Shop.entity_id, Shop.sign_name, Shop.code, Shop.unresponsive, Shop.status,
                   Shop.credit_class).where(Shop.entity_id.in_(chunk)).order_by(Shop.id)
        ).all()
        histories = load_histories([r[0] for r in rows])
        members: dict[int, list] = {}
        for sid, eid, name, code, unresponsive, status, _klass in rows:
            members.setdefault(eid, []).append(
                credit.Member(f"{name}（{code}）", histories[sid], bool(unresponsive), status))
        classes = {eid: credit.classify_entity(ms, on).credit_class for eid, ms in members.items()}
        _write_classes(classes)


def _classify_members(members: dict[int, list[credit.Member]], on: date) -> dict[int, str]:
    """Each entity's class from its members' records. Entities whose shops have no records (a
    new chain) are classed by their shops' flags alone, once per combination."""
    alike: dict[tuple, str] = {}
    out = {}
    for eid, ms in members.items():
        if all(_no_records(m.history) for m in ms):
            key = tuple(sorted((m.unresponsive, m.status) for m in ms)) + (len(ms) == 1,)
            if key not in alike:
                alike[key] = credit.classify_entity(ms, on).credit_class
            klass = alike[key]
        else:
            klass = credit.classify_entity(ms, on).credit_class
        out[eid] = klass
    return out


def _with_shops_outside(entity_ids: list[int], ids: list[int], contiguous: bool) -> set[int]:
    """Those of `entity_ids` with a shop whose id is not in `ids` (their class needs its records)."""
    if contiguous:  # one semi-join: the entities of the block's shops that have a shop outside it
        block = Shop.id.between(ids[0], ids[-1])
        return set(db.session.scalars(select(Shop.entity_id).distinct().where(
            ~block, Shop.entity_id.in_(select(Shop.entity_id).where(block)))))
    out: set[int] = set()
    inside = set(ids)
    for start in range(0, len(entity_ids), 2000):
        part = Shop.entity_id.in_(entity_ids[start : start + 2000])
        out.update(eid for eid, sid in db.session.execute(select(Shop.entity_id, Shop.id).where(part))
                   if sid not in inside)
    return out & set(entity_ids)


def _write_classes(classes: dict[int, str]) -> None:
    """Write each entity's class to those of its shops whose copy differs (set-based per class)."""
    by_class: dict[str, list[int]] = {}
    for eid, klass in classes.items():
        by_class.setdefault(klass, []).append(eid)
    for klass, eids in by_class.items():
        for start in range(0, len(eids), 2000):
            db.session.execute(
                update(Shop)
                .where(Shop.entity_id.in_(eids[start : start + 2000]), Shop.credit_class.is_distinct_from(klass))
                .values(credit_class=klass)
                .execution_options(synchronize_session=False)
            )


def refresh_imported(shop_ids: list[int]) -> None:
    """Set-based refresh of shops an import has just written (the `shops_imported` receiver), in
    batches of 10,000: an import's shops are mostly a block of new ids with few records."""
    refresh_all(batch_size=10_000, shop_ids=shop_ids)
