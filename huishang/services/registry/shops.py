"""The shop registry: one domain layer behind the admin pages, merchant pages, the API and the
`flask shops import` command. Every function validates first and writes nothing on bad input;
it flushes, and the caller commits once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import BusinessType, Complex, Entity, Licence, PlateCode, Shop, Street, today
from huishang.models.scope import scoped
from huishang.models.users import user_shops
from huishang.services import Conflict, DomainError
from huishang.services.core import Report, audit, clean_text, day, report_into, yes_no
from huishang.signals import shop_changed

from . import codes, fields

AUDITED_FIELDS = ("code", "sign_name", "address", "street_id", "complex_id", "business_type_id",
                  "lat", "lng", "status", "contact", "phone", "opening_hours", "registered_on",
                  "cold_chain", "canteen_kind", "serves_breakfast", "breakfast_spend",
                  "breakfast_wait", "breakfast_offer", "breakfast_hours", "entity_id")
# What a new shop must have; a change may leave any of them out.
REQUIRED = ("uscc", "entity_name", "sign_name", "address", "street", "business_type")


def parse_bool(value, name: str, errors: dict) -> bool | None:
    """`core.fields.yes_no` for callers that keep a `{field: [messages]}` dict."""
    return report_into(errors, name, yes_no, value)


def parse_date(value, name: str, errors: dict) -> date | None:
    """`core.fields.day` for callers that keep a `{field: [messages]}` dict."""
    return report_into(errors, name, day, value)


@dataclass
class Lookups:
    """Reference data by name and code, loaded once (imports validate thousands of rows)."""

    streets: dict[str, Street] = field(default_factory=dict)
    types: dict[str, BusinessType] = field(default_factory=dict)
    complexes: dict[str, Complex] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Lookups:
        lookups = cls()
        for street in db.session.scalars(select(Street)):
            lookups.streets[street.name] = street
            lookups.streets[street.code.upper()] = street
            lookups.streets[str(street.id)] = street
        for bt in db.session.scalars(select(BusinessType).where(BusinessType.static_risk.is_not(None))):
            lookups.types[bt.code] = bt
            lookups.types[bt.name] = bt
            lookups.types[str(bt.id)] = bt
        for cx in db.session.scalars(select(Complex)):
            lookups.complexes[cx.name] = cx
            lookups.complexes[str(cx.id)] = cx
        return lookups

    def street(self, value) -> Street | None:
        key = clean_text(value)
        return self.streets.get(key) or self.streets.get(key.upper())

    def business_type(self, value) -> BusinessType | None:
        return self.types.get(clean_text(value))

    def complex(self, value) -> Complex | None:
        return self.complexes.get(clean_text(value))


def validate_shop(data: dict, lookups: Lookups, *, partial: bool = False) -> tuple[dict, dict]:
    """Check a shop record (import row, form or API body) without touching the session.

    Returns (clean, errors). `clean` holds model-ready values for the keys present in `data`;
    `errors` maps each bad field to its messages. With partial=False the required fields must
    be present.
    """
    report = Report(data)
    if not partial:
        report.require(*REQUIRED)
    check_identity(report, partial)
    check_place(report, lookups, partial)
    check_business(report, lookups)
    check_contact(report)
    check_licence(report)
    check_dates(report)
    return report.clean, report.errors


def check_identity(report: Report, partial: bool) -> None:
    """The market entity (统一社会信用代码, name, legal representative), the plate code and the sign."""
    for each in (fields.USCC, fields.ENTITY_NAME, fields.LEGAL_REP, fields.CODE, fields.SIGN_NAME):
        report.take(each)
    if partial:
        report.require("sign_name", when_given=True)


def check_place(report: Report, lookups: Lookups, partial: bool) -> None:
    """Address, street, complex and coordinates inside the district; both coordinates or neither
    (asked only when neither is wrong in itself)."""
    report.take(fields.ADDRESS)
    if partial:
        report.require("address", when_given=True)
    report.take(fields.STREET, lookups)
    report.take(fields.COMPLEX, lookups)
    report.take(fields.LAT)
    report.take(fields.LNG)
    lat, lng = report.clean.get("lat"), report.clean.get("lng")
    if not partial and not {"lat", "lng"} & report.errors.keys() and (lat is None) != (lng is None):
        report.add("lat" if lat is None else "lng", N_("经纬度须同时填写"))


def check_business(report: Report, lookups: Lookups) -> None:
    """Business type, status, cold chain and the breakfast offer."""
    report.take(fields.BUSINESS_TYPE, lookups)
    for each in (fields.STATUS, fields.COLD_CHAIN, fields.SERVES_BREAKFAST, fields.BREAKFAST_SPEND,
                 fields.BREAKFAST_WAIT, fields.BREAKFAST_OFFER, fields.BREAKFAST_HOURS):
        report.take(each)


def check_contact(report: Report) -> None:
    """Contact person, phone and opening hours."""
    for each in (fields.CONTACT, fields.PHONE_NUMBER, fields.OPENING_HOURS):
        report.take(each)


def check_licence(report: Report) -> None:
    """The main licence: an expiry date needs the licence's number."""
    report.take(fields.LICENCE_NO)
    report.take(fields.LICENCE_EXPIRES)
    if report.clean.get("licence_expires") and not report.clean.get("licence_no"):
        report.add("licence_no", N_("填写许可证有效期时须填写许可证号"))


def check_dates(report: Report) -> None:
    """登记日期, not after today."""
    report.take(fields.REGISTERED_ON)


def code_in_use(code: str) -> bool:
    return bool(db.session.scalar(select(PlateCode.id).where(PlateCode.code == code))
                or db.session.scalar(select(Shop.id).where(Shop.code == code)))


def new_code() -> str:
    while True:
        code = codes.mint()
        if not code_in_use(code):
            return code


def find_or_create_entity(uscc_code: str, name: str, legal_rep: str = "") -> Entity:
    entity = db.session.scalar(select(Entity).where(Entity.uscc == uscc_code))
    if entity is None:
        entity = Entity(uscc=uscc_code, name=name, legal_rep=legal_rep)
        db.session.add(entity)
    return entity


SHOP_COLUMNS = ("sign_name", "address", "street_id", "complex_id", "business_type_id", "lat", "lng",
                "status", "contact", "phone", "opening_hours", "registered_on", "cold_chain",
                "serves_breakfast", "breakfast_spend", "breakfast_wait", "breakfast_offer",
                "breakfast_hours")


def register_shop(data: dict, *, actor=None, lookups: Lookups | None = None) -> Shop:
    """Register a shop, minting its public code unless a valid plate code is given.

    Raises DomainError (422) naming each bad field, Conflict (409) for a code already in use.
    """
    lookups = lookups or Lookups.load()
    clean, errors = validate_shop(data, lookups)
    if errors:
        raise DomainError(N_("商铺信息有误"), errors)
    if clean.get("code") and code_in_use(clean["code"]):
        raise Conflict(N_("商铺码已被使用"), {"code": [N_("商铺码已被使用：%(code)s", code=clean["code"])]})
    entity = find_or_create_entity(clean["uscc"], clean["entity_name"], clean.get("legal_rep", ""))
    shop = Shop(code=clean.get("code") or new_code(), entity=entity,
                **{k: clean[k] for k in SHOP_COLUMNS if k in clean and clean[k] is not None})
    bt = db.session.get(BusinessType, shop.business_type_id)
    if bt and bt.code.startswith("group_meal.") and not shop.canteen_kind:
        shop.canteen_kind = {"school_canteen": "school", "elderly_canteen": "elderly",
                             "hospital_canteen": "hospital",
                             "company_canteen": "company"}.get(bt.code.split(".", 1)[1])
    db.session.add(shop)
    if clean.get("licence_no"):
        shop.licences.append(Licence(kind="food_business" if bt and bt.is_food else "business",
                                     number=clean["licence_no"], expires_on=clean.get("licence_expires")))
    db.session.flush()
    db.session.add(PlateCode(code=shop.code, shop_id=shop.id))
    audit.record("shop.register", shop, actor=actor, after=audit.snapshot(shop, AUDITED_FIELDS))
    after_shop_change(shop)
    return shop


def update_shop(shop: Shop, data: dict, *, actor=None, lookups: Lookups | None = None) -> Shop:
    """Apply a partial update. Raises DomainError naming each bad field; writes nothing then."""
    if "code" in data:
        raise DomainError(N_("商铺码不能直接修改，请通过补发铭牌更换"), {"code": [N_("商铺码只能通过补发铭牌更换")]})
    lookups = lookups or Lookups.load()
    clean, errors = validate_shop(data, lookups, partial=True)
    if clean.get("status") == "closed":
        errors.setdefault("status", []).append(fields.CLOSE_BY_ACTION)
    if errors:
        raise DomainError(N_("商铺信息有误"), errors)
    before = _audited(shop)
    for key in SHOP_COLUMNS:
        if key in clean:
            setattr(shop, key, clean[key])
    if "uscc" in clean or "entity_name" in clean:
        target = clean.get("uscc", shop.entity.uscc)
        if target != shop.entity.uscc:
            shop.entity = find_or_create_entity(target, clean.get("entity_name") or shop.entity.name)
        elif clean.get("entity_name"):
            shop.entity.name = clean["entity_name"]
    if "licence_no" in clean or "licence_expires" in clean:
        set_main_licence(shop, clean.get("licence_no"), clean.get("licence_expires"))
    db.session.flush()
    after = _audited(shop)
    changed = {k for k in after if after[k] != before.get(k)}
    if changed:
        audit.record("shop.update", shop, actor=actor,
                     before={k: before.get(k) for k in changed}, after={k: after[k] for k in changed})
        after_shop_change(shop)
    return shop


def _audited(shop: Shop) -> dict:
    """What a change of the shop record is compared and audited on: its fields and its main
    licence (a new expiry date changes the citizen face, the reminders and the record)."""
    licence = next((lic for lic in shop.licences if lic.kind in ("food_business", "business")), None)
    return {**audit.snapshot(shop, AUDITED_FIELDS),
            "licence_no": licence.number if licence else None,
            "licence_expires": licence.expires_on.isoformat() if licence and licence.expires_on else None}


def set_main_licence(shop: Shop, number: str | None, expires_on: date | None) -> None:
    licence = next((lic for lic in shop.licences if lic.kind in ("food_business", "business")), None)
    if licence is None and number:
        shop.licences.append(Licence(kind="food_business" if shop.business_type.is_food else "business",
                                     number=number, expires_on=expires_on))
    elif licence is not None:
        if number:
            licence.number = number
        if expires_on is not None:
            licence.expires_on = expires_on


def close_shop(shop: Shop, *, actor=None, reason: str = "", on: date | None = None) -> Shop:
    """注销: the shop leaves the plan and the public lists; its history stays."""
    if shop.status == "closed":
        raise Conflict(N_("商铺已注销"), {"status": [N_("商铺已注销")]})
    before = {"status": shop.status}
    shop.status = "closed"
    shop.closed_on = on or today()
    db.session.flush()
    audit.record("shop.close", shop, actor=actor, before=before,
                 after={"status": "closed", "reason": clean_text(reason)[:500]})
    after_shop_change(shop)
    return shop


def after_shop_change(shop: Shop) -> None:
    """Tell the features that keep something derived from `shop` (grading, the scan caches) that it
    changed: the `shop_changed` signal, received in this transaction."""
    shop_changed.send(shop)


def get_shop(code: str) -> Shop | None:
    return db.session.scalar(select(Shop).where(Shop.code == codes.normalise(code)))


# Fields a merchant changes at once; the rest are regulated and go through review.
MERCHANT_OPEN_FIELDS = {"contact", "phone", "opening_hours", "serves_breakfast", "breakfast_spend",
                        "breakfast_wait", "breakfast_offer", "breakfast_hours", "cold_chain"}


def scoped_shops(user):
    """A SELECT of the shops `user` may see beyond the public face."""
    query = select(Shop)
    if user.role == "merchant":
        return query.join(user_shops, user_shops.c.shop_id == Shop.id).where(user_shops.c.user_id == user.id)
    if user.role == "property":
        return query.where(Shop.complex_id == (user.complex_id or -1))
    return scoped(query, user, Shop.street_id)


def filter_shops(query, *, street=None, business_type=None, status=None, q=None, complex=None):
    """Apply the registry filters. Unknown street or business type raises DomainError."""
    if street:
        st = db.session.scalar(select(Street).where((Street.name == street) | (Street.code == street.upper())))
        if st is None:
            raise DomainError(N_("未知街道"), {"street": [N_("未知街道：%(street)s", street=street)]}, status=400)
        query = query.where(Shop.street_id == st.id)
    if business_type:
        bt = db.session.scalar(select(BusinessType).where(
            (BusinessType.code == business_type) | (BusinessType.name == business_type)))
        if bt is None:
            raise DomainError(N_("未知业态"), {"business_type": [N_("未知业态：%(code)s", code=business_type)]},
                              status=400)
        if bt.static_risk is None:  # a family: all its leaves
            query = query.join(BusinessType, Shop.business_type_id == BusinessType.id).where(
                BusinessType.parent_id == bt.id)
        else:
            query = query.where(Shop.business_type_id == bt.id)
    if complex:
        cx = db.session.scalar(select(Complex).where(Complex.name == complex))
        query = query.where(Shop.complex_id == (cx.id if cx else -1))
    if status:
        query = query.where(Shop.status == status)
    if q:
        text = clean_text(q)
        like = f"%{text.replace('%', '').replace('_', '')}%"
        plate = codes.normalise(text)  # a code as printed or typed: `ABCD EFGH J`, `abcd-efgh-j`
        query = query.join(Entity, Shop.entity_id == Entity.id).where(
            Shop.sign_name.ilike(like) | Shop.address.ilike(like) | Entity.name.ilike(like)
            | (Shop.code == (plate if codes.is_genuine(plate) else text.upper()))
            | (Entity.uscc == text.upper()))
    return query
