"""CSRF on every page form: every state-changing route outside /api/ refuses a request without
a token once WTF_CSRF_ENABLED is on (the test config turns it off for convenience elsewhere).

The list is generated from app.url_map, so routes added by any feature are covered."""
import re
from pathlib import Path

import pytest

from huishang.extensions import csrf
from tests.factories import PASSWORD, make_merchant, make_regulator, make_shop
from tests.platform.test_security import dummy_url

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
TEMPLATES = Path(__file__).resolve().parents[2] / "huishang" / "templates"


_url = dummy_url


def page_write_routes(app):
    """(method, url, endpoint) for every unsafe method on a non-API route."""
    out = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            continue
        for method in sorted((rule.methods or set()) & UNSAFE):
            out.append((method, _url(rule), rule.endpoint))
    return out


@pytest.fixture
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    return app


def test_the_list_covers_the_known_forms(app):
    endpoints = {endpoint for _m, _u, endpoint in page_write_routes(app)}
    assert {"auth.login", "auth.logout"} <= endpoints


def test_no_page_route_is_csrf_exempt(app):
    """Only API blueprints (bearer tokens, no cookies) may be exempt."""
    for _method, _path, endpoint in page_write_routes(app):
        view = app.view_functions[endpoint]
        name = f"{view.__module__}.{view.__name__}"
        blueprint = endpoint.rsplit(".", 1)[0] if "." in endpoint else None
        assert name not in csrf._exempt_views, endpoint
        assert blueprint not in csrf._exempt_blueprints, endpoint


def test_anonymous_post_without_token_is_refused(csrf_on):
    client = csrf_on.test_client()
    for method, url, endpoint in page_write_routes(csrf_on):
        r = client.open(url, method=method, data={"x": "1"})
        assert r.status_code == 400, f"{method} {url} ({endpoint}) -> {r.status_code}"


@pytest.mark.parametrize("role", ["regulator", "merchant"])
def test_signed_in_post_without_token_is_refused_and_changes_nothing(app, client, login_as, monkeypatch,
                                                                     role):
    shop = make_shop()
    user = make_regulator() if role == "regulator" else make_merchant(shops=[shop])
    login_as(user)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    for method, url, endpoint in page_write_routes(app):
        url = url.replace("X1", shop.code)
        r = client.open(url, method=method, data={"x": "1"})
        assert r.status_code == 400, f"{method} {url} ({endpoint}) as {role} -> {r.status_code}"
        r = client.open(url, method=method, data={"csrf_token": "forged"})
        assert r.status_code == 400, f"{method} {url} ({endpoint}) with a forged token"
    # Still signed in: the refused logout did not log the user out.
    assert client.get(_home(role)).status_code == 200


def _home(role):
    return "/admin/shops" if role == "regulator" else "/merchant/"


def test_a_real_token_is_accepted(csrf_on):
    """The control: the same requests with the form's token get through."""
    reg = make_regulator()
    client = csrf_on.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    r = client.post("/login", data={"username": reg.username, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302
    page = client.get("/admin/shops").get_data(as_text=True)
    token = re.search(r'name="?csrf_token"?[^>]*value="([^"]+)"', page).group(1)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/admin/shops").status_code == 302  # logged out


def test_every_post_form_in_the_templates_carries_a_token():
    forms = 0
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<form\b[^>]*>(.*?)</form>", text, flags=re.S | re.I):
            opening = match.group(0)[: match.group(0).index(">") + 1].lower()
            if "method=\"post\"" not in opening and "method=post" not in opening:
                continue
            forms += 1
            assert "csrf_token" in match.group(1), f"{path.relative_to(TEMPLATES)}: {opening}"
    assert forms >= 2
