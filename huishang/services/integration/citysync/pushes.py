"""Inspections and penalties pushed in from the city's mobile supervision system, idempotent by
`external_id`.

A push with a new external_id creates the record (201). A repeat with the same content returns
the stored record (200), so a client may retry after a timeout. A repeat whose content differs is
a conflict (409): the stored record is never overwritten silently.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import Inspection, Penalty, Shop, today
from huishang.services import Conflict, DomainError, NotFound, inspections, registry
from huishang.services.core import audit
from huishang.services.grading import penalties
from huishang.services.registry import codes

OUTCOME_ALIASES = {
    "pass": "pass",
    "partial": "partial",
    "fail": "fail",
    "符合": "pass",
    "基本符合": "partial",
    "不符合": "fail",
}


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
    kind = data.get("kind") or penalties.default_kind(severity)
    published_on = data.get("published_on") if penalties.publishable(kind) else None
    # Default publicity period by kind (SAMR Order 45 Art. 13), from the publication date when given.
    publicity = data.get("publicity_ends_on") or penalties.publicity_end(published_on or data["decided_on"], kind)
    errors: dict[str, list[str]] = {}
    if data["decided_on"] > today():
        errors["decided_on"] = [N_("处罚决定日期不能晚于今天")]
    if published_on is not None and (published_on < data["decided_on"] or published_on > today()):
        errors["published_on"] = [N_("公示日期须在处罚决定日期与今天之间")]
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
        "kind": kind,
        "published_on": published_on,
        "basis": (data.get("basis") or "").strip(),
        "authority": (data.get("authority") or "").strip() or penalties.default_authority(),
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
