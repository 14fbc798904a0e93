"""移送立案 — referring an inspection's failed key item for a case.

SAMR Order 49 Art. 32–33 (domain-research §1.1): a key item (重点项) not met leads to an
investigation; the inspection record is evidence (Art. 30). The platform does not open the case
(that happens in the case-handling system); it records that the inspection was referred — who,
when and the note — on the inspection, audited, and shows it on the result page to regulators and
inspectors. It is internal: the merchant's and the public's variants never carry it.
"""
from __future__ import annotations

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import Inspection, utcnow
from huishang.services import Conflict, DomainError
from huishang.services.core import audit

from .fields import MAX_NOTE


def failed_key_items(inspection: Inspection) -> list:
    """The key items (重点项) answered 不符合 — what can be referred."""
    return [a.item for a in inspection.answers if a.result == "fail" and a.item is not None and a.item.key]


def can_refer(inspection: Inspection, user) -> bool:
    """Staff whose scope covers the shop, for an inspection with a failed key item, not yet referred."""
    return (
        inspection.referred_at is None
        and getattr(user, "is_staff", False)
        and inspection.shop.can_inspect(user)
        and bool(failed_key_items(inspection))
    )


def refer(inspection: Inspection, *, actor, note: str) -> Inspection:
    """Record the referral (移送立案) of `inspection`. Raises DomainError naming `note` (required,
    at most 1,000 characters) or `inspection` (no failed key item), Conflict when already referred."""
    if inspection.referred_at is not None:
        raise Conflict(N_("该检查已移送立案"), {"inspection": [N_("已移送立案")]})
    if not failed_key_items(inspection):
        raise DomainError(N_("只有重点项不符合的检查才能移送立案"), {"inspection": [N_("没有不符合的重点项")]})
    note = " ".join((note or "").split())
    if not note:
        raise DomainError(N_("请填写移送说明"), {"note": [N_("请填写移送说明（如移送的案件线索、承办机构）")]})
    if len(note) > MAX_NOTE:
        raise DomainError(N_("说明过长"), {"note": [N_("不能超过%(max)s字", max=MAX_NOTE)]})
    inspection.referred_at = utcnow()
    inspection.referred_by_id = actor.id
    inspection.referral_note = note
    db.session.flush()
    audit.record(
        "inspection.refer",
        inspection,
        actor=actor,
        before={"referred_at": None},
        after={"referred_at": inspection.referred_at, "referral_note": note,
               "items": [item.text for item in failed_key_items(inspection)]},
    )
    return inspection
