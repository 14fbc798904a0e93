"""Security gates: headers, cookies, proxy trust, lockout and throttling, uploads, escaping,
an authorisation sweep over every gated endpoint, and audit events for writes."""
import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from huishang import create_app
from huishang.config import TestingConfig
from huishang.extensions import db, limiter
from huishang.models import AuditEvent, User, utcnow
from huishang.services import DomainError
from huishang.services.accounts import MAX_FAILURES, authenticate
from huishang.services.core import MAX_BYTES, read_image, store_image
from tests.factories import PASSWORD, make_inspector, make_merchant, make_property, make_regulator, make_shop

XSS = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
XSS_ESCAPED = "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;"


# -- headers, cookies, proxies --------------------------------------------------------------

def test_security_headers_on_pages_and_api(client):
    for path in ("/login", "/healthz", "/api/v1/openapi.json"):
        r = client.get(path)
        csp = r.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
        assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["X-Frame-Options"] == "DENY"
        assert "Strict-Transport-Security" not in r.headers  # plain HTTP: HSTS would be ignored


def test_login_page_has_no_inline_script_or_style(client):
    html = client.get("/login").get_data(as_text=True)
    assert "<script>" not in html and " style=" not in html and "<style" not in html


def test_hsts_only_over_https(client):
    r = client.get("/login", base_url="https://localhost")
    assert r.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_forwarded_proto_ignored_unless_proxy_trusted(client):
    r = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in r.headers


class ProxiedConfig(TestingConfig):
    TRUST_PROXY = 1
    SESSION_COOKIE_SECURE = True


def test_trusted_proxy_gives_hsts_and_client_address():
    proxied = create_app(ProxiedConfig)
    seen = {}

    @proxied.get("/_test/addr")
    def addr():
        from flask import request
        seen["addr"], seen["scheme"] = request.remote_addr, request.scheme
        return "ok"

    r = proxied.test_client().get("/_test/addr", headers={
        "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
    assert r.status_code == 200
    assert seen == {"addr": "203.0.113.9", "scheme": "https"}
    assert "max-age" in r.headers["Strict-Transport-Security"]


def test_session_cookie_is_httponly_samesite_and_secure_when_configured(app, client, monkeypatch):
    reg = make_regulator()
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    r = client.post("/login", data={"username": reg.username, "password": PASSWORD},
                    base_url="https://localhost")
    assert r.status_code == 302
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = next(v for v in r.headers.getlist("Set-Cookie") if v.startswith(name))
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=lax" in lowered and "secure" in lowered


def test_production_defaults_to_secure_cookies(monkeypatch):
    import importlib

    from huishang import config

    monkeypatch.setenv("HUISHANG_ENV", "production")
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    fresh = importlib.reload(config)
    try:
        assert fresh.Config.SESSION_COOKIE_SECURE is True
        assert fresh.Config.REMEMBER_COOKIE_SECURE is True
        with pytest.raises(RuntimeError):
            fresh.check({"ENV_NAME": "production", "SECRET_KEY": None})
    finally:
        monkeypatch.undo()
        importlib.reload(config)


def test_signed_in_pages_are_not_cached(client, login_as):
    login_as(make_regulator())
    assert client.get("/admin/shops").headers["Cache-Control"] == "no-store"


# -- login throttling and lockout --------------------------------------------------------------

def test_lockout_after_repeated_failures_even_with_right_password(client):
    reg = make_regulator()
    for _ in range(MAX_FAILURES):
        r = client.post("/api/v1/auth/token", json={"username": reg.username, "password": "wrong-pass"})
        assert r.status_code == 401
    r = client.post("/api/v1/auth/token", json={"username": reg.username, "password": PASSWORD})
    assert r.status_code == 423 and "token" not in r.get_json()
    r = client.post("/login", data={"username": reg.username, "password": PASSWORD})
    assert r.status_code == 423
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "user.locked", AuditEvent.object_id == str(reg.id))) == 1


def test_lock_expires_and_success_resets_the_count():
    reg = make_regulator()
    for _ in range(MAX_FAILURES):
        with pytest.raises(DomainError):
            authenticate(reg.username, "wrong-pass")
    user = db.session.get(User, reg.id)
    assert user.locked_until > utcnow()
    user.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert authenticate(reg.username, PASSWORD).id == reg.id
    assert user.failed_logins == 0 and user.locked_until is None


def test_unknown_user_and_wrong_password_answer_alike(client):
    reg = make_regulator()
    a = client.post("/api/v1/auth/token", json={"username": reg.username, "password": "wrong-pass"})
    b = client.post("/api/v1/auth/token", json={"username": "nobody-here", "password": "wrong-pass"})
    assert a.status_code == b.status_code == 401
    assert a.get_json()["message"] == b.get_json()["message"]


class ThrottledConfig(TestingConfig):
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"


@pytest.fixture
def throttled_client(app):
    """A second app with rate limits on. The limiter is one object per process, so it is put
    back to the session app's settings afterwards."""
    throttled = create_app(ThrottledConfig)
    yield throttled.test_client()
    limiter.init_app(app)


def test_login_and_token_are_rate_limited(throttled_client):
    codes = [throttled_client.post("/api/v1/auth/token", json={"username": "x"}).status_code
             for _ in range(21)]
    assert codes[:20] == [422] * 20 and codes[20] == 429
    codes = [throttled_client.post("/login", data={}).status_code for _ in range(21)]
    assert 429 not in codes[:20] and codes[20] == 429
    r = throttled_client.post("/api/v1/auth/token", json={"username": "x"})
    assert r.get_json()["code"] == 429 and "Retry-After" in r.headers


# -- uploads ------------------------------------------------------------------------------

def _jpeg(exif: bool = False, size=(32, 24)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    buffer = io.BytesIO()
    if exif:
        data = Image.Exif()
        data[0x010F] = "SpyCam Inc."  # Make
        data[0x8825] = {1: "N", 2: (31.0, 11.0, 30.0), 3: "E", 4: (121.0, 26.0, 10.0)}  # GPS
        image.save(buffer, "JPEG", exif=data)
    else:
        image.save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.mark.parametrize("payload", [
    b"<?php system($_GET['c']); ?>",
    b"<html><script>alert(1)</script></html>",
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
    b"\xff\xd8\xff\xe0 not really a jpeg",
])
def test_non_images_named_jpg_are_refused(payload):
    with pytest.raises(DomainError) as caught:
        store_image(payload, "shops", field="photo")
    assert caught.value.status == 422 and "photo" in caught.value.errors


def test_oversize_upload_is_413():
    with pytest.raises(DomainError) as caught:
        read_image(b"\xff" * (MAX_BYTES + 1))
    assert caught.value.status == 413


def test_request_body_over_limit_is_413_json_under_api(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    r = client.post("/api/v1/auth/token", data=b"{" + b" " * 4096 + b"}",
                    content_type="application/json")
    assert r.status_code == 413 and r.get_json()["code"] == 413
    r = client.post("/login", data={"username": "u" * 4096, "password": "p"})
    assert r.status_code == 413


def test_exif_and_trailing_payload_stripped(app):
    original = _jpeg(exif=True) + b"<?php echo 'polyglot'; ?>"
    assert Image.open(io.BytesIO(original)).getexif()  # the fixture really carries EXIF
    relative = store_image(original, "shops")
    with open(f"{app.config['UPLOAD_DIR']}/{relative}", "rb") as fh:
        stored = fh.read()
    assert b"<?php" not in stored and b"SpyCam" not in stored
    reopened = Image.open(io.BytesIO(stored))
    assert not reopened.getexif() and "exif" not in reopened.info
    assert reopened.size == (32, 24) and relative.endswith(".jpg")


# -- escaping -------------------------------------------------------------------------------

def _html_get_routes(app):
    """GET pages that take no argument or a shop `code` (filled with the test shop's code)."""
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(("/api/", "/static")):
            continue
        if set(rule.arguments) <= {"code"}:
            yield rule


def test_xss_in_sign_name_is_escaped_everywhere(app):
    manager = make_property()
    shop = make_shop(sign_name=XSS, complex="港汇恒隆广场")
    users = [None, make_regulator(), make_inspector(), make_merchant(shops=[shop]), manager]
    seen_escaped = set()
    for user in users:
        client = app.test_client()
        if user is not None:
            r = client.post("/login", data={"username": user.username, "password": PASSWORD})
            assert r.status_code == 302
        for rule in _html_get_routes(app):
            path = rule.rule.replace("<code>", shop.code)
            r = client.get(path)
            if not r.mimetype.startswith("text/html"):
                r.close()  # a file answer (the open-data zip) holds its file open until closed
                continue
            html = r.get_data(as_text=True)
            assert XSS not in html and "<img src=x" not in html, f"{path} as {user and user.role}"
            if XSS_ESCAPED in html:
                seen_escaped.add((path, user.role if user else "citizen"))
    # The sign name must actually have been shown (escaped) to each audience that sees it.
    assert ("/admin/shops", "regulator") in seen_escaped
    assert {"regulator", "inspector", "merchant", "property"} <= {role for _path, role in seen_escaped}


def test_xss_in_api_error_messages_stays_json(client):
    r = client.get("/api/v1/public/shops/%3Cscript%3E")
    assert r.mimetype == "application/json"


# -- authorisation sweep ----------------------------------------------------------------------

def dummy_url(rule, text="X1") -> str:
    """A URL that routes to `rule`, with placeholder values for its arguments."""
    values = dict(rule.defaults or {})
    for name, converter in rule._converters.items():
        numeric = type(converter).__name__ in ("IntegerConverter", "FloatConverter")
        values[name] = 1 if numeric else text
    return rule.build(values, append_unknown=False)[1]


_dummy_url = dummy_url


def _method(rule) -> str:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})[0]


# Every page under these URL prefixes belongs to these roles, whichever blueprint serves it
# (the complaint desk, grading and merchant-admin pages live under /admin too).
PAGE_ROLES = {"/admin/": {"regulator", "inspector"}, "/merchant/": {"merchant"}, "/property/": {"property"}}
PUBLIC_BLUEPRINTS = ("merchant_public.",)  # e.g. /merchant/register: sign-up before having an account


def _gated_page_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(PUBLIC_BLUEPRINTS):
            continue
        for prefix, roles in PAGE_ROLES.items():
            if rule.rule.startswith(prefix):
                yield rule, roles


def test_every_gated_page_sends_anonymous_users_to_login(app, client):
    rules = list(_gated_page_rules(app))
    assert len(rules) >= 3
    for rule, _roles in rules:
        r = client.open(_dummy_url(rule), method=_method(rule))
        assert r.status_code == 302 and "/login" in r.headers["Location"], rule.rule


@pytest.mark.parametrize("role", ["regulator", "inspector", "merchant", "property"])
def test_every_gated_page_refuses_other_roles(app, client, login_as, role):
    factory = {"regulator": make_regulator, "inspector": make_inspector, "merchant": make_merchant,
               "property": make_property}[role]
    login_as(factory())
    checked = 0
    for rule, roles in _gated_page_rules(app):
        if role in roles:
            continue
        r = client.open(_dummy_url(rule), method=_method(rule))
        assert r.status_code == 403, f"{role} reached {rule.rule} ({r.status_code})"
        checked += 1
    assert checked >= 1


def _private_api_rules(app):
    for rule in app.url_map.iter_rules():
        path = rule.rule
        if not path.startswith("/api/v1/") or path.startswith(("/api/v1/public", "/api/v1/auth")):
            continue
        if path.startswith("/api/v1/openapi") or "swagger" in path or "redoc" in path:
            continue
        yield rule


def test_every_private_api_operation_needs_a_token(app, client):
    rules = list(_private_api_rules(app))
    assert rules
    for rule in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            r = client.open(_dummy_url(rule), method=method, json={})
            assert r.status_code == 401, f"{method} {rule.rule} -> {r.status_code}"
            assert r.get_json()["code"] == 401
            r = client.open(_dummy_url(rule), method=method, json={},
                            headers={"Authorization": "Bearer forged.token.value"})
            assert r.status_code == 401, f"{method} {rule.rule} with forged token"


def test_session_cookie_never_authenticates_the_api(client, login_as):
    login_as(make_regulator())
    assert client.get("/admin/shops").status_code == 200
    assert client.get("/api/v1/shops").status_code == 401


def test_token_dies_with_password_change(client, auth_header):
    reg = make_regulator()
    header = auth_header(reg)
    assert client.get("/api/v1/shops", headers=header).status_code == 200
    user = db.session.get(User, reg.id)
    user.set_password("a-new-password-1")
    db.session.commit()
    assert client.get("/api/v1/shops", headers=header).status_code == 401


def test_deactivated_user_loses_session_and_token(client, login_as, auth_header):
    reg = make_regulator()
    header = auth_header(reg)
    login_as(reg)
    user = db.session.get(User, reg.id)
    user.active = False
    db.session.commit()
    assert client.get("/api/v1/shops", headers=header).status_code == 401
    assert client.get("/admin/shops").status_code == 302


def test_open_redirect_after_login_refused(client):
    reg = make_regulator()
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        r = client.post(f"/login?next={target}", data={"username": reg.username, "password": PASSWORD})
        assert r.status_code == 302 and "evil" not in r.headers["Location"]
        assert "javascript" not in r.headers["Location"]
        client.post("/logout")


# -- audit events ---------------------------------------------------------------------------

def _events(action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_api_writes_are_audited_with_actor_and_address(client, auth_header):
    reg = make_regulator()
    shop = make_shop()
    r = client.patch(f"/api/v1/shops/{shop.code}", json={"opening_hours": "06:30-21:00"},
                     headers=auth_header(reg), environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert r.status_code == 200
    events = [e for e in _events("shop.update") if e.shop_id == shop.id]
    assert len(events) == 1
    event = events[0]
    assert event.actor_id == reg.id and event.ip == "198.51.100.7"
    assert event.after["opening_hours"] == "06:30-21:00"


def test_audit_events_never_hold_secrets():
    reg = make_regulator()
    db.session.get(User, reg.id).set_password("another-secret-9")
    from huishang.services.core import audit

    audit.record("user.password", reg, before={"password": PASSWORD}, after={"password": "another-secret-9"})
    db.session.commit()
    for event in db.session.scalars(select(AuditEvent)):
        blob = repr(event.before) + repr(event.after)
        assert PASSWORD not in blob and "another-secret-9" not in blob and "pbkdf2" not in blob
        assert "scrypt" not in blob
