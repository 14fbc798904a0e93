"""Permissions as data.

The sweep is generated from `app.url_map`, so routes added later are covered without editing
this file: every page under the admin / merchant / property ends refuses anonymous users
(redirect to the login page) and the wrong roles (403), and every /api/v1 operation outside
/api/v1/public and /api/v1/auth answers 401 without a token, and every 403 it gives is the error
body. Plus the truth tables of the object checks: the shop's `can_view / can_edit / can_inspect` over
roles × in / out of scope, and `can_view / can_change` of every scoped entity over ten callers.
"""
import itertools
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


# -- object checks of every scoped entity: roles × entities × can_view / can_change ---------------
# Every entity below is about `shop` (徐家汇街道, in the complex 港汇恒隆广场, held by the owner) or is
# that complex; a draw is over 徐家汇街道. "out of scope" staff cover 华泾镇 instead, the other
# merchant holds a shop there, the other property manager runs 美罗城. Each cell is "VC" (may view,
# may change), "V-" (view only) or "--" (neither).
WHO = ("district regulator", "street regulator (in scope)", "street regulator (out of scope)",
       "inspector (in scope)", "inspector (out of scope)", "merchant (owner)", "merchant (other shop)",
       "property (its complex)", "property (other complex)", "anonymous")
#                                 district  reg in  reg out  insp in  insp out  owner  other m.  prop   other p.  anon
ENTITY_TABLE = {
    "shop":                       ("VC",    "VC",   "--",    "V-",    "--",     "VC",  "--",     "V-",  "--",     "--"),
    "plan item":                  ("VC",    "VC",   "--",    "VC",    "--",     "--",  "--",     "--",  "--",     "--"),
    "inspection":                 ("V-",    "V-",   "--",    "V-",    "--",     "VC",  "--",     "--",  "--",     "--"),
    "rectification":              ("V-",    "V-",   "--",    "V-",    "--",     "VC",  "--",     "--",  "--",     "--"),
    "self-check":                 ("V-",    "V-",   "--",    "V-",    "--",     "VC",  "--",     "--",  "--",     "--"),
    "complaint (forwarded)":      ("VC",    "VC",   "--",    "--",    "--",     "VC",  "--",     "--",  "--",     "--"),
    "complaint (not forwarded)":  ("VC",    "VC",   "--",    "--",    "--",     "--",  "--",     "--",  "--",     "--"),
    "review (published)":         ("VC",    "VC",   "--",    "V-",    "--",     "VC",  "--",     "--",  "--",     "--"),
    "review (held)":              ("VC",    "VC",   "--",    "V-",    "--",     "-C",  "--",     "--",  "--",     "--"),
    "penalty":                    ("VC",    "VC",   "--",    "--",    "--",     "V-",  "--",     "--",  "--",     "--"),
    "credit repair":              ("VC",    "VC",   "--",    "--",    "--",     "V-",  "--",     "--",  "--",     "--"),
    "draw":                       ("VC",    "VC",   "--",    "V-",    "--",     "--",  "--",     "--",  "--",     "--"),
    "question":                   ("VC",    "VC",   "--",    "--",    "--",     "V-",  "--",     "--",  "--",     "--"),
    "change request":             ("VC",    "VC",   "--",    "V-",    "--",     "V-",  "--",     "--",  "--",     "--"),
    "complex":                    ("VC",    "VC",   "--",    "--",    "--",     "--",  "--",     "VC",  "--",     "--"),
    "property report":            ("VC",    "VC",   "--",    "--",    "--",     "--",  "--",     "V-",  "--",     "--"),
}  # fmt: skip
CELLS = [(entity, who, row[i]) for entity, row in ENTITY_TABLE.items() for i, who in enumerate(WHO)]


def _user(who: str, shop):
    from flask_login import AnonymousUserMixin

    return {
        "district regulator": lambda: make_regulator(),
        "street regulator (in scope)": lambda: make_regulator(streets=("徐家汇街道",)),
        "street regulator (out of scope)": lambda: make_regulator(streets=("华泾镇",)),
        "inspector (in scope)": lambda: make_inspector(streets=("徐家汇街道",)),
        "inspector (out of scope)": lambda: make_inspector(streets=("华泾镇",)),
        "merchant (owner)": lambda: make_merchant(shops=[shop]),
        "merchant (other shop)": lambda: make_merchant(shops=[make_shop(street="华泾镇")]),
        "property (its complex)": lambda: make_property("港汇恒隆广场"),
        "property (other complex)": lambda: make_property("美罗城"),
        "anonymous": AnonymousUserMixin,
    }[who]()


def _entity(name: str, shop, complex_):
    """The entity `name` about `shop` (rows written directly: only their scope matters here)."""
    from datetime import timedelta

    from sqlalchemy import select

    from huishang.extensions import db
    from huishang.models import ChangeRequest, ChecklistTemplate, PropertyReport, Question, SelfCheck, today
    from huishang.models.grading import CreditRepair, PlanItem, RandomDraw
    from tests.factories import add_inspection, add_penalty, make_complaint, make_review

    on = today()
    if name == "shop":
        return shop
    if name == "complex":
        return complex_
    if name in ("inspection", "rectification"):
        inspection = add_inspection(shop, on - timedelta(days=3), "fail", deadline=on + timedelta(days=7))
        return inspection if name == "inspection" else inspection.rectification
    if name.startswith("complaint"):
        return make_complaint(shop, forwarded_on=on if name == "complaint (forwarded)" else None)
    if name.startswith("review"):
        return make_review(shop, status="held" if name == "review (held)" else None)
    if name in ("penalty", "credit repair"):
        penalty = add_penalty(shop, on - timedelta(days=120))
        if name == "penalty":
            return penalty
        row = CreditRepair(penalty_id=penalty.id, shop_id=shop.id, commitment="承诺", applied_on=on)
    elif name == "plan item":
        row = PlanItem(shop_id=shop.id, cycle="new", street_id=shop.street_id, due_on=on, reason="new",
                       static_tier="中", dynamic_grade="一般", generated_on=on)
    elif name == "self-check":
        template = db.session.scalar(select(ChecklistTemplate.id).where(ChecklistTemplate.kind == "self_check"))
        row = SelfCheck(shop_id=shop.id, template_id=template, checked_on=on, outcome="pass", answers=[])
    elif name == "draw":
        row = RandomDraw(title="抽查", seed="s", filters={"streets": ["徐家汇街道"]}, ratios={},
                         population={"classes": {}, "street_of": {}}, inspector_pool={}, exclusions=[],
                         drawn_on=on)
    elif name == "question":
        row = Question(shop_id=shop.id, body="请问如何办理健康证？", due_on=on)
    elif name == "change request":
        row = ChangeRequest(shop_id=shop.id, changes={}, before={}, after={})
    elif name == "property report":
        row = PropertyReport(complex_id=complex_.id, kind="move_out", shop_id=shop.id)
    else:
        raise AssertionError(name)
    db.session.add(row)
    db.session.commit()
    return row


def test_the_entity_table_is_complete():
    from huishang import models

    assert all(len(row) == len(WHO) and set(row) <= {"VC", "V-", "-C", "--"} for row in ENTITY_TABLE.values())
    for model in (models.Shop, models.PlanItem, models.Inspection, models.Rectification, models.SelfCheck,
                  models.Complaint, models.Review, models.Penalty, models.CreditRepair, models.RandomDraw,
                  models.Question, models.ChangeRequest, models.Complex, models.PropertyReport):
        assert callable(getattr(model, "can_view", None)) and callable(getattr(model, "can_change", None)), model


@pytest.mark.parametrize("entity,who,expected", CELLS, ids=[f"{e} / {w}" for e, w, _x in CELLS])
def test_entity_truth_table(entity, who, expected):
    complex_ = make_complex("港汇恒隆广场")
    make_complex("美罗城")
    shop = make_shop(street="徐家汇街道", complex="港汇恒隆广场")
    user = _user(who, shop)
    obj = _entity(entity, shop, complex_)
    answer = ("V" if obj.can_view(user) else "-") + ("C" if obj.can_change(user) else "-")
    assert answer == expected


def test_a_draw_over_two_streets():
    """Seen by staff covering either street; changed only by a regulator covering both."""
    from huishang.extensions import db
    from huishang.models import today
    from huishang.models.grading import RandomDraw

    draw = RandomDraw(title="两街道", seed="s", filters={"streets": ["徐家汇街道", "华泾镇"]}, ratios={},
                      population={"classes": {}, "street_of": {}}, inspector_pool={}, exclusions=[],
                      drawn_on=today())
    db.session.add(draw)
    db.session.commit()
    one = make_regulator(streets=("华泾镇",))
    both = make_regulator(streets=("华泾镇", "徐家汇街道"))
    inspector = make_inspector(streets=("华泾镇",))
    elsewhere = make_inspector(streets=("湖南路街道",))
    assert (draw.can_view(one), draw.can_change(one)) == (True, False)
    assert (draw.can_view(both), draw.can_change(both)) == (True, True)
    assert (draw.can_view(inspector), draw.can_change(inspector)) == (True, False)
    assert (draw.can_view(elsewhere), draw.can_change(elsewhere)) == (False, False)
    assert draw.can_view(make_merchant()) is False


# -- the role gates answer each caller in its own form ------------------------------------------
BILINGUAL = re.compile(r"^[^()]*[\u4e00-\u9fff][^()]* \([ -~]+\)$")  # "中文 (English)"


def test_api_refusals_are_the_error_body(app, client, world):
    """Every 403 the API gives a signed-in caller is `{"code": 403, "message": ..., "errors": {...}}`,
    whichever gate, decorator or object check refused; a refused role (the shop in scope) is told
    so in both languages, "中文 (English)"."""
    shop, other, users = world
    failures, refused = [], 0
    for role, target in itertools.product(ROLES, (shop, other)):  # in scope and out of it
        headers = {"Authorization": f"Bearer {issue_token(users[role])}"}
        for method, url, endpoint in api_routes(app, target):
            r = call(client, method, url, headers)
            if r.status_code != 403:
                continue
            refused += 1
            body = r.get_json(silent=True) or {}
            message = body.get("message") or ""
            if body.get("code") != 403 or not isinstance(body.get("errors"), dict) or not message \
                    or (target is shop and not BILINGUAL.match(message)):
                failures.append(f"{role}: {method} {url} ({endpoint}) → {body}")
    assert refused > 40  # the sweep does reach the refusals
    assert not failures, "403 without the error body:\n" + "\n".join(failures)


def test_roles_required_answers_json_callers_and_pages(app, client, login_as, world):
    """The same gate on a page: the error page for a browser, the error body for a caller that
    accepts JSON; not signed in: the login page, or 401 with the error body."""
    _shop, _other, users = world
    json = {"Accept": "application/json"}
    r = client.get("/admin/shops/new")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    r = client.get("/admin/shops/new", headers=json)
    assert r.status_code == 401 and r.get_json()["code"] == 401
    login_as(users["inspector"])
    r = client.get("/admin/shops/new")  # @roles_required("regulator") on an admin page
    assert r.status_code == 403 and r.mimetype == "text/html"
    r = client.get("/admin/shops/new", headers=json)
    assert r.status_code == 403 and r.get_json() == {"code": 403, "message": r.get_json()["message"], "errors": {}}
    assert BILINGUAL.match(r.get_json()["message"])
    r = client.get("/admin/merchants/", headers=json)  # the blueprint's gate: regulators only
    assert r.status_code == 403 and r.get_json()["code"] == 403
    assert client.get("/admin/rules").status_code == 200  # the rules page: read by inspectors ...
    assert client.post("/admin/rules", data={}).status_code == 403  # ... saved by regulators only


def test_api_role_refusals_keep_their_messages(client, auth_header, world):
    shop, _other, users = world
    r = client.post("/api/v1/draws", json={}, headers=auth_header(users["inspector"]))
    assert r.status_code == 403
    assert r.get_json() == {"code": 403, "message": "只有监管者可以组织抽查 (regulators only)", "errors": {}}
    r = client.post(f"/api/v1/shops/{shop.code}/self-checks", json={}, headers=auth_header(users["inspector"]))
    assert r.status_code == 422  # the body is read first; a valid one from staff would be refused
    r = client.get("/api/v1/change-requests", headers=auth_header(users["merchant"]))
    assert r.get_json()["message"] == "只有监管者可以审核 (regulators only)"


def test_moving_a_shop_out_of_scope_is_refused_in_both_languages(client, auth_header, world):
    """The street check of PATCH /api/v1/shops/<code> answered in Chinese only, unlike the same
    check of POST /api/v1/shops."""
    shop, _other, _users = world
    regulator = make_regulator(streets=("徐家汇街道",))
    r = client.patch(f"/api/v1/shops/{shop.code}", json={"street": "华泾镇"}, headers=auth_header(regulator))
    assert r.status_code == 403
    assert r.get_json() == {"code": 403, "message": "该街道不在您的管辖范围 (street out of scope)",
                            "errors": {"street": ["不在管辖范围"]}}
