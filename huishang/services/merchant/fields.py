"""The fields of a shop's staff record (从业人员) and of a licence (证照), one check each, for the
merchant's pages and API (see `services.core.fields` for the shape)."""
import re

from huishang.i18n import N_
from huishang.services.core import Field, Invalid, clean_text, day, not_after_today, text, yes_no
from huishang.services.registry import PHONE

MAX_DOSES = 6
LICENCE_KINDS = {"food_business": "食品经营许可证", "business": "营业执照",
                 "small_catering": "小餐饮登记证", "food_production": "食品生产许可证",
                 "other": "其他证照"}
_DATE_LIST = re.compile(r"[\s,，;；]+")


def _given_text(limit: int):
    """Free text where nothing given is "" (a staff record is replaced whole)."""
    check = text(limit)
    return lambda value: check("" if value is None else value)


def person_name(value) -> str:
    """The employee's name: required, at most 40 characters."""
    typed = _given_text(40)(value)
    if not typed:
        raise Invalid(N_("请填写姓名"), value=typed)
    return typed


def staff_phone(value) -> str:
    """A phone as the registry takes it (7–20 digits, spaces, `+-()`), at most 30 characters; may be empty."""
    messages = []
    try:
        typed = _given_text(30)(value)
    except Invalid as problem:
        messages, typed = problem.messages, problem.value
    if typed and not PHONE.match(typed):
        messages.append(N_("电话号码格式错误"))
    if messages:
        raise Invalid(*messages, value=typed)
    return typed


def vaccine_dates(value) -> list:
    """The dates of the doses, a list or text separated by blanks, commas or semicolons; none after
    today. Every bad date is reported."""
    raw = value or []
    if not isinstance(raw, (list, tuple)):
        raw = [part for part in _DATE_LIST.split(str(raw)) if part]
    dates, messages = [], []
    for item in raw:
        try:
            parsed = not_after_today(N_("接种日期不能晚于今天"))(item)
        except Invalid as problem:
            messages += problem.messages
            parsed = problem.value
        if parsed:
            dates.append(parsed)
    if messages:
        raise Invalid(*messages, value=dates)
    return dates


def vaccine_doses(value) -> int:
    """Doses received, 0–6 (nothing given: 0)."""
    try:
        doses = int(value or 0)
    except (TypeError, ValueError):
        raise Invalid(N_("应为整数"), value=0) from None
    if not 0 <= doses <= MAX_DOSES:
        raise Invalid(N_("应在0–%(max)s之间", max=MAX_DOSES), value=doses)
    return doses


def licence_kind(value) -> str:
    """One of the licence kinds (食品经营许可证, 营业执照, ...)."""
    kind = str(value or "").strip()
    if kind not in LICENCE_KINDS:
        raise Invalid(N_("请选择证照类型"), value=kind)
    return kind


def licence_number(value) -> str:
    """The licence's number as printed: required, at most 60 characters."""
    number = clean_text(value)
    if not number:
        raise Invalid(N_("请填写证照编号"), value=number)
    if len(number) > 60:
        raise Invalid(N_("不能超过60个字符"), value=number)
    return number


STAFF_NAME = Field("name", person_name, max_length=40)
STAFF_PHONE = Field("phone", staff_phone)
STAFF_ROLE = Field("role", _given_text(40))
HEALTH_CERT_NO = Field("health_cert_no", _given_text(60))
HEALTH_CERT_EXPIRES = Field("health_cert_expires", day)
VACCINE_DATES = Field("vaccine_dates", vaccine_dates)
VACCINE_DOSES = Field("vaccine_doses", vaccine_doses)
STAFF_ACTIVE = Field("active", yes_no)
LICENCE_KIND = Field("kind", licence_kind)
LICENCE_NUMBER = Field("number", licence_number)
ISSUED_ON = Field("issued_on", not_after_today(N_("发证日期不能晚于今天")))
EXPIRES_ON = Field("expires_on", day)
