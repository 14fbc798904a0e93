"""Penalties: recording, publicity, internal-only data; credit repair; the credit class never public."""

import io
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from huishang.extensions import db
from huishang.models import AuditEvent, Penalty, Shop
from huishang.models.base import today as district_today
from huishang.models.grading import CreditRepair
from huishang.services import Conflict, DomainError, grading
from huishang.services.grading import penalties
from tests.factories import (
    add_inspection,
    add_penalty,
    make_inspector,
    make_merchant,
    make_regulator,
    make_shop,
)

TODAY = district_today()
D = timedelta
COMMITMENT = "本店已全面整改，承诺今后严格遵守食品安全法律法规，接受社会监督。"


def body(**kw):
    data = {
        "decision_no": "徐市监处〔2026〕88号",
        "decided_on": (TODAY - D(10)).isoformat(),
        "violation": "超范围经营",
        "severity": "general",
        "fine": "3000.50",
        "internal_note": "当事人配合调查",
    }
    data.update(kw)
    return data


def test_record_penalty_api(client, auth_header):
    reg = make_regulator()
    shop = make_shop()
    r = client.post(f"/api/v1/shops/{shop.code}/penalties", json=body(), headers=auth_header(reg))
    assert r.status_code == 201, r.get_json()
    data = r.get_json()
    assert data["publicity_ends_on"] == grading.add_months(TODAY - D(10), 36).isoformat()
    assert data["in_publicity"] is True and data["fine"] == "3000.50" and data["internal_note"]
    assert db.session.get(Shop, shop.id).credit_class == "C"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "penalty.record")) is not None
    listed = client.get(f"/api/v1/shops/{shop.code}/penalties", headers=auth_header(reg)).get_json()
    assert [p["decision_no"] for p in listed] == ["徐市监处〔2026〕88号"]


@pytest.mark.parametrize(
    "field,value",
    [
        ("decided_on", (TODAY + D(1)).isoformat()),
        ("decided_on", "0635-01-01"),
        ("severity", "huge"),
        ("fine", "-5"),
        ("decision_no", ""),
        ("violation", ""),
    ],
)
def test_bad_penalty_names_the_field_and_writes_nothing(client, auth_header, field, value):
    reg = make_regulator()
    shop = make_shop()
    r = client.post(
        f"/api/v1/shops/{shop.code}/penalties", json=body(**{field: value}), headers=auth_header(reg)
    )
    assert r.status_code == 422 and field in r.get_json()["errors"], r.get_json()
    assert db.session.scalar(select(func.count()).select_from(Penalty)) == 0


def test_duplicate_decision_number(client, auth_header):
    reg = make_regulator()
    shop = make_shop()
    client.post(f"/api/v1/shops/{shop.code}/penalties", json=body(), headers=auth_header(reg))
    r = client.post(f"/api/v1/shops/{shop.code}/penalties", json=body(), headers=auth_header(reg))
    assert r.status_code == 422 and "decision_no" in r.get_json()["errors"]


def test_penalties_are_regulators_only_and_scoped(client, auth_header):
    shop = make_shop()
    for user in (make_inspector(), make_merchant(shops=[shop])):
        assert (
            client.get(f"/api/v1/shops/{shop.code}/penalties", headers=auth_header(user)).status_code == 403
        )
        assert (
            client.post(
                f"/api/v1/shops/{shop.code}/penalties", json=body(), headers=auth_header(user)
            ).status_code
            == 403
        )
    other = make_regulator(streets=("湖南路街道",))
    assert (
        client.post(
            f"/api/v1/shops/{shop.code}/penalties", json=body(), headers=auth_header(other)
        ).status_code
        == 403
    )


@pytest.mark.parametrize("kind,months", [("criticism", 3), ("fine_low", 3), ("fine", 36), ("licence_revoked", 36)])
def test_publicity_period(kind, months):
    published = date(2024, 8, 31)
    assert penalties.publicity_end(published, kind) == grading.add_months(published, months)
    assert grading.add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)


def test_a_restriction_longer_than_three_years_is_published_for_its_length():
    published, until = date(2024, 1, 10), date(2029, 6, 30)
    assert penalties.publicity_end(published, "restriction", restriction_ends_on=until) == until
    short = date(2025, 1, 1)
    assert penalties.publicity_end(published, "restriction", restriction_ends_on=short) == date(2027, 1, 10)


def general_penalty(shop, days_ago=120, fulfilled=True):
    penalty = add_penalty(shop, TODAY - D(days_ago), "general", published_on=TODAY - D(days_ago))
    if fulfilled:
        penalties.mark_fulfilled(penalty, (TODAY - D(days_ago - 5)).isoformat())
        db.session.commit()
    return penalty


@pytest.mark.parametrize(
    "days_ago,fulfilled,severity,blocked",
    [
        (120, True, "general", None),
        (80, True, "general", "最短公示期未满"),
        (120, False, "general", "尚未履行完毕"),
        (120, True, "severe", "严重违法"),
    ],
)
def test_repair_eligibility(days_ago, fulfilled, severity, blocked):
    shop = make_shop()
    penalty = add_penalty(shop, TODAY - D(days_ago), severity, published_on=TODAY - D(days_ago))
    if fulfilled:
        penalties.mark_fulfilled(penalty, TODAY - D(1))
    reasons = penalties.repair_blockers(penalty)
    if blocked is None:
        assert reasons == []
    else:
        assert any(blocked in r for r in reasons)
        with pytest.raises(Conflict):
            penalties.apply_repair(penalty, COMMITMENT, actor=make_merchant(shops=[shop]))


def test_credit_repair_makes_the_penalty_stop_counting(client, login_as):
    shop = make_shop()
    add_inspection(shop, TODAY - D(200), "pass")
    penalty = general_penalty(shop)
    stored = db.session.get(Shop, shop.id)
    assert (stored.dynamic_grade, stored.credit_class) == ("一般", "C")
    merchant = make_merchant(shops=[shop])
    login_as(merchant)
    page = client.get("/merchant/credit").get_data(as_text=True)
    assert "申请信用修复" in page and "当事人" not in page  # no internal note for the merchant
    r = client.post(f"/merchant/credit/{penalty.id}/apply", data={"commitment": "短"})
    assert r.status_code == 422
    r = client.post(f"/merchant/credit/{penalty.id}/apply", data={"commitment": COMMITMENT})
    assert r.status_code == 302
    repair = db.session.scalar(select(CreditRepair))
    assert repair.status == "pending"
    with pytest.raises(Conflict):  # one pending application at a time
        penalties.apply_repair(penalty, COMMITMENT, actor=merchant)
    client.post("/logout")
    reg = make_regulator()
    login_as(reg)
    assert (
        client.post(f"/admin/credit-repairs/{repair.id}/decide", data={"decision": "approve"}).status_code
        == 302
    )
    assert db.session.get(CreditRepair, repair.id).status == "pending"  # reason required
    assert COMMITMENT in client.get("/admin/credit-repairs").get_data(as_text=True)
    # Approval without the reviewer's checks of harm and the two lists is refused, in words.
    r = client.post(f"/admin/credit-repairs/{repair.id}/decide", data={"decision": "approve", "reason": "材料齐全"})
    assert db.session.get(CreditRepair, repair.id).status == "pending"
    page = client.get("/admin/credit-repairs").get_data(as_text=True)
    assert "消除危害后果" in page and "第十四条" in page
    client.post(
        f"/admin/credit-repairs/{repair.id}/decide",
        data={"decision": "approve", "reason": "材料齐全", "harm_remedied": "1", "not_abnormal_list": "1",
              "not_serious_list": "1"},
    )
    assert db.session.get(CreditRepair, repair.id).conditions["harm"]["met"] is True
    assert db.session.get(Penalty, penalty.id).repaired_on == TODAY
    stored = db.session.get(Shop, shop.id)
    assert (stored.dynamic_grade, stored.credit_class) == ("良好", "A")
    assert grading.explain(stored, TODAY - D(1)).dynamic_grade == "一般"  # counted until repaired
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "credit_repair.decide")).after[
            "status"
        ]
        == "approved"
    )


def test_rejected_repair_keeps_counting():
    shop = make_shop()
    penalty = general_penalty(shop)
    repair = penalties.apply_repair(penalty, COMMITMENT, actor=make_merchant(shops=[shop]))
    penalties.decide_repair(repair, False, "承诺内容不完整", actor=make_regulator())
    db.session.commit()
    assert db.session.get(Penalty, penalty.id).repaired_on is None
    assert db.session.get(Shop, shop.id).credit_class == "C"
    with pytest.raises(DomainError):
        penalties.decide_repair(repair, True, "再次审核", actor=make_regulator())


def test_merchant_cannot_apply_for_another_shops_penalty(client, login_as):
    shop, other = make_shop(), make_shop()
    penalty = general_penalty(other)
    login_as(make_merchant(shops=[shop]))
    assert (
        client.post(f"/merchant/credit/{penalty.id}/apply", data={"commitment": COMMITMENT}).status_code
        == 403
    )


def test_penalty_page_form(client, login_as):
    shop = make_shop()
    login_as(make_regulator())
    r = client.post(f"/admin/shops/{shop.code}/penalties/new", data=body(decided_on="not a date"))
    assert r.status_code == 422 and "decided_on" in r.get_data(as_text=True)
    r = client.post(f"/admin/shops/{shop.code}/penalties/new", data=body())
    assert r.status_code == 302
    page = client.get(f"/admin/grading/shops/{shop.code}").get_data(as_text=True)
    assert "徐市监处〔2026〕88号" in page and "当事人配合调查" in page


def test_internal_data_never_public(client, login_as, auth_header):
    """Credit class, penalties and internal notes: absent from the public JSON, the citizen scan
    page and the plate; absent for inspectors on the profile."""
    shop = make_shop()
    add_penalty(shop, TODAY - D(5), "severe", internal_note="内部线索：举报人张某")
    assert db.session.get(Shop, shop.id).credit_class == "D"
    public = client.get(f"/api/v1/public/shops/{shop.code}").get_json()
    assert "credit_class" not in public and "内部线索" not in str(public)
    assert "徐市监案" not in str(public)
    page = client.get(f"/s/{shop.code}").get_data(as_text=True)
    assert "信用风险" not in page and "内部线索" not in page and "徐市监案" not in page
    login_as(make_inspector())
    page = client.get(f"/admin/grading/shops/{shop.code}").get_data(as_text=True)
    assert "内部线索" not in page and "信用风险分类" not in page

    reg = make_regulator()
    plate = client.get(f"/api/v1/shops/{shop.code}/plate.pdf", headers=auth_header(reg))
    assert plate.status_code == 200 and plate.data.startswith(b"%PDF")
    text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(plate.data)).pages)
    assert shop.sign_name in text or shop.code in text.replace(" ", "")  # the text layer is readable
    assert "信用" not in text and "处罚" not in text
