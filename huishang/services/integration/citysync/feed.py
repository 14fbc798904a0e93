"""The changes feed the city's systems pull: registry, licence and inspection changes after a
moment or a cursor, oldest first, as the city sees them (no contacts, phones, notes or credit
class)."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from sqlalchemy import and_, select, tuple_

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import BusinessType, Entity, Inspection, Licence, Rectification, Shop, Street
from huishang.services import DomainError

from ..opendata import utc_iso

MAX_ID = 2**31 - 1  # above any INTEGER id: "since T" means strictly after T


def encode_cursor(position: dict) -> str:
    raw = json.dumps(position, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


STREAMS = ("s", "l", "i")  # shops by updated_at, licences by updated_at, inspections by created_at


def decode_cursor(cursor: str) -> dict:
    """Raises DomainError (400) naming `cursor` when it was not issued by us."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return {kind: (datetime.fromisoformat(data[kind][0]), int(data[kind][1])) for kind in STREAMS}
    except (ValueError, KeyError, TypeError, IndexError, binascii.Error, json.JSONDecodeError):
        raise DomainError(N_("无效的游标 (invalid cursor)"), {"cursor": [N_("无效的游标")]}, status=400) from None


def _after(column, id_column, position):
    """Keyset condition (column, id) > position. The plain `column >= moment` term lets the
    database range-scan the (column, id) index whichever way it plans the row comparison."""
    moment, last_id = position
    return and_(column >= moment, tuple_(column, id_column) > tuple_(moment, last_id))


SHOP_FEED_COLUMNS = (
    Shop.id,
    Shop.code,
    Entity.uscc,
    Entity.name.label("entity_name"),
    Shop.sign_name,
    Shop.address,
    Street.name.label("street"),
    BusinessType.code.label("business_type"),
    Shop.status,
    Shop.lat,
    Shop.lng,
    Shop.registered_on,
    Shop.closed_on,
    Shop.latest_outcome,
    Shop.latest_inspected_on,
    Shop.updated_at,
)
INSPECTION_FEED_COLUMNS = (
    Inspection.id,
    Inspection.external_id,
    Shop.code.label("shop_code"),
    Inspection.inspected_on,
    Inspection.outcome,
    Inspection.full,
    Inspection.source,
    Inspection.created_at,
    Rectification.deadline,
    Rectification.closed_on,
)


def shop_change(row, licences: list) -> dict:
    """The registry record for the city's systems (no contacts, phones or credit class)."""
    return {
        "code": row.code,
        "uscc": row.uscc,
        "entity_name": row.entity_name,
        "sign_name": row.sign_name,
        "address": row.address,
        "street": row.street,
        "business_type": row.business_type,
        "status": row.status,
        "lat": row.lat,
        "lng": row.lng,
        "registered_on": _iso(row.registered_on),
        "closed_on": _iso(row.closed_on),
        "latest_outcome": row.latest_outcome,
        "latest_inspected_on": _iso(row.latest_inspected_on),
        "licences": licences,
    }


def _inspection_payload(
    inspection_id, external_id, shop_code, inspected_on, outcome, full, source, deadline, rectified_on
) -> dict:
    return {
        "id": inspection_id,
        "external_id": external_id,
        "shop_code": shop_code,
        "inspected_on": _iso(inspected_on),
        "outcome": outcome,
        "full": bool(full),
        "source": source,
        "rectification_deadline": _iso(deadline),
        "rectified_on": _iso(rectified_on),
    }


def inspection_change(inspection: Inspection, shop_code: str) -> dict:
    """An inspection as the city's systems see it (no notes, no inspectors)."""
    rect = inspection.rectification
    return _inspection_payload(
        inspection.id,
        inspection.external_id,
        shop_code,
        inspection.inspected_on,
        inspection.outcome,
        inspection.full,
        inspection.source,
        rect.deadline if rect else None,
        rect.closed_on if rect else None,
    )


def _iso(value):
    return value.isoformat() if value is not None else None


def _licences_of(shop_ids: list[int]) -> dict[int, list]:
    by_shop: dict[int, list] = {}
    if shop_ids:
        rows = db.session.execute(
            select(Licence.shop_id, Licence.kind, Licence.number, Licence.expires_on)
            .where(Licence.shop_id.in_(shop_ids))
            .order_by(Licence.expires_on)
        )
        for shop_id, kind, number, expires_on in rows:
            by_shop.setdefault(shop_id, []).append(
                {"kind": kind, "number": number, "expires_on": _iso(expires_on)}
            )
    return by_shop


def _shop_rows(condition, limit: int | None = None):
    query = (
        select(*SHOP_FEED_COLUMNS)
        .join(Entity, Shop.entity_id == Entity.id)
        .join(Street, Shop.street_id == Street.id)
        .join(BusinessType, Shop.business_type_id == BusinessType.id)
        .where(condition)
    )
    if limit is not None:
        query = query.order_by(Shop.updated_at, Shop.id).limit(limit)
    return db.session.execute(query).all()


def changes(since: datetime | None, cursor: str | None, limit: int) -> dict:
    """Registry and inspection changes after `since` (or after `cursor`), oldest first.

    Three streams are merged: shops by updated_at, licences by updated_at (a licence renewed
    does not touch its shop's row; it is reported as a change of the shop) and inspections by
    created_at. The cursor keeps one position per stream, so a page boundary inside equal
    timestamps loses nothing. Plain column queries (no ORM objects) keep a page cheap."""
    if cursor:
        position = decode_cursor(cursor)
    elif since is not None:
        position = {kind: (since, MAX_ID) for kind in STREAMS}  # strictly after `since`
    else:
        raise DomainError(N_("须提供 since 或 cursor"), {"since": [N_("必填")]}, status=400)
    shops = _shop_rows(_after(Shop.updated_at, Shop.id, position["s"]), limit + 1)
    renewed = db.session.execute(
        select(Licence.id, Licence.updated_at, Licence.shop_id)
        .where(_after(Licence.updated_at, Licence.id, position["l"]))
        .order_by(Licence.updated_at, Licence.id)
        .limit(limit + 1)
    ).all()
    inspections = db.session.execute(
        select(*INSPECTION_FEED_COLUMNS)
        .join(Shop, Inspection.shop_id == Shop.id)
        .outerjoin(Rectification, Rectification.inspection_id == Inspection.id)
        .where(_after(Inspection.created_at, Inspection.id, position["i"]))
        .order_by(Inspection.created_at, Inspection.id)
        .limit(limit + 1)
    ).all()
    merged = sorted(
        [(row.updated_at, "s", row.id, row) for row in shops]
        + [(row.updated_at, "l", row.id, row) for row in renewed]
        + [(row.created_at, "i", row.id, row) for row in inspections],
        key=lambda item: (item[0], item[1], item[2]),
    )
    page = merged[:limit]
    shop_rows = {row.id: row for _, kind, _, row in page if kind == "s"}
    missing = {row.shop_id for _, kind, _, row in page if kind == "l"} - set(shop_rows)
    if missing:
        shop_rows.update({row.id: row for row in _shop_rows(Shop.id.in_(missing))})
    licences = _licences_of(list(shop_rows))
    items = []
    for at, kind, row_id, row in page:
        position[kind] = (at, row_id)
        if kind == "i":
            payload = _inspection_payload(
                row.id,
                row.external_id,
                row.shop_code,
                row.inspected_on,
                row.outcome,
                row.full,
                row.source,
                row.deadline,
                row.closed_on,
            )
            items.append({"type": "inspection", "changed_at": utc_iso(at), "inspection": payload})
        else:
            shop_id = row_id if kind == "s" else row.shop_id
            items.append(
                {
                    "type": "shop",
                    "changed_at": utc_iso(at),
                    "shop": shop_change(shop_rows[shop_id], licences.get(shop_id, [])),
                }
            )
    next_cursor = encode_cursor({k: [v[0].isoformat(), v[1]] for k, v in position.items()})
    return {"items": items, "next_cursor": next_cursor, "has_more": len(merged) > limit}
