"""The sensitive-word filter for citizen text and the review moderation queue.

Two lists live in `huishang/catalog/sensitive_words.txt`:
- `[reject]` (spam, illegal trades, threats): the text is refused outright, nothing is stored;
- `[hold]` (insults, abuse) and any personal data `mask_personal` would mask (a mobile, also grouped
  or with +86, a landline, an ID-card number, an e-mail address): the review is stored but held —
  hidden from the public page and from the rating — until a regulator restores it (or hides it for
  good). Every decision is audited with its reason.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from flask_login import current_user
from sqlalchemy import func, select

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import Review, Shop, utcnow
from huishang.models.scope import scoped
from huishang.services import Conflict, DomainError
from huishang.services.core import audit

WORDS_FILE = Path(__file__).resolve().parents[2] / "catalog" / "sensitive_words.txt"
_SKIP = re.compile(r"[\s\W_]+", re.UNICODE)
REASON_MAX = 300


@dataclass
class Verdict:
    """What the filter says about a text: `reject` words refuse it, `hold` reasons queue it."""

    reject: list[str] = field(default_factory=list)
    hold: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.reject and not self.hold


def normalise(text: str) -> str:
    """Fold width and case and drop spaces and punctuation, so that 加 微-信 reads 加微信."""
    folded = unicodedata.normalize("NFKC", text or "").lower()
    return _SKIP.sub("", folded)


@lru_cache(maxsize=1)
def word_lists() -> dict[str, tuple[str, ...]]:
    lists: dict[str, list[str]] = {"reject": [], "hold": []}
    section = None
    for raw in WORDS_FILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        if section in lists:
            word = normalise(line)
            if word:
                lists[section].append(word)
    return {k: tuple(v) for k, v in lists.items()}


def check(text: str) -> Verdict:
    """Run the filter over `text`."""
    verdict = Verdict()
    flat = normalise(text)
    lists = word_lists()
    verdict.reject = [w for w in lists["reject"] if w in flat]
    verdict.hold = [w for w in lists["hold"] if w in flat]
    if has_personal(text):
        verdict.hold.append("个人信息")
    return verdict


_MASKABLE = re.compile(
    r"(?P<email>[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"
    r"|(?<![0-9])(?P<id>[0-9]{3})[0-9]{3}[- ]?[0-9]{8}[- ]?(?P<id_end>[0-9]{3}[0-9Xx])(?![0-9])"
    r"|(?<![0-9])(?P<cc>(?:\+|00)?86[- ]?)?(?P<mobile>1[3-9][0-9])[- ]?[0-9]{4}[- ]?(?P<mobile_end>[0-9]{4})(?![0-9])"
    r"|(?<![0-9])(?P<area>\(?0[0-9]{2,3}?\)?[- ]?)[0-9]{3,4}[- ]?(?P<line_end>[0-9]{4})(?![0-9])")


def _fold(text: str) -> str:
    """Full-width digits and letters → ASCII, character by character, so positions stay those of `text`."""
    return "".join(f if len(f := unicodedata.normalize("NFKC", ch)) == 1 else ch for ch in text)


def has_personal(text: str | None) -> bool:
    """Whether `text` holds anything `mask_personal` would mask (the same patterns, one definition)."""
    return _MASKABLE.search(_fold(text or "")) is not None


def _mask(m: re.Match) -> str:
    if m["email"]:
        local, _, domain = m["email"].partition("@")
        return f"{local[0]}***@{domain}"
    if m["id"]:
        return m["id"] + "*" * 11 + m["id_end"].upper()
    if m["mobile"]:
        return f"{m['cc'] or ''}{m['mobile']}****{m['mobile_end']}"
    return f"{m['area']}****{m['line_end']}"


def mask_personal(text: str | None, *, partial: bool = False) -> str:
    """Citizen text with personal data masked: mainland mobiles (also with +86 or grouped),
    landlines with area code, 18-character ID numbers and e-mail addresses; full-width digits
    count, everything else is left exactly as typed.

    `partial=True` is for staff who do not handle the case (the supervision face): enough to tell
    numbers apart — 138****5678, 021-****1234, 110***********123X, z***@example.com. The default
    hides the whole match in stars: for the merchant complained about (who may hold customers'
    numbers) and the public."""
    text = text or ""
    folded = _fold(text)
    out, pos = [], 0
    for m in _MASKABLE.finditer(folded):
        out.append(text[pos:m.start()])
        out.append(_mask(m) if partial else "*" * (m.end() - m.start()))
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


# -- the review moderation queue ----------------------------------------------------------------

def recount(shop: Shop) -> None:
    """Set Shop.rating_count / rating_sum from the visible reviews (held and hidden never count)."""
    count, total = db.session.execute(
        select(func.count(Review.id), func.coalesce(func.sum(Review.stars), 0))
        .where(Review.shop_id == shop.id, Review.status == "visible")).one()
    shop.rating_count, shop.rating_sum = int(count), int(total)


def moderate(review: Review, action: str, reason: str, *, actor=None) -> Review:
    """Hide or restore a review with a reason (regulators).

    Raises DomainError (422) without a reason or for an unknown action, Conflict (409) when the
    review is already in the wanted state.
    """
    reason = " ".join((reason or "").split())
    targets = {"hide": "hidden", "restore": "visible"}
    errors: dict[str, list[str]] = {}
    if action not in targets:
        errors["action"] = [N_("操作必须是 hide 或 restore")]
    if not reason:
        errors["reason"] = [N_("请填写理由")]
    elif len(reason) > REASON_MAX:
        errors["reason"] = [N_("理由不能超过%(max)s字", max=REASON_MAX)]
    if errors:
        raise DomainError(N_("审核信息有误"), errors)
    target = targets[action]
    if review.status == target:
        raise Conflict(N_("该点评已是此状态"),
                       {"action": [N_("点评已隐藏") if target == "hidden" else N_("点评已显示")]})
    actor = actor or (current_user._get_current_object() if current_user and current_user.is_authenticated
                      else None)
    before = {"status": review.status}
    review.status = target
    review.moderation_reason = reason
    review.moderated_by_id = getattr(actor, "id", None)
    review.moderated_at = utcnow()
    recount(review.shop)
    db.session.flush()
    audit.record(f"review.{action}", review, actor=actor, before=before,
                 after={"status": target, "reason": reason})
    return review


def queue(user, *, status: str = "held", limit: int = 100) -> list[Review]:
    """Reviews for the moderation page within the user's streets: the held ones first."""
    query = scoped(select(Review).join(Shop, Review.shop_id == Shop.id), user, Shop.street_id)
    if status in ("held", "hidden", "visible"):
        query = query.where(Review.status == status)
    return list(db.session.scalars(query.order_by(Review.created_at.desc()).limit(limit)))
