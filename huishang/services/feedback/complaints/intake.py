"""Filing complaints (投诉举报): validation, submitting with photos, the citizen's tracking key
and lookup by ticket, and "me too" on an open complaint."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date

from flask import current_app
from sqlalchemy import select

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import Complaint, ComplaintPhoto, ComplaintSupport, Shop
from huishang.models import today as district_today
from huishang.models.feedback import COMPLAINT_CATEGORIES, OPEN_STATUSES
from huishang.services import Conflict, DomainError
from huishang.services.core import Report, clients, uploads, workdays

from .. import fields
from .deadlines import LEGAL_DECISION_DAYS, step_limits
from .events import _event

MAX_PHOTOS = 3
COMPLAINT_FIELDS = (fields.CATEGORY, fields.KIND, fields.DESCRIPTION, fields.PHONE_NUMBER)


def hash_key(key: str) -> str:
    return hashlib.sha256((key or "").encode()).hexdigest()


def validate(data: dict, photos: list[bytes]) -> tuple[dict, dict]:
    report = Report(data)
    clean = {each.name: report.check(each.name, each, data.get(each.name)) for each in COMPLAINT_FIELDS}
    errors = report.errors
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = [N_("最多上传%(max)s张照片", max=MAX_PHOTOS)]
    else:
        for n, blob in enumerate(photos, 1):
            try:
                uploads.read_image(blob, "photos")
            except DomainError as exc:
                messages = exc.errors.get("photos", [exc.message])
                errors.setdefault("photos", []).extend(N_("第%(n)s张：%(message)s", n=n, message=m) for m in messages)
                if exc.status == 413:
                    errors["_status"] = [413]  # type: ignore[list-item]
    return clean, errors


def submit(shop: Shop, data: dict, photos: list[bytes] = (), *, client_hash: str | None = None,
           ip_hash: str | None = None, on: date | None = None) -> tuple[Complaint, str]:
    """File a complaint about `shop`. Returns (complaint, tracking key) — the key is shown once.

    Raises DomainError (422, or 413 for an oversized photo) naming each bad field; nothing is
    stored then.
    """
    photos = [p for p in photos if p]
    clean, errors = validate(data, photos)
    if errors:
        status = 413 if errors.pop("_status", None) else 422
        raise DomainError(N_("投诉内容有误"), errors, status=status)
    on = on or district_today()
    key = secrets.token_urlsafe(16)
    complaint = Complaint(ticket="TMP" + secrets.token_hex(8), tracking_key_hash=hash_key(key),
                          shop_id=shop.id,
                          client_hash=client_hash, ip_hash=ip_hash, status="submitted", submitted_on=on,
                          due_on=workdays.add_workdays(on, step_limits()["submitted"]),
                          legal_due_on=workdays.add_workdays(on, LEGAL_DECISION_DAYS), **clean)
    complaint.shop = shop
    db.session.add(complaint)
    db.session.flush()
    complaint.ticket = f"TS{on:%Y%m%d}-{complaint.id:06d}"
    for blob in photos:
        complaint.photos.append(ComplaintPhoto(path=uploads.store_image(blob, "complaints", "photos")))
    _event(complaint, "submit", role="citizen", note="")
    db.session.flush()
    clients.audit_anonymous("complaint.submit", complaint, after={
        "ticket": complaint.ticket, "category": complaint.category, "kind": complaint.kind,
        "photos": len(photos)})
    return complaint, key


def tracking_url(complaint: Complaint, key: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/complaints/{complaint.ticket}?key={key}"


def get(ticket: str) -> Complaint | None:
    ticket = (ticket or "").strip().upper()
    if not ticket or len(ticket) > 20:
        return None
    return db.session.scalar(select(Complaint).where(Complaint.ticket == ticket))


def find_for_citizen(ticket: str, key: str | None) -> Complaint | None:
    """The complaint when the tracking key matches, else None (a wrong key looks like no ticket)."""
    complaint = get(ticket)
    if complaint is None or not key or len(key) > 100:
        return None
    return complaint if hmac.compare_digest(complaint.tracking_key_hash, hash_key(key)) else None


def open_similar(shop: Shop, category: str | None, limit: int = 10) -> list[Complaint]:
    """The shop's open complaints of `category` (for "me too" before filing a duplicate)."""
    if category not in COMPLAINT_CATEGORIES:
        return []
    return list(db.session.scalars(
        select(Complaint).where(Complaint.shop_id == shop.id, Complaint.category == category,
                                Complaint.status.in_(OPEN_STATUSES))
        .order_by(Complaint.created_at.desc()).limit(limit)))


def me_too(complaint: Complaint, *, client_hash: str) -> Complaint:
    """Add the client's "me too" to an open complaint. Conflict (409) when closed or repeated."""
    if not complaint.is_open:
        raise Conflict(N_("该投诉已办结，不能再附议"), {"ticket": [N_("投诉已办结")]})
    if complaint.client_hash and complaint.client_hash == client_hash:
        raise Conflict(N_("这是您自己提交的投诉"), {"ticket": [N_("不能附议自己的投诉")]})
    exists = db.session.scalar(select(ComplaintSupport.id).where(
        ComplaintSupport.complaint_id == complaint.id, ComplaintSupport.client_hash == client_hash))
    if exists:
        raise Conflict(N_("您已附议过这条投诉"), {"ticket": [N_("每人只能附议一次")]})
    db.session.add(ComplaintSupport(complaint_id=complaint.id, client_hash=client_hash))
    complaint.supporters = (complaint.supporters or 0) + 1
    db.session.flush()
    clients.audit_anonymous("complaint.me_too", complaint, after={"supporters": complaint.supporters})
    return complaint
