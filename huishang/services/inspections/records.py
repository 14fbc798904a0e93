"""Patrol inspections (监督检查) and the rectifications (整改) they set: recording one, its effect
on the shop, and the shop's inspections and open rectifications. The merchant's answer is in
`responses`, merchants' self-checks (自查) in `self_checks`.

Outcome rule: any key item (重点项) 不符合 → 不符合 (fail); else any general item 不符合 → 基本符合
(partial) with a rectification deadline (default 7 days, editable); else 符合 (pass). An item
corrected on the spot (当场整改, "fixed") counts as compliant for the outcome and opens no
rectification — SAMR Order 49 Art. 33 lets a minor general-item problem be "当场整改" instead of
rectified by a written deadline — but it stays recorded as its own answer, shown on the result page
and the result sheet. A failed key item is referred for a case (移送立案, `referrals`). Two
inspectors are required by law (SAMR Order 49 Art. 23). A submission carries a client id so a
retry over a flaky network returns the first inspection instead of making a second one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import (
    ChecklistTemplate,
    Inspection,
    InspectionAnswer,
    Rectification,
    Shop,
    User,
    today,
)
from huishang.services import Conflict, DomainError, registry
from huishang.services.catalog import checklists
from huishang.services.core import NOTHING, Report, audit, uploads

from . import fields as answer_fields
from .fields import MAX_NOTE

MAX_PHOTOS_PER_ITEM = 5
DEFAULT_RECTIFICATION_DAYS = 7
MAX_RECTIFICATION_DAYS = 90
INSPECTION_FIELDS = (
    "shop_id",
    "template_id",
    "inspector_id",
    "co_inspector_id",
    "inspected_on",
    "outcome",
    "full",
    "source",
    "client_id",
    "lat",
    "lng",
)


def outcome_of(items, results: dict[int, str]) -> str:
    """pass | partial | fail from the template's items and {item_id: result}; "fixed" (当场整改)
    and "na" never fail (see the module docstring)."""
    failed = [item for item in items if results.get(item.id) == "fail"]
    if any(item.key for item in failed):
        return "fail"
    return "partial" if failed else "pass"


def rectification_days() -> int:
    return int(current_app.config.get("RECTIFICATION_DAYS", DEFAULT_RECTIFICATION_DAYS))


@dataclass
class Submission:
    """An inspection as submitted by the form or the API, before validation."""

    template_id: object = None
    co_inspector: str | None = None
    answers: list[dict] = field(default_factory=list)  # [{item_id, result, note}]
    client_id: str | None = None
    inspected_on: date | None = None
    rectification_deadline: date | None = None
    lat: float | None = None
    lng: float | None = None
    note: str = ""
    photos: dict[int, list[bytes]] = field(default_factory=dict)  # item_id -> image bytes
    signature: bytes | None = None  # the merchant's signature drawn on the phone (PNG)


def _check_answers(template: ChecklistTemplate, answers: list[dict], errors: dict) -> dict[int, dict]:
    """Every item answered exactly once with a known result; returns {item_id: answer}."""
    by_item: dict[int, dict] = {}
    item_ids = {item.id for item in template.items}
    key_ids = {item.id for item in template.items if item.key}
    # An item is named by its place and words on the form (第3项“餐具消毒”), never by its database id.
    names = {item.id: f"第{n}项“{item.text[:24]}”" for n, item in enumerate(template.items, start=1)}
    report = Report({})
    for n, answer in enumerate(answers or [], start=1):
        given = answer if hasattr(answer, "get") else {}
        item = report.check("answers", answer_fields.item_id, given.get("item_id"), n)
        if item is NOTHING:
            continue
        if item not in item_ids:
            report.add("answers", N_("检查项 %(item_id)s 不属于该检查表", item_id=item))
        elif item in by_item:
            report.add("answers", N_("检查项 %(item_id)s 重复作答", item_id=names[item]))
        else:
            found = report.check("answers", answer_fields.result, given.get("result"), names[item])
            typed = report.check("answers", answer_fields.note, given.get("note"), names[item]) if found else NOTHING
            if found == "fixed" and item in key_ids:
                # Order 49 Art. 32–33: only a general item may be corrected on the spot; a key
                # item not met is 不符合 and goes to a case (移送立案).
                report.add("answers", N_("检查项 %(item_id)s 是重点项，不能选择“当场整改”，请如实记录为不符合",
                                         item_id=names[item]))
            elif typed is not NOTHING:
                by_item[item] = {"result": found, "note": typed}
    problems = report.errors.get("answers", [])
    missing = [item for item in template.items if item.id not in by_item]
    if missing and not problems:
        problems.append(N_("还有 %(count)s 项未作答（第一项：%(text)s）", count=len(missing),
                           text=missing[0].text[:30]))
    if problems:
        errors["answers"] = problems
    return by_item


def _check_photos(photos: dict[int, list[bytes]], errors: dict) -> None:
    for blobs in photos.values():
        if len(blobs) > MAX_PHOTOS_PER_ITEM:
            errors.setdefault("photos", []).append(N_("每项最多 %(n)s 张照片", n=MAX_PHOTOS_PER_ITEM))
        for blob in blobs:
            try:
                uploads.read_image(blob, "photos")
            except DomainError as exc:
                errors.setdefault("photos", []).extend(exc.errors.get("photos", [exc.message]))
                if exc.status == 413:
                    raise DomainError(N_("照片过大"), {"photos": exc.errors["photos"]}, status=413) from None


def eligible_co_inspectors(shop: Shop, actor) -> list[User]:
    """Active inspectors and regulators other than `actor` whose scope covers the shop."""
    staff = db.session.scalars(
        select(User)
        .where(User.role.in_(("inspector", "regulator")), User.active.is_(True))
        .order_by(User.username)
    )
    return [u for u in staff if u.id != getattr(actor, "id", None) and u.can_inspect(shop)]


def _check_co_inspector(shop: Shop, actor, username: str | None, errors: dict) -> User | None:
    username = (username or "").strip()
    if not username:
        errors["co_inspector"] = [N_("必须选择同行执法人员（检查须由两名以上执法人员进行）")]
        return None
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or user.role not in ("inspector", "regulator"):
        errors["co_inspector"] = [N_("同行执法人员不存在或无执法资格：%(username)s", username=username)]
    elif user.id == getattr(actor, "id", None):
        errors["co_inspector"] = [N_("同行执法人员不能是本人")]
    elif not user.can_inspect(shop):
        errors["co_inspector"] = [N_("同行执法人员的辖区不包括该商铺")]
    else:
        return user
    return None


def _check_common(sub: Submission, errors: dict) -> date:
    on = sub.inspected_on or today()
    if on > today():
        errors["inspected_on"] = [N_("检查日期不能晚于今天")]
    for name, low, high in (("lat", -90, 90), ("lng", -180, 180)):
        value = getattr(sub, name)
        if value is not None and not low <= value <= high:
            errors[name] = [N_("应在 %(low)s 到 %(high)s 之间", low=low, high=high)]
    if (sub.lat is None) != (sub.lng is None):
        errors.setdefault("lat" if sub.lat is None else "lng", []).append(N_("经纬度须同时提供"))
    if len(sub.note or "") > MAX_NOTE:
        errors["note"] = [N_("不能超过%(max)s字", max=MAX_NOTE)]
    if sub.client_id is not None and not (8 <= len(sub.client_id) <= 64):
        errors["client_id"] = [N_("client_id 长度应为 8–64 个字符")]
    return on


def _insert_once(row) -> bool:
    """Insert `row` in a savepoint; False when its unique client id is already taken."""
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        return False
    return True


def find_by_client_id(client_id: str | None) -> Inspection | None:
    if not client_id:
        return None
    return db.session.scalar(select(Inspection).where(Inspection.client_id == client_id))


def record_inspection(shop: Shop, sub: Submission, *, actor, source: str = "app") -> tuple[Inspection, bool]:
    """Record an inspection of `shop` by `actor`. Returns (inspection, created): a retry with a
    client id already recorded returns the first inspection and created=False.

    Raises DomainError (422) naming each bad field, 413 for an oversize photo, Conflict (409)
    when the client id belongs to another shop. Nothing is written on error.
    """
    existing = find_by_client_id(sub.client_id)
    if existing is not None:
        if existing.shop_id != shop.id or existing.inspector_id != getattr(actor, "id", None):
            raise Conflict(N_("client_id 已被另一检查记录使用"), {"client_id": [N_("已被使用")]})
        return existing, False
    if shop.status == "closed":
        raise Conflict(N_("商铺已注销，不能录入检查"), {"shop_code": [N_("商铺已注销")]})
    errors: dict[str, list[str]] = {}
    template = checklists.get_template(sub.template_id)
    if template is None or template.kind != "inspection":
        errors["template_id"] = [N_("请选择有效的监督检查表")]
    elif template.retired:
        errors["template_id"] = [N_("该检查表已停用，请选择现行检查表")]
    co = _check_co_inspector(shop, actor, sub.co_inspector, errors)
    on = _check_common(sub, errors)
    by_item = _check_answers(template, sub.answers, errors) if template else {}
    if template:
        _check_photos(sub.photos, errors)
        unknown = set(sub.photos) - {item.id for item in template.items}
        if unknown:
            errors.setdefault("photos", []).append(N_("照片对应的检查项不属于该检查表"))
    if sub.signature:
        try:
            uploads.read_image(sub.signature, "signature")
        except DomainError as exc:
            errors["signature"] = exc.errors.get("signature", [exc.message])
    outcome = outcome_of(template.items, {k: v["result"] for k, v in by_item.items()}) if template else None
    deadline = None
    if outcome in ("partial", "fail") and "inspected_on" not in errors:
        deadline = sub.rectification_deadline or on + timedelta(days=rectification_days())
        if deadline <= on:
            errors["rectification_deadline"] = [N_("整改期限应晚于检查日期")]
        elif deadline > on + timedelta(days=MAX_RECTIFICATION_DAYS):
            errors["rectification_deadline"] = [N_("整改期限不能超过检查后 %(days)s 天",
                                                     days=MAX_RECTIFICATION_DAYS)]
    if errors:
        raise DomainError(N_("检查记录有误"), errors)
    inspection = Inspection(
        shop_id=shop.id,
        template_id=template.id,
        inspector_id=actor.id,
        co_inspector_id=co.id,
        inspected_on=on,
        outcome=outcome,
        full=checklists.is_full(template),
        source=source,
        client_id=sub.client_id,
        note=(sub.note or "").strip(),
        lat=sub.lat,
        lng=sub.lng,
        signature=uploads.store_image(sub.signature, f"signatures/{shop.code}", "signature") if sub.signature else None,
    )
    for item in template.items:
        stored = [
            uploads.store_image(blob, f"inspections/{shop.code}", "photos")
            for blob in sub.photos.get(item.id, [])
        ]
        inspection.answers.append(
            InspectionAnswer(
                item_id=item.id,
                result=by_item[item.id]["result"],
                note=by_item[item.id]["note"],
                photos="\n".join(stored),
            )
        )
    if not _insert_once(inspection):  # a concurrent retry with the same client id won the race
        return find_by_client_id(sub.client_id), False
    audit.record(
        "inspection.create",
        inspection,
        actor=actor,
        after=audit.snapshot(inspection, INSPECTION_FIELDS) | {"rectification_deadline": deadline},
    )
    apply_to_shop(shop, inspection, deadline, topic=template.topic, actor=actor)
    return inspection, True


def apply_to_shop(
    shop: Shop, inspection: Inspection, deadline: date | None, *, topic: str, actor=None
) -> None:
    """After recording: latest result on the shop (full inspections), a rectification for
    partial/fail, closing earlier open rectifications of the same topic on a pass."""
    if inspection.full and (
        shop.latest_inspected_on is None or inspection.inspected_on >= shop.latest_inspected_on
    ):
        shop.latest_outcome = inspection.outcome
        shop.latest_inspected_on = inspection.inspected_on
    if inspection.outcome in ("partial", "fail") and deadline is not None:
        rect = Rectification(shop_id=shop.id, inspection_id=inspection.id, deadline=deadline)
        db.session.add(rect)
        db.session.flush()
        audit.record(
            "rectification.open",
            rect,
            actor=actor,
            after={"deadline": deadline, "inspection_id": inspection.id},
        )
    elif inspection.outcome == "pass":
        for rect in open_rectifications(shop):
            if rect.inspection_id == inspection.id or rect.inspection.inspected_on > inspection.inspected_on:
                continue
            if _topic_of(rect.inspection) != topic:
                continue
            rect.closed_on = inspection.inspected_on
            rect.closed_by_inspection_id = inspection.id
            audit.record(
                "rectification.close",
                rect,
                actor=actor,
                after={"closed_on": rect.closed_on, "closed_by_inspection_id": inspection.id},
            )
    db.session.flush()
    registry.after_shop_change(shop)


def _topic_of(inspection: Inspection) -> str:
    template = db.session.get(ChecklistTemplate, inspection.template_id) if inspection.template_id else None
    return template.topic if template else "food_safety"  # imported history is food safety


def open_rectifications(shop: Shop) -> list[Rectification]:
    return db.session.scalars(
        select(Rectification)
        .where(Rectification.shop_id == shop.id, Rectification.closed_on.is_(None))
        .order_by(Rectification.deadline)
    ).all()


def shop_inspections(shop: Shop, limit: int = 10) -> list[Inspection]:
    return db.session.scalars(
        select(Inspection)
        .where(Inspection.shop_id == shop.id)
        .order_by(Inspection.inspected_on.desc(), Inspection.id.desc())
        .limit(limit)
    ).all()
