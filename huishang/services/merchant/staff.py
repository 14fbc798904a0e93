"""Staff (从业人员): health certificates and vaccination. Personal data — the shop's merchants and
in-scope regulators/inspectors see it; anyone else (a property manager) sees masked names only.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import Shop, Staff, today
from huishang.services import DomainError
from huishang.services.core import Report, audit

from . import fields

FIELDS = ("name", "phone", "role", "health_cert_no", "health_cert_expires", "vaccine_doses",
          "vaccine_dates", "active")


def may_see_personal(user, shop: Shop) -> bool:
    """Names, phones, certificates and vaccination: the shop's merchant and staff in scope."""
    return bool(user and getattr(user, "is_authenticated", False)
                and (user.owns_shop(shop) or (user.is_staff and user.covers_street(shop.street_id))))


def validate(data: dict) -> tuple[dict, dict]:
    """Check a staff record (the whole record: a field not given is empty). Returns (clean, errors)."""
    report = Report({name: data.get(name) for name in FIELDS} | {"active": data.get("active", True)})
    for each in (fields.STAFF_NAME, fields.STAFF_PHONE, fields.STAFF_ROLE, fields.HEALTH_CERT_NO,
                 fields.HEALTH_CERT_EXPIRES, fields.VACCINE_DATES, fields.VACCINE_DOSES):
        report.take(each)
    clean = report.clean
    if clean["health_cert_expires"] and not clean["health_cert_no"]:
        report.add("health_cert_no", N_("填写有效期时请填写健康证编号"))
    dates = clean["vaccine_dates"]
    clean["vaccine_doses"] = max(clean["vaccine_doses"], len(dates))
    clean["vaccine_dates"] = sorted(d.isoformat() for d in dates)
    clean["active"] = report.take(fields.STAFF_ACTIVE) is not False
    return clean, report.errors


def add(shop: Shop, data: dict, *, actor=None) -> Staff:
    clean, errors = validate(data)
    if errors:
        raise DomainError(N_("员工信息有误"), errors)
    person = Staff(shop_id=shop.id, **clean)
    db.session.add(person)
    db.session.flush()
    audit.record("staff.add", person, actor=actor, after=_audit_view(person))
    return person


def update(person: Staff, data: dict, *, actor=None) -> Staff:
    clean, errors = validate(data)
    if errors:
        raise DomainError(N_("员工信息有误"), errors)
    before = _audit_view(person)
    for key, value in clean.items():
        setattr(person, key, value)
    db.session.flush()
    audit.record("staff.update", person, actor=actor, before=before, after=_audit_view(person))
    return person


def remove(person: Staff, *, actor=None) -> None:
    audit.record("staff.remove", person, actor=actor, before=_audit_view(person))
    db.session.delete(person)
    db.session.flush()


def _audit_view(person: Staff) -> dict:
    """Audit keeps what changed without copying phone numbers into the log."""
    return {"name": person.masked_name, "role": person.role, "health_cert_no": person.health_cert_no,
            "health_cert_expires": person.health_cert_expires, "vaccine_doses": person.vaccine_doses,
            "active": person.active}


def for_shop(shop: Shop, *, active_only: bool = False) -> list[Staff]:
    query = select(Staff).where(Staff.shop_id == shop.id)
    if active_only:
        query = query.where(Staff.active)
    return list(db.session.scalars(query.order_by(Staff.active.desc(), Staff.name)))


def coverage(shop: Shop, on: date | None = None) -> dict:
    """Shop-level summary for regulators: active staff, health certificates valid, vaccination."""
    on = on or today()
    people = for_shop(shop, active_only=True)
    total = len(people)
    valid = sum(1 for p in people if p.health_cert_expires and p.health_cert_expires >= on)
    expiring = sum(1 for p in people if p.health_cert_expires and on <= p.health_cert_expires
                   and (p.health_cert_expires - on).days <= 30)
    vaccinated = sum(1 for p in people if p.vaccine_doses >= 1)
    full = sum(1 for p in people if p.vaccine_doses >= 2)
    boosted = sum(1 for p in people if p.vaccine_doses >= 3)

    def pct(n):
        return round(100 * n / total) if total else None

    return {"total": total, "cert_valid": valid, "cert_missing_or_expired": total - valid,
            "cert_expiring_30": expiring, "vaccinated": vaccinated, "full": full, "boosted": boosted,
            "cert_pct": pct(valid), "vaccinated_pct": pct(vaccinated), "full_pct": pct(full),
            "boosted_pct": pct(boosted)}


def public_view(person: Staff) -> dict:
    """What someone outside the personal-data circle may see: a masked name and the post."""
    return {"name": person.masked_name, "role": person.role}
