"""Store information and the review queue; a merchant never sees or edits another's shop."""
import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from huishang.extensions import db
from huishang.models import AuditEvent, ChangeRequest, Notification, Shop
from huishang.services.merchant import changes
from tests.factories import make_inspector, make_merchant, make_regulator, make_shop


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture
def two_shops():
    mine, theirs = make_shop(sign_name="我的小馆"), make_shop(sign_name="别人的店")
    merchant = make_merchant(shops=[mine])
    make_merchant(shops=[theirs])
    return merchant, mine, theirs


OTHER_SHOP_PAGES = [
    ("get", "/merchant/shops/{code}"), ("post", "/merchant/shops/{code}/info"),
    ("post", "/merchant/shops/{code}/change"), ("post", "/merchant/shops/{code}/sign-photo"),
    ("get", "/merchant/shops/{code}/staff"), ("get", "/merchant/shops/{code}/staff/new"),
    ("post", "/merchant/shops/{code}/staff/new"), ("get", "/merchant/shops/{code}/licences/new"),
    ("post", "/merchant/shops/{code}/licences/new"), ("get", "/merchant/shops/{code}/sign-photo"),
]


@pytest.mark.parametrize("method,path", OTHER_SHOP_PAGES)
def test_merchant_cannot_reach_another_shop(client, login_as, two_shops, method, path):
    merchant, _, theirs = two_shops
    login_as(merchant)
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    r = getattr(client, method)(path.format(code=theirs.code), data={"sign_name": "抢注", "contact": "x"})
    assert r.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_merchant_api_scope(client, auth_header, two_shops):
    merchant, mine, theirs = two_shops
    h = auth_header(merchant)
    listed = client.get("/api/v1/shops", headers=h).get_json()["items"]
    assert [s["code"] for s in listed] == [mine.code]
    assert client.get(f"/api/v1/shops/{theirs.code}", headers=h).status_code == 403
    assert client.patch(f"/api/v1/shops/{theirs.code}", json={"contact": "x"}, headers=h).status_code == 403


def test_home_lists_only_own_shops(client, login_as, two_shops):
    merchant, mine, theirs = two_shops
    page = login_as(merchant).get("/merchant/").get_data(as_text=True)
    assert mine.sign_name in page and theirs.sign_name not in page


def test_other_roles_are_kept_out_of_the_merchant_end(client, login_as, two_shops):
    _, mine, _ = two_shops
    login_as(make_inspector())
    assert client.get(f"/merchant/shops/{mine.code}").status_code == 403
    client.post("/logout")
    assert client.get("/merchant/").status_code == 302  # to the login page


def test_open_fields_apply_at_once_and_are_audited(client, login_as, two_shops):
    merchant, mine, _ = two_shops
    login_as(merchant)
    r = client.post(f"/merchant/shops/{mine.code}/info", data={
        "contact": "李四", "phone": "021-64001234", "opening_hours": "06:30-20:00",
        "serves_breakfast": "1", "breakfast_spend": "12.5", "breakfast_wait": "5",
        "breakfast_offer": "豆浆、油条", "breakfast_hours": "06:30-09:00", "cold_chain": "1"})
    assert r.status_code == 302
    db.session.expire_all()
    shop = db.session.get(Shop, mine.id)
    assert (shop.contact, shop.opening_hours, shop.serves_breakfast, float(shop.breakfast_spend),
            shop.breakfast_wait, shop.cold_chain) == ("李四", "06:30-20:00", True, 12.5, 5, True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "shop.update"))
    assert event.actor_id == merchant.id and event.after["contact"] == "李四"


def test_bad_open_field_redisplays_the_form(client, login_as, two_shops):
    merchant, mine, _ = two_shops
    login_as(merchant)
    r = client.post(f"/merchant/shops/{mine.code}/info", data={"phone": "call me", "breakfast_wait": "x"})
    assert r.status_code == 422
    assert "电话号码格式错误" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Shop, mine.id).phone == "13812341234"


def test_regulated_change_goes_to_review_and_approval_applies_it(client, login_as, two_shops):
    merchant, mine, _ = two_shops
    login_as(merchant)
    r = client.post(f"/merchant/shops/{mine.code}/change",
                    data={"sign_name": "我的新小馆", "business_type": "catering.snack", "address": ""})
    assert r.status_code == 302
    cr = db.session.scalar(select(ChangeRequest))
    assert cr.status == "pending" and set(cr.changes) == {"sign_name", "business_type"}
    db.session.expire_all()
    assert db.session.get(Shop, mine.id).sign_name == "我的小馆"  # not yet
    page = client.get(f"/merchant/changes/{cr.id}").get_data(as_text=True)
    assert "待审核" in page
    client.post("/logout")
    login_as(make_regulator())
    queue = client.get("/admin/merchants/changes").get_data(as_text=True)
    assert "我的小馆" in queue and "我的新小馆" in queue  # the diff: before → after
    assert client.post(f"/admin/merchants/changes/{cr.id}/approve").status_code == 302
    db.session.expire_all()
    shop = db.session.get(Shop, mine.id)
    assert shop.sign_name == "我的新小馆" and shop.business_type.code == "catering.snack"
    assert db.session.get(ChangeRequest, cr.id).status == "approved"
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"change_request.create", "change_request.approve", "shop.update"} <= actions
    assert db.session.scalar(select(Notification.title).where(Notification.user_id == merchant.id)
                             ).startswith("变更已通过")
    assert client.post(f"/admin/merchants/changes/{cr.id}/approve").status_code == 409


def test_rejection_needs_a_reason_and_changes_nothing(client, login_as, two_shops):
    merchant, mine, _ = two_shops
    cr = changes.request_shop_change(mine, {"address": "徐汇区新地址1号"}, actor=merchant)
    db.session.commit()
    login_as(make_regulator())
    assert client.post(f"/admin/merchants/changes/{cr.id}/reject", data={"reason": ""}).status_code == 422
    assert client.post(f"/admin/merchants/changes/{cr.id}/reject",
                       data={"reason": "地址与营业执照不符"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Shop, mine.id).address != "徐汇区新地址1号"
    cr = db.session.get(ChangeRequest, cr.id)
    assert cr.status == "rejected" and cr.reason == "地址与营业执照不符"
    client.post("/logout")
    login_as(merchant)
    assert "地址与营业执照不符" in client.get(f"/merchant/changes/{cr.id}").get_data(as_text=True)


def test_review_queue_is_scoped_to_streets(client, login_as):
    far = make_shop(street="华泾镇")
    merchant = make_merchant(shops=[far])
    cr = changes.request_shop_change(far, {"sign_name": "远方"}, actor=merchant)
    db.session.commit()
    login_as(make_regulator(streets=("徐家汇街道",)))
    assert "远方" not in client.get("/admin/merchants/changes").get_data(as_text=True)
    assert client.post(f"/admin/merchants/changes/{cr.id}/approve").status_code == 403


def test_unchanged_or_unknown_values_are_refused(two_shops):
    merchant, mine, _ = two_shops
    from huishang.services import DomainError

    with pytest.raises(DomainError) as same:
        changes.request_shop_change(mine, {"sign_name": mine.sign_name}, actor=merchant)
    assert "_schema" in same.value.errors
    with pytest.raises(DomainError) as bad:
        changes.request_shop_change(mine, {"business_type": "火星餐饮"}, actor=merchant)
    assert "business_type" in bad.value.errors
    with pytest.raises(DomainError) as open_field:
        changes.request_shop_change(mine, {"contact": "x"}, actor=merchant)
    assert "contact" in open_field.value.errors
    assert db.session.scalar(select(func.count()).select_from(ChangeRequest)) == 0


def test_second_pending_change_is_refused(two_shops):
    merchant, mine, _ = two_shops
    from huishang.services import Conflict

    changes.request_shop_change(mine, {"sign_name": "一"}, actor=merchant)
    with pytest.raises(Conflict):
        changes.request_shop_change(mine, {"sign_name": "二"}, actor=merchant)


def test_sign_photo_upload_is_validated(client, login_as, two_shops):
    merchant, mine, _ = two_shops
    login_as(merchant)
    r = client.post(f"/merchant/shops/{mine.code}/sign-photo",
                    data={"photo": (io.BytesIO(b"<?php echo 1; ?>"), "sign.jpg")},
                    content_type="multipart/form-data")
    assert r.status_code == 422
    db.session.expire_all()
    assert db.session.get(Shop, mine.id).sign_photo is None
    r = client.post(f"/merchant/shops/{mine.code}/sign-photo", data={"photo": (io.BytesIO(jpeg()), "s.jpg")},
                    content_type="multipart/form-data")
    assert r.status_code == 302
    with client.get(f"/merchant/shops/{mine.code}/sign-photo") as photo:
        assert photo.mimetype == "image/jpeg"
    client.post("/logout")
    with client.get(f"/media/sign/{mine.code}") as public:
        assert public.status_code == 200  # a sign is public


def test_menu_lists_registered_pages(client, login_as, two_shops, app):
    merchant, _, _ = two_shops
    page = login_as(merchant).get("/merchant/").get_data(as_text=True)
    assert "/merchant/questions" in page and "/merchant/policies" in page
    for endpoint in ("merchant.self_checks", "merchant.credit"):
        if endpoint not in app.view_functions:
            assert endpoint.split(".")[1] not in page


def test_change_request_api(client, auth_header, two_shops):
    merchant, mine, theirs = two_shops
    h = auth_header(merchant)
    r = client.post(f"/api/v1/shops/{mine.code}/change-requests", json={"sign_name": "接口改名"}, headers=h)
    assert r.status_code == 201 and r.get_json()["after"] == {"sign_name": "接口改名"}
    cr_id = r.get_json()["id"]
    assert client.post(f"/api/v1/shops/{theirs.code}/change-requests", json={"sign_name": "x"},
                       headers=h).status_code == 403
    assert client.get("/api/v1/change-requests", headers=h).status_code == 403
    assert client.post(f"/api/v1/change-requests/{cr_id}/approve", headers=h).status_code == 403
    reg = auth_header(make_regulator())
    assert [c["id"] for c in client.get("/api/v1/change-requests", headers=reg).get_json()] == [cr_id]
    assert client.post(f"/api/v1/change-requests/{cr_id}/reject", json={}, headers=reg).status_code == 422
    r = client.post(f"/api/v1/change-requests/{cr_id}/approve", headers=reg)
    assert r.status_code == 200 and r.get_json()["status"] == "approved"
    assert client.get(f"/api/v1/shops/{mine.code}", headers=h).get_json()["sign_name"] == "接口改名"


MINE = ("huishang.merchant.", "huishang.property.", "huishang.admin.merchants")


def _pages(app, prefix):
    """This feature's argument-less pages under `prefix` (other features test their own)."""
    return sorted(r.rule for r in app.url_map.iter_rules()
                  if r.endpoint.startswith(prefix) and not r.arguments and "GET" in r.methods
                  and app.view_functions[r.endpoint].__module__.startswith(MINE)
                  and not app.view_functions[r.endpoint].__module__.endswith(("inspections", "feedback",
                                                                                 "credit")))


def test_every_page_renders_for_its_role_and_refuses_the_others(app, client, login_as):
    from tests.factories import make_complex, make_property

    make_complex()
    shop = make_shop(complex="港汇恒隆广场")
    merchant = make_merchant(shops=[shop])
    changes.request_shop_change(shop, {"sign_name": "新名"}, actor=merchant)
    db.session.commit()
    own = {"merchant": (merchant, _pages(app, "merchant.")),
           "regulator": (make_regulator(), _pages(app, "admin.merchants.")),
           "property": (make_property(), _pages(app, "property."))}
    assert len(own["merchant"][1]) >= 5 and len(own["regulator"][1]) >= 6 and len(own["property"][1]) >= 4
    for role, (user, pages) in own.items():
        login_as(user)
        for path in pages:
            assert client.get(path).status_code == 200, (role, path)
        for other, (_, others) in own.items():
            if other != role:
                for path in others:
                    assert client.get(path).status_code == 403, (role, path)
        client.post("/logout")
    login_as(make_inspector())
    for path in own["merchant"][1] + own["property"][1] + own["regulator"][1]:
        assert client.get(path).status_code == 403, ("inspector", path)
    client.post("/logout")
    for path in ("/merchant/register", "/faq"):
        assert client.get(path).status_code == 200
    for path in own["merchant"][1] + own["property"][1] + own["regulator"][1]:
        assert client.get(path).status_code == 302, path  # anonymous: to the login page


def test_scan_page_offers_the_managers_their_actions(client, login_as):
    from tests.factories import make_complex, make_property

    make_complex()
    shop = make_shop(complex="港汇恒隆广场")
    login_as(make_merchant(shops=[shop]))
    page = client.get(f"/s/{shop.code}").get_data(as_text=True)
    assert f"/merchant/shops/{shop.code}/staff" in page
    assert f"/merchant/questions/new?shop={shop.code}" in page
    client.post("/logout")
    login_as(make_property())
    page = client.get(f"/s/{shop.code}").get_data(as_text=True)
    assert f"/property/tenants/{shop.code}" in page and "/merchant/shops" not in page


def test_regulator_index_counts_what_is_waiting_in_scope(client, login_as):
    near, far = make_shop(), make_shop(street="华泾镇")
    for shop in (near, far):
        owner = make_merchant(shops=[shop])
        changes.request_shop_change(shop, {"sign_name": f"{shop.sign_name}新"}, actor=owner)
    db.session.commit()
    login_as(make_regulator(streets=("徐家汇街道",)))
    page = client.get("/admin/merchants/").get_data(as_text=True)
    assert '待审核变更</a> <span class="badge">1</span>' in page
