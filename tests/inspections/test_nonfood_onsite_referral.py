"""Issue 15: non-food shops and pharmacies are fully inspected with their own forms (graded and
shown with a face); 当场整改 is its own answer; a failed key item is referred for a case (移送立案)."""
import io

import pytest
from flask_babel import refresh
from pypdf import PdfReader
from sqlalchemy import select

from huishang.extensions import db
from huishang.models import AuditEvent, ChecklistTemplate, Inspection, Rectification, Shop
from huishang.schemas.inspections import InspectionOwnerSchema, InspectionStaffSchema
from huishang.services import Conflict, DomainError, inspections
from huishang.services.catalog import checklists
from huishang.services.inspections import referrals
from tests.factories import make_inspector, make_merchant, make_shop


def form_for(shop) -> ChecklistTemplate:
    (full,) = [a.template for a in checklists.applicable_templates(shop, "inspection")
               if checklists.is_full(a.template)]
    return full


def submit(shop, me, co, form, results=None, **kw):
    results = results or {}
    sub = inspections.Submission(
        template_id=form.id, co_inspector=co.username,
        answers=[{"item_id": i.id, "result": results.get(i.id, "pass"), "note": ""} for i in form.items], **kw)
    inspection, _ = inspections.record_inspection(shop, sub, actor=me)
    db.session.commit()
    return inspection


@pytest.mark.parametrize("code,key", [
    ("non_food.clothing", "market.general.inspection"),
    ("non_food.beauty", "market.prepaid.inspection"),
    ("non_food.fitness", "market.prepaid.inspection"),
    ("non_food.education", "market.prepaid.inspection"),
    ("non_food.pharmacy", "market.pharmacy.inspection"),
])
def test_non_food_inspection_grades_the_shop_and_shows_a_face(client, code, key):
    shop = make_shop(business_type=code, entity_name=f"上海测试商贸有限公司{code}")
    assert shop.dynamic_grade == "一般" and shop.latest_outcome is None  # never inspected: neutral, no face
    form = form_for(shop)
    assert form.key == key and form.topic == "market"
    assert all(item.basis for item in form.items)  # every item states its legal basis
    inspection = submit(shop, make_inspector(), make_inspector(), form)
    assert inspection.full and inspection.outcome == "pass"
    shop = db.session.get(Shop, shop.id)
    assert shop.latest_outcome == "pass" and shop.dynamic_grade == "良好"
    page = client.get(f"/s/{shop.code}").get_data(as_text=True)
    assert "hs-face-pass" in page and "良好" in page and "暂无检查记录" not in page


def test_pharmacy_form_checks_prescriptions_and_a_general_failure_is_partial(client):
    shop = make_shop(business_type="non_food.pharmacy", entity_name="上海测试大药房有限公司")
    form = form_for(shop)
    texts = " ".join(i.text for i in form.items)
    assert "处方" in texts and "执业药师" in texts and "明码标价" in texts
    assert "药品广告" in {i.section for i in form.items}
    general = next(i for i in form.items if not i.key)
    inspection = submit(shop, make_inspector(), make_inspector(), form, {general.id: "fail"})
    assert inspection.outcome == "partial" and inspection.rectification is not None
    assert db.session.get(Shop, shop.id).latest_outcome == "partial"
    page = client.get(f"/s/{shop.code}").get_data(as_text=True)
    assert "hs-face-partial" in page
    refresh()  # the test's one app context keeps the first request's locale
    english = client.get(f"/s/{shop.code}?lang=en").get_data(as_text=True)
    assert "Pharmacy" in english and "药店" not in english  # issue 17: business types in English


# -- 当场整改 --------------------------------------------------------------------------------------
def test_corrected_on_the_spot_counts_as_compliant_but_is_recorded_and_shown(client, login_as):
    shop = make_shop()
    form = form_for(shop)
    general = [i for i in form.items if not i.key][:2]
    me = make_inspector()
    inspection = submit(shop, me, make_inspector(), form, {general[0].id: "fixed", general[1].id: "当场整改"})
    assert inspection.outcome == "pass" and inspection.rectification is None
    assert db.session.scalar(select(Rectification).where(Rectification.shop_id == shop.id)) is None
    assert sorted(a.result for a in inspection.answers if a.item_id in {g.id for g in general}) == ["fixed", "fixed"]
    assert db.session.get(Shop, shop.id).latest_outcome == "pass"
    login_as(me)
    html = client.get(f"/admin/inspections/{inspection.id}").get_data(as_text=True)
    assert html.count("当场整改") >= 2 and "result-fixed" in html
    form_page = client.get(f"/admin/shops/{shop.code}/inspections/new").get_data(as_text=True)
    assert 'value="fixed"' in form_page
    dumped = InspectionOwnerSchema().dump(inspection)
    assert "fixed" in {a["result"] for a in dumped["answers"]}


def test_a_key_item_cannot_be_corrected_on_the_spot():
    shop = make_shop()
    form = form_for(shop)
    key = next(i for i in form.items if i.key)
    with pytest.raises(DomainError) as err:
        submit(shop, make_inspector(), make_inspector(), form, {key.id: "fixed"})
    assert "重点项" in err.value.errors["answers"][0]
    db.session.rollback()
    assert db.session.scalar(select(Inspection).where(Inspection.shop_id == shop.id)) is None


# -- 移送立案 --------------------------------------------------------------------------------------
def test_failed_key_item_offers_referral_and_records_who_when_and_note(client, login_as):
    shop = make_shop(business_type="non_food.pharmacy", entity_name="上海测试药房二有限公司")
    form = form_for(shop)
    key = next(i for i in form.items if i.key)
    me = make_inspector()
    inspection = submit(shop, me, make_inspector(), form, {key.id: "fail"})
    assert inspection.outcome == "fail"
    login_as(me)
    page = client.get(f"/admin/inspections/{inspection.id}").get_data(as_text=True)
    assert f"/admin/inspections/{inspection.id}/refer" in page and key.text in page
    empty = client.post(f"/admin/inspections/{inspection.id}/refer", data={"note": "  "})
    assert empty.status_code == 302 and db.session.get(Inspection, inspection.id).referred_at is None
    done = client.post(f"/admin/inspections/{inspection.id}/refer", data={"note": "无证经营处方药，移送执法大队立案"})
    assert done.status_code == 302
    inspection = db.session.get(Inspection, inspection.id)
    assert inspection.referred_at and inspection.referred_by_id == me.id
    assert inspection.referral_note == "无证经营处方药，移送执法大队立案"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "inspection.refer"))
    assert event.actor_id == me.id and event.after["referral_note"] == inspection.referral_note
    assert event.after["items"] == [key.text]
    page = client.get(f"/admin/inspections/{inspection.id}").get_data(as_text=True)
    assert "无证经营处方药，移送执法大队立案" in page and me.label in page
    assert f"/admin/inspections/{inspection.id}/refer" not in page  # recorded once: no form any more
    # the record is staff-only: the merchant's variant and pages never carry it
    assert InspectionStaffSchema().dump(inspection)["referral_note"] == inspection.referral_note
    assert "referral_note" not in InspectionOwnerSchema().dump(inspection)
    with pytest.raises(Conflict):
        referrals.refer(inspection, actor=me, note="再次")


def test_referral_only_for_a_failed_key_item_and_in_scope(client, login_as):
    shop = make_shop()
    form = form_for(shop)
    general = next(i for i in form.items if not i.key)
    me = make_inspector()
    partial = submit(shop, me, make_inspector(), form, {general.id: "fail"})
    with pytest.raises(DomainError) as err:
        referrals.refer(partial, actor=me, note="试图移送")
    assert "inspection" in err.value.errors
    login_as(me)
    assert "/refer" not in client.get(f"/admin/inspections/{partial.id}").get_data(as_text=True)
    key = next(i for i in form.items if i.key)
    failed = submit(shop, me, make_inspector(), form, {key.id: "fail"}, client_id="client-key-1")
    client.post("/logout")
    login_as(make_inspector(streets=("华泾镇",)))
    assert client.post(f"/admin/inspections/{failed.id}/refer", data={"note": "越权"}).status_code == 403
    client.post("/logout")
    merchant = make_merchant(shops=[shop])
    login_as(merchant)
    assert client.post(f"/admin/inspections/{failed.id}/refer", data={"note": "x"}).status_code == 403
    assert db.session.get(Inspection, failed.id).referred_at is None


def test_result_sheet_shows_on_the_spot_and_cites_order_49_only_for_food():
    from huishang.services.inspections import result_sheet

    def sheet_text(inspection):
        reader = PdfReader(io.BytesIO(result_sheet.render(inspection)))
        return "".join(page.extract_text() for page in reader.pages).replace("\n", "")

    pharmacy = make_shop(business_type="non_food.pharmacy", entity_name="上海测试药房三有限公司")
    form = form_for(pharmacy)
    general = next(i for i in form.items if not i.key)
    text = sheet_text(submit(pharmacy, make_inspector(), make_inspector(), form, {general.id: "fixed"}))
    assert "当场整改" in text and "食品生产经营监督检查管理办法" not in text
    food = make_shop()
    text = sheet_text(submit(food, make_inspector(), make_inspector(), form_for(food), client_id="client-food-1"))
    assert "食品生产经营监督检查管理办法" in text
