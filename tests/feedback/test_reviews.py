"""Reviews: one per client per 30 days, validation, the word filter and moderation, replies,
rate limits, escaping, and what never leaves the server (client and IP hashes)."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from huishang import create_app
from huishang.config import TestingConfig
from huishang.extensions import db, limiter
from huishang.models import AuditEvent, Review, Shop, Street
from huishang.services.reference import seed_reference_data
from tests.factories import make_merchant, make_regulator, make_review, make_shop

RESTRICTED = ("client_hash", "ip_hash", "flagged", "moderation_reason", "moderated_by_id", "status")


def post(client, code, **body):
    body.setdefault("stars", 4)
    return client.post(f"/api/v1/public/shops/{code}/reviews", json=body)


def reviews_count():
    return db.session.scalar(select(func.count()).select_from(Review))


def test_review_counts_in_rating_and_hides_client_data(client):
    shop = make_shop()
    r = post(client, shop.code, stars=5, text="很干净", tags=["clean", "fast"])
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["status"] == "visible" and body["tags"] == ["clean", "fast"]
    assert "hs_client" in r.headers.get("Set-Cookie", "") and "HttpOnly" in r.headers["Set-Cookie"]
    assert "SameSite=Lax" in r.headers["Set-Cookie"]
    db.session.refresh(shop)
    assert (shop.rating_count, shop.rating_sum) == (1, 5)
    listing = client.get(f"/api/v1/public/shops/{shop.code}/reviews").get_json()
    assert listing["count"] == 1 and listing["average"] == 5.0
    for item in listing["items"]:
        for name in RESTRICTED:
            assert name not in item
    stored = db.session.scalar(select(Review))
    assert stored.ip_hash != "127.0.0.1" and len(stored.ip_hash) == 64  # an HMAC, never the raw IP
    assert "127.0.0.1" not in str(stored.__dict__.values())


def test_one_review_per_client_per_30_days(client, app):
    shop = make_shop()
    assert post(client, shop.code).status_code == 201
    r = post(client, shop.code, stars=1)
    assert r.status_code == 409 and r.get_json()["code"] == 409 and "stars" in r.get_json()["errors"]
    assert reviews_count() == 1
    # Another shop is fine.
    assert post(client, make_shop().code).status_code == 201
    # 31 days later the same client may review again.
    first = db.session.scalar(select(Review).where(Review.shop_id == shop.id))
    first.created_at -= timedelta(days=31)
    db.session.commit()
    assert post(client, shop.code, stars=2).status_code == 201


def test_cookie_less_repeat_from_same_ip_is_refused_but_a_known_neighbour_is_not(app):
    shop = make_shop()
    first = app.test_client()
    assert post(first, shop.code).status_code == 201
    # Same IP, no cookie (cleared cookies or a script): judged by the hashed IP too.
    assert post(app.test_client(), shop.code).status_code == 409
    # A neighbour on the same shared IP who already holds a client cookie is judged by it alone.
    neighbour = app.test_client()
    assert neighbour.get(f"/s/{shop.code}/review").status_code == 200  # receives the cookie
    assert post(neighbour, shop.code).status_code == 201
    # A forged cookie is not a known client.
    forger = app.test_client()
    forger.set_cookie("hs_client", "not-signed")
    assert post(forger, shop.code).status_code == 409


@pytest.mark.parametrize(
    "body,field",
    [
        ({"stars": 0}, "stars"),
        ({"stars": 6}, "stars"),
        ({"stars": "five"}, "stars"),
        ({"stars": 3, "text": "长" * 501}, "text"),
        ({"stars": 3, "tags": ["delicious-ish"]}, "tags"),
        ({"text": "no stars"}, "stars"),
    ],
)
def test_bad_review_is_4xx_naming_the_field_and_stores_nothing(client, body, field):
    shop = make_shop()
    r = client.post(f"/api/v1/public/shops/{shop.code}/reviews", json=body)
    assert r.status_code == 422
    assert field in r.get_json()["errors"]
    assert reviews_count() == 0


def test_unknown_shop_code_is_404(client):
    r = post(client, "ABCDEFGHJ")
    assert r.status_code == 404 and r.get_json()["code"] == 404
    assert client.get("/s/ABCDEFGHJ/review").status_code == 404


def test_rejected_words_refuse_and_held_words_wait_for_moderation(client, login_as):
    shop = make_shop()
    r = post(client, shop.code, text="便宜，加 微-信 领优惠券")
    assert r.status_code == 422 and "text" in r.get_json()["errors"]
    assert reviews_count() == 0
    r = post(client, shop.code, stars=1, text="老板是个傻逼")
    assert r.status_code == 201 and r.get_json()["status"] == "held"
    db.session.refresh(shop)
    assert shop.rating_count == 0
    assert client.get(f"/api/v1/public/shops/{shop.code}/reviews").get_json()["items"] == []
    review = db.session.scalar(select(Review))
    assert review.flagged


def test_phone_number_in_review_is_held(client):
    shop = make_shop()
    assert post(client, shop.code, text="有事打我 13912345678").get_json()["status"] == "held"


def test_moderation_hides_restores_and_keeps_rating_right(client, login_as):
    shop = make_shop()
    held = make_review(shop, stars=1, text="老板去死", status=None)
    good = make_review(shop, stars=5)
    assert held.status == "held"
    db.session.refresh(shop)
    assert (shop.rating_count, shop.rating_sum) == (1, 5)
    regulator = make_regulator()
    login_as(regulator)
    page = client.get("/admin/reviews")
    assert page.status_code == 200 and "老板去死" in page.get_data(as_text=True)
    # A reason is required.
    client.post(f"/admin/reviews/{held.id}/moderate", data={"action": "restore", "reason": ""})
    db.session.refresh(held)
    assert held.status == "held"
    r = client.post(
        f"/admin/reviews/{held.id}/moderate", data={"action": "restore", "reason": "情绪化但属实"}
    )
    assert r.status_code == 302
    db.session.refresh(held)
    db.session.refresh(shop)
    assert held.status == "visible" and (shop.rating_count, shop.rating_sum) == (2, 6)
    client.post(f"/admin/reviews/{good.id}/moderate", data={"action": "hide", "reason": "刷好评"})
    db.session.refresh(shop)
    assert (shop.rating_count, shop.rating_sum) == (1, 1)
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "Review")))
    assert {"review.restore", "review.hide"} <= actions
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.hide"))
    assert event.after["reason"] == "刷好评" and event.actor_id == regulator.id


def test_moderation_is_for_regulators_in_scope(client, login_as):
    from tests.factories import make_inspector

    shop = make_shop(street="华泾镇")
    review = make_review(shop, text="老板去死")
    login_as(make_regulator(streets=("徐家汇街道",)))
    r = client.post(f"/admin/reviews/{review.id}/moderate", data={"action": "restore", "reason": "x"})
    assert r.status_code == 403
    assert "老板去死" not in client.get("/admin/reviews").get_data(as_text=True)
    client.post("/logout")
    login_as(make_inspector())
    assert client.get("/admin/reviews").status_code == 403


def test_merchant_reply_shows_under_the_review(client, login_as, app):
    shop = make_shop()
    review = make_review(shop, stars=2, text="上菜太慢")
    other_shop = make_shop()
    merchant = make_merchant(shops=[shop])
    login_as(merchant)
    assert "上菜太慢" in client.get("/merchant/reviews").get_data(as_text=True)
    r = client.post(f"/merchant/reviews/{review.id}/reply", data={"reply": "抱歉，已增加厨师"})
    assert r.status_code == 302
    r = client.post(f"/merchant/reviews/{review.id}/reply", data={"reply": "加我微信给你退款"})
    assert r.status_code == 422
    public = app.test_client().get(f"/api/v1/public/shops/{shop.code}/reviews").get_json()
    assert public["items"][0]["reply"] == "抱歉，已增加厨师"
    client.post("/logout")
    login_as(make_merchant(shops=[other_shop]))
    assert client.post(f"/merchant/reviews/{review.id}/reply", data={"reply": "hi"}).status_code == 403


def test_form_works_without_javascript_and_rerenders_errors(client):
    shop = make_shop()
    page = client.get(f"/s/{shop.code}/review")
    assert page.status_code == 200 and 'name="stars"' in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "private, no-store"
    r = client.post(f"/s/{shop.code}/review", data={"text": "忘了打分"})
    assert r.status_code == 422 and "请选择 1–5 星" in r.get_data(as_text=True)
    assert "忘了打分" in r.get_data(as_text=True)  # what they typed is kept
    r = client.post(f"/s/{shop.code}/review", data={"stars": "4", "tags": ["clean", "tasty"], "text": "不错"})
    assert r.status_code == 302 and f"/s/{shop.code}" in r.headers["Location"]
    r = client.post(f"/s/{shop.code}/review", data={"stars": "4"})
    assert r.status_code == 409 and "30天" in r.get_data(as_text=True)
    assert db.session.get(Shop, shop.id).rating_count == 1


def test_markup_is_stored_as_text_and_shown_escaped(client, app):
    shop = make_shop()
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    assert post(client, shop.code, text=payload).status_code == 201
    assert db.session.scalar(select(Review.text)) == payload
    for path in (f"/s/{shop.code}/review", f"/s/{shop.code}"):
        html = app.test_client().get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def test_citizen_face_shows_rating_and_feedback_buttons(client):
    shop = make_shop()
    make_review(shop, stars=3, text="中规中矩")
    html = client.get(f"/s/{shop.code}").get_data(as_text=True)
    assert "中规中矩" in html and "3.0" in html
    assert f"/s/{shop.code}/review" in html and f"/s/{shop.code}/complain" in html
    assert "/complaints/track" in html


class ThrottledConfig(TestingConfig):
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"


@pytest.fixture
def throttled(app):
    """A second app with rate limits on. The limiter is one object per process, so it is put
    back to the session app's settings afterwards; an in-memory SQLite database is per engine."""
    limited = create_app(ThrottledConfig)
    limited.config["UPLOAD_DIR"] = app.config["UPLOAD_DIR"]
    try:
        with limited.app_context():
            db.create_all()
            if not db.session.scalar(select(func.count()).select_from(Street)):
                seed_reference_data()
            db.session.commit()
            limiter.reset()
            yield limited
            db.session.remove()
            db.engine.dispose()
    finally:
        limiter.init_app(app)


def test_rate_limits_answer_429_in_the_contract_shape(throttled):
    throttled.config["FEEDBACK_REVIEW_LIMIT_CLIENT"] = "2 per hour"
    shops = [make_shop() for _ in range(3)]
    client = throttled.test_client()
    client.get(f"/s/{shops[0].code}/review")  # the client cookie
    assert post(client, shops[0].code).status_code == 201
    assert post(client, shops[1].code).status_code == 201
    r = post(client, shops[2].code)
    assert r.status_code == 429
    assert r.get_json()["code"] == 429 and r.get_json()["message"]
    # The form shares the same bucket and answers with a friendly page.
    r = client.post(f"/s/{shops[2].code}/review", data={"stars": "5"})
    assert r.status_code == 429 and "提交得太频繁了" in r.get_data(as_text=True)
    assert reviews_count() == 2


def test_per_ip_limit_holds_across_clients(throttled):
    throttled.config["FEEDBACK_REVIEW_LIMIT_IP"] = "2 per hour"
    shops = [make_shop() for _ in range(3)]
    statuses = []
    for shop in shops:
        c = throttled.test_client()
        c.get(f"/s/{shop.code}/review")  # a known client each time
        statuses.append(post(c, shop.code).status_code)
    assert statuses == [201, 201, 429]
    r = throttled.test_client().post(
        f"/api/v1/public/shops/{shops[2].code}/reviews",
        json={"stars": 5},
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    assert r.status_code == 201
