"""Reissuing a plate (补发铭牌) under a new code, and the codes a shop's plate has carried."""
from __future__ import annotations

from sqlalchemy import select

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import PlateCode, Shop, utcnow
from huishang.services import Conflict, DomainError
from huishang.services.core import audit
from huishang.services.registry import clean_text, new_code

REASON_MAX = 300


def reissue(shop: Shop, reason: str, *, actor=None) -> Shop:
    """补发铭牌: mint a new code, mark the old one replaced (with reason and time), bump the
    plate version. Raises DomainError when the reason is missing or too long, Conflict for a
    closed shop. Flushes; the caller commits."""
    reason = clean_text(reason)
    if not reason:
        raise DomainError(N_("请填写补发原因"), {"reason": [N_("必填项不能为空")]})
    if len(reason) > REASON_MAX:
        raise DomainError(N_("补发原因过长"), {"reason": [N_("不能超过%(max)s个字符", max=REASON_MAX)]})
    if shop.status == "closed":
        raise Conflict(N_("商铺已注销，不能补发铭牌"), {"status": [N_("商铺已注销")]})
    old_code, now = shop.code, utcnow()
    current = db.session.scalar(select(PlateCode).where(PlateCode.code == old_code))
    if current is None:  # a shop registered before codes were tracked
        current = PlateCode(code=old_code, shop_id=shop.id, issued_at=shop.created_at)
        db.session.add(current)
    current.replaced_at, current.replaced_reason = now, reason
    shop.code = new_code()
    shop.plate_version = (shop.plate_version or 1) + 1
    db.session.add(PlateCode(code=shop.code, shop_id=shop.id, issued_at=now))
    db.session.flush()
    audit.record("plate.reissue", shop, actor=actor,
                 before={"code": old_code, "plate_version": shop.plate_version - 1},
                 after={"code": shop.code, "plate_version": shop.plate_version, "reason": reason})
    return shop


def history(shop: Shop) -> list[PlateCode]:
    """Every code the shop's plate has carried, newest first."""
    return list(db.session.scalars(select(PlateCode).where(PlateCode.shop_id == shop.id)
                                   .order_by(PlateCode.issued_at.desc(), PlateCode.id.desc())))
