"""The law as written (issue 15): penalty publicity per SAMR Order 45 — a class per kind, from the
publication date, a public summary only while it runs, gone the day it ends; credit repair with
each Art. 14 condition; the credit class per market entity (国市监信发〔2022〕6号), never public."""

import io
import zipfile
from datetime import timedelta

import pytest

from huishang.extensions import db
from huishang.models import Penalty, Shop
from huishang.models.base import today as district_today
from huishang.models.grading import CreditRepair
from huishang.services import Conflict, DomainError
from huishang.services.grading import credit, penalties
from huishang.services.integration import opendata
from tests.factories import add_inspection, add_penalty, make_merchant, make_regulator, make_shop

TODAY = district_today()
D = timedelta
COMMITMENT = "本店已全面整改，承诺今后严格遵守食品安全法律法规，接受社会监督。"


def open_data_text() -> str:
    buf = io.BytesIO()
    opendata.build_zip(buf)
    with zipfile.ZipFile(buf) as archive:
        return "".join(archive.read(name).decode("utf-8-sig") for name in archive.namelist())


def public_outputs(client, shop) -> tuple[str, str, str]:
    """The scan page, the public API and open data, as text."""
    page = client.get(f"/s/{shop.code}").get_data(as_text=True)
    api = str(client.get(f"/api/v1/public/shops/{shop.code}").get_json())
    return page, api, open_data_text()


# -- penalties: publicity ---------------------------------------------------------------------------


@pytest.mark.parametrize("offset,shown", [(1, True), (0, False), (-1, False)],
                         ids=["day-before-end", "end-day", "day-after"])
def test_summary_disappears_from_every_public_output_the_day_publicity_ends(client, offset, shown):
    shop = make_shop()
    penalty = add_penalty(shop, TODAY - D(200), "general", kind="fine", published_on=TODAY - D(190),
                          basis="《食品安全法》第一百二十六条", authority="上海市徐汇区市场监督管理局")
    # Bring its end to today + offset (the boundary under test).
    penalty.publicity_ends_on = TODAY + D(offset)
    db.session.commit()
    assert penalties.is_public(penalty) is shown
    for text in public_outputs(client, shop):
        assert (penalty.decision_no in text) is shown
        if shown:
            assert "未按规定进行食品留样" in text and "第一百二十六条" in text
    api = client.get(f"/api/v1/public/shops/{shop.code}").get_json()
    if shown:
        (summary,) = api["penalties"]
        assert summary["party"] == shop.entity.name and summary["authority"] == "上海市徐汇区市场监督管理局"
        assert summary["content"] == "罚款 5000.00 元" and "internal_note" not in summary
    else:
        assert api["penalties"] == []


def test_publicity_runs_from_the_publication_date_not_the_decision():
    shop = make_shop()
    penalty = add_penalty(shop, TODAY - D(60), "minor")  # a low fine: three months
    assert penalty.kind == "fine_low" and penalty.published_on is None
    assert not penalties.is_public(penalty)  # never public before publication
    assert penalties.in_publicity(penalty)  # it counts for grading meanwhile
    penalties.mark_published(penalty, TODAY - D(30), actor=make_regulator())
    db.session.commit()
    end = penalties.publicity_end(TODAY - D(30), "fine_low")
    assert penalty.publicity_ends_on == end and end > TODAY + D(30)  # not decided_on + 3 months
    assert penalties.is_public(penalty, TODAY - D(31)) is False  # the day before publication
    assert penalties.is_public(penalty, TODAY - D(30)) is True
    assert penalties.is_public(penalty, end - D(1)) is True and penalties.is_public(penalty, end) is False


@pytest.mark.parametrize("kind", ["warning", "simple_procedure"])
def test_a_warning_is_never_public(client, kind):
    shop = make_shop()
    with pytest.raises(DomainError) as exc:
        add_penalty(shop, TODAY - D(5), "minor", kind=kind, published_on=TODAY - D(2))
    assert "published_on" in exc.value.errors and "第二条" in str(exc.value.errors["published_on"][0])
    db.session.rollback()
    penalty = add_penalty(shop, TODAY - D(5), "minor", kind=kind)
    with pytest.raises(DomainError):
        penalties.mark_published(penalty, TODAY, actor=make_regulator())
    penalty.published_on = TODAY - D(1)  # even if a date slipped in, the kind is never public
    db.session.commit()
    assert not penalties.is_public(penalty)
    for text in public_outputs(client, shop):
        assert penalty.decision_no not in text
    assert "警告" in str(penalties.PENALTY_KINDS["warning"]["label"])


def test_publication_date_is_checked(client, auth_header):
    reg = make_regulator()
    shop = make_shop()
    body = {"decision_no": "徐市监处〔2026〕7号", "decided_on": (TODAY - D(10)).isoformat(),
            "violation": "超范围经营", "kind": "fine"}
    for bad in ((TODAY - D(11)).isoformat(), (TODAY + D(1)).isoformat()):
        r = client.post(f"/api/v1/shops/{shop.code}/penalties", json={**body, "published_on": bad},
                        headers=auth_header(reg))
        assert r.status_code == 422 and "published_on" in r.get_json()["errors"]
    r = client.post(f"/api/v1/shops/{shop.code}/penalties", json={**body, "kind": "nonsense"}, headers=auth_header(reg))
    assert r.status_code == 422 and "kind" in r.get_json()["errors"]
    r = client.post(f"/api/v1/shops/{shop.code}/penalties", json=body, headers=auth_header(reg))
    assert r.status_code == 201 and r.get_json()["is_public"] is False
    pid = r.get_json()["id"]
    r = client.post(f"/api/v1/penalties/{pid}/published", json={"published_on": TODAY.isoformat()},
                    headers=auth_header(reg))
    assert r.status_code == 200 and r.get_json()["is_public"] is True
    assert "徐市监处〔2026〕7号" in client.get(f"/s/{shop.code}").get_data(as_text=True)


def test_regulator_publishes_from_the_grading_page(client, login_as):
    shop = make_shop()
    penalty = add_penalty(shop, TODAY - D(3), "general")
    login_as(make_regulator())
    page = client.get(f"/admin/grading/shops/{shop.code}").get_data(as_text=True)
    assert "尚未公示" in page and "登记公示" in page
    client.post(f"/admin/penalties/{penalty.id}/publish", data={"published_on": TODAY.isoformat()})
    assert db.session.get(Penalty, penalty.id).published_on == TODAY
    assert "公众可见" in client.get(f"/admin/grading/shops/{shop.code}").get_data(as_text=True)


# -- credit repair: each condition of Art. 14 ------------------------------------------------------


ALL_CHECKED = {"harm_remedied": True, "not_abnormal_list": True, "not_serious_list": True}


def repairable(shop=None, **extra):
    shop = shop or make_shop()
    penalty = add_penalty(shop, TODAY - D(120), "general", published_on=TODAY - D(118), basis="第一百二十六条", **extra)
    penalties.mark_fulfilled(penalty, TODAY - D(100))
    db.session.commit()
    return shop, penalty


@pytest.mark.parametrize("missing,words", [
    ("harm_remedied", "消除危害后果"), ("not_abnormal_list", "经营异常名录"), ("not_serious_list", "严重违法失信名单"),
])
def test_approval_refused_when_a_checked_condition_fails(missing, words):
    shop, penalty = repairable()
    repair = penalties.apply_repair(penalty, COMMITMENT, actor=make_merchant(shops=[shop]), harm_statement="已赔偿")
    with pytest.raises(Conflict) as exc:
        penalties.decide_repair(repair, True, "材料齐全", actor=make_regulator(),
                                findings={**ALL_CHECKED, missing: False})
    assert any(words in str(m) for m in exc.value.errors["conditions"])
    assert db.session.get(CreditRepair, repair.id).status == "pending"
    penalties.decide_repair(repair, True, "材料齐全", actor=make_regulator(), findings=ALL_CHECKED)
    db.session.commit()
    stored = db.session.get(CreditRepair, repair.id)
    assert stored.status == "approved" and all(c["met"] for c in stored.conditions.values())
    assert set(stored.conditions) == set(penalties.REPAIR_CONDITIONS) and stored.harm_statement == "已赔偿"
    assert not penalties.is_public(db.session.get(Penalty, penalty.id))  # publicity ended early


def test_repeat_violation_of_the_same_kind_blocks_repair_across_the_entity():
    shop, penalty = repairable()
    branch = make_shop(uscc=shop.entity.uscc)
    add_penalty(branch, TODAY - D(10), "general", basis="第一百二十六条")
    reasons = penalties.repair_blockers(penalty)
    assert any("同一类违法行为" in r for r in reasons)
    other_shop, other = repairable()
    add_penalty(other_shop, TODAY - D(10), "general", basis="第三十四条")  # another kind of violation
    assert penalties.repair_blockers(other) == []


@pytest.mark.parametrize("months_served,ok", [(-1, False), (0, True), (1, True)],
                         ids=["day-before", "on", "day-after"])
def test_minimum_publicity_period_boundary(months_served, ok):
    shop = make_shop()
    published = TODAY - D(100)
    penalty = add_penalty(shop, published, "general", published_on=published)
    penalties.mark_fulfilled(penalty, published)
    earliest = penalties.add_months(published, 3)
    on = earliest + D(months_served)
    found = penalties.conditions(penalty, ALL_CHECKED, on=on)
    assert found["period"]["met"] is ok
    if not ok:
        assert earliest.isoformat() in found["period"]["why"]


@pytest.mark.parametrize("kind", ["licence_revoked", "production_halted", "restriction", "qualification_lowered"])
def test_severe_kinds_never_end_early(kind):
    _shop, penalty = repairable(kind=kind)
    assert any("不适用信用修复" in r for r in penalties.repair_blockers(penalty))


def test_unpublished_penalty_needs_no_repair():
    shop = make_shop()
    penalty = add_penalty(shop, TODAY - D(200), "minor", kind="warning")
    assert any("不予公示" in r for r in penalties.repair_blockers(penalty))


# -- credit per market entity ---------------------------------------------------------------------


def test_two_shops_of_one_entity_share_one_class_and_a_branch_penalty_moves_all():
    head = make_shop()
    branches = [make_shop(uscc=head.entity.uscc) for _ in range(2)]
    for s in (head, *branches):
        add_inspection(s, TODAY - D(30), "pass")
    classes = {db.session.get(Shop, s.id).credit_class for s in (head, *branches)}
    assert classes == {"A"}
    loner = make_shop()
    add_inspection(loner, TODAY - D(30), "pass")
    add_penalty(branches[1], TODAY - D(1), "severe")
    assert {db.session.get(Shop, s.id).credit_class for s in (head, *branches)} == {"D"}
    assert db.session.get(Shop, loner.id).credit_class == "A"  # another entity is untouched
    why = " ".join(str(w) for _k, w in credit.assess(head).reasons)
    assert branches[1].sign_name in why  # explained on each shop: which branch's penalty
    # The nightly batch gives the same answer.
    from huishang.services import grading

    for s in (head, *branches):
        db.session.get(Shop, s.id).credit_class = "A"
    db.session.commit()
    grading.refresh_all(batch_size=2)
    db.session.commit()
    assert {db.session.get(Shop, s.id).credit_class for s in (head, *branches)} == {"D"}


def test_two_penalties_at_two_branches_count_together():
    head = make_shop()
    branch = make_shop(uscc=head.entity.uscc)
    for s in (head, branch):
        add_inspection(s, TODAY - D(30), "pass")
    add_penalty(head, TODAY - D(2), "general")
    assert db.session.get(Shop, branch.id).credit_class == "C"
    add_penalty(branch, TODAY - D(1), "general")
    assert {db.session.get(Shop, s.id).credit_class for s in (head, branch)} == {"D"}


def test_a_single_shop_entity_is_classified_as_before():
    shop = make_shop()
    add_inspection(shop, TODAY - D(30), "fail")
    assert db.session.get(Shop, shop.id).credit_class == "C"
    assert credit.assess(shop).credit_class == "C"


def test_chain_view_and_explanation_for_regulators_only(client, login_as):
    head = make_shop(sign_name="连锁总店")
    branch = make_shop(uscc=head.entity.uscc, sign_name="连锁分店")
    add_inspection(head, TODAY - D(30), "pass")
    add_inspection(branch, TODAY - D(20), "fail")
    login_as(make_regulator())
    page = client.get(f"/admin/entities/{head.entity.uscc}").get_data(as_text=True)
    assert "连锁总店" in page and "连锁分店" in page and "较差" in page and "良好" in page
    assert "ng-credit-C" in page and "国市监信发〔2022〕6号" in page
    grading_page = client.get(f"/admin/grading/shops/{head.code}").get_data(as_text=True)
    assert "连锁分店" in grading_page and "ng-credit-C" in grading_page  # the branch that set it
    client.post("/logout")
    login_as(make_regulator(streets=("湖南路街道",)))
    assert client.get(f"/admin/entities/{head.entity.uscc}").status_code == 403
    client.post("/logout")
    from tests.factories import make_inspector

    login_as(make_inspector())
    assert client.get(f"/admin/entities/{head.entity.uscc}").status_code in (302, 403)


def test_credit_class_is_never_public(client):
    head = make_shop()
    branch = make_shop(uscc=head.entity.uscc)
    add_penalty(branch, TODAY - D(3), "severe", published_on=TODAY - D(1))
    assert db.session.get(Shop, head.id).credit_class == "D"
    for shop in (head, branch):
        page, api, data = public_outputs(client, shop)
        assert "信用风险" not in page and "credit_class" not in api and "credit" not in data.lower()
        assert "ng-credit" not in page


def test_pages_in_english(client, login_as):
    """The new pages and sections render in English with the sources named."""
    head = make_shop()
    branch = make_shop(uscc=head.entity.uscc)
    add_penalty(head, TODAY - D(5), "general", published_on=TODAY - D(1), basis="第一百二十六条")
    add_penalty(branch, TODAY - D(4), "general")
    html = client.get(f"/s/{head.code}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Administrative penalties (public notice)" in html and "SAMR Order 45" in html
    login_as(make_regulator())
    en = {"Accept-Language": "en"}
    html = client.get(f"/admin/entities/{head.entity.uscc}", headers=en).get_data(as_text=True)
    assert "Shops side by side" in html and "guideline No. 6 of 2022" in html
    html = client.get(f"/admin/grading/shops/{branch.code}", headers=en).get_data(as_text=True)
    assert "Not published yet" in html and "Record publication" in html
    html = client.get(f"/admin/shops/{head.code}/penalties/new", headers=en).get_data(as_text=True)
    assert "Kind of penalty" in html and "Warning" in html and "Not published" in html
