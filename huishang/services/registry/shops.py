"""The shop registry: one domain layer behind the admin pages, merchant pages, the API and the
`flask shops import` command. Every function validates first and writes nothing on bad input;
it flushes, and the caller commits once.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import BusinessType, Complex, Entity, Licence, PlateCode, Shop, Street, today
from huishang.models.scope import scoped
from huishang.models.users import user_shops
from huishang.services import Conflict, DomainError
from huishang.services.core import audit
from huishang.signals import shop_changed

from . import codes, uscc

# Xuhui and its surroundings, generously: coordinates outside are almost surely swapped or wrong.
LAT_RANGE = (30.6, 31.6)
LNG_RANGE = (120.8, 122.2)
PHONE = re.compile(r"^[0-9+\-() ]{7,20}$")
STATUS_ALIASES = {"营业": "open", "停业": "suspended", "注销": "closed", "open": "open",
                  "suspended": "suspended", "closed": "closed"}
TRUE_WORDS = {"1", "true", "yes", "y", "是", "有", "供应", "√", "t"}
FALSE_WORDS = {"", "0", "false", "no", "n", "否", "无", "不供应", "f"}
AUDITED_FIELDS = ("code", "sign_name", "address", "street_id", "complex_id", "business_type_id",
                  "lat", "lng", "status", "contact", "phone", "opening_hours", "registered_on",
                  "cold_chain", "canteen_kind", "serves_breakfast", "breakfast_spend",
                  "breakfast_wait", "breakfast_offer", "breakfast_hours", "entity_id")
TEXT_LIMITS = {"sign_name": 100, "address": 200, "contact": 60, "phone": 30, "opening_hours": 100,
               "entity_name": 200, "legal_rep": 60, "breakfast_offer": 300, "breakfast_hours": 40,
               "licence_no": 60}


_FOLD = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_BLANKS = re.compile(r"\s+")


def clean_text(value) -> str:
    """Trim, fold full-width ASCII and ideographic spaces to half-width, collapse blanks.
    (str.translate: an import calls this a few million times.)"""
    if value is None:
        return ""
    return _BLANKS.sub(" ", str(value).translate(_FOLD)).strip()


def parse_bool(value, name: str, errors: dict) -> bool | None:
    if isinstance(value, bool):
        return value
    if value is None:
        return None
    word = clean_text(value).lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    errors.setdefault(name, []).append(N_("无法识别的是/否值：%(value)s", value=value))
    return None


def parse_date(value, name: str, errors: dict) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = clean_text(value).replace("年", "-").replace("月", "-").replace("日", "")
    text = text.replace("/", "-").replace(".", "-")
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    errors.setdefault(name, []).append(N_("日期格式错误（应为 YYYY-MM-DD）：%(value)s", value=value))
    return None


def parse_float(value, name: str, errors: dict, bounds: tuple[float, float] | None = None):
    if value is None or value == "":
        return None
    try:
        number = float(clean_text(value)) if not isinstance(value, (int, float)) else float(value)
    except ValueError:
        errors.setdefault(name, []).append(N_("应为数字：%(value)s", value=value))
        return None
    if number != number or number in (float("inf"), float("-inf")):
        errors.setdefault(name, []).append(N_("应为有限数字"))
        return None
    if bounds and not bounds[0] <= number <= bounds[1]:
        errors.setdefault(name, []).append(
            N_("超出徐汇区范围（%(low)s–%(high)s）：%(value)s", low=bounds[0], high=bounds[1], value=value))
        return None
    return number


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
    errors: dict[str, list[str]] = {}
    clean: dict = {}
    required = ("uscc", "entity_name", "sign_name", "address", "street", "business_type")
    if not partial:
        for name in required:
            if not clean_text(data.get(name)):
                errors.setdefault(name, []).append(N_("必填项不能为空"))
    for name, limit in TEXT_LIMITS.items():
        if name in data and data[name] is not None:
            value = clean_text(data[name])
            if len(value) > limit:
                errors.setdefault(name, []).append(N_("不能超过%(max)s个字符", max=limit))
            clean[name] = value
    if partial:
        for name in ("sign_name", "address"):
            if name in data and not clean.get(name):
                errors.setdefault(name, []).append(N_("必填项不能为空"))
    if clean_text(data.get("uscc")):
        problem = uscc.validate(data["uscc"])
        if problem:
            errors.setdefault("uscc", []).append(problem)
        clean["uscc"] = uscc.normalise(data["uscc"])
    if clean_text(data.get("code")):
        code = codes.normalise(clean_text(data["code"]))
        if not codes.is_genuine(code):
            errors.setdefault("code", []).append(N_("商铺码格式或校验位错误：%(code)s", code=data["code"]))
        clean["code"] = code
    if clean_text(data.get("street")):
        street = lookups.street(data["street"])
        if street is None:
            errors.setdefault("street", []).append(N_("未知街道：%(street)s", street=data["street"]))
        else:
            clean["street_id"] = street.id
    if clean_text(data.get("business_type")):
        bt = lookups.business_type(data["business_type"])
        if bt is None:
            errors.setdefault("business_type", []).append(N_("未知业态：%(code)s", code=data["business_type"]))
        else:
            clean["business_type_id"] = bt.id
    if "complex" in data:
        if clean_text(data.get("complex")):
            cx = lookups.complex(data["complex"])
            if cx is None:
                errors.setdefault("complex", []).append(N_("未知商业综合体：%(complex)s", complex=data["complex"]))
            else:
                clean["complex_id"] = cx.id
        else:
            clean["complex_id"] = None
    for name, bounds in (("lat", LAT_RANGE), ("lng", LNG_RANGE)):
        if name in data:
            clean[name] = parse_float(data[name], name, errors, bounds)
    if bool(clean.get("lat") is None) != bool(clean.get("lng") is None) and not partial:
        errors.setdefault("lat" if clean.get("lat") is None else "lng", []).append(N_("经纬度须同时填写"))
    if clean.get("phone") and not PHONE.match(clean["phone"]):
        errors.setdefault("phone", []).append(N_("电话号码格式错误：%(phone)s", phone=data["phone"]))
    if "status" in data and data["status"] is not None:
        status = STATUS_ALIASES.get(clean_text(data["status"]).lower())
        if status is None:
            errors.setdefault("status", []).append(N_("状态必须是 营业/停业/注销：%(status)s", status=data["status"]))
        clean["status"] = status
    for name in ("registered_on", "licence_expires"):
        if name in data:
            clean[name] = parse_date(data[name], name, errors)
    if clean.get("registered_on") and clean["registered_on"] > today():
        errors.setdefault("registered_on", []).append(N_("登记日期不能晚于今天"))
    for name in ("serves_breakfast", "cold_chain"):
        if name in data:
            value = parse_bool(data[name], name, errors)
            if value is not None:
                clean[name] = value
    if "breakfast_spend" in data:
        clean["breakfast_spend"] = parse_float(data["breakfast_spend"], "breakfast_spend", errors, (0, 500))
    if "breakfast_wait" in data:
        wait = parse_float(data["breakfast_wait"], "breakfast_wait", errors, (0, 240))
        clean["breakfast_wait"] = int(wait) if wait is not None else None
    if clean.get("licence_expires") and not clean.get("licence_no"):
        errors.setdefault("licence_no", []).append(N_("填写许可证有效期时须填写许可证号"))
    return clean, errors


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
        errors.setdefault("status", []).append(N_("注销请使用关闭商铺操作"))
    if errors:
        raise DomainError(N_("商铺信息有误"), errors)
    before = audit.snapshot(shop, AUDITED_FIELDS)
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
    after = audit.snapshot(shop, AUDITED_FIELDS)
    changed = {k for k in after if after[k] != before.get(k)}
    if changed:
        audit.record("shop.update", shop, actor=actor,
                     before={k: before.get(k) for k in changed}, after={k: after[k] for k in changed})
        after_shop_change(shop)
    return shop


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
