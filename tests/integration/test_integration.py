"""City systems: API keys (hashed, scoped, revocable, audited), idempotent pushes, changes feed."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text

from huishang.extensions import db
from huishang.models import ApiKey, AuditEvent, Inspection, Licence, Penalty, Rectification, Shop, utcnow
from huishang.services.integration import apikeys
from tests.factories import make_inspector, make_regulator, make_shop

ALL = ("registry:read", "inspections:write", "penalties:write")


def new_key(*scopes):
    key, raw = apikeys.create_key("市级移动监管系统", scopes or ALL, actor=make_regulator())
    db.session.commit()
    return key, raw


def H(raw):
    return {"X-Api-Key": raw}


def inspection_body(shop, **kw):
    body = {
        "external_id": "SH-INS-0001",
        "shop_code": shop.code,
        "inspected_on": "2025-03-04",
        "outcome": "不符合",
        "rectification_deadline": "2025-03-18",
        "note": "后厨地面积水",
    }
    body.update(kw)
    return body


def penalty_body(shop, **kw):
    body = {
        "external_id": "SH-PEN-0001",
        "shop_code": shop.code,
        "decision_no": "沪市监徐处〔2025〕001号",
        "decided_on": "2025-02-10",
        "violation": "使用超过保质期的食品原料",
        "severity": "general",
        "fine": 5000,
    }
    body.update(kw)
    return body


# -- keys --------------------------------------------------------------------------------------


def test_key_is_stored_hashed_and_audited():
    key, raw = new_key()
    assert raw.startswith("hsk_") and len(raw) > 40 and key.prefix == raw[:12]
    assert key.key_hash != raw and len(key.key_hash) == 64
    dump = " ".join(str(v) for row in db.session.execute(text("SELECT * FROM api_keys")) for v in row)
    assert raw not in dump and raw[12:] not in dump
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "apikey.create")).all()
    assert len(events) == 1 and raw not in str(events[0].after) and events[0].actor_id is not None


def test_missing_wrong_and_revoked_keys_are_401(client):
    shop = make_shop()
    key, raw = new_key()
    for path in ("/api/v1/integration/changes?since=2020-01-01T00:00:00",):
        assert client.get(path).status_code == 401
        assert client.get(path, headers=H("hsk_forged")).status_code == 401
        assert client.get(path, headers=H(raw)).status_code == 200
    r = client.post("/api/v1/integration/inspections", json=inspection_body(shop))
    assert r.status_code == 401 and r.get_json()["code"] == 401
    apikeys.revoke_key(key, actor=make_regulator())
    db.session.commit()
    assert (
        client.get("/api/v1/integration/changes?since=2020-01-01T00:00:00", headers=H(raw)).status_code == 401
    )
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "apikey.revoke")
        )
        == 1
    )


def test_bearer_token_is_not_a_key(client, auth_header):
    reg = make_regulator()
    assert (
        client.get(
            "/api/v1/integration/changes?since=2020-01-01T00:00:00", headers=auth_header(reg)
        ).status_code
        == 401
    )


def test_scopes(client):
    shop = make_shop()
    _, read_only = new_key("registry:read")
    _, pusher = new_key("inspections:write")
    r = client.post("/api/v1/integration/inspections", json=inspection_body(shop), headers=H(read_only))
    assert r.status_code == 403
    r = client.post("/api/v1/integration/penalties", json=penalty_body(shop), headers=H(pusher))
    assert r.status_code == 403
    assert (
        client.get("/api/v1/integration/changes?since=2020-01-01T00:00:00", headers=H(pusher)).status_code
        == 403
    )
    assert (
        client.post(
            "/api/v1/integration/inspections", json=inspection_body(shop), headers=H(pusher)
        ).status_code
        == 201
    )
    assert db.session.scalar(select(func.count()).select_from(Penalty)) == 0


def test_last_used_recorded(client):
    key, raw = new_key()
    assert key.last_used_at is None
    client.get("/api/v1/integration/changes?since=2020-01-01T00:00:00", headers=H(raw))
    db.session.expire_all()
    assert db.session.get(ApiKey, key.id).last_used_at is not None


def test_bad_key_input_names_fields():
    with pytest.raises(Exception) as info:
        apikeys.create_key("", ["registry:read", "admin:all"])
    assert set(info.value.errors) == {"name", "scopes"}


# -- pushes ------------------------------------------------------------------------------------


def test_inspection_push_is_idempotent(client):
    shop = make_shop()
    _, raw = new_key()
    r1 = client.post("/api/v1/integration/inspections", json=inspection_body(shop), headers=H(raw))
    assert r1.status_code == 201, r1.get_json()
    r2 = client.post("/api/v1/integration/inspections", json=inspection_body(shop), headers=H(raw))
    assert r2.status_code == 200 and r2.get_json()["id"] == r1.get_json()["id"]
    assert db.session.scalar(select(func.count()).select_from(Inspection)) == 1
    assert db.session.scalar(select(func.count()).select_from(Rectification)) == 1
    stored = db.session.scalar(select(Inspection))
    assert stored.source == "api" and stored.outcome == "fail" and stored.external_id == "SH-INS-0001"
    db.session.expire_all()
    assert db.session.get(Shop, shop.id).latest_outcome == "fail"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "inspection.push"))
    assert event.actor_label.startswith("apikey:") and event.actor_id is None


def test_conflicting_repeat_is_409_and_changes_nothing(client):
    shop = make_shop()
    _, raw = new_key()
    client.post("/api/v1/integration/inspections", json=inspection_body(shop), headers=H(raw))
    r = client.post(
        "/api/v1/integration/inspections",
        json=inspection_body(shop, outcome="符合", rectification_deadline=None),
        headers=H(raw),
    )
    assert r.status_code == 409 and "outcome" in r.get_json()["errors"]
    assert db.session.scalar(select(Inspection.outcome)) == "fail"


def test_reinspection_closes_rectification(client):
    shop = make_shop()
    _, raw = new_key()
    client.post("/api/v1/integration/inspections", json=inspection_body(shop), headers=H(raw))
    r = client.post(
        "/api/v1/integration/inspections",
        json=inspection_body(
            shop,
            external_id="SH-INS-0002",
            inspected_on="2025-03-15",
            outcome="pass",
            full=False,
            rectification_deadline=None,
        ),
        headers=H(raw),
    )
    assert r.status_code == 201
    rect = db.session.scalar(select(Rectification))
    db.session.refresh(rect)
    assert rect.closed_on.isoformat() == "2025-03-15"


@pytest.mark.parametrize(
    "field,value,status",
    [
        ("shop_code", "NOPE12345", 404),
        ("outcome", "great", 422),
        ("inspected_on", "2025-13-01", 422),
        ("rectification_deadline", "2025-01-01", 422),
        ("external_id", "", 422),
    ],
)
def test_bad_inspection_push(client, field, value, status):
    shop = make_shop()
    _, raw = new_key()
    r = client.post(
        "/api/v1/integration/inspections", json=inspection_body(shop, **{field: value}), headers=H(raw)
    )
    assert r.status_code == status and field in r.get_json()["errors"]
    assert db.session.scalar(select(func.count()).select_from(Inspection)) == 0


def test_penalty_push_idempotent_with_default_publicity(client):
    shop = make_shop()
    _, raw = new_key()
    r1 = client.post("/api/v1/integration/penalties", json=penalty_body(shop), headers=H(raw))
    assert r1.status_code == 201, r1.get_json()
    assert r1.get_json()["publicity_ends_on"] == "2028-02-10"
    r2 = client.post("/api/v1/integration/penalties", json=penalty_body(shop), headers=H(raw))
    assert r2.status_code == 200 and r2.get_json()["id"] == r1.get_json()["id"]
    assert db.session.scalar(select(func.count()).select_from(Penalty)) == 1
    r3 = client.post("/api/v1/integration/penalties", json=penalty_body(shop, fine=8000), headers=H(raw))
    assert r3.status_code == 409 and "fine" in r3.get_json()["errors"]
    r4 = client.post(
        "/api/v1/integration/penalties", json=penalty_body(shop, external_id="OTHER"), headers=H(raw)
    )
    assert r4.status_code == 409 and "decision_no" in r4.get_json()["errors"]
    minor = client.post(
        "/api/v1/integration/penalties",
        headers=H(raw),
        json=penalty_body(
            shop, external_id="SH-PEN-2", decision_no="X-2", severity="minor", decided_on="2025-11-30"
        ),
    )
    assert minor.get_json()["publicity_ends_on"] == "2026-02-28"


# -- changes -----------------------------------------------------------------------------------


def _age(model, ids, when):
    column = model.updated_at if model is Shop else model.created_at
    db.session.execute(model.__table__.update().where(model.id.in_(ids)).values({column.key: when}))
    db.session.commit()


def test_changes_since_returns_only_newer_and_pages_by_cursor(client):
    old, new_a, new_b = make_shop(), make_shop(), make_shop()
    _, raw = new_key()
    client.post("/api/v1/integration/inspections", json=inspection_body(new_a), headers=H(raw))
    client.post(
        "/api/v1/integration/inspections", json=inspection_body(old, external_id="OLD"), headers=H(raw)
    )
    long_ago, cut = utcnow() - timedelta(days=10), utcnow() - timedelta(days=5)
    old_inspection = db.session.scalar(select(Inspection.id).where(Inspection.external_id == "OLD"))
    _age(Shop, [old.id], long_ago)
    _age(Inspection, [old_inspection], long_ago)
    r = client.get(f"/api/v1/integration/changes?since={cut.isoformat()}&limit=2", headers=H(raw))
    assert r.status_code == 200
    seen, page = [], r.get_json()
    while True:
        seen += [
            (i["type"], i["shop"]["code"] if i["type"] == "shop" else i["inspection"]["external_id"])
            for i in page["items"]
        ]
        if not page["has_more"]:
            break
        page = client.get(
            f"/api/v1/integration/changes?cursor={page['next_cursor']}&limit=2", headers=H(raw)
        ).get_json()
    assert sorted(seen) == sorted([("shop", new_a.code), ("shop", new_b.code), ("inspection", "SH-INS-0001")])
    again = client.get(f"/api/v1/integration/changes?cursor={page['next_cursor']}", headers=H(raw)).get_json()
    assert again["items"] == []
    shop_item = next(i for i in r.get_json()["items"] if i["type"] == "shop")
    for name in ("phone", "contact", "credit_class"):
        assert name not in shop_item["shop"]


def test_changes_needs_since_or_valid_cursor(client):
    _, raw = new_key()
    assert "since" in client.get("/api/v1/integration/changes", headers=H(raw)).get_json()["errors"]
    r = client.get("/api/v1/integration/changes?cursor=garbage", headers=H(raw))
    assert r.status_code == 400 and "cursor" in r.get_json()["errors"]
    r = client.get("/api/v1/integration/changes?since=yesterday", headers=H(raw))
    assert r.status_code == 422 and "since" in r.get_json()["errors"]


def test_openapi_documents_the_key_scheme(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["components"]["securitySchemes"]["ApiKeyAuth"]["name"] == "X-Api-Key"
    assert spec["paths"]["/api/v1/integration/inspections"]["post"]["security"] == [{"ApiKeyAuth": []}]


def test_only_district_wide_regulators_manage_keys(client, login_as):
    key, _ = new_key()
    login_as(make_inspector())
    assert client.get("/admin/api-keys").status_code == 403
    client.post("/logout")
    login_as(make_regulator(streets=("徐家汇街道",)))  # a key reaches the whole district
    assert client.get("/admin/api-keys").status_code == 403
    assert client.post("/admin/api-keys", data={"name": "x", "scopes": ["registry:read"]}).status_code == 403
    assert client.post(f"/admin/api-keys/{key.id}/revoke", data={"confirm": "yes"}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(ApiKey)) == 1
    assert db.session.get(ApiKey, key.id).revoked_at is None


def test_licence_renewal_reports_the_shop(client):
    shop = make_shop(licence_no="JY13101040000001", licence_expires="2026-01-31")
    _, raw = new_key()
    _age(Shop, [shop.id], utcnow() - timedelta(days=10))
    db.session.execute(text("UPDATE licences SET updated_at = :t"), {"t": utcnow() - timedelta(days=10)})
    db.session.commit()
    cut = (utcnow() - timedelta(days=5)).isoformat()
    assert client.get(f"/api/v1/integration/changes?since={cut}", headers=H(raw)).get_json()["items"] == []
    licence = db.session.scalar(select(Licence))
    licence.expires_on = date(2031, 1, 31)  # renewed: the shop row itself is untouched
    db.session.commit()
    items = client.get(f"/api/v1/integration/changes?since={cut}", headers=H(raw)).get_json()["items"]
    assert [(i["type"], i["shop"]["code"]) for i in items] == [("shop", shop.code)]
    assert items[0]["shop"]["licences"] == [
        {"kind": licence.kind, "number": "JY13101040000001", "expires_on": "2031-01-31"}
    ]
