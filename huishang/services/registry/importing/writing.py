"""The import's second phase: writing a valid `ImportPlan` (flush only; the caller commits).

New shops go in bulk (codes minted beforehand; COPY on PostgreSQL, chunked INSERT ... RETURNING
elsewhere), changed shops through `registry.update_shop` (one `shop.update` audit event each). The
complexes the file names and the registry does not know are created first
(`complexes.create_complex`, one `complex.create` event each, naming the file), in the street of the
first row naming them.

Audit: new shops are written in bulk, so they do not get one `shop.register` event each (a per-shop
event doubles the time of a 100,000-row import). Instead ONE `shop.import` event per import names
the file and the counts, and every new shop's `created_at` ties it to that event.

Derived columns (grading, next due date) of new shops: before each batch is written the import sends
`shops_importing` with its rows, and grading adds the columns to them (a new shop has no records, so
it is graded without reading any); after, `shops_imported` with the new ids, and grading stores
their facts set-based (and classes the market entities they joined)."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import insert, select, text

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import BusinessType, Entity, Licence, PlateCode, Shop, today, utcnow
from huishang.services import DomainError
from huishang.services.core import audit
from huishang.signals import shops_imported, shops_importing

from .. import codes, complexes
from .. import shops as registry
from .plan import BIG, CHUNK, ImportPlan, Row

CANTEEN_KINDS = {"group_meal.school_canteen": "school", "group_meal.elderly_canteen": "elderly",
                 "group_meal.hospital_canteen": "hospital", "group_meal.company_canteen": "company"}


class ShopImport:
    """The object a `shop.import` audit event is about: one file."""

    def __init__(self, filename: str):
        self.id = Path(filename).name[:40]


def apply_import(plan: ImportPlan, *, actor=None, progress: Callable[[int], None] | None = None) -> None:
    """Write a valid plan (flush only; the caller commits). Raises DomainError if it has errors."""
    if not plan.ok:
        raise DomainError(N_("导入文件有误，未导入任何数据"), {"file": [e.text for e in plan.errors[:50]]})
    created_complexes = create_planned_complexes(plan, actor)
    lookups = registry.Lookups.load()
    new_ids = insert_new_shops(plan, progress)
    shops = {s.id: s for s in db.session.scalars(
        select(Shop).where(Shop.id.in_([r.shop_id for r in plan.updated])))} if plan.updated else {}
    for row in plan.updated:
        registry.update_shop(shops[row.shop_id], row.changes, actor=actor, lookups=lookups)
        if progress:
            progress(1)
    audit.record("shop.import", ShopImport(plan.filename), actor=actor,
                 after={"file": plan.filename, "rows": len(plan.rows), "created": len(plan.created),
                        "updated": len(plan.updated), "unchanged": plan.unchanged,
                        "complexes": created_complexes})
    db.session.flush()
    plan.applied = True
    refresh_derived(new_ids)


def create_planned_complexes(plan: ImportPlan, actor=None) -> list[str]:
    """Create the complexes the plan found new (one `complex.create` audit event each, naming the
    file) and point the rows naming them at the new ids. Returns their names."""
    real: dict[int, int] = {}
    for planned in plan.new_complexes:
        cx = complexes.create_complex({"name": planned.name, "street": str(planned.street_id)},
                                      actor=actor, source=plan.filename)
        real[planned.id] = cx.id
    if real:
        for row in plan.rows:
            if row.clean.get("complex_id") in real:
                row.clean["complex_id"] = real[row.clean["complex_id"]]
    return [c.name for c in plan.new_complexes]


def insert_new_shops(plan: ImportPlan, progress=None) -> list[int]:
    if not plan.created:
        return []
    now, registered_default = utcnow(), today()
    entity_ids = insert_entities(plan.created, now)
    types = {bt.id: bt for bt in db.session.scalars(select(BusinessType))}
    taken = set(db.session.scalars(select(PlateCode.code))) | set(db.session.scalars(select(Shop.code)))
    taken |= {r.clean["code"] for r in plan.created if r.clean.get("code")}
    new_ids: list[int] = []
    for start in range(0, len(plan.created), CHUNK * 5):
        chunk = plan.created[start:start + CHUNK * 5]
        values = []
        for row in chunk:
            if not row.clean.get("code"):
                row.clean["code"] = mint_unused(taken)
            values.append(shop_values(row.clean, entity_ids[row.clean["uscc"]],
                                      types[row.clean["business_type_id"]], now, registered_default))
        shops_importing.send(values)  # derived columns (grading) go in with the rows
        ids = bulk_insert(Shop, values, want_ids=True)
        plates, licences = [], []
        for row, shop_id in zip(chunk, ids, strict=True):
            row.shop_id = shop_id
            plates.append({"code": row.clean["code"], "shop_id": shop_id, "issued_at": now})
            if row.clean.get("licence_no"):
                licences.append({"shop_id": shop_id, "number": row.clean["licence_no"],
                                 "kind": "food_business" if types[row.clean["business_type_id"]].is_food
                                 else "business", "expires_on": row.clean.get("licence_expires"),
                                 "created_at": now, "updated_at": now})
        new_ids.extend(ids)
        bulk_insert(PlateCode, plates)
        bulk_insert(Licence, licences)
        if progress:
            progress(len(chunk))
    return new_ids


def insert_entities(rows: list[Row], now) -> dict[str, int]:
    wanted = {}
    for row in rows:
        wanted.setdefault(row.clean["uscc"], (row.clean["entity_name"], row.clean.get("legal_rep", "")))
    ids: dict[str, int] = {}
    keys = list(wanted)
    if len(keys) > BIG:  # one scan of the table beats dozens of 2,000-element IN lists
        ids.update((k, v) for k, v in db.session.execute(select(Entity.uscc, Entity.id)) if k in wanted)
    else:
        for start in range(0, len(keys), CHUNK):
            part = keys[start:start + CHUNK]
            ids.update(db.session.execute(select(Entity.uscc, Entity.id).where(Entity.uscc.in_(part))).all())
    missing = [{"uscc": k, "name": wanted[k][0], "legal_rep": wanted[k][1], "created_at": now,
                "updated_at": now} for k in keys if k not in ids]
    ids.update(zip([m["uscc"] for m in missing], bulk_insert(Entity, missing, want_ids=True), strict=True))
    return ids


def bulk_insert(model, rows: list[dict], *, want_ids: bool = False) -> list[int]:
    """Insert rows (dicts with the same keys) in the session's transaction; returns their new
    ids in row order when `want_ids`. PostgreSQL: ids drawn from the table's sequence, rows sent
    with COPY (several times faster than multi-row INSERT). Elsewhere: chunked INSERT ... RETURNING."""
    if not rows:
        return []
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        return _copy_rows(connection, model.__table__.name, rows, want_ids)
    ids: list[int] = []
    for start in range(0, len(rows), CHUNK):
        part = rows[start:start + CHUNK]
        if want_ids:
            statement = insert(model).returning(model.id, sort_by_parameter_order=True)
            ids.extend(db.session.scalars(statement, part))
        else:
            db.session.execute(insert(model), part)
    return ids


def _copy_rows(connection, table: str, rows: list[dict], want_ids: bool) -> list[int]:
    ids: list[int] = []
    if want_ids:
        sequence = connection.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table}).scalar()
        ids = list(connection.execute(text("SELECT nextval(:s) FROM generate_series(1, :n)"),
                                      {"s": sequence, "n": len(rows)}).scalars())
        for row, new_id in zip(rows, ids, strict=True):
            row["id"] = new_id
    columns = list(rows[0])
    with connection.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])
    return ids


def mint_unused(taken: set[str]) -> str:
    while True:
        code = codes.mint()
        if code not in taken:
            taken.add(code)
            return code


def shop_values(clean: dict, entity_id: int, bt: BusinessType, now, registered_default) -> dict:
    """A full row for the bulk insert (every row has the same keys, so it goes as one batch)."""
    return {
        "code": clean["code"], "entity_id": entity_id, "sign_name": clean["sign_name"],
        "address": clean["address"], "street_id": clean["street_id"],
        "complex_id": clean.get("complex_id"), "business_type_id": bt.id,
        "lat": clean.get("lat"), "lng": clean.get("lng"), "status": clean.get("status") or "open",
        "contact": clean.get("contact", ""), "phone": clean.get("phone", ""),
        "opening_hours": clean.get("opening_hours", ""),
        "registered_on": clean.get("registered_on") or registered_default,
        "closed_on": registered_default if clean.get("status") == "closed" else None,
        "cold_chain": bool(clean.get("cold_chain")), "canteen_kind": CANTEEN_KINDS.get(bt.code),
        "serves_breakfast": bool(clean.get("serves_breakfast")), "breakfast_offer": "",
        "breakfast_hours": "", "rating_count": 0, "rating_sum": 0, "unresponsive": False,
        "plate_version": 1, "created_at": now, "updated_at": now,
    }


def refresh_derived(new_ids: list[int]) -> None:
    """Tell the features that keep derived columns about the new shops (`shops_imported`)."""
    if new_ids:
        shops_imported.send(new_ids)
