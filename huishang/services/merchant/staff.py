"""Staff (从业人员): health certificates and vaccination. Personal data — the shop's merchants and
in-scope regulators/inspectors see it; anyone else (a property manager) sees masked names only.
"""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import Shop, Staff, today
from huishang.services import DomainError, registry
from huishang.services.core import audit

FIELDS = ("name", "phone", "role", "health_cert_no", "health_cert_expires", "vaccine_doses",
          "vaccine_dates", "active")
MAX_DOSES = 6


def may_see_personal(user, shop: Shop) -> bool:
    """Names, phones, certificates and vaccination: the shop's merchant and staff in scope."""
    return bool(user and getattr(user, "is_authenticated", False)
                and (user.owns_shop(shop) or (user.is_staff and user.covers_street(shop.street_id))))


def validate(data: dict) -> tuple[dict, dict]:
    errors: dict[str, list[str]] = {}
    clean: dict = {}
    for name, limit in (("name", 40), ("phone", 30), ("role", 40), ("health_cert_no", 60)):
        value = registry.clean_text(data.get(name))
        if len(value) > limit:
            errors.setdefault(name, []).append(N_("不能超过%(max)s个字符", max=limit))
        clean[name] = value
    if not clean["name"]:
        errors.setdefault("name", []).append(N_("请填写姓名"))
    if clean["phone"] and not registry.PHONE.match(clean["phone"]):
        errors.setdefault("phone", []).append(N_("电话号码格式错误"))
    clean["health_cert_expires"] = registry.parse_date(data.get("health_cert_expires"),
                                                       "health_cert_expires", errors)
    if clean["health_cert_expires"] and not clean["health_cert_no"]:
        errors.setdefault("health_cert_no", []).append(N_("填写有效期时请填写健康证编号"))
    dates = []
    raw = data.get("vaccine_dates") or []
    if isinstance(raw, str):
        raw = [part for part in re.split(r"[\s,，;；]+", raw) if part]
    for value in raw:
        parsed = registry.parse_date(value, "vaccine_dates", errors)
        if parsed:
            if parsed > today():
                errors.setdefault("vaccine_dates", []).append(N_("接种日期不能晚于今天"))
            dates.append(parsed)
    try:
        doses = int(data.get("vaccine_doses") or 0)
    except (TypeError, ValueError):
        errors.setdefault("vaccine_doses", []).append(N_("应为整数"))
        doses = 0
    if not 0 <= doses <= MAX_DOSES:
        errors.setdefault("vaccine_doses", []).append(N_("应在0–%(max)s之间", max=MAX_DOSES))
    doses = max(doses, len(dates))
    clean["vaccine_doses"] = doses
    clean["vaccine_dates"] = sorted(d.isoformat() for d in dates)
    clean["active"] = registry.parse_bool(data.get("active", True), "active", errors) is not False
    return clean, errors


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
