"""Reviews (点评): 1–5 stars, optional text and tags, one per client per shop per 30 days.

A client is the signed cookie id (services/clients.py). A request that carries no valid client
cookie (a cleared cookie, a script) is also checked against the hashed IP, so clearing cookies
does not buy a second review; a returning client with a cookie is judged by the cookie alone, so
neighbours behind one shared IP (a mall's Wi-Fi) are not blocked by each other.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import Review, Shop, utcnow
from huishang.models.feedback import REVIEW_TAGS
from huishang.services import Conflict, DomainError
from huishang.services.core import audit, clients

from . import moderation

TEXT_MAX = 500
REPLY_MAX = 300
WINDOW = timedelta(days=30)
TAG_BY_LABEL = {label: code for code, label in REVIEW_TAGS.items()}


def _clean_tags(tags, errors: dict) -> list[str]:
    if tags is None or tags == "":
        return []
    if isinstance(tags, str):
        tags = [t for t in tags.replace("，", ",").split(",")]
    out: list[str] = []
    for tag in tags:
        tag = str(tag).strip()
        code = tag if tag in REVIEW_TAGS else TAG_BY_LABEL.get(tag)
        if code is None:
            errors.setdefault("tags", []).append(N_("未知标签：%(tag)s", tag=tag[:20]))
        elif code not in out:
            out.append(code)
    return out


def validate(data: dict) -> tuple[dict, dict]:
    """(clean, errors) for a review body: stars 1–5, text ≤ 500, tags from the fixed list."""
    errors: dict[str, list[str]] = {}
    stars = data.get("stars")
    try:
        stars = int(stars) if not isinstance(stars, bool) else None
    except (TypeError, ValueError):
        stars = None
    if stars is None or not 1 <= stars <= 5:
        errors["stars"] = [N_("请选择 1–5 星")]
    text = (data.get("text") or "").strip()
    if not isinstance(data.get("text") or "", str):
        errors["text"] = [N_("文字格式错误")]
    elif len(text) > TEXT_MAX:
        errors["text"] = [N_("评价文字不能超过%(max)s字（现为%(count)s字）", max=TEXT_MAX, count=len(text))]
    tags = _clean_tags(data.get("tags"), errors)
    return {"stars": stars, "text": text, "tags": tags}, errors


def recent_by_client(shop: Shop, client_hash: str, ip_hash: str | None) -> Review | None:
    """The client's review of `shop` within the last 30 days (by IP too when ip_hash is given)."""
    since = utcnow() - WINDOW
    who = Review.client_hash == client_hash
    if ip_hash:
        who = or_(who, Review.ip_hash == ip_hash)
    return db.session.scalar(select(Review).where(Review.shop_id == shop.id, Review.created_at >= since, who)
                             .order_by(Review.created_at.desc()).limit(1))


def submit(shop: Shop, data: dict, *, client_hash: str, ip_hash: str, known_client: bool) -> Review:
    """Store a review. Returns it visible, or held for moderation when the filter says so.

    Raises DomainError (422) for bad input or a rejected word, Conflict (409) for a second review
    within 30 days or a closed shop.
    """
    clean, errors = validate(data)
    verdict = moderation.check(clean["text"])
    if verdict.reject:
        errors.setdefault("text", []).append(N_("评价内容包含不允许发布的信息，请修改后再提交"))
    if errors:
        raise DomainError(N_("评价内容有误"), errors)
    if shop.status == "closed":
        raise Conflict(N_("该商铺已注销，不能评价"), {"shop": [N_("商铺已注销")]})
    if recent_by_client(shop, client_hash, None if known_client else ip_hash):
        raise Conflict(N_("您在30天内已评价过这家店"), {"stars": [N_("同一家店30天内只能评价一次")]})
    review = Review(shop_id=shop.id, stars=clean["stars"], text=clean["text"], tags=",".join(clean["tags"]),
                    client_hash=client_hash, ip_hash=ip_hash,
                    status="held" if verdict.hold else "visible", flagged=",".join(verdict.hold)[:200])
    review.shop = shop
    db.session.add(review)
    db.session.flush()
    moderation.recount(shop)
    clients.audit_anonymous("review.submit", review, after={"stars": review.stars, "status": review.status,
                                                 "flagged": review.flagged})
    return review


def reply(review: Review, text: str, *, actor) -> Review:
    """The merchant's public reply under a review (replaces an earlier reply).

    Raises DomainError (422) for empty, too long or filtered text; Conflict (409) when the review
    is not visible.
    """
    text = (text or "").strip()
    errors: dict[str, list[str]] = {}
    if not text:
        errors["reply"] = [N_("请填写回复内容")]
    elif len(text) > REPLY_MAX:
        errors["reply"] = [N_("回复不能超过%(max)s字", max=REPLY_MAX)]
    elif not moderation.check(text).clean:
        errors["reply"] = [N_("回复包含不允许发布的内容或个人信息，请修改措辞")]
    if errors:
        raise DomainError(N_("回复内容有误"), errors)
    if review.status != "visible":
        raise Conflict(N_("该点评未公开显示，不能回复"), {"reply": [N_("点评未公开显示")]})
    before = {"reply": review.reply}
    review.reply = text
    review.reply_at = utcnow()
    review.shop.updated_at = review.reply_at  # a new shop version: the cached public face is redrawn
    db.session.flush()
    audit.record("review.reply", review, actor=actor, before=before, after={"reply": text})
    return review


def visible(shop: Shop, limit: int = 5, offset: int = 0) -> list[Review]:
    return list(db.session.scalars(
        select(Review).where(Review.shop_id == shop.id, Review.status == "visible")
        .order_by(Review.created_at.desc(), Review.id.desc()).limit(limit).offset(offset)))


def summary(shop: Shop, limit: int = 5) -> dict:
    """The rating summary and recent visible reviews, for the public page and API."""
    return {"average": shop.rating_average, "count": shop.rating_count or 0,
            "recent": visible(shop, limit)}


def for_merchant(shops, limit: int = 100) -> list[Review]:
    ids = [s.id for s in shops] or [-1]
    return list(db.session.scalars(
        select(Review).where(Review.shop_id.in_(ids), Review.status == "visible")
        .order_by(Review.created_at.desc()).limit(limit)))
