"""Claiming a shop (认领): one-time claim codes printed on the welcome letter.

A code is 10 random characters from the plate alphabet, shown once (on the letter) and stored as a
SHA-256 hash; it is single-use and expires after CLAIM_CODE_DAYS days (default 30). Issuing a new
code revokes the shop's earlier unused ones.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import ChangeRequest, ClaimCode, Shop, User, utcnow
from huishang.models.users import user_shops
from huishang.services import Conflict, DomainError
from huishang.services.accounts import MIN_PASSWORD, create_user
from huishang.services.core import audit, pdf_font
from huishang.services.registry import ALPHABET

CODE_LENGTH = 10
PHONE = r"^1[3-9][0-9]{9}$"


def _hash(code: str) -> str:
    return hashlib.sha256(normalise(code).encode()).hexdigest()


def normalise(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def issue(shop: Shop, *, actor=None) -> str:
    """Mint a claim code for `shop`, revoking earlier unused ones. Returns the plain code (the only
    time it exists in clear)."""
    now = utcnow()
    db.session.execute(update(ClaimCode).where(ClaimCode.shop_id == shop.id, ClaimCode.used_at.is_(None),
                                               ClaimCode.revoked_at.is_(None)).values(revoked_at=now))
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    days = int(current_app.config.get("CLAIM_CODE_DAYS", 30))
    claim = ClaimCode(shop_id=shop.id, code_hash=_hash(code), created_at=now,
                      created_by_id=getattr(actor, "id", None), expires_at=now + timedelta(days=days))
    db.session.add(claim)
    db.session.flush()
    audit.record("claim_code.issue", claim, actor=actor, shop_id=shop.id,
                 after={"expires_at": claim.expires_at})
    return code


def format_code(code: str) -> str:
    """Grouped for print: ABCDE-FGHJK."""
    return f"{code[:5]}-{code[5:]}"


def _usable(code: str) -> ClaimCode:
    """The claim the code names. Raises DomainError(field claim_code) when unknown, used, revoked
    or expired — one message for all, so the code space cannot be probed."""
    # FOR UPDATE: two registrations racing with one code cannot both pass (PostgreSQL)
    claim = db.session.scalar(select(ClaimCode).where(ClaimCode.code_hash == _hash(code)).with_for_update())
    now = utcnow()
    if (claim is None or claim.used_at is not None or claim.revoked_at is not None
            or claim.expires_at < now or claim.shop.status == "closed"):
        raise DomainError(N_("认领码无效、已使用或已过期"),
                          {"claim_code": [N_("认领码无效、已使用或已过期，请联系监管部门重新发放")]})
    return claim


def claim(user: User, code: str) -> Shop:
    """An existing merchant claims one more shop. Raises DomainError / Conflict."""
    if user.role != "merchant":
        raise DomainError(N_("只有经营者可以认领店铺"), status=403)
    found = _usable(code)
    shop = found.shop
    if user.owns_shop(shop):
        raise Conflict(N_("您已认领该店铺"), {"claim_code": [N_("您已认领该店铺")]})
    found.used_at = utcnow()
    found.used_by_id = user.id
    user.shops.append(shop)
    db.session.flush()
    audit.record("shop.claim", shop, actor=user, after={"merchant": user.username})
    return shop


def register(phone: str, password: str, code: str, display_name: str = "") -> tuple[User, Shop]:
    """A new merchant registers with phone (username), password and claim code."""
    import re

    phone = (phone or "").strip().replace(" ", "")
    errors: dict[str, list[str]] = {}
    if not re.match(PHONE, phone):
        errors["phone"] = [N_("请输入11位手机号码")]
    elif db.session.scalar(select(User.id).where(User.username == phone)):
        errors["phone"] = [N_("该手机号已注册，请登录后在“认领店铺”中添加")]
    if len(password or "") < MIN_PASSWORD:
        errors["password"] = [N_("密码至少%(min)s位", min=MIN_PASSWORD)]
    try:
        _usable(code)
    except DomainError as exc:
        errors.update(exc.errors)
    if errors:
        raise DomainError(N_("注册信息有误"), errors)
    user = create_user(phone, "merchant", password, display_name=(display_name or "").strip()[:60],
                       phone=phone)
    shop = claim(user, code)
    return user, shop


def reset_ownership(shop: Shop, *, actor=None) -> str:
    """Remove every merchant from the shop, withdraw their pending change requests and issue a new
    claim code (returned in clear)."""
    owners = list(db.session.scalars(select(User).join(user_shops, user_shops.c.user_id == User.id)
                                     .where(user_shops.c.shop_id == shop.id)))
    for owner in owners:
        owner.shops = [s for s in owner.shops if s.id != shop.id]
    # the previous holders' pending requests must not be approved on behalf of the next one
    withdrawn = db.session.execute(update(ChangeRequest).where(
        ChangeRequest.shop_id == shop.id, ChangeRequest.status == "pending").values(
        status="withdrawn", reason="认领已重置")).rowcount
    db.session.flush()
    audit.record("shop.reset_ownership", shop, actor=actor,
                 before={"merchants": [u.username for u in owners]},
                 after={"merchants": [], "change_requests_withdrawn": withdrawn or 0})
    return issue(shop, actor=actor)


def latest(shop: Shop) -> ClaimCode | None:
    """The most recently issued claim code of the shop (its state, never the code itself)."""
    return db.session.scalar(select(ClaimCode).where(ClaimCode.shop_id == shop.id)
                             .order_by(ClaimCode.created_at.desc(), ClaimCode.id.desc()).limit(1))


def owners(shop: Shop) -> list[User]:
    return list(db.session.scalars(select(User).join(user_shops, user_shops.c.user_id == User.id)
                                   .where(user_shops.c.shop_id == shop.id).order_by(User.id)))


def welcome_letter_pdf(shop: Shop, code: str) -> bytes:
    """An A4 welcome letter: the shop, its public code and QR, the claim code and how to use it."""
    import io

    import qrcode
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas


    base = current_app.config["PUBLIC_BASE_URL"]
    days = int(current_app.config.get("CLAIM_CODE_DAYS", 30))
    font = pdf_font()
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4)
    pdf.setTitle(f"汇商码 · 商户告知书 · {shop.code}")
    width, height = A4
    y = height - 30 * mm
    pdf.setFont(font, 20)
    pdf.drawCentredString(width / 2, y, "汇商码 · 商户告知书")
    pdf.setFont(font, 12)
    y -= 16 * mm
    for line in (f"店招名称：{shop.sign_name}", f"经营地址：{shop.address}",
                 f"市场主体：{shop.entity.name}", f"商铺码：{shop.code}"):
        pdf.drawString(25 * mm, y, line)
        y -= 8 * mm
    qr = qrcode.make(f"{base}/s/{shop.code}").get_image()
    pdf.drawImage(ImageReader(qr), width - 70 * mm, height - 95 * mm, 45 * mm, 45 * mm)
    y -= 8 * mm
    pdf.setFont(font, 14)
    pdf.drawString(25 * mm, y, "您的一次性认领码")
    y -= 14 * mm
    pdf.setFont(font, 28)
    pdf.drawString(25 * mm, y, format_code(code))
    pdf.setFont(font, 11)
    y -= 14 * mm
    steps = (
        f"1. 用手机打开 {base}/merchant/register",
        "2. 以手机号为用户名，设置至少8位的密码，填写上方认领码，即可管理本店信息。",
        "3. 已有账户（连锁经营）：登录后在“我的店铺 → 认领店铺”中填写认领码。",
        f"认领码只能使用一次，{days}天内有效；遗失或过期请联系辖区市场监管所重新发放。",
        "请妥善保管本告知书，不要将认领码告知他人。铭牌由监管部门另行发放张贴。",
    )
    for line in steps:
        pdf.drawString(25 * mm, y, line)
        y -= 8 * mm
    pdf.showPage()
    pdf.save()
    return buf.getvalue()
