"""The breakfast map: nearest open breakfast points, public fields only, and the GCJ-02 transform."""

from datetime import datetime

import pytest

from huishang.services import breakfast
from huishang.services.core import geo
from tests.factories import make_shop

RESTRICTED = ("phone", "contact", "credit_class", "uscc", "entity_name", "licences", "next_due_on")


def bshop(lat, lng, **kw):
    data = {
        "lat": lat,
        "lng": lng,
        "serves_breakfast": True,
        "breakfast_spend": 12,
        "breakfast_wait": 5,
        "breakfast_offer": "豆浆、油条、粢饭团",
        "breakfast_hours": "06:30-09:30",
        "phone": "13900001111",
        "contact": "李四",
    }
    data.update(kw)
    return make_shop(**data)


# -- geo ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "wgs,gcj",
    [
        ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),  # Shanghai
        ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),  # Beijing
    ],
)
def test_gcj02_known_values(wgs, gcj):
    lat, lng = geo.wgs84_to_gcj02(*wgs)
    assert lat == pytest.approx(gcj[0], abs=1e-9) and lng == pytest.approx(gcj[1], abs=1e-9)
    back = geo.gcj02_to_wgs84(*gcj)
    assert back[0] == pytest.approx(wgs[0], abs=1e-7) and back[1] == pytest.approx(wgs[1], abs=1e-7)


def test_gcj02_outside_china_unchanged_and_display_switch():
    assert geo.wgs84_to_gcj02(51.5, -0.12) == (51.5, -0.12)
    assert geo.for_display(31.2, 121.4, "wgs84") == (31.2, 121.4)
    assert geo.for_display(31.2, 121.4, "gcj02") != (31.2, 121.4)


def test_haversine_and_box():
    # One degree of latitude is ~111.2 km on the mean sphere.
    assert geo.haversine_m(31.0, 121.0, 32.0, 121.0) == pytest.approx(111195, rel=1e-3)
    min_lat, max_lat, min_lng, max_lng = geo.bounding_box(31.2, 121.44, 1000)
    assert geo.haversine_m(31.2, 121.44, max_lat, 121.44) == pytest.approx(1000, rel=1e-6)
    assert geo.haversine_m(31.2, 121.44, 31.2, max_lng) == pytest.approx(1000, rel=1e-3)


def test_serving_now_from_hours():
    at = datetime(2025, 3, 3, 7, 15)
    assert breakfast.serving_at("06:30-09:30", at) is True
    assert breakfast.serving_at("6:30～7:00", at) is False
    assert breakfast.serving_at("05:00-06:00, 07:00-08:00", at) is True
    assert breakfast.serving_at("", at) is None
    assert breakfast.serving_at("早上", at) is None


# -- API ---------------------------------------------------------------------------------------


def test_nearest_first_with_distance_and_limit(client):
    far = bshop(31.2000, 121.4600)
    near = bshop(31.2000, 121.4410)
    middle = bshop(31.2000, 121.4500)
    r = client.get("/api/v1/public/breakfast?lat=31.2&lng=121.44&limit=2")
    assert r.status_code == 200
    items = r.get_json()["items"]
    assert [i["code"] for i in items] == [near.code, middle.code]
    expected = geo.haversine_m(31.2, 121.44, near.lat, near.lng)
    assert items[0]["distance_m"] == pytest.approx(expected, abs=0.1)
    assert items[0]["distance_m"] < items[1]["distance_m"]
    r = client.get("/api/v1/public/breakfast?lat=31.2&lng=121.44")
    assert [i["code"] for i in r.get_json()["items"]] == [near.code, middle.code, far.code]


def test_limit_default_is_20_and_finds_points_beyond_the_first_box(client):
    shops = [bshop(31.20 + n * 0.004, 121.44) for n in range(22)]  # up to ~9.8 km north
    items = client.get("/api/v1/public/breakfast?lat=31.2&lng=121.44").get_json()["items"]
    assert len(items) == 20
    assert [i["code"] for i in items] == [s.code for s in shops[:20]]


def test_only_open_breakfast_shops_with_coordinates(client, app):
    shown = bshop(31.2, 121.441)
    bshop(31.2, 121.442, serves_breakfast=False)
    suspended = bshop(31.2, 121.443)
    closed = bshop(31.2, 121.444)
    from huishang.extensions import db
    from huishang.services import registry

    registry.update_shop(suspended, {"status": "suspended"})
    registry.close_shop(closed, reason="歇业")
    make_shop(serves_breakfast=True, lat=None, lng=None)
    db.session.commit()
    items = client.get("/api/v1/public/breakfast?lat=31.2&lng=121.44").get_json()["items"]
    assert [i["code"] for i in items] == [shown.code]


def test_public_fields_only(client):
    shop = bshop(31.2, 121.441)
    shop.credit_class = "D"
    from huishang.extensions import db

    db.session.commit()
    item = client.get("/api/v1/public/breakfast?lat=31.2&lng=121.44").get_json()["items"][0]
    for name in RESTRICTED:
        assert name not in item
    assert "13900001111" not in str(item) and "李四" not in str(item)
    assert item["spend_per_person"] == 12 and item["average_wait_min"] == 5
    assert item["offer"] == "豆浆、油条、粢饭团" and item["hours"] == "06:30-09:30"
    assert item["serving_now"] in (True, False)


@pytest.mark.parametrize(
    "query,field",
    [
        ("lng=121.44", "lat"),
        ("lat=31.2", "lng"),
        ("lat=91&lng=121.44", "lat"),
        ("lat=31.2&lng=-181", "lng"),
        ("lat=abc&lng=121.44", "lat"),
        ("lat=31.2&lng=121.44&limit=0", "limit"),
        ("lat=31.2&lng=121.44&limit=101", "limit"),
        ("lat=nan&lng=121.44", "lat"),
    ],
)
def test_bad_query_is_4xx_naming_the_field(client, query, field):
    r = client.get(f"/api/v1/public/breakfast?{query}")
    assert 400 <= r.status_code < 500
    body = r.get_json()
    assert body["code"] == r.status_code and field in body["errors"]


# -- page --------------------------------------------------------------------------------------


def test_page_by_street_lists_points_without_js(client):
    shop = bshop(31.195, 121.437)
    r = client.get("/breakfast?street=徐家汇街道")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert shop.sign_name in html and "豆浆、油条、粢饭团" in html and "13900001111" not in html
    assert 'data-lat="' in html and "<script>" not in html


def test_page_by_location_and_bad_input(client, app):
    shop = bshop(31.195, 121.437)
    html = client.get("/breakfast?lat=31.195&lng=121.436").get_data(as_text=True)
    assert shop.sign_name in html
    assert client.get("/breakfast?lat=abc&lng=121.4").status_code == 400
    assert client.get("/breakfast?street=火星街道").status_code == 400
    assert client.get("/breakfast").status_code == 200


def test_page_converts_to_gcj02_for_chinese_tiles(client, app):
    shop = bshop(31.195, 121.437)
    app.config["MAP_TILE_CRS"] = "gcj02"
    try:
        html = client.get("/breakfast?lat=31.195&lng=121.436").get_data(as_text=True)
    finally:
        app.config["MAP_TILE_CRS"] = "wgs84"
    glat, glng = geo.wgs84_to_gcj02(shop.lat, shop.lng)
    assert f'data-lat="{glat}"' in html and f'data-lng="{glng}"' in html


def test_public_api_is_rate_limited(app):
    """A second app with rate limits on; the limiter is one object per process, so it is put
    back to the session app's settings afterwards."""
    from huishang import create_app
    from huishang.config import TestingConfig
    from huishang.extensions import db, limiter

    class Throttled(TestingConfig):
        RATELIMIT_ENABLED = True
        RATELIMIT_STORAGE_URI = "memory://"

    throttled = create_app(Throttled)
    try:
        with throttled.app_context():
            db.create_all()
            client = throttled.test_client()
            codes = [
                client.get("/api/v1/public/breakfast?lat=31.2&lng=121.44").status_code for _ in range(61)
            ]
            db.session.remove()
    finally:
        limiter.init_app(app)
    assert codes[:60] == [200] * 60 and codes[60] == 429
