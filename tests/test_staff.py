"""Staff, health certificates and vaccination: personal data for the shop's merchant and staff in
scope only; masked names for a property manager; nothing for the public."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from huishang.extensions import db
from huishang.models import AuditEvent, Staff, today
from huishang.services import DomainError
from huishang.services.merchant import staff as staff_service

from .factories import make_complex, make_inspector, make_merchant, make_property, make_regulator, make_shop

NAME, PHONE, CERT = "欧阳明珠", "13611112222", "HC-2025-0001"


@pytest.fixture
def shop_with_staff():
    make_complex()
    shop = make_shop(complex="港汇恒隆广场")
    merchant = make_merchant(shops=[shop])
    staff_service.add(shop, {"name": NAME, "phone": PHONE, "role": "厨师", "health_cert_no": CERT,
                             "health_cert_expires": (today() + timedelta(days=200)).isoformat(),
                             "vaccine_doses": "3", "vaccine_dates": "2021-05-01 2021-06-01 2021-12-01"})
    staff_service.add(shop, {"name": "李雷", "role": "服务员", "vaccine_doses": "1"})
    db.session.commit()
    return shop, merchant


def test_merchant_adds_edits_and_removes_staff(client, login_as):
    shop = make_shop()
    merchant = make_merchant(shops=[shop])
    login_as(merchant)
    r = client.post(f"/merchant/shops/{shop.code}/staff/new", data={
        "name": "王芳", "role": "收银员", "phone": "13700001111", "health_cert_no": "HC9",
        "health_cert_expires": "2030-01-01", "vaccine_doses": "2", "vaccine_dates": "2021-04-01，2021-05-01",
        "active": "1"})
    assert r.status_code == 302
    person = db.session.scalar(select(Staff))
    assert (person.name, person.vaccine_doses) == ("王芳", 2)
    assert person.vaccine_dates == ["2021-04-01", "2021-05-01"]
    r = client.post(f"/merchant/staff/{person.id}/edit", data={"name": "王芳", "vaccine_doses": "3"})
    assert r.status_code == 302
    db.session.refresh(person)
    assert person.vaccine_doses == 3 and person.active is False  # unticked box: left the post
    assert client.post(f"/merchant/staff/{person.id}/delete").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Staff)) == 0
    audited = list(db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "Staff")))
    assert [e.action for e in audited] == ["staff.add", "staff.update", "staff.remove"]
    assert all("13700001111" not in str(e.before) + str(e.after) for e in audited)  # no phones in the log


@pytest.mark.parametrize("data,field", [
    ({"name": ""}, "name"), ({"name": "甲", "phone": "call me"}, "phone"),
    ({"name": "甲", "health_cert_expires": "2030-13-01", "health_cert_no": "X"}, "health_cert_expires"),
    ({"name": "甲", "health_cert_expires": "2030-01-01"}, "health_cert_no"),
    ({"name": "甲", "vaccine_doses": "9"}, "vaccine_doses"),
    ({"name": "甲", "vaccine_dates": "2999-01-01"}, "vaccine_dates"),
])
def test_staff_validation(data, field):
    with pytest.raises(DomainError) as caught:
        staff_service.add(make_shop(), data)
    assert field in caught.value.errors


def test_bad_staff_form_is_redisplayed(client, login_as):
    shop = make_shop()
    login_as(make_merchant(shops=[shop]))
    r = client.post(f"/merchant/shops/{shop.code}/staff/new", data={"name": "", "phone": "x"})
    assert r.status_code == 422 and "请填写姓名" in r.get_data(as_text=True)


def test_another_merchant_cannot_touch_staff(client, login_as, shop_with_staff):
    shop, _ = shop_with_staff
    person = db.session.scalar(select(Staff).where(Staff.name == NAME))
    login_as(make_merchant(shops=[make_shop()]))
    assert client.get(f"/merchant/shops/{shop.code}/staff").status_code == 403
    assert client.get(f"/merchant/staff/{person.id}/edit").status_code == 403
    assert client.post(f"/merchant/staff/{person.id}/delete").status_code == 403
    assert db.session.get(Staff, person.id) is not None


def test_property_manager_sees_masked_names_only(client, login_as, shop_with_staff):
    shop, _ = shop_with_staff
    login_as(make_property())
    page = client.get(f"/property/tenants/{shop.code}").get_data(as_text=True)
    assert "欧***" in page and "李*" in page
    for secret in (NAME, PHONE, CERT, "李雷"):
        assert secret not in page
    home = client.get("/property/").get_data(as_text=True)
    assert NAME not in home and PHONE not in home


def test_public_faces_carry_no_staff_data(client, shop_with_staff):
    shop, _ = shop_with_staff
    for url in (f"/s/{shop.code}", f"/api/v1/public/shops/{shop.code}"):
        body = client.get(url).get_data(as_text=True)
        for secret in (NAME, PHONE, CERT, "李雷"):
            assert secret not in body, url


def test_regulator_in_scope_sees_the_coverage_summary(client, login_as, shop_with_staff):
    shop, _ = shop_with_staff
    login_as(make_regulator())
    page = client.get(f"/admin/merchants/shops/{shop.code}").get_data(as_text=True)
    assert NAME in page and "在岗 2 人" in page and "至少1剂 100%" in page and "加强 50%" in page
    profile = client.get(f"/admin/shops/{shop.code}")  # the registry's profile includes the partial
    assert profile.status_code == 200 and NAME in profile.get_data(as_text=True)


def test_staff_summary_is_withheld_out_of_scope(shop_with_staff, app):
    shop, _ = shop_with_staff
    with app.test_request_context():
        from huishang.admin.merchants import staff_summary

        outsider = make_inspector(streets=("华泾镇",))
        assert staff_summary(shop, outsider) is None
        assert staff_summary(shop, make_inspector(streets=("徐家汇街道",)))["coverage"]["total"] == 2
        assert staff_summary(shop, make_property()) is None


def test_coverage_counts():
    shop = make_shop()
    on = date(2026, 6, 1)
    for name, expires, doses in (("甲", date(2026, 6, 20), 2), ("乙", date(2026, 5, 1), 0),
                                 ("丙", None, 3), ("丁", date(2027, 1, 1), 1)):
        db.session.add(Staff(shop_id=shop.id, name=name, health_cert_no="X" if expires else "",
                             health_cert_expires=expires, vaccine_doses=doses))
    db.session.add(Staff(shop_id=shop.id, name="离职", vaccine_doses=0, active=False))
    db.session.flush()
    c = staff_service.coverage(shop, on)
    assert (c["total"], c["cert_valid"], c["cert_expiring_30"], c["vaccinated"], c["full"], c["boosted"]) == \
        (4, 2, 1, 3, 2, 1)
    assert c["cert_pct"] == 50 and c["vaccinated_pct"] == 75


PERSONAL = ("phone", "health_cert_no", "health_cert_expires", "vaccine_doses", "vaccine_dates")


def test_staff_api_by_audience(client, auth_header, shop_with_staff):
    shop, merchant = shop_with_staff
    url = f"/api/v1/shops/{shop.code}/staff"
    own = client.get(url, headers=auth_header(merchant)).get_json()
    assert {p["name"] for p in own["items"]} == {NAME, "李雷"} and own["coverage"]["total"] == 2
    staff_view = client.get(url, headers=auth_header(make_inspector())).get_json()
    assert any(p.get("phone") == PHONE for p in staff_view["items"])
    masked = client.get(url, headers=auth_header(make_property())).get_json()
    assert sorted(p["name"] for p in masked["items"]) == ["李*", "欧***"] and masked["coverage"] is None
    for item in masked["items"]:
        assert set(item) == {"name", "role"}
        for field in PERSONAL:
            assert field not in item
    assert client.get(url, headers=auth_header(make_merchant(shops=[make_shop()]))).status_code == 403
    assert client.get(url, headers=auth_header(make_inspector(streets=("华泾镇",)))).status_code == 403
    assert client.get(url).status_code == 401


def test_staff_api_writes_are_the_merchants(client, auth_header, shop_with_staff):
    shop, merchant = shop_with_staff
    url = f"/api/v1/shops/{shop.code}/staff"
    body = {"name": "新员工", "health_cert_no": "HC7", "health_cert_expires": "2030-01-01",
            "vaccine_dates": ["2021-03-01"]}
    r = client.post(url, json=body, headers=auth_header(merchant))
    assert r.status_code == 201 and r.get_json()["vaccine_doses"] == 1
    staff_id = r.get_json()["id"]
    assert client.post(url, json=body, headers=auth_header(make_regulator())).status_code == 403
    assert client.post(url, json={"name": ""}, headers=auth_header(merchant)).status_code == 422
    stranger = make_merchant(shops=[make_shop()])
    r = client.put(f"/api/v1/staff/{staff_id}", json=body, headers=auth_header(stranger))
    assert r.status_code == 403
    assert client.delete(f"/api/v1/staff/{staff_id}", headers=auth_header(stranger)).status_code == 403
    assert client.delete(f"/api/v1/staff/{staff_id}", headers=auth_header(merchant)).status_code == 204
    assert db.session.get(Staff, staff_id) is None
