"""Every JSON answer matches the OpenAPI document, for every audience.

The fuzz tests (test_api_fuzz.py) call each operation anonymously and as a regulator with
generated input, so most of their answers are 4xx. This tour makes one valid call of every
documented operation as each audience that may make it (regulator, inspector, merchant, property
manager, citizen, city system) and checks the 2xx answer against the document with schemathesis:
a field the API sends and the document lacks fails (the document's schemas forbid additional
properties), and so does a value of the wrong type. A new operation must join the tour."""
from datetime import datetime, timedelta

import pytest
import schemathesis
from flask import Flask, g, jsonify
from flask_babel import Babel, refresh
from marshmallow import Schema, class_registry, fields
from sqlalchemy import select

from huishang.api import Blueprint, HuishangApi
from huishang.extensions import db
from huishang.i18n import CJK
from huishang.models import ChecklistTemplate, Complaint, today
from huishang.models.grading import RandomDraw
from huishang.schemas.base import UtcDateTime, Variant, VariantNested
from huishang.schemas.feedback import ComplaintSchema
from huishang.security import issue_token
from huishang.services.grading import draws as grading_draws
from huishang.services.integration import apikeys
from huishang.services.merchant import claims
from huishang.services.registry import uscc
from tests.factories import make_complex, make_inspector, make_merchant, make_property, make_regulator, make_shop

METHODS = ("get", "post", "put", "patch", "delete")
CREATE_SHOP = {"entity_name": "上海导览餐饮有限公司", "sign_name": "导览小馆", "address": "徐汇区漕溪北路500号",
               "street": "徐家汇街道", "business_type": "catering.fast_food"}


def template_id(key: str) -> int:
    return db.session.scalar(select(ChecklistTemplate.id).where(ChecklistTemplate.key == key,
                                                                ChecklistTemplate.current.is_(True)))


def answers(key: str, fail: bool = False) -> list[dict]:
    template = db.session.get(ChecklistTemplate, template_id(key))
    out = [{"item_id": item.id, "result": "pass"} for item in template.items]
    if fail:
        out[-1]["result"] = "fail"
    return out


class Tour:
    """Calls operations as someone and checks each answer against the document."""

    def __init__(self, app, client):
        self.client = client
        self.schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
        self.visited: set[tuple[str, str]] = set()

    def __call__(self, method: str, path: str, who=None, *, status: int | None = None, client=None, **kw):
        """`path` as documented, with {name} filled from `kw["params"]`; `who` a user, an API
        key's raw value (str) or None; `client` another browser. Returns the JSON body or the bytes."""
        url = "/api/v1" + path.format(**kw.pop("params", {}))
        headers = kw.pop("headers", {})
        if isinstance(who, str):
            headers["X-Api-Key"] = who
        elif who is not None:
            headers["Authorization"] = f"Bearer {issue_token(who)}"
        g.pop("_login_user", None)  # the tests' app context outlives a request (see test_inspections)
        g.pop("api_user", None)
        refresh()  # ... and so would the locale of the previous request
        response = (client or self.client).open(url, method=method.upper(), headers=headers, **kw)
        label = f"{method.upper()} /api/v1{path} as {getattr(who, 'role', who and 'city system') or 'citizen'}"
        assert 200 <= response.status_code < 300, (label, response.status_code, response.get_data(as_text=True))
        assert status is None or response.status_code == status, (label, response.status_code)
        operation = self.schema["/api/v1" + path][method.upper()]
        documented = operation.definition.raw["responses"][str(response.status_code)].get("content", {})
        assert response.mimetype in documented or response.status_code == 204, (label, response.mimetype)
        operation.validate_response(response)
        self.visited.add((method, "/api/v1" + path))
        return response.get_json() if response.is_json and response.data else response.data


@pytest.fixture
def tour(app, client):
    return Tour(app, client)


def test_every_operation_answers_as_documented_for_every_audience(app, client, tour):  # noqa: PLR0915
    make_complex()
    shop = make_shop(complex="港汇恒隆广场", serves_breakfast=True)
    other = make_shop()
    regulator, handler = make_regulator(), make_regulator()
    inspector, co_inspector = make_inspector(), make_inspector()
    merchant = make_merchant(shops=[shop])
    manager = make_property()
    key = apikeys.create_key("市级移动监管系统", ("registry:read", "inspections:write", "penalties:write"),
                             actor=regulator)[1]
    claim_code = claims.issue(other)
    db.session.commit()
    code = {"code": shop.code}

    # tokens, the registry, plates
    tour("post", "/auth/token", json={"username": merchant.username, "password": "password123"})
    for who in (regulator, inspector, merchant, manager):
        tour("get", "/shops", who)
        tour("get", "/shops/{code}", who, params=code)
        tour("get", "/business-types", who)
    created = tour("post", "/shops", regulator, json=dict(CREATE_SHOP, uscc=uscc.generate()), status=201)
    tour("get", "/complexes", regulator)
    complex_ = tour("post", "/complexes", regulator, json={"name": "导览广场", "street": "徐家汇街道"}, status=201)
    tour("get", "/complexes/{complex_id}", regulator, params={"complex_id": complex_["id"]})
    tour("patch", "/complexes/{complex_id}", regulator, params={"complex_id": complex_["id"]},
         json={"address": "漕溪北路1号", "managers": [manager.username]})
    tour("patch", "/complexes/{complex_id}", regulator, params={"complex_id": complex_["id"]},
         json={"managers": []})  # the manager back to no complex would break the tour: re-attach below
    manager.complex_id = db.session.scalar(select(type(shop).complex_id).where(type(shop).id == shop.id))
    db.session.commit()
    tour("patch", "/shops/{code}", regulator, params=code, json={"opening_hours": "06:00-21:00"})
    tour("patch", "/shops/{code}", merchant, params=code, json={"opening_hours": "06:00-22:00"})
    for kind in ("qr.png", "qr.svg", "plate.png", "plate.pdf"):
        tour("get", f"/shops/{{code}}/{kind}", regulator, params=code)
    tour("get", "/shops/{code}/scans", inspector, params=code)
    tour("post", "/shops/{code}/reissue", regulator, params={"code": created["code"]}, json={"reason": "铭牌遗失"})
    reissued = db.session.get(type(shop), created["id"]).code
    tour("post", "/shops/{code}/close", regulator, params={"code": reissued}, json={"reason": "主体注销"})

    # the 30-day list, before any inspection makes the shops not due
    tour("post", "/inspection-plan/generate", regulator, json={})
    items = tour("get", "/inspection-plan", regulator, query_string={"page": 1})["items"]
    tour("get", "/inspection-plan", inspector)
    tour("post", "/inspection-plan/auto-assign", regulator, json={})
    tour("post", "/inspection-plan/items/{item_id}/assign", regulator, params={"item_id": items[0]["item_id"]},
         json={"inspector": inspector.username, "co_inspector": co_inspector.username})
    tour("post", "/inspection-plan/items/{item_id}/close", inspector, params={"item_id": items[1]["item_id"]},
         json={"status": "not_found"})

    # checklists, inspections, self-checks
    for who in (inspector, merchant):
        tour("get", "/shops/{code}/checklists", who, params=code)
    body = {"shop_code": shop.code, "template_id": template_id("food.catering.inspection"),
            "co_inspector": co_inspector.username, "client_id": "tour-inspection",
            "answers": answers("food.catering.inspection", fail=True)}
    inspection = tour("post", "/inspections", inspector, json=body, status=201)
    tour("post", "/inspections", inspector, json=body, status=200)
    for who in (inspector, merchant):
        tour("get", "/inspections/{inspection_id}", who, params={"inspection_id": inspection["id"]})
        tour("get", "/shops/{code}/inspections", who, params=code)
    tour("post", "/shops/{code}/self-checks", merchant, params=code, status=201,
         json={"template_id": template_id("food.catering.self_check"), "client_id": "tour-self-check",
               "answers": answers("food.catering.self_check")})
    for who in (inspector, merchant):
        tour("get", "/shops/{code}/self-checks", who, params=code)

    # grading, penalties, draws
    for who in (regulator, inspector):
        tour("get", "/shops/{code}/grading", who, params=code)
        english = tour("get", "/shops/{code}/grading", who, params=code, headers={"Accept-Language": "en"})
        assert not CJK.search(" ".join(c["why"] for c in english["candidates"])), english["candidates"]
    penalty = tour("post", "/shops/{code}/penalties", regulator, params=code, status=201,
                   json={"decision_no": "沪市监徐处〔2025〕099号", "decided_on": today().isoformat(),
                         "violation": "未按规定公示许可证", "severity": "minor", "fine": "2000.00"})
    tour("post", "/penalties/{penalty_id}/published", regulator, params={"penalty_id": penalty["id"]},
         json={"published_on": today().isoformat()})
    tour("get", "/shops/{code}/penalties", regulator, params=code)
    draw = tour("post", "/draws", regulator, json={"title": "导览抽查", "ratios": {"A": 1.0, "B": 1.0, "C": 1.0,
                                                                                "D": 1.0}}, status=201)
    for who in (regulator, inspector):
        tour("get", "/draws/{draw_id}", who, params={"draw_id": draw["id"]})
    # Public only once the inspection window has closed (国办发〔2015〕58号), by its random token.
    stored = db.session.get(RandomDraw, draw["id"])
    stored.window_ends_on = today() - timedelta(days=1)
    grading_draws.publish_due()
    db.session.commit()
    tour("get", "/public/draws/{token}", params={"token": draw["token"]})

    # citizens: the public face, reviews, complaints and their tracking
    tour("get", "/public/shops/{code}", params=code)
    tour("get", "/public/breakfast", query_string={"lat": shop.lat, "lng": shop.lng})
    tour("get", "/public/open/businesses")
    tour("get", "/public/open/inspections")
    tour("post", "/public/shops/{code}/reviews", params=code, json={"stars": 5, "text": "包子好吃"}, status=201)
    tour("get", "/public/shops/{code}/reviews", params=code)
    filed = [tour("post", "/public/shops/{code}/complaints", params=code, status=201,
                  json={"category": "food_safety", "description": f"饭菜里有头发{n}", "phone": "13800138000"})
             for n in range(2)]
    tour("get", "/public/shops/{code}/complaints", params=code, query_string={"category": "food_safety"})
    ticket = {"ticket": filed[0]["ticket"]}
    tour("post", "/public/complaints/{ticket}/me-too", params=ticket, client=app.test_client())  # a neighbour

    # the complaint desk and the merchant's answer
    tour("post", "/complaints/{ticket}/assign", regulator, params=ticket, json={"handler": handler.username})
    tour("post", "/complaints/{ticket}/transitions", handler, params=ticket, json={"action": "accept"})
    tour("post", "/complaints/{ticket}/transitions", regulator, params=ticket,
         json={"action": "forward", "note": "请核实食材来源"})
    tour("post", "/complaints/{ticket}/transitions", merchant, params=ticket,
         json={"action": "answer", "note": "已道歉并整改"})
    for who in (regulator, handler, merchant):
        tour("get", "/complaints", who)
        tour("get", "/complaints/{ticket}", who, params=ticket)
    second = {"ticket": filed[1]["ticket"]}
    tour("post", "/complaints/{ticket}/transitions", regulator, params=second, json={"action": "accept"})
    for n, complaint in enumerate(filed):
        tour("post", "/complaints/{ticket}/transitions", regulator, params={"ticket": complaint["ticket"]},
             json={"action": "resolve", "note": "已核实", "substantiated": n == 0})
    tour("get", "/public/complaints/{ticket}", params=ticket, query_string={"key": filed[0]["tracking_key"]})
    tour("post", "/public/complaints/{ticket}/satisfaction", params=ticket,
         json={"key": filed[0]["tracking_key"], "satisfaction": 4})
    tour("post", "/public/complaints/{ticket}/reopen", params=second,
         json={"key": filed[1]["tracking_key"], "note": "问题又出现了"})
    tour("get", "/reviews/moderation", regulator)
    assert db.session.scalar(select(Complaint.status).where(Complaint.ticket == filed[1]["ticket"])) == "reopened"

    # the merchant's end: staff, changes, questions, notifications, policies, claims, FAQ
    staff = tour("post", "/shops/{code}/staff", merchant, params=code, status=201,
                 json={"name": "欧阳娜娜", "phone": "13900001111", "role": "厨师", "health_cert_no": "JK-1",
                       "health_cert_expires": (today() + timedelta(days=200)).isoformat(), "vaccine_doses": 2,
                       "vaccine_dates": ["2021-05-01", "2021-06-01"]})
    tour("put", "/staff/{staff_id}", merchant, params={"staff_id": staff["id"]}, json={"name": "欧阳娜娜"})
    for who in (merchant, inspector, manager):
        tour("get", "/shops/{code}/staff", who, params=code)
    tour("delete", "/staff/{staff_id}", merchant, params={"staff_id": staff["id"]}, status=204)
    for decision, body in (("approve", None), ("reject", {"reason": "与营业执照不符"})):
        change = tour("post", "/shops/{code}/change-requests", merchant, params=code,
                      json={"sign_name": f"导览{decision}"}, status=201)
        tour("get", "/shops/{code}/change-requests", merchant, params=code)
        tour("get", "/change-requests", regulator)
        tour("post", f"/change-requests/{{change_id}}/{decision}", regulator, params={"change_id": change["id"]},
             json=body)
    question = tour("post", "/questions", merchant, json={"shop_code": shop.code, "body": "能否外摆？"}, status=201)
    for who in (merchant, regulator):
        tour("get", "/questions", who)
        tour("get", "/policies", who)
    tour("post", "/questions/{question_id}/answer", regulator, params={"question_id": question["id"]},
         json={"answer": "不可以。"})
    tour("get", "/notifications", merchant)
    tour("post", "/notifications/read", merchant, json={})
    tour("post", "/claims", merchant, json={"code": claim_code})
    tour("get", "/public/faq")

    # the city's systems
    tour("post", "/integration/inspections", key, status=201,
         json={"external_id": "TOUR-1", "shop_code": shop.code, "inspected_on": today().isoformat(),
               "outcome": "基本符合", "rectification_deadline": (today() + timedelta(days=7)).isoformat()})
    tour("post", "/integration/penalties", key, status=201,
         json={"external_id": "TOUR-P1", "shop_code": shop.code, "decision_no": "沪市监徐处〔2025〕100号",
               "decided_on": today().isoformat(), "violation": "超范围经营", "fine": 500})
    tour("get", "/integration/changes", key, query_string={"since": "2000-01-01T00:00:00Z"})
    job = tour("post", "/jobs", regulator, json={"kind": "registry.export", "fmt": "csv"}, status=202)
    for who in (regulator, inspector):
        started = tour("post", "/jobs", who, json={"kind": "plates"}, status=202) if who is inspector else job
        tour("get", "/jobs/{job_id}", who, params={"job_id": started["id"]})

    spec = client.get("/api/v1/openapi.json").get_json()
    documented = {(method, path) for path, item in spec["paths"].items() for method in item if method in METHODS}
    assert documented - tour.visited == set(), "operations missing from the tour"


# -- how the answers are dumped --------------------------------------------------------------------


def test_marshmallow_is_not_patched_and_every_datetime_writes_its_offset(app):
    """Nothing changes marshmallow on import; each datetime field of our schemas is a UtcDateTime."""
    assert fields.DateTime.SERIALIZATION_FUNCS["iso"] is datetime.isoformat
    assert fields.DateTime().serialize("at", {"at": datetime(2025, 1, 2, 3, 4)}) == "2025-01-02T03:04:00"
    ours = [cls for classes in class_registry._registry.values() for cls in classes
            if cls.__module__.startswith("huishang.")]
    assert len(ours) > 50
    for cls in ours:
        for name, field in cls().fields.items():
            inner = field.inner if isinstance(field, fields.List) else field
            if isinstance(inner, fields.DateTime):
                assert isinstance(inner, UtcDateTime), f"{cls.__module__}.{cls.__name__}.{name}"
    assert UtcDateTime().serialize("at", {"at": datetime(2025, 1, 2, 3, 4)}) == "2025-01-02T03:04:00+00:00"
    assert UtcDateTime().deserialize("2025-01-02T11:04:00+08:00") == datetime(2025, 1, 2, 3, 4)


class Thing(Schema):
    name = fields.String()


class SecretThing(Thing):
    secret = fields.String()


class Things(Schema):
    items = fields.List(VariantNested(SecretThing))


@pytest.fixture
def toy_client():
    """A small app with one API blueprint, to see what the Blueprint does with each kind of answer."""
    app = Flask(__name__)
    app.config.update(API_TITLE="toy", API_VERSION="1", OPENAPI_VERSION="3.0.2", TESTING=True)
    Babel(app)
    api = HuishangApi(app)
    blp = Blueprint("toy", __name__)

    @blp.route("/dumped")
    @blp.response(200, Thing)
    def dumped():
        return {"name": "a", "secret": "s"}

    @blp.route("/built")
    @blp.response(200, Thing)
    def built():
        return jsonify({"name": "a", "secret": "s"})

    @blp.route("/refused")
    @blp.response(200, Thing)
    def refused():
        return jsonify({"code": 403, "message": "no", "errors": {}}), 403

    @blp.route("/narrower")
    @blp.response(201, SecretThing)
    def narrower():
        return Variant(Thing, {"name": "a", "secret": "s"}), 201

    @blp.route("/wider")
    @blp.response(200, Thing)
    def wider():
        return Variant(SecretThing, {"name": "a", "secret": "s"})

    @blp.route("/items")
    @blp.response(200, Things)
    def items():
        return {"items": [Variant(Thing, {"name": "a", "secret": "s"}), {"name": "b", "secret": "t"}]}

    api.register_blueprint(blp)
    return app.test_client()


def test_views_answer_through_their_declared_schema(toy_client):
    assert toy_client.get("/dumped").get_json() == {"name": "a"}
    r = toy_client.get("/narrower")
    assert r.status_code == 201 and r.get_json() == {"name": "a"}
    assert toy_client.get("/items").get_json() == {"items": [{"name": "a"}, {"name": "b", "secret": "t"}]}
    assert toy_client.get("/refused").status_code == 403  # an error body the view built is fine


def test_a_view_cannot_bypass_or_outgrow_its_declared_schema(toy_client):
    with pytest.raises(TypeError, match="built a JSON 200 response itself"):
        toy_client.get("/built")
    with pytest.raises(TypeError, match="does not document: secret"):
        toy_client.get("/wider")
    with pytest.raises(TypeError, match="only documents its variants"):
        ComplaintSchema().dump(object())
