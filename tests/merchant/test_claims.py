"""Claiming shops: welcome letter, registration with a claim code, chains, single use, expiry,
reset of ownership."""
import io
from datetime import timedelta

from pypdf import PdfReader
from sqlalchemy import func, select

from huishang import create_app
from huishang.config import TestingConfig
from huishang.extensions import db, limiter
from huishang.models import AuditEvent, ClaimCode, User, utcnow
from huishang.services.merchant import claims
from huishang.services.reference import seed_reference_data
from tests.factories import make_inspector, make_merchant, make_regulator, make_shop


def register(client, code, phone="13900001111", password="secret-pass-1", confirm=None):  # noqa: S107
    return client.post("/merchant/register", data={"phone": phone, "password": password,
                                                   "password2": confirm or password, "code": code})


def test_register_with_claim_code_owns_the_shop(client):
    shop = make_shop()
    code = claims.issue(shop)
    db.session.commit()
    r = register(client, claims.format_code(code).lower())  # grouping and case do not matter
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/merchant/shops/{shop.code}")
    user = db.session.scalar(select(User).where(User.username == "13900001111"))
    assert user.role == "merchant" and user.owns_shop(shop)
    assert client.get(f"/merchant/shops/{shop.code}").status_code == 200  # logged in
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "shop.claim")) == 1
    assert db.session.scalar(select(ClaimCode.code_hash)) != code  # stored hashed


def test_claim_code_is_single_use(client):
    shop = make_shop()
    code = claims.issue(shop)
    db.session.commit()
    assert register(client, code).status_code == 302
    client.post("/logout")
    r = register(client, code, phone="13900002222")
    assert r.status_code == 422
    assert "认领码无效" in r.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username == "13900002222")) is None


def test_claim_code_expires(client, app):
    app.config["CLAIM_CODE_DAYS"] = 30
    shop = make_shop()
    code = claims.issue(shop)
    db.session.commit()
    claim = db.session.scalar(select(ClaimCode))
    assert timedelta(days=29, hours=23) < claim.expires_at - claim.created_at <= timedelta(days=30)
    claim.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert register(client, code).status_code == 422
    assert not db.session.scalar(select(User).where(User.username == "13900001111"))


def test_new_code_revokes_the_old_one(client):
    shop = make_shop()
    old = claims.issue(shop)
    new = claims.issue(shop)
    db.session.commit()
    assert register(client, old).status_code == 422
    assert register(client, new).status_code == 302


def test_registration_validates_every_field(client):
    r = register(client, "WRONGCODE1", phone="123", password="short")
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "11位手机号码" in page and "密码至少8位" in page and "认领码无效" in page
    assert register(client, "X", password="long-enough-1", confirm="different-1").status_code == 422


def test_existing_merchant_claims_a_second_shop(client, login_as):
    first, second = make_shop(), make_shop()
    merchant = make_merchant(shops=[first])
    code = claims.issue(second)
    db.session.commit()
    login_as(merchant)
    r = client.post("/merchant/claim", data={"code": code})
    assert r.status_code == 302
    db.session.refresh(merchant)
    assert {s.id for s in merchant.shops} == {first.id, second.id}
    assert client.post("/merchant/claim", data={"code": code}).status_code == 422


def test_welcome_letter_and_reset_ownership(client, login_as):
    shop = make_shop()
    merchant = make_merchant(shops=[shop])
    login_as(make_regulator())
    assert "尚未发放认领码" in client.get(f"/admin/merchants/shops/{shop.code}").get_data(as_text=True)
    r = client.post(f"/admin/merchants/shops/{shop.code}/welcome-letter")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = PdfReader(io.BytesIO(r.data)).pages[0].extract_text()
    assert shop.code in text and shop.sign_name in text
    assert "未使用，有效至" in client.get(f"/admin/merchants/shops/{shop.code}").get_data(as_text=True)
    r = client.post(f"/admin/merchants/shops/{shop.code}/reset-ownership")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    db.session.expire_all()
    assert not db.session.get(User, merchant.id).owns_shop(shop)
    # exactly one live code remains: the one on the letter just printed
    live = db.session.scalar(select(func.count()).select_from(ClaimCode).where(
        ClaimCode.revoked_at.is_(None), ClaimCode.used_at.is_(None)))
    assert live == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "shop.reset_ownership")) == 1


def test_letter_is_for_regulators_in_scope(client, login_as):
    shop = make_shop(street="华泾镇")
    login_as(make_regulator(streets=("徐家汇街道",)))
    assert client.post(f"/admin/merchants/shops/{shop.code}/welcome-letter").status_code == 403


def test_inspectors_and_merchants_cannot_issue_letters(client, login_as):
    shop = make_shop()
    login_as(make_inspector())
    assert client.post(f"/admin/merchants/shops/{shop.code}/welcome-letter").status_code == 403
    client.post("/logout")
    login_as(make_merchant(shops=[shop]))
    r = client.post(f"/admin/merchants/shops/{shop.code}/welcome-letter")
    assert r.status_code == 403


class ThrottledConfig(TestingConfig):
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"


def test_claim_attempts_are_throttled(app):
    """A second app with rate limits on (the limiter is one object per process, so it is put back
    to the session app's settings afterwards)."""
    throttled = create_app(ThrottledConfig)
    try:
        with throttled.app_context():
            db.create_all()  # an in-memory SQLite database is per engine
            seed_reference_data()
            db.session.commit()
            client = throttled.test_client()
            statuses = [register(client, f"BADCODE{n:03d}", phone=f"139000{n:05d}").status_code
                        for n in range(11)]
            assert client.get("/merchant/register").status_code == 200  # GET is not throttled
            db.session.remove()
    finally:
        limiter.init_app(app)
    assert statuses[:10] == [422] * 10 and statuses[10] == 429


def test_reset_withdraws_the_previous_holders_pending_changes():
    from huishang.models import ChangeRequest
    from huishang.services.merchant import changes

    shop = make_shop()
    merchant = make_merchant(shops=[shop])
    cr = changes.request_shop_change(shop, {"sign_name": "旧主人的改名"}, actor=merchant)
    claims.reset_ownership(shop, actor=make_regulator())
    db.session.commit()
    assert db.session.get(ChangeRequest, cr.id).status == "withdrawn"
