"""City systems (市级系统): inspections and penalties pushed in from the city's mobile supervision
system, idempotent by `external_id`, and the changes feed it pulls.

A push with a new external_id creates the record (201). A repeat with the same content returns
the stored record (200), so a client may retry after a timeout. A repeat whose content differs is
a conflict (409): the stored record is never overwritten silently.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, select, tuple_
from sqlalchemy.exc import IntegrityError

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import BusinessType, Entity, Inspection, Licence, Penalty, Rectification, Shop, Street, today
from huishang.services import Conflict, DomainError, NotFound, inspections, registry
from huishang.services.core import audit
from huishang.services.grading import penalties
from huishang.services.registry import codes

from .opendata import utc_iso

OUTCOME_ALIASES = {
    "pass": "pass",
    "partial": "partial",
    "fail": "fail",
    "符合": "pass",
    "基本符合": "partial",
    "不符合": "fail",
}
MAX_ID = 2**31 - 1  # above any INTEGER id: "since T" means strictly after T


def _shop(code: str, *, lock: bool = False) -> Shop:
    """The shop with this code, or NotFound. `lock`: read it afresh and lock its row until commit,
    so that a concurrent delete waits for this write (and one that came first is a 404)."""
    if lock:
        query = select(Shop).where(Shop.code == codes.normalise(code or "")).with_for_update()
        shop = db.session.scalar(query.execution_options(populate_existing=True))
    else:
        shop = registry.get_shop(code or "")
    if shop is None:
        raise NotFound(N_("商铺不存在"), {"shop_code": [N_("未知商铺码：%(code)s", code=code)]})
    return shop


# -- inspections -------------------------------------------------------------------------------


def _inspection_fields(data: dict, shop: Shop) -> dict:
    outcome = OUTCOME_ALIASES.get(str(data.get("outcome", "")).strip())
    errors: dict[str, list[str]] = {}
    if outcome is None:
        errors["outcome"] = [N_("须为 pass/partial/fail 或 符合/基本符合/不符合")]
    deadline = data.get("rectification_deadline")
    if deadline and deadline < data["inspected_on"]:
        errors["rectification_deadline"] = [N_("整改期限不能早于检查日期")]
    if deadline and outcome == "pass":
        errors["rectification_deadline"] = [N_("结果为符合时不设整改期限")]
    if data["inspected_on"] > today():
        errors["inspected_on"] = [N_("检查日期不能晚于今天")]
    if errors:
        raise DomainError(N_("检查记录有误"), errors)
    return {
        "shop_id": shop.id,
        "inspected_on": data["inspected_on"],
        "outcome": outcome,
        "full": bool(data.get("full", True)),
        "rectification_deadline": deadline,
    }


def _stored_inspection(inspection: Inspection) -> dict:
    rect = inspection.rectification
    return {
        "shop_id": inspection.shop_id,
        "inspected_on": inspection.inspected_on,
        "outcome": inspection.outcome,
        "full": bool(inspection.full),
        "rectification_deadline": rect.deadline if rect else None,
    }


def push_inspection(data: dict, *, actor=None, _retry: bool = True) -> tuple[Inspection, bool]:
    """Store an inspection from the city's system. Returns (inspection, created).

    Raises NotFound (unknown shop, also one deleted while this push runs), DomainError (bad
    fields), Conflict (same external_id with different content)."""
    shop = _shop(data.get("shop_code"))
    fields = _inspection_fields(data, shop)
    existing = db.session.scalar(select(Inspection).where(Inspection.external_id == data["external_id"]))
    if existing is not None:
        return _same_or_conflict(existing, _stored_inspection(existing), fields), False
    # Nothing is written unless the shop is still there, and then it stays until commit.
    shop = _shop(data.get("shop_code"), lock=True)
    inspection = Inspection(
        shop_id=shop.id,
        inspected_on=fields["inspected_on"],
        outcome=fields["outcome"],
        full=fields["full"],
        source="api",
        external_id=data["external_id"],
        note=data.get("note") or "",
    )
    try:
        with db.session.begin_nested():
            db.session.add(inspection)
            db.session.flush()
    except IntegrityError:  # a concurrent retry stored it first
        existing = db.session.scalar(select(Inspection).where(Inspection.external_id == data["external_id"]))
        if existing is None:  # ... and it was deleted again before this read: try once more
            if _retry:
                return push_inspection(data, actor=actor, _retry=False)
            raise Conflict(N_("请稍后再试"), {"external_id": [N_("请稍后再试")]}) from None
        return _same_or_conflict(existing, _stored_inspection(existing), fields), False
    audit.record(
        "inspection.push",
        inspection,
        actor=actor,
        after={**fields, "external_id": inspection.external_id, "source": "api"},
    )
    # The same consequences as an inspection recorded in the app: the shop's latest result, a
    # rectification for partial/fail, earlier rectifications closed by a pass, the grading hook.
    inspections.apply_to_shop(
        shop, inspection, fields["rectification_deadline"], topic="food_safety", actor=actor
    )
    return inspection, True


def _same_or_conflict(record, stored: dict, pushed: dict):
    differing = sorted(k for k in pushed if _norm(stored.get(k)) != _norm(pushed[k]))
    if differing:
        raise Conflict(
            N_("该 external_id 已存在且内容不同 (external_id already used with different content)"),
            {k: [N_("与已存记录不一致")] for k in differing},
        )
    return record


def _norm(value):
    if isinstance(value, Decimal):
        return float(value)
    return value


# -- penalties ---------------------------------------------------------------------------------


def _penalty_fields(data: dict, shop: Shop) -> dict:
    severity = data.get("severity") or "general"
    # Default publicity period from the regulator's rules (3 months minor, 3 years otherwise).
    publicity = data.get("publicity_ends_on") or penalties.publicity_end(data["decided_on"], severity)
    errors: dict[str, list[str]] = {}
    if data["decided_on"] > today():
        errors["decided_on"] = [N_("处罚决定日期不能晚于今天")]
    if publicity < data["decided_on"]:
        errors["publicity_ends_on"] = [N_("公示截止日期不能早于决定日期")]
    if data.get("fulfilled_on") and data["fulfilled_on"] < data["decided_on"]:
        errors["fulfilled_on"] = [N_("履行日期不能早于决定日期")]
    if errors:
        raise DomainError(N_("处罚记录有误"), errors)
    fine = data.get("fine")
    return {
        "shop_id": shop.id,
        "decision_no": data["decision_no"].strip(),
        "decided_on": data["decided_on"],
        "violation": data["violation"].strip(),
        "severity": severity,
        "fine": round(float(fine), 2) if fine is not None else None,
        "publicity_ends_on": publicity,
        "fulfilled_on": data.get("fulfilled_on"),
    }


def push_penalty(data: dict, *, actor=None) -> tuple[Penalty, bool]:
    """Store a penalty decision from the city's system. Returns (penalty, created).

    Raises NotFound, DomainError, Conflict (same external_id with different content, or the
    decision number already filed under another external_id)."""
    shop = _shop(data.get("shop_code"))
    fields = _penalty_fields(data, shop)
    existing = db.session.scalar(select(Penalty).where(Penalty.external_id == data["external_id"]))
    if existing is not None:
        stored = {k: getattr(existing, k) for k in fields}
        return _same_or_conflict(existing, stored, fields), False
    shop = _shop(data.get("shop_code"), lock=True)  # still there, and stays until commit
    if db.session.scalar(select(Penalty.id).where(Penalty.decision_no == fields["decision_no"])):
        raise Conflict(N_("处罚决定书文号已存在"), {"decision_no": [N_("已登记于另一条记录")]})
    penalty = Penalty(
        external_id=data["external_id"], internal_note=data.get("internal_note") or "", **fields
    )
    try:
        with db.session.begin_nested():
            db.session.add(penalty)
            db.session.flush()
    except IntegrityError:
        existing = db.session.scalar(select(Penalty).where(Penalty.external_id == data["external_id"]))
        if existing is None:
            raise Conflict(N_("处罚决定书文号已存在"), {"decision_no": [N_("已登记于另一条记录")]}) from None
        return _same_or_conflict(existing, {k: getattr(existing, k) for k in fields}, fields), False
    audit.record("penalty.push", penalty, actor=actor, after={**fields, "external_id": penalty.external_id})
    registry.after_shop_change(shop)
    return penalty, True


# -- changes feed ------------------------------------------------------------------------------


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
