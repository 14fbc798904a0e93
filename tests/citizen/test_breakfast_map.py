"""The breakfast map on a phone (issue 17): no tiles configured → the list alone (no empty grey
map, no map library downloaded); named providers (AMap in GCJ-02, Tianditu with its key) set the
tile layer, the datum of the points and the CSP; the attribution is only the data source; the
"供应中" filter keeps the points serving now."""
from datetime import timedelta

import pytest

from huishang.services.core import district_now, geo, tile_settings
from tests.citizen.test_breakfast import bshop

URL = "/breakfast?lat=31.195&lng=121.436"


@pytest.fixture
def tiles(app):
    saved = {k: app.config.get(k) for k in ("MAP_TILE_PROVIDER", "MAP_TILE_KEY", "MAP_TILE_URL", "MAP_TILE_CRS")}
    yield app.config
    app.config.update(saved)


def test_without_tiles_the_list_is_the_page(client, tiles):
    tiles.update(MAP_TILE_PROVIDER="", MAP_TILE_URL="")
    shop = bshop(31.195, 121.437)
    html = client.get(URL).get_data(as_text=True)
    assert shop.sign_name in html
    assert 'id="bf-map"' not in html and "leaflet" not in html


def test_amap_converts_points_to_gcj02_and_opens_the_csp(client, tiles):
    tiles.update(MAP_TILE_PROVIDER="amap", MAP_TILE_URL="")
    shop = bshop(31.195, 121.437)
    response = client.get(URL)
    html = response.get_data(as_text=True)
    glat, glng = geo.wgs84_to_gcj02(shop.lat, shop.lng)
    assert f'data-lat="{glat}"' in html and 'id="bf-map"' in html and "autonavi.com" in html
    assert "https://*.is.autonavi.com" in response.headers["Content-Security-Policy"]
    assert 'data-attribution="© 高德地图 AutoNavi"' in html and "Leaflet" not in html.split("bf-map")[1][:400]


def test_tianditu_needs_its_key_and_draws_stored_points(tiles):
    tiles.update(MAP_TILE_PROVIDER="tianditu", MAP_TILE_KEY="")
    assert tile_settings(tiles)["url"] == "" and tile_settings(tiles)["origin"] == ""
    tiles.update(MAP_TILE_KEY="k123")
    settings = tile_settings(tiles)
    assert settings["url"].endswith("tk=k123") and settings["crs"] == "wgs84"  # CGCS2000 ≈ WGS-84


def test_the_serving_now_filter(client, tiles):
    tiles.update(MAP_TILE_PROVIDER="", MAP_TILE_URL="")
    now = district_now()
    start, end = (now - timedelta(minutes=30)).strftime("%H:%M"), (now + timedelta(minutes=30)).strftime("%H:%M")
    later, later_end = (now + timedelta(hours=3)).strftime("%H:%M"), (now + timedelta(hours=4)).strftime("%H:%M")
    serving = bshop(31.195, 121.4371, sign_name="正在卖豆浆", breakfast_hours=f"{start}-{end}")
    closed = bshop(31.195, 121.4372, sign_name="还没开门", breakfast_hours=f"{later}-{later_end}")
    everything = client.get(URL).get_data(as_text=True)
    assert serving.sign_name in everything and closed.sign_name in everything
    only_now = client.get(URL + "&serving=1").get_data(as_text=True)
    assert serving.sign_name in only_now and closed.sign_name not in only_now
    assert 'aria-current="true">供应中' in only_now
