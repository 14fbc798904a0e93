"""The fields of a complaint (投诉举报) and of the notes on its steps, one check each, shared by the
citizen's page, the public API and the desk (see `services.core.fields` for the shape).

A complaint's text keeps its line breaks: it is trimmed, not folded like a registry field.
"""
import re

from huishang.i18n import N_, Listing
from huishang.models.feedback import CATEGORY_LABELS, COMPLAINT_CATEGORIES, KINDS
from huishang.services.core import Field, Invalid

DESCRIPTION_MIN, DESCRIPTION_MAX = 5, 1000
NOTE_MAX = 1000
PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


def category(value) -> str:
    """One of the complaint categories (food safety, prices, ...)."""
    chosen = value.strip() if isinstance(value, str) else ""
    if chosen not in COMPLAINT_CATEGORIES:
        raise Invalid(N_("请选择投诉类别：%(categories)s", categories=Listing(CATEGORY_LABELS.values())))
    return chosen


def kind(value) -> str | None:
    """投诉 (`complaint`: the citizen's own dispute with the shop, SAMR Order 20 Art. 3) or 举报
    (`report`: a violation). Left out (API clients of round 3): None, and `submit` reads a filing
    with a name and phone as 投诉, one without as 举报."""
    chosen = value or None
    if chosen is not None and chosen not in KINDS:
        raise Invalid(N_("请选择 投诉（要求解决）或 举报（要求查处）"))
    return chosen


NAME_MAX = 40


def complainant_name(value) -> str | None:
    """The complainant's name as they give it (at most 40 characters); empty → None."""
    typed = " ".join(value.split()) if isinstance(value, str) else ""
    if len(typed) > NAME_MAX:
        raise Invalid(N_("姓名不能超过%(max)s字", max=NAME_MAX))
    return typed or None


def consent(value) -> bool:
    """A ticked box (on, 1, true, yes) or a JSON true."""
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in ("on", "1", "true", "yes", "y")


def description(value) -> str:
    """What happened: 5 to 1,000 characters once trimmed."""
    typed = value.strip() if isinstance(value, str) else ""
    if len(typed) < DESCRIPTION_MIN:
        raise Invalid(N_("请描述发生了什么（至少%(min)s个字）", min=DESCRIPTION_MIN))
    if len(typed) > DESCRIPTION_MAX:
        raise Invalid(N_("描述不能超过%(max)s字（现为%(count)s字）", max=DESCRIPTION_MAX, count=len(typed)))
    return typed


def complainant_phone(value) -> str | None:
    """A mobile (11 digits) or a landline with its area code, blanks dropped; empty → None."""
    phone = "".join(value.split()) if isinstance(value, str) else ""
    if phone and not PHONE.match(phone):
        raise Invalid(N_("电话号码格式错误（手机11位，或带区号的固定电话）"))
    return phone or None


def note(value) -> str:
    """A note on a step or a rating: text, at most 1,000 characters once trimmed; may be empty."""
    if not (isinstance(value, str) or value is None):
        raise Invalid(N_("格式错误"), value="")
    typed = (value or "").strip()
    if len(typed) > NOTE_MAX:
        raise Invalid(N_("不能超过%(max)s字", max=NOTE_MAX), value=typed)
    return typed


def required_note(value) -> str:
    """A note that a step requires (e.g. the reason for closing)."""
    typed = note(value)
    if not typed:
        raise Invalid(N_("请填写说明"), value=typed)
    return typed


CATEGORY = Field("category", category)
KIND = Field("kind", kind)
DESCRIPTION = Field("description", description, max_length=DESCRIPTION_MAX)
PHONE_NUMBER = Field("phone", complainant_phone)
NAME = Field("name", complainant_name, max_length=NAME_MAX)
SMS_CONSENT = Field("sms_consent", consent)
NOTE = Field("note", note, max_length=NOTE_MAX)
REQUIRED_NOTE = Field("note", required_note, max_length=NOTE_MAX)
