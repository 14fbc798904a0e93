import pytest
from sqlalchemy import func, select

from huishang.extensions import db
from huishang.models import AuditEvent, Shop
from huishang.services.registry import uscc
from tests.factories import PASSWORD, make_inspector, make_merchant, make_regulator, make_shop


def body(**kw):
    data = {"uscc": uscc.generate(), "entity_name": "上海味道餐饮有限公司", "sign_name": "味道小馆",
            "address": "徐汇区天钥桥路100号", "street": "徐家汇街道", "business_type": "快餐",
            "lat": 31.19, "lng": 121.44}
    data.update(kw)
    return data


def test_token_and_create(client):
    reg = make_regulator()
    r = client.post("/api/v1/auth/token", json={"username": reg.username, "password": PASSWORD})
    assert r.status_code == 200
    token = r.get_json()["token"]
    r = client.post("/api/v1/shops", json=body(), headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201, r.get_json()
    code = r.get_json()["code"]
    assert db.session.scalar(select(Shop).where(Shop.code == code)).sign_name == "味道小馆"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "shop.register")) == 1


def test_wrong_password_is_401_json(client):
    reg = make_regulator()
    r = client.post("/api/v1/auth/token", json={"username": reg.username, "password": "nope-nope"})
    assert r.status_code == 401
    assert r.get_json()["code"] == 401


def test_no_token_is_401(client):
    assert client.get("/api/v1/shops").status_code == 401
    assert client.get("/api/v1/shops", headers={"Authorization": "Bearer forged"}).status_code == 401


@pytest.mark.parametrize("field,value", [("uscc", "91310000MA1FL0000X"), ("street", "不存在街道"),
                                         ("business_type", "火星餐饮"), ("lat", 39.9), ("phone", "abc")])
def test_bad_input_names_the_field_and_writes_nothing(client, auth_header, field, value):
    reg = make_regulator()
    r = client.post("/api/v1/shops", json=body(**{field: value}), headers=auth_header(reg))
    assert r.status_code == 422
    payload = r.get_json()
    assert payload["code"] == 422 and field in payload["errors"]
    assert db.session.scalar(select(func.count()).select_from(Shop)) == 0


def test_missing_required_field_from_schema(client, auth_header):
    reg = make_regulator()
    data = body()
    del data["sign_name"]
    r = client.post("/api/v1/shops", json=data, headers=auth_header(reg))
    assert r.status_code == 422
    assert "sign_name" in r.get_json()["errors"]


def test_scope_and_roles(client, auth_header):
    inside = make_shop(street="徐家汇街道")
    outside = make_shop(street="华泾镇")
    insp = make_inspector(streets=("徐家汇街道",))
    r = client.get("/api/v1/shops", headers=auth_header(insp))
    codes = {s["code"] for s in r.get_json()["items"]}
    assert codes == {inside.code}
    assert client.get(f"/api/v1/shops/{outside.code}", headers=auth_header(insp)).status_code == 403
    assert client.post("/api/v1/shops", json=body(), headers=auth_header(insp)).status_code == 403
    merchant = make_merchant(shops=[inside])
    assert client.get(f"/api/v1/shops/{inside.code}", headers=auth_header(merchant)).status_code == 200
    assert client.get(f"/api/v1/shops/{outside.code}", headers=auth_header(merchant)).status_code == 403
    r = client.patch(f"/api/v1/shops/{inside.code}", json={"sign_name": "改名"}, headers=auth_header(merchant))
    assert r.status_code == 403 and "sign_name" in r.get_json()["errors"]
    r = client.patch(f"/api/v1/shops/{inside.code}", json={"opening_hours": "07:00-20:00"},
                     headers=auth_header(merchant))
    assert r.status_code == 200 and r.get_json()["opening_hours"] == "07:00-20:00"
    assert "credit_class" not in r.get_json()


def test_filters_and_close(client, auth_header):
    reg = make_regulator()
    a = make_shop(sign_name="老王面馆")
    make_shop(sign_name="小李超市", business_type="超市", street="华泾镇")
    h = auth_header(reg)
    assert [s["code"] for s in client.get("/api/v1/shops?q=面馆", headers=h).get_json()["items"]] == [a.code]
    assert client.get("/api/v1/shops?street=华泾镇", headers=h).get_json()["total"] == 1
    assert client.get("/api/v1/shops?street=nowhere", headers=h).status_code == 400
    assert client.get("/api/v1/shops?per_page=100000", headers=h).status_code == 422
    r = client.post(f"/api/v1/shops/{a.code}/close", json={"reason": "歇业"}, headers=h)
    assert r.status_code == 200 and r.get_json()["status"] == "closed"
    assert client.post(f"/api/v1/shops/{a.code}/close", json={"reason": "again"}, headers=h).status_code == 409


def test_business_types(client, auth_header):
    r = client.get("/api/v1/business-types", headers=auth_header(make_regulator()))
    items = {bt["code"]: bt for bt in r.get_json()}
    assert items["group_meal.school_canteen"]["static_risk"] == "D"
    assert items["food_sales.imported_cold_chain"]["colour"] == "red"


def test_openapi(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    assert "/api/v1/shops" in r.get_json()["paths"]


def test_credit_class_only_for_regulators(client, auth_header):
    shop = make_shop()
    shop.credit_class = "C"
    db.session.commit()
    inspector = make_inspector(streets=("徐家汇街道",))
    merchant = make_merchant(shops=[shop])
    for user in (inspector, merchant):
        r = client.get(f"/api/v1/shops/{shop.code}", headers=auth_header(user))
        assert r.status_code == 200 and "credit_class" not in r.get_json()
        listed = client.get("/api/v1/shops", headers=auth_header(user)).get_json()["items"]
        assert listed and all("credit_class" not in item for item in listed)
    r = client.get(f"/api/v1/shops/{shop.code}", headers=auth_header(make_regulator()))
    assert r.get_json()["credit_class"] == "C"


def test_password_change_ends_sessions_and_tokens(client, login_as, auth_header):
    reg = make_regulator()
    login_as(reg)
    header = auth_header(reg)
    assert client.get("/admin/shops").status_code == 200
    reg.set_password("a-new-password-1")
    db.session.commit()
    assert client.get("/admin/shops").status_code == 302
    assert client.get("/api/v1/shops", headers=header).status_code == 401
