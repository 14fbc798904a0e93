"""The property end: tenants with a supervision summary, move-in/move-out confirmed by a regulator,
messages; a property manager sees only their complex and never complainant data or credit class."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from huishang.extensions import db
from huishang.models import Complaint, Inspection, PropertyReport, Rectification, Shop, today
from huishang.services import DomainError
from huishang.services import property as property_service
from huishang.services.registry import uscc
from tests.factories import make_complex, make_merchant, make_property, make_regulator, make_shop


@pytest.fixture
def complex_shops():
    make_complex()
    make_complex("美罗城")
    inside = make_shop(sign_name="港汇面馆", complex="港汇恒隆广场")
    other = make_shop(sign_name="美罗咖啡", complex="美罗城")
    return inside, other


def move_in_form(**kw):
    data = {"uscc": uscc.generate(), "entity_name": "上海新店餐饮有限公司", "sign_name": "新来的店",
            "address": "虹桥路1号B1-12", "business_type": "catering.snack", "contact": "赵六",
            "phone": "13500001111"}
    data.update(kw)
    return data


def test_tenant_list_is_the_complex_only_with_its_summary(client, login_as, complex_shops):
    inside, other = complex_shops
    inside.credit_class = "D"
    inside.latest_outcome, inside.latest_inspected_on = "partial", date(2026, 1, 10)
    inspection = Inspection(shop_id=inside.id, inspected_on=date(2026, 1, 10), outcome="partial")
    db.session.add(inspection)
    db.session.flush()
    db.session.add(Rectification(shop_id=inside.id, inspection_id=inspection.id,
                                 deadline=today() - timedelta(days=1)))
    db.session.add(Complaint(ticket="T1", tracking_key_hash="x", shop_id=inside.id, category="food_safety",
                             description="吃坏肚子", phone="13999998888"))
    db.session.commit()
    login_as(make_property())
    page = client.get("/property/").get_data(as_text=True)
    assert "港汇面馆" in page and "美罗咖啡" not in page
    assert "😐" in page and "整改中 1 项" in page and "逾期 1" in page
    detail = client.get(f"/property/tenants/{inside.code}").get_data(as_text=True)
    for page_text in (page, detail):
        assert "13999998888" not in page_text and "吃坏肚子" not in page_text
        assert "信用" not in page_text and ">D<" not in page_text
    assert client.get(f"/property/tenants/{other.code}").status_code == 403
    assert client.get(f"/property/tenants/{other.code}/move-out").status_code == 403


def test_property_api_scope(client, auth_header, complex_shops):
    inside, other = complex_shops
    h = auth_header(make_property())
    items = client.get("/api/v1/shops", headers=h).get_json()["items"]
    assert [s["code"] for s in items] == [inside.code]
    assert "credit_class" not in items[0]
    assert client.get(f"/api/v1/shops/{other.code}", headers=h).status_code == 403
    assert client.patch(f"/api/v1/shops/{inside.code}", json={"contact": "x"}, headers=h).status_code == 403


def test_move_in_is_registered_only_when_a_regulator_confirms(client, login_as, complex_shops):
    login_as(make_property())
    before = db.session.scalar(select(func.count()).select_from(Shop))
    r = client.post("/property/move-in", data=move_in_form(effective_on="2026-01-05"))
    assert r.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Shop)) == before  # pending only
    report = db.session.scalar(select(PropertyReport))
    client.post("/logout")
    login_as(make_regulator())
    assert "新来的店" in client.get("/admin/merchants/reports").get_data(as_text=True)
    assert client.post(f"/admin/merchants/reports/{report.id}/confirm").status_code == 302
    shop = db.session.scalar(select(Shop).where(Shop.sign_name == "新来的店"))
    assert shop.complex.name == "港汇恒隆广场" and shop.street.name == "徐家汇街道"
    assert shop.registered_on == date(2026, 1, 5) and shop.status == "open"
    assert db.session.get(PropertyReport, report.id).status == "confirmed"
    assert client.post(f"/admin/merchants/reports/{report.id}/confirm").status_code == 303  # already done


def test_move_in_is_validated_before_it_is_queued(client, login_as, complex_shops):
    login_as(make_property())
    r = client.post("/property/move-in", data=move_in_form(uscc="123", business_type="火星"))
    assert r.status_code == 422
    text = r.get_data(as_text=True)
    assert "未知业态" in text
    assert db.session.scalar(select(func.count()).select_from(PropertyReport)) == 0


def test_move_out_closes_the_shop_after_confirmation(client, login_as, complex_shops):
    inside, _ = complex_shops
    login_as(make_property())
    r = client.post(f"/property/tenants/{inside.code}/move-out", data={"note": "合同到期"})
    assert r.status_code == 302
    assert client.post(f"/property/tenants/{inside.code}/move-out", data={}).status_code == 409
    db.session.expire_all()
    assert db.session.get(Shop, inside.id).status == "open"
    report = db.session.scalar(select(PropertyReport))
    client.post("/logout")
    login_as(make_regulator())
    assert client.post(f"/admin/merchants/reports/{report.id}/confirm").status_code == 302
    db.session.expire_all()
    assert db.session.get(Shop, inside.id).status == "closed"


def test_rejected_report_changes_nothing(client, login_as, complex_shops):
    inside, _ = complex_shops
    report = property_service.report_move_out(make_property(), inside)
    db.session.commit()
    login_as(make_regulator())
    client.post(f"/admin/merchants/reports/{report.id}/reject", data={"reason": ""})
    assert db.session.get(PropertyReport, report.id).status == "pending"
    client.post(f"/admin/merchants/reports/{report.id}/reject", data={"reason": "商户仍在营业"})
    db.session.expire_all()
    assert db.session.get(PropertyReport, report.id).status == "rejected"
    assert db.session.get(Shop, inside.id).status == "open"


def test_reports_are_scoped_to_the_regulators_streets(client, login_as, complex_shops):
    inside, _ = complex_shops
    report = property_service.report_move_out(make_property(), inside)
    db.session.commit()
    login_as(make_regulator(streets=("华泾镇",)))
    assert client.post(f"/admin/merchants/reports/{report.id}/confirm").status_code == 403
    assert inside.sign_name not in client.get("/admin/merchants/reports").get_data(as_text=True)


def test_move_out_of_another_complex_is_refused(complex_shops):
    _, other = complex_shops
    with pytest.raises(DomainError) as caught:
        property_service.report_move_out(make_property(), other)
    assert caught.value.status == 403


def test_message_thread_with_the_regulator(client, login_as, complex_shops):
    manager = make_property()
    login_as(manager)
    assert client.post("/property/messages", data={"body": ""}).status_code == 422
    assert client.post("/property/messages", data={"body": "B1层有商户无证经营"}).status_code == 302
    client.post("/logout")
    regulator = make_regulator()
    login_as(regulator)
    threads = client.get("/admin/merchants/messages").get_data(as_text=True)
    assert "港汇恒隆广场" in threads and '<span class="badge">1</span>' in threads
    cx = make_complex()
    assert "B1层有商户无证经营" in client.get(f"/admin/merchants/messages/{cx.id}").get_data(as_text=True)
    client.post(f"/admin/merchants/messages/{cx.id}", data={"body": "已安排核查"})
    client.post("/logout")
    login_as(manager)
    assert '联系监管部门 <span class="badge">1</span>' in client.get("/property/").get_data(as_text=True)
    assert "已安排核查" in client.get("/property/messages").get_data(as_text=True)
    assert '<span class="badge">' not in client.get("/property/").get_data(as_text=True)
    other_manager = make_property("美罗城")
    client.post("/logout")
    login_as(other_manager)
    assert "已安排核查" not in client.get("/property/messages").get_data(as_text=True)


def test_merchant_cannot_use_the_property_end(client, login_as, complex_shops):
    inside, _ = complex_shops
    login_as(make_merchant(shops=[inside]))
    assert client.get("/property/").status_code == 403
    assert client.post("/property/move-in", data=move_in_form()).status_code == 403


def test_property_manager_sees_the_rejection_reason(client, login_as, complex_shops):
    inside, _ = complex_shops
    manager = make_property()
    report = property_service.report_move_out(manager, inside)
    property_service.reject(report, "商户仍在营业，请核实", actor=make_regulator())
    db.session.commit()
    login_as(manager)
    assert "商户仍在营业，请核实" in client.get("/property/").get_data(as_text=True)
