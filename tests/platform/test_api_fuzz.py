"""API fuzzing with schemathesis 4 against /api/v1/openapi.json, in process (WSGI).

Every documented operation is called with generated input, once anonymously and once with the
district administrator's bearer token (a district-wide regulator who also reaches /api/v1/users):
no response may be a 5xx, and every documented response must match its schema (which forbids
undocumented fields) and content type. test_api_responses.py makes a valid
call of every operation as each audience and checks those answers too. Bounded (25 examples per
operation, derandomised, no deadline) so the suite stays quick; `FUZZ_EXAMPLES=200 pytest
tests/platform/test_api_fuzz.py` digs deeper."""
import os
import re
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from huishang.extensions import db
from huishang.security import issue_token
from tests.factories import make_admin, make_shop

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 25))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture
def shop_code():
    """A real shop, so that valid-input runs reach the 200 responses and their schemas."""
    make_shop(street="华泾镇")
    return make_shop().code


@pytest.fixture
def regulator_token():
    """The district administrator: a district-wide regulator who also reaches /api/v1/users."""
    return issue_token(make_admin())


def _path_parameters(operation, shop_code) -> dict | None:
    """Pin the shop code to a real shop and a ticket to a well-formed unknown one: random path
    segments only ever meet the 404 branch, and generating them (mostly rejected as unroutable)
    costs most of the run. Bodies, query strings and headers stay fuzzed."""
    pinned = {"code": shop_code, "ticket": "TS0000000000"}
    names = {parameter.name for parameter in operation.path_parameters}
    return {name: pinned[name] for name in names & set(pinned)} or None


def fuzz(api_schema, mode: GenerationMode, shop_code: str, headers: dict | None = None) -> list[str]:
    """Run every operation; return one entry per failing operation (all of them, not the first)."""
    failures = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 5
    for operation in operations:
        strategy = operation.as_strategy(generation_mode=mode,
                                         path_parameters=_path_parameters(operation, shop_code))

        @given(case=strategy)
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
        def run(case):
            case.call_and_validate(checks=CHECKS, headers=headers)

        started = time.monotonic()
        try:
            run()
        except Unsatisfiable:
            continue  # no invalid input can be expressed for this operation (e.g. free-text path)
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 — collect them all, then report
            failures.append(f"{operation.label}: {str(exc).strip()[:1500]}")
        finally:
            db.session.rollback()
            if os.environ.get("FUZZ_TIMES"):
                print(f"{time.monotonic() - started:6.2f}s {operation.label}")
    return failures


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_fuzz_anonymous(api_schema, shop_code, mode):
    failures = fuzz(api_schema, mode, shop_code)
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_fuzz_with_regulator_token(api_schema, shop_code, regulator_token, mode):
    failures = fuzz(api_schema, mode, shop_code, {"Authorization": f"Bearer {regulator_token}"})
    assert not failures, "\n\n".join(failures)


def test_openapi_document_is_valid_and_complete(app, client):
    """Every /api/v1 route appears in the document (an undocumented route escapes fuzzing)."""
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    documented = set(spec["paths"])
    for rule in app.url_map.iter_rules():
        path = rule.rule
        if not path.startswith("/api/v1/") or path.startswith("/api/v1/openapi"):
            continue
        openapi_path = re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", path)
        assert openapi_path in documented, f"{path} is not in the OpenAPI document"


def _components_reached(schema: dict, components: dict, seen: set) -> set:
    """The names of the component schemas `schema` refers to, directly or through others."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if ref and ref.split("/")[-1] not in seen:
            name = ref.split("/")[-1]
            seen.add(name)
            _components_reached(components[name], components, seen)
        for value in schema.values():
            _components_reached(value, components, seen)
    elif isinstance(schema, list):
        for value in schema:
            _components_reached(value, components, seen)
    return seen


def test_every_operation_declares_its_success_response_schema(client):
    """Each operation documents the body of each success status: JSON through a component schema
    (an object, or an array of them), a file as binary; only 204 has no body. Every object the
    JSON bodies reach forbids additional properties, so the conformance checks (the fuzz tests and
    test_api_responses.py) fail on a field the API sends and the document lacks."""
    spec = client.get("/api/v1/openapi.json").get_json()
    components = spec["components"]["schemas"]
    reached: set = set()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            label = f"{method.upper()} {path}"
            success = {status: r for status, r in operation["responses"].items() if status.startswith("2")}
            assert success, f"{label} documents no success response"
            for status, response in success.items():
                if status == "204":
                    assert "content" not in response, label
                    continue
                assert response.get("content"), f"{label} {status} documents no body"
                for media_type, body in response["content"].items():
                    schema = body.get("schema", {})
                    if media_type != "application/json":
                        assert schema == {"type": "string", "format": "binary"}, (label, media_type)
                        continue
                    ref = schema.get("$ref") or schema.get("items", {}).get("$ref")
                    assert ref, f"{label} {status}: the JSON body names no component schema"
                    assert components[ref.split("/")[-1]].get("properties"), (label, ref)
                    _components_reached(schema, components, reached)
    for name in reached:
        if components[name].get("type") == "object":
            assert components[name].get("additionalProperties") is False, name


def test_huge_integer_ids_are_404_not_overflow(app, client, regulator_token):
    """Found by fuzzing: `<int:id>` beyond BIGINT overflowed the database driver (500)."""
    header = {"Authorization": f"Bearer {regulator_token}"}
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or "int:" not in rule.rule:
            continue
        values = {name: (10**30 if "Integer" in type(conv).__name__ else "X1")
                  for name, conv in rule._converters.items()}
        path = rule.rule
        for name, value in values.items():
            path = path.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            r = client.open(path, method=method, json={}, headers=header)
            assert r.status_code in (404, 405), f"{method} {path} -> {r.status_code}"
            checked += 1
    assert checked


def test_api_datetimes_carry_their_utc_offset(client, shop_code, regulator_token):
    """Found by fuzzing: naive datetimes are not RFC 3339 `date-time` (and read as local time)."""
    r = client.get(f"/api/v1/shops/{shop_code}", headers={"Authorization": f"Bearer {regulator_token}"})
    created = r.get_json()["created_at"]
    assert created.endswith("+00:00"), created
