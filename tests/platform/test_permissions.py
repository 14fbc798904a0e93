"""Permissions as data.

The sweep is generated from `app.url_map`, so routes added later are covered without editing
this file: every page under the admin / merchant / property ends refuses anonymous users
(redirect to the login page) and the wrong roles (403), and every /api/v1 operation outside
/api/v1/public and /api/v1/auth answers 401 without a token. Plus the truth table of the object
checks `can_view / can_edit / can_inspect` over roles × in / out of scope.
"""
import re
import uuid

import pytest

from huishang.security import issue_token

from tests.factories import make_complex, make_inspector, make_merchant, make_property, make_regulator, make_shop

# Page areas: blueprint name → roles its gate admits. A route belongs to an area by its endpoint
# ("admin.*") or by its URL ("/admin/..."), whichever blueprint it was registered on.
PAGE_AREAS = {"admin": {"regulator", "inspector"}, "merchant": {"merchant"}, "property": {"property"}}
ROLES = ("regulator", "inspector", "merchant", "property")
API_OPEN = ("/api/v1/public", "/api/v1/auth", "/api/v1/openapi.json", "/api/v1/docs", "/api/v1/swagger",
            "/api/v1/redoc")
METHODS_SKIPPED = {"HEAD", "OPTIONS"}
PARAM = re.compile(r"<(?:(?P<conv>[a-zA-Z_]+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")


def fill(rule: str, shop) -> str:
    """A concrete URL for a rule: shop codes for strings, the shop's id for ints."""

    def value(match):
        conv, args = match.group("conv") or "string", match.group("args")
        if conv == "int":
            return str(shop.id)
        if conv == "float":
            return "1.0"
        if conv == "uuid":
            return str(uuid.uuid4())
        if conv == "any":
            return args.split(",")[0].strip().strip("'\"")
        if conv == "path":
            return "x"
        return shop.code

    return PARAM.sub(value, rule)


def area_of(rule) -> str | None:
    """The page area a route belongs to. A blueprint named `*_public` (merchant self-registration)
    is deliberately open and left out; anything else under /admin, /merchant, /property is in."""
    blueprint = rule.endpoint.split(".", 1)[0]
    if blueprint in PAGE_AREAS:
        return blueprint
    if blueprint.endswith("_public"):
        return None
    first = rule.rule.strip("/").split("/", 1)[0]
    return first if first in PAGE_AREAS and not rule.endpoint.startswith("static") else None


def page_routes(app, shop):
    for rule in app.url_map.iter_rules():
        area = area_of(rule)
        if area is None:
            continue
        for method in sorted(rule.methods - METHODS_SKIPPED):
            yield area, method, fill(rule.rule, shop), rule.endpoint


def api_routes(app, shop):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule.startswith(API_OPEN):
            continue
        for method in sorted(rule.methods - METHODS_SKIPPED):
            yield method, fill(rule.rule, shop), rule.endpoint


@pytest.fixture
def world():
    complex_ = make_complex("港汇恒隆广场")
    shop = make_shop(street="徐家汇街道", complex=complex_.name)
    other = make_shop(street="华泾镇")
    users = {
        "regulator": make_regulator(),
        "inspector": make_inspector(streets=("徐家汇街道",)),
        "merchant": make_merchant(shops=[shop]),
        "property": make_property("港汇恒隆广场"),
    }
    return shop, other, users


def call(client, method, url, headers=None):
    return client.open(url, method=method, headers=headers or {}, json={} if method != "GET" else None)


def test_the_sweep_finds_routes(app, world):
    shop = world[0]
    areas = {area for area, *_ in page_routes(app, shop)}
    assert areas == {"admin", "merchant", "property"}
    endpoints = {endpoint for *_, endpoint in page_routes(app, shop)}
    assert {"admin.registry", "admin.shop_profile", "admin.shop_edit", "admin.shop_close"} <= endpoints
    assert any(url.startswith("/api/v1/shops") for _m, url, _e in api_routes(app, shop))
    assert fill("/admin/shops/<code>/x/<int:item_id>", shop) == f"/admin/shops/{shop.code}/x/{shop.id}"


def test_pages_refuse_anonymous_users(app, client, world):
    shop = world[0]
    failures = []
    for _area, method, url, endpoint in page_routes(app, shop):
        r = call(client, method, url)
        if r.status_code != 302 or "/login" not in r.headers.get("Location", ""):
            failures.append(f"{method} {url} ({endpoint}) → {r.status_code}")
    assert not failures, "anonymous users reach:\n" + "\n".join(failures)


@pytest.mark.parametrize("role", ROLES)
def test_pages_refuse_the_wrong_roles(app, world, role):
    shop, _other, users = world
    client = app.test_client()
    r = client.post("/login", data={"username": users[role].username, "password": "password123"})
    assert r.status_code == 302
    failures = []
    for area, method, url, endpoint in page_routes(app, shop):
        if role in PAGE_AREAS[area]:
            continue
        r = call(client, method, url)
        if r.status_code != 403:
            failures.append(f"{method} {url} ({endpoint}) → {r.status_code}")
    assert not failures, f"{role} is not refused by:\n" + "\n".join(failures)


def test_api_needs_a_token(app, client, world):
    shop = world[0]
    failures = []
    for method, url, endpoint in api_routes(app, shop):
        for headers in ({}, {"Authorization": "Bearer forged.token"}, {"Authorization": "Basic eDp5"}):
            r = call(client, method, url, headers)
            body = r.get_json(silent=True) or {}
            if r.status_code != 401 or body.get("code") != 401:
                failures.append(f"{method} {url} ({endpoint}) {headers or 'no token'} → {r.status_code}")
    assert not failures, "answer without a valid token:\n" + "\n".join(failures)


def test_a_session_cookie_does_not_authenticate_the_api(app, world):
    shop, _other, users = world
    client = app.test_client()
    client.post("/login", data={"username": users["regulator"].username, "password": "password123"})
    assert client.get("/admin/shops").status_code == 200
    assert client.get("/api/v1/shops").status_code == 401
    assert client.get("/api/v1/shops", headers={"Authorization": f"Bearer {issue_token(users['regulator'])}"}
                      ).status_code == 200


# -- object checks: roles × in / out of scope ---------------------------------------------------
#            user                       shop      can_view can_edit can_inspect
TRUTH = [
    ("regulator (district-wide)", "inside", True, True, True),
    ("regulator (district-wide)", "outside", True, True, True),
    ("regulator (徐家汇街道)", "inside", True, True, True),
    ("regulator (徐家汇街道)", "outside", False, False, False),
    ("inspector (徐家汇街道)", "inside", True, False, True),
    ("inspector (徐家汇街道)", "outside", False, False, False),
    ("inspector (no street)", "inside", False, False, False),
    ("merchant (holds inside)", "inside", True, True, False),
    ("merchant (holds inside)", "outside", False, False, False),
    ("merchant (holds nothing)", "inside", False, False, False),
    ("property (港汇恒隆广场)", "inside", True, False, False),
    ("property (港汇恒隆广场)", "outside", False, False, False),
    ("property (美罗城)", "inside", False, False, False),
]


@pytest.mark.parametrize("who,where,view,edit,inspect", TRUTH)
def test_object_checks_truth_table(who, where, view, edit, inspect):
    make_complex("港汇恒隆广场")
    make_complex("美罗城")
    shops = {"inside": make_shop(street="徐家汇街道", complex="港汇恒隆广场"),
             "outside": make_shop(street="华泾镇")}
    users = {
        "regulator (district-wide)": lambda: make_regulator(),
        "regulator (徐家汇街道)": lambda: make_regulator(streets=("徐家汇街道",)),
        "inspector (徐家汇街道)": lambda: make_inspector(streets=("徐家汇街道",)),
        "inspector (no street)": lambda: make_inspector(streets=()),
        "merchant (holds inside)": lambda: make_merchant(shops=[shops["inside"]]),
        "merchant (holds nothing)": lambda: make_merchant(),
        "property (港汇恒隆广场)": lambda: make_property("港汇恒隆广场"),
        "property (美罗城)": lambda: make_property("美罗城"),
    }
    user, shop = users[who](), shops[where]
    assert (user.can_view(shop), user.can_edit(shop), user.can_inspect(shop)) == (view, edit, inspect)
