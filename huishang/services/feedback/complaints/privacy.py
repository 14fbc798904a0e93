"""What staff and the public see of a complaint: the complainant's phone and description in full
only for the assigned handler, partly masked for other staff, and a public excerpt."""
from __future__ import annotations

from huishang.models import Complaint

from .. import moderation


def mask_phone(phone: str | None) -> str | None:
    """138****1234 — what everyone but the assigned handler sees."""
    if not phone:
        return None
    digits = phone.replace("-", "")
    if len(digits) >= 7:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return "*" * len(digits)


def is_handler(complaint: Complaint, user) -> bool:
    """Whether `user` is the complaint's assigned handler (a regulator): the one who sees personal data."""
    return user is not None and getattr(user, "role", None) == "regulator" and complaint.assignee_id == user.id


def phone_for(complaint: Complaint, user) -> str | None:
    """The phone in full for the assigned handler, masked for any other staff."""
    if is_handler(complaint, user):
        return complaint.phone
    return mask_phone(complaint.phone)


def mask_name(name: str | None) -> str | None:
    """张** — the first character only, for staff other than the handler."""
    if not name:
        return None
    return name[0] + "*" * max(1, len(name) - 1)


def name_for(complaint: Complaint, user) -> str | None:
    """The complainant's name in full for the assigned handler, masked for any other staff."""
    return complaint.name if is_handler(complaint, user) else mask_name(complaint.name)


def description_for(complaint: Complaint, user) -> str:
    """The description as typed for the assigned handler; for any other staff the numbers and
    e-mail addresses in it partly masked (138****5678), as on the supervision face."""
    if is_handler(complaint, user):
        return complaint.description or ""
    return moderation.mask_personal(complaint.description, partial=True)


def excerpt(text: str, length: int = 60) -> str:
    """A short public excerpt: personal numbers masked, text with filtered words withheld."""
    verdict = moderation.check(text)
    if verdict.reject or [w for w in verdict.hold if w != "个人信息"]:
        return "（内容不公开）"
    masked = moderation.mask_personal(" ".join((text or "").split()))
    return masked if len(masked) <= length else masked[:length] + "…"
