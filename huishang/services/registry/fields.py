"""The fields of a shop record, one check each, shared by the admin form, the API and
`flask shops import` (and the merchant's and property manager's requests): the same bad value gets
the same message wherever it is typed.

Each check is pure (see `services.core.fields`): value in → clean value out, or `Invalid` with the
field's `N_()` message. The catalogue fields (street, business type, complex) look the value up in
the `Lookups` given to them, never in the database. `shops.validate_shop` composes these checks per
concern and adds the rules between fields.
"""
from __future__ import annotations

import re

from huishang.i18n import N_
from huishang.services.core import (
    NOTHING,
    Field,
    Invalid,
    blank,
    clean_text,
    day,
    not_after_today,
    number,
    text,
    text_field,
    yes_no,
)

from . import codes, uscc

# Xuhui and its surroundings, generously: coordinates outside are almost surely swapped or wrong.
LAT_RANGE = (30.6, 31.6)
LNG_RANGE = (120.8, 122.2)
BREAKFAST_SPEND_RANGE = (0, 500)
BREAKFAST_WAIT_RANGE = (0, 240)
PHONE = re.compile(r"^[0-9+\-() ]{7,20}$")
STATUS_ALIASES = {"营业": "open", "停业": "suspended", "注销": "closed", "open": "open",
                  "suspended": "suspended", "closed": "closed"}
TEXT_LIMITS = {"sign_name": 100, "address": 200, "contact": 60, "phone": 30, "opening_hours": 100,
               "entity_name": 200, "legal_rep": 60, "breakfast_offer": 300, "breakfast_hours": 40,
               "licence_no": 60}
CLOSE_BY_ACTION = N_("注销请使用关闭商铺操作")


# -- checks ---------------------------------------------------------------------------------------
# The catalogue checks answer a blank value before looking anything up, so a front-end may ask
# them what "nothing given" means without `lookups`.

def uscc_code(value) -> str:
    """统一社会信用代码, normalised (upper case, full-width folded); blank → NOTHING."""
    if blank(value):
        return NOTHING
    code = uscc.normalise(value)
    problem = uscc.validate(value)
    if problem:
        raise Invalid(problem, value=code)
    return code


def plate_code(value) -> str:
    """A plate code already on a wall, as printed or typed (`ABCD EFGH J`); blank → NOTHING."""
    if blank(value):
        return NOTHING
    code = codes.normalise(clean_text(value))
    if not codes.is_genuine(code):
        raise Invalid(N_("商铺码格式或校验位错误：%(code)s", code=value), value=code)
    return code


def phone(value) -> str:
    """A phone number: digits, spaces, `+-()`, 7–20 characters (full-width digits folded); "" is
    no phone."""
    messages = []
    try:
        cleaned = text(TEXT_LIMITS["phone"])(value)
    except Invalid as problem:
        messages, cleaned = problem.messages, problem.value
    if cleaned and not PHONE.match(cleaned):
        messages.append(N_("电话号码格式错误：%(phone)s", phone=value))
    if messages:
        raise Invalid(*messages, value=cleaned)
    return cleaned


def within(low: float, high: float):
    """The check of a number that must lie in [low, high]; None or "" → None."""

    def check(value) -> float | None:
        result = number(value)
        if result is not None and not low <= result <= high:
            raise Invalid(N_("超出徐汇区范围（%(low)s–%(high)s）：%(value)s", low=low, high=high, value=value),
                          value=None)
        return result

    return check


latitude = within(*LAT_RANGE)
longitude = within(*LNG_RANGE)
breakfast_spend = within(*BREAKFAST_SPEND_RANGE)


def breakfast_wait(value) -> int | None:
    """Minutes of waiting, 0–240, whole (a fraction is cut off)."""
    minutes = within(*BREAKFAST_WAIT_RANGE)(value)
    return int(minutes) if minutes is not None else None


def status(value) -> str:
    """营业/停业/注销 (or open/suspended/closed) → open/suspended/closed; None → NOTHING."""
    if value is None:
        return NOTHING
    found = STATUS_ALIASES.get(clean_text(value).lower())
    if found is None:
        raise Invalid(N_("状态必须是 营业/停业/注销：%(status)s", status=value), value=None)
    return found


def open_status(value) -> str:
    """A status a change may set: 注销 has its own action (with a reason)."""
    found = status(value)
    if found == "closed":
        raise Invalid(CLOSE_BY_ACTION, value=found)
    return found


registered_on = not_after_today(N_("登记日期不能晚于今天"))


def street(value, lookups=None) -> int:
    """街道/镇 by name or code → its id; blank → NOTHING."""
    if blank(value):
        return NOTHING
    found = lookups.street(value)
    if found is None:
        raise Invalid(N_("未知街道：%(street)s", street=value))
    return found.id


def business_type(value, lookups=None) -> int:
    """业态 by catalogue code or name (a type, not a family) → its id; blank → NOTHING."""
    if blank(value):
        return NOTHING
    found = lookups.business_type(value)
    if found is None:
        raise Invalid(N_("未知业态：%(code)s", code=value))
    return found.id


def complex_id(value, lookups=None) -> int | None:
    """商业综合体 by name → its id; blank → None (not inside a complex)."""
    if blank(value):
        return None
    found = lookups.complex(value)
    if found is None:
        raise Invalid(N_("未知商业综合体：%(complex)s", complex=value))
    return found.id


# -- the fields of a shop record ------------------------------------------------------------------

USCC = Field("uscc", uscc_code)
ENTITY_NAME = text_field("entity_name", TEXT_LIMITS["entity_name"])
LEGAL_REP = text_field("legal_rep", TEXT_LIMITS["legal_rep"])
CODE = Field("code", plate_code)
SIGN_NAME = text_field("sign_name", TEXT_LIMITS["sign_name"])
ADDRESS = text_field("address", TEXT_LIMITS["address"])
STREET = Field("street", street, key="street_id")
COMPLEX = Field("complex", complex_id, key="complex_id")
LAT = Field("lat", latitude)
LNG = Field("lng", longitude)
BUSINESS_TYPE = Field("business_type", business_type, key="business_type_id")
STATUS = Field("status", status)
OPEN_STATUS = Field("status", open_status)
COLD_CHAIN = Field("cold_chain", yes_no)
SERVES_BREAKFAST = Field("serves_breakfast", yes_no)
BREAKFAST_SPEND = Field("breakfast_spend", breakfast_spend)
BREAKFAST_WAIT = Field("breakfast_wait", breakfast_wait)
BREAKFAST_OFFER = text_field("breakfast_offer", TEXT_LIMITS["breakfast_offer"])
BREAKFAST_HOURS = text_field("breakfast_hours", TEXT_LIMITS["breakfast_hours"])
CONTACT = text_field("contact", TEXT_LIMITS["contact"])
PHONE_NUMBER = Field("phone", phone)  # its size is part of its check, not the only one
OPENING_HOURS = text_field("opening_hours", TEXT_LIMITS["opening_hours"])
LICENCE_NO = text_field("licence_no", TEXT_LIMITS["licence_no"])
LICENCE_EXPIRES = Field("licence_expires", day)
REGISTERED_ON = Field("registered_on", registered_on)
