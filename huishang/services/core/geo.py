"""Geodesy for the breakfast map: great-circle distance, bounding boxes and the WGS-84 → GCJ-02
transform that Chinese map providers (高德, 腾讯) require for display.

Coordinates are stored in WGS-84 everywhere. GCJ-02 (国测局坐标系) is a deliberately obfuscated
datum: a point plotted in WGS-84 on a GCJ-02 tile layer lands 300–600 m off in Shanghai. The
transform below is the widely published one (Krasovsky 1940 ellipsoid); it applies inside
mainland China only — outside, GCJ-02 equals WGS-84.
"""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6371008.8  # mean Earth radius (IUGG)

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 transform.
_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def bounding_box(lat: float, lng: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lng, max_lng) of a box that contains every point within
    `radius_m` of (lat, lng). Used as an index-friendly SQL prefilter before exact distances."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    coslat = max(math.cos(math.radians(lat)), 1e-6)
    dlng = min(180.0, math.degrees(radius_m / (EARTH_RADIUS_M * coslat)))
    return lat - dlat, lat + dlat, lng - dlng, lng + dlng


def in_mainland_china(lat: float, lng: float) -> bool:
    """The rough rectangle the GCJ-02 transform applies to (as the published algorithm uses)."""
    return 0.8293 <= lat <= 55.8271 and 72.004 <= lng <= 137.8347


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    """Convert a WGS-84 point to GCJ-02 (lat, lng). Points outside mainland China are returned
    unchanged."""
    if not in_mainland_china(lat, lng):
        return lat, lng
    dlat = _transform_lat(lng - 105.0, lat - 35.0)
    dlng = _transform_lng(lng - 105.0, lat - 35.0)
    rad_lat = lat / 180.0 * math.pi
    magic = 1 - _KRASOVSKY_EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_KRASOVSKY_A * (1 - _KRASOVSKY_EE)) / (magic * sqrt_magic) * math.pi)
    dlng = (dlng * 180.0) / (_KRASOVSKY_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return lat + dlat, lng + dlng


def gcj02_to_wgs84(lat: float, lng: float, *, tolerance: float = 1e-9) -> tuple[float, float]:
    """Invert the transform by fixed-point iteration (accurate to well under a centimetre);
    used when a point picked on a GCJ-02 map must be stored."""
    if not in_mainland_china(lat, lng):
        return lat, lng
    wlat, wlng = lat, lng
    for _ in range(30):
        glat, glng = wgs84_to_gcj02(wlat, wlng)
        dlat, dlng = glat - lat, glng - lng
        wlat, wlng = wlat - dlat, wlng - dlng
        if abs(dlat) < tolerance and abs(dlng) < tolerance:
            break
    return wlat, wlng


def for_display(lat: float, lng: float, crs: str) -> tuple[float, float]:
    """A stored WGS-84 point in the datum of the configured tile layer (`wgs84` or `gcj02`)."""
    return wgs84_to_gcj02(lat, lng) if crs == "gcj02" else (lat, lng)


# -- map tiles -------------------------------------------------------------------------------
# Tile providers the breakfast map knows by name (MAP_TILE_PROVIDER). Each names its datum: AMap
# (高德) draws in GCJ-02, so stored WGS-84 points are converted before drawing; Tianditu (天地图)
# draws in CGCS2000, which agrees with WGS-84 to centimetres, so its points are drawn as stored
# (converting them to GCJ-02 would move them several hundred metres). The attribution names only
# the map data's source. Tianditu needs a key (MAP_TILE_KEY, issued free by tianditu.gov.cn).
TILE_PROVIDERS = {
    "amap": {
        "url": "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
        "subdomains": "1234", "crs": "gcj02", "origin": "https://*.is.autonavi.com",
        "attribution": "© 高德地图 AutoNavi",
    },
    "tianditu": {
        "url": "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec"
               "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}",
        "subdomains": "01234567", "crs": "wgs84", "origin": "https://*.tianditu.gov.cn",
        "attribution": "© 天地图 国家地理信息公共服务平台",
    },
    "osm": {
        "url": "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png",
        "subdomains": "abc", "crs": "wgs84", "origin": "https://*.tile.openstreetmap.org",
        "attribution": "© OpenStreetMap contributors",
    },
}


def tile_settings(config) -> dict:
    """The breakfast map's tile layer from the settings: a named provider (MAP_TILE_PROVIDER,
    with MAP_TILE_KEY where it needs one), or a custom MAP_TILE_URL with its own MAP_TILE_CRS,
    MAP_TILE_ORIGIN, MAP_TILE_ATTRIBUTION and MAP_TILE_SUBDOMAINS. No URL: no map, only the list.
    Returns url, subdomains, crs (wgs84 | gcj02), origin (for the CSP img-src) and attribution."""
    provider = TILE_PROVIDERS.get((config.get("MAP_TILE_PROVIDER") or "").strip().lower())
    if provider is not None:
        key = (config.get("MAP_TILE_KEY") or "").strip()
        url = provider["url"].replace("{key}", key) if "{key}" in provider["url"] else provider["url"]
        if "{key}" in provider["url"] and not key:
            url = ""  # a provider that needs a key and has none draws nothing rather than errors
        return {"url": url, "subdomains": provider["subdomains"], "crs": provider["crs"],
                "origin": provider["origin"] if url else "", "attribution": provider["attribution"]}
    crs = (config.get("MAP_TILE_CRS") or "wgs84").strip().lower()
    return {
        "url": config.get("MAP_TILE_URL", "") or "",
        "subdomains": config.get("MAP_TILE_SUBDOMAINS", "abc") or "abc",
        "crs": crs if crs in ("wgs84", "gcj02") else "wgs84",
        "origin": config.get("MAP_TILE_ORIGIN", "") or "",
        "attribution": config.get("MAP_TILE_ATTRIBUTION", "") or "",
    }
