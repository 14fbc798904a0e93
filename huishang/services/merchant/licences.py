"""Licences (证照): merchants add or edit them through the review queue (with an image), and
expiry reminders go out 30 and 7 calendar days before expiry and on the day itself — exactly once
per (licence or health certificate, threshold, expiry date).
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import ChangeRequest, Licence, Rectification, ReminderSent, Shop, Staff, today
from huishang.services import DomainError
from huishang.services.core import Report, notifications, uploads

from . import changes, fields
from .fields import LICENCE_KINDS

THRESHOLDS = (30, 7, 0)
RECTIFICATION_NOTICE_DAYS = 3
# An expiry reminder for a licence found already expired is still sent, but not for ones
# expired longer ago than this (a first run on old data must not flood merchants).
EXPIRED_GRACE_DAYS = 30


def validate(data: dict, *, image: bytes | None, licence: Licence | None) -> tuple[dict, dict]:
    """Check a licence form. Returns (clean, errors)."""
    report = Report({"kind": data.get("kind") or (licence.kind if licence else ""), "number": data.get("number"),
                     "issued_on": data.get("issued_on"), "expires_on": data.get("expires_on")})
    for each in (fields.LICENCE_KIND, fields.LICENCE_NUMBER, fields.ISSUED_ON, fields.EXPIRES_ON):
        report.take(each)
    clean, errors = report.clean, report.errors
    if clean["issued_on"] and clean["expires_on"] and clean["expires_on"] <= clean["issued_on"]:
        report.add("expires_on", N_("有效期须晚于发证日期"))
    if image:
        try:
            uploads.read_image(image, "image")
        except DomainError as exc:
            errors.update(exc.errors)
    elif licence is None or not licence.image_path:
        errors.setdefault("image", []).append(N_("请上传证照照片"))
    return clean, errors


def _shown(values: dict) -> dict:
    out = {}
    for key, value in values.items():
        if key == "kind":
            value = LICENCE_KINDS.get(value, value)
        elif isinstance(value, date):
            value = value.isoformat()
        elif key == "image_path":
            value = "新图片" if value else ""
        out[key] = value
    return out


def request_change(shop: Shop, data: dict, *, image: bytes | None = None, licence: Licence | None = None,
                   actor=None) -> ChangeRequest:
    """File a new licence (licence=None) or an edit for review. Raises DomainError per field."""
    if licence is not None and licence.shop_id != shop.id:
        raise DomainError(N_("证照不属于该店铺"), status=404)
    clean, errors = validate(data, image=image, licence=licence)
    if errors:
        raise DomainError(N_("证照信息有误"), errors)
    fields = ("kind", "number", "issued_on", "expires_on")
    current = {k: getattr(licence, k) for k in fields} if licence else {}
    wanted = {k: v for k, v in clean.items() if not licence or current.get(k) != v}
    if image:
        wanted["image_path"] = uploads.store_image(image, f"licences/{shop.id}", "image")
    if not wanted:
        raise DomainError(N_("没有需要变更的内容"), {"_schema": [N_("填写的内容与现有证照相同")]})
    stored = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in wanted.items()}
    before = _shown({k: current.get(k) for k in wanted if k != "image_path"}) if licence else {}
    return changes.licence_request(shop, stored, before, _shown(wanted), licence, actor=actor)


def threshold_due(days_left: int) -> int | None:
    """The reminder threshold that applies with `days_left` days to expiry, or None.

    30 while 8–30 days are left, 7 while 1–7 are left, 0 from the day of expiry (for at most
    EXPIRED_GRACE_DAYS days). A late run still sends the threshold it missed, once.
    """
    if days_left > THRESHOLDS[0] or days_left < -EXPIRED_GRACE_DAYS:
        return None
    return min(t for t in THRESHOLDS if days_left <= t) if days_left > 0 else 0


def _message(what: str, expires_on: date, days_left: int) -> tuple[str, str]:
    if days_left > 0:
        return f"{what}将于{days_left}天后到期", f"有效期至 {expires_on.isoformat()}，请及时办理延续。"
    return (f"{what}已到期",
            f"有效期至 {expires_on.isoformat()}，已过期的证照会在公示页显示为过期，请尽快办理。")


def send_reminders(as_of: date | None = None) -> dict[str, int]:
    """Send the due licence, health-certificate and rectification reminders. Returns counts per
    subject type.

    Reminders already sent are read once up front and the new ones are written in one flush; two
    runs at the same moment collide on the unique constraint and the later one rolls back.
    """
    as_of = as_of or today()
    window = (as_of - timedelta(days=EXPIRED_GRACE_DAYS), as_of + timedelta(days=THRESHOLDS[0]))
    done = set(db.session.execute(
        select(ReminderSent.subject_type, ReminderSent.subject_id, ReminderSent.threshold,
               ReminderSent.expires_on).where(ReminderSent.expires_on.between(*window))).all())
    due: list[tuple] = []  # (subject_type, subject_id, threshold, expires_on, notification args)
    licences = db.session.scalars(select(Licence).join(Shop).options(contains_eager(Licence.shop)).where(
        Licence.expires_on.between(*window), Shop.status != "closed"))
    for lic in licences:
        days_left = (lic.expires_on - as_of).days
        threshold = threshold_due(days_left)
        if threshold is None or ("licence", lic.id, threshold, lic.expires_on) in done:
            continue
        title, body = _message(f"{lic.shop.sign_name}的{LICENCE_KINDS.get(lic.kind, '证照')}（{lic.number}）",
                               lic.expires_on, days_left)
        due.append(("licence", lic.id, threshold, lic.expires_on,
                    (lic.shop, "licence_expiry", title, body, f"/merchant/shops/{lic.shop.code}")))
    staff = db.session.scalars(select(Staff).join(Shop).options(contains_eager(Staff.shop)).where(
        Staff.active, Staff.health_cert_expires.between(*window), Shop.status != "closed"))
    for person in staff:
        days_left = (person.health_cert_expires - as_of).days
        threshold = threshold_due(days_left)
        if threshold is None or ("health_cert", person.id, threshold, person.health_cert_expires) in done:
            continue
        title, body = _message(f"{person.shop.sign_name}员工{person.name}的健康证",
                               person.health_cert_expires, days_left)
        due.append(("health_cert", person.id, threshold, person.health_cert_expires,
                    (person.shop, "health_cert_expiry", title, body,
                     f"/merchant/shops/{person.shop.code}/staff")))
    due.extend(_rectifications_due(as_of, done))
    db.session.add_all(ReminderSent(subject_type=kind, subject_id=subject_id, threshold=threshold,
                                    expires_on=expires_on)
                       for kind, subject_id, threshold, expires_on, _ in due)
    notifications.notify_shops(args for *_, args in due)
    db.session.flush()
    return {kind: sum(1 for d in due if d[0] == kind) for kind in ("licence", "health_cert", "rectification")}


def _rectifications_due(as_of: date, done: set) -> list[tuple]:
    """Open rectifications: a reminder RECTIFICATION_NOTICE_DAYS days before the deadline (or
    later, if the run was missed) and on the deadline day."""
    due = []
    rows = db.session.scalars(select(Rectification).join(Shop, Shop.id == Rectification.shop_id)
                              .where(Rectification.closed_on.is_(None), Shop.status != "closed",
                                     Rectification.deadline.between(as_of, as_of + timedelta(
                                         days=RECTIFICATION_NOTICE_DAYS))))
    for rect in rows:
        days_left = (rect.deadline - as_of).days
        threshold = RECTIFICATION_NOTICE_DAYS if days_left > 0 else 0
        if ("rectification", rect.id, threshold, rect.deadline) in done:
            continue
        shop = db.session.get(Shop, rect.shop_id)
        title = (f"{shop.sign_name}的整改将于{days_left}天后到期" if days_left
                 else f"{shop.sign_name}的整改今天到期")
        body = f"整改期限 {rect.deadline.isoformat()}，完成后请在“整改”中上报，等待复查。"
        due.append(("rectification", rect.id, threshold, rect.deadline,
                    (shop, "rectification_due", title, body, "/merchant/rectifications")))
    return due
