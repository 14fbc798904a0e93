"""The welcome letter is built before its new claim code is committed: when building the PDF fails,
nothing is written and the code on the previous letter stays the valid one."""

import pytest
from sqlalchemy import func, select

from huishang.extensions import db
from huishang.models import AuditEvent, ClaimCode, User
from huishang.services.merchant import claims
from tests.factories import make_merchant, make_regulator, make_shop


def _counts():
    db.session.expire_all()
    return (db.session.scalar(select(func.count()).select_from(ClaimCode)),
            db.session.scalar(select(func.count()).select_from(ClaimCode).where(ClaimCode.revoked_at.is_not(None))),
            db.session.scalar(select(func.count()).select_from(AuditEvent)))


@pytest.fixture
def broken_pdf(monkeypatch):
    calls = []

    def boom(shop, code):
        calls.append(code)
        raise RuntimeError("font file missing")

    monkeypatch.setattr(claims, "welcome_letter_pdf", boom)
    return calls


@pytest.mark.parametrize("action", ["welcome-letter", "reset-ownership"])
def test_failed_letter_writes_nothing_and_keeps_the_old_code(client, login_as, broken_pdf, action):
    shop = make_shop()
    owner = make_merchant(shops=[shop])
    old = claims.issue(shop)
    db.session.commit()
    login_as(make_regulator())
    before = _counts()

    r = client.post(f"/admin/merchants/shops/{shop.code}/{action}")

    assert r.status_code == 503 and r.mimetype != "application/pdf"
    assert len(broken_pdf) == 1 and broken_pdf[0] != old  # a code was minted, then thrown away
    assert _counts() == before  # no new claim code, nothing revoked, no audit event
    assert db.session.get(User, owner.id).owns_shop(shop)  # a reset did not happen either
    # the code printed earlier still works, the one on the failed letter never existed
    with pytest.raises(Exception, match="认领码无效"):
        claims.claim(make_merchant(), broken_pdf[0])
    db.session.rollback()
    assert claims.claim(make_merchant(), old) == shop


def test_retry_after_a_failed_letter_issues_one_live_code(client, login_as, monkeypatch):
    shop = make_shop()
    old = claims.issue(shop)
    db.session.commit()
    login_as(make_regulator())
    real = claims.welcome_letter_pdf
    monkeypatch.setattr(claims, "welcome_letter_pdf", lambda shop, code: 1 / 0)
    assert client.post(f"/admin/merchants/shops/{shop.code}/welcome-letter").status_code == 503
    printed = []
    monkeypatch.setattr(claims, "welcome_letter_pdf", lambda shop, code: printed.append(code) or real(shop, code))
    r = client.post(f"/admin/merchants/shops/{shop.code}/welcome-letter")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    db.session.expire_all()
    live = db.session.scalars(select(ClaimCode).where(ClaimCode.revoked_at.is_(None),
                                                      ClaimCode.used_at.is_(None))).all()
    assert len(live) == 1 and live[0].code_hash == claims._hash(printed[0])
    with pytest.raises(Exception, match="认领码无效"):
        claims.claim(make_merchant(), old)
