"""Filing complaints (投诉举报): validation, submitting with photos, the citizen's ticket and key
and lookup by ticket, and "me too" on an open complaint.

The two kinds (SAMR Order 20 Art. 3): a 投诉 is the citizen's own consumer dispute and must give a
name and phone (Art. 9(1)); a 举报 reports a violation and may be anonymous (a name and phone make
it a real-name report, whose reporter is told whether a case is opened, Art. 31(2)).

The citizen keeps a short ticket (8 characters from an alphabet without look-alikes, typed in any
case) and a 6-digit key; the last four digits of the phone they gave open it too. Both are checked
by `find_for_citizen`, which also still takes the TS ticket and 22-character key of a complaint
filed before round 4. Guessing a 6-digit key is stopped by the per-ticket and per-IP lock on
wrong keys in the citizen views (huishang/citizen/feedback.py)."""
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
from .deadlines import CLOCKS, step_limits
from .events import _event

MAX_PHOTOS = 3
COMPLAINT_FIELDS = (fields.CATEGORY, fields.KIND, fields.DESCRIPTION, fields.PHONE_NUMBER, fields.NAME,
                    fields.SMS_CONSENT)
# The short ticket's alphabet: digits and capitals without 0/O, 1/I/L (31 symbols, 8 places).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
PIN_DIGITS = 6
ORDER_20_ART_9 = "（《市场监督管理投诉举报处理暂行办法》第九条）"


def hash_key(key: str) -> str:
    return hashlib.sha256((key or "").encode()).hexdigest()


def hash_pin(pin: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    return f"{salt}${hashlib.sha256((salt + pin).encode()).hexdigest()}"


def _pin_matches(stored: str | None, pin: str) -> bool:
    if not stored or "$" not in stored:
        return False
    salt = stored.split("$", 1)[0]
    return hmac.compare_digest(stored, hash_pin(pin, salt))


def normalise_code(text: str) -> str:
    """A typed ticket as stored: capitals, without blanks or dashes."""
    return "".join(ch for ch in (text or "").upper() if ch not in " -\t")


def new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if db.session.scalar(select(Complaint.id).where(Complaint.short_code == code)) is None:
            return code


def _kind_rules(clean: dict, errors: dict) -> None:
    """投诉 needs a name and a phone (Order 20 Art. 9); 举报 may be anonymous; a filing that does
    not say (round-3 API clients) is a 投诉 when it gives a phone (the same rule the migration
    applied to existing rows) — and then needs the name too —, else a 举报. SMS needs a mobile."""
    if clean.get("kind") is None and "kind" not in errors:
        clean["kind"] = "complaint" if clean.get("phone") or "phone" in errors else "report"
    if clean.get("kind") == "complaint":
        if not clean.get("name") and "name" not in errors:
            errors["name"] = [N_("投诉须留姓名%(source)s；不想留名请选“举报”", source=ORDER_20_ART_9)]
        if not clean.get("phone") and "phone" not in errors:
            errors["phone"] = [N_("投诉须留联系电话%(source)s；不想留电话请选“举报”", source=ORDER_20_ART_9)]
    if clean.get("sms_consent"):
        phone = clean.get("phone") or ""
        if not (len(phone) == 11 and phone.startswith("1")) and "phone" not in errors:
            errors["phone"] = [N_("要接收短信进度通知，请填写手机号")]


def validate(data: dict, photos: list[bytes]) -> tuple[dict, dict]:
    report = Report(data)
    clean = {each.name: report.check(each.name, each, data.get(each.name)) for each in COMPLAINT_FIELDS}
    errors = report.errors
    _kind_rules(clean, errors)
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
    """File a complaint about `shop`. Returns (complaint, 6-digit key) — the key is shown once;
    the complaint's `citizen_ticket` is its short ticket.

    Raises DomainError (422, or 413 for an oversized photo) naming each bad field; nothing is
    stored then.
    """
    photos = [p for p in photos if p]
    clean, errors = validate(data, photos)
    if errors:
        status = 413 if errors.pop("_status", None) else 422
        raise DomainError(N_("投诉内容有误"), errors, status=status)
    on = on or district_today()
    key = f"{secrets.randbelow(10 ** PIN_DIGITS):0{PIN_DIGITS}d}"
    first_legal = next(c for c in CLOCKS if c.kind == clean["kind"])
    complaint = Complaint(ticket="TMP" + secrets.token_hex(8),
                          # the old 22-character key is no longer issued: a random hash nobody holds
                          tracking_key_hash=hash_key(secrets.token_urlsafe(32)),
                          short_code=new_code(), pin_hash=hash_pin(key),
                          shop_id=shop.id,
                          client_hash=client_hash, ip_hash=ip_hash, status="submitted", submitted_on=on,
                          due_on=workdays.add_workdays(on, step_limits()["submitted"]),
                          legal_due_on=workdays.add_workdays(on, first_legal.days), **clean)
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
        "named": complaint.named, "sms_consent": complaint.sms_consent, "photos": len(photos)})
    return complaint, key


def tracking_url(complaint: Complaint, key: str | None = None) -> str:
    """The tracking page's address. The key is not put in it (it would sit in browser history and
    logs): the page asks for it."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/complaints/track?ticket={complaint.citizen_ticket}"


def get(ticket: str) -> Complaint | None:
    """A complaint by its TS ticket (the desk's) or its short ticket (the citizen's), in any case."""
    ticket = (ticket or "").strip().upper()
    if not ticket or len(ticket) > 20:
        return None
    code = normalise_code(ticket)
    if len(code) == CODE_LENGTH:
        found = db.session.scalar(select(Complaint).where(Complaint.short_code == code))
        if found is not None:
            return found
    return db.session.scalar(select(Complaint).where(Complaint.ticket == ticket))


def key_matches(complaint: Complaint, key: str | None) -> bool:
    """The 6-digit key, the last four digits of the phone given, or the 22-character key of a
    complaint filed before round 4."""
    key = (key or "").strip()
    if not key or len(key) > 100:
        return False
    if key.isdecimal() and len(key) == PIN_DIGITS and _pin_matches(complaint.pin_hash, key):
        return True
    if key.isdecimal() and len(key) == 4 and complaint.phone:
        digits = "".join(ch for ch in complaint.phone if ch.isdigit())
        if len(digits) >= 7 and hmac.compare_digest(digits[-4:], key):
            return True
    return hmac.compare_digest(complaint.tracking_key_hash, hash_key(key))


def find_for_citizen(ticket: str, key: str | None) -> Complaint | None:
    """The complaint when the key matches, else None (a wrong key looks like no ticket)."""
    complaint = get(ticket)
    if complaint is None:
        return None
    return complaint if key_matches(complaint, key) else None


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
