"""Request hooks shared by every page: proxy trust, security headers, template helpers."""
from flask import current_app, g, request
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from .nav import nav
from .security import forget_request_user, password_change_gate
from .services.core import audit, tile_settings

CSP = ("default-src 'self'; img-src 'self' data: blob: {tiles}; style-src 'self'; "
       "script-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
HSTS = "max-age=31536000; includeSubDomains"


def trust_proxy(app) -> None:
    """Behind nginx or a load balancer (TRUST_PROXY = number of proxies in front), take the
    client address, scheme and host from X-Forwarded-*: rate limits then key on the real client
    and HSTS / secure redirects see HTTPS. Never enable it when clients reach gunicorn directly:
    they could forge their address."""
    hops = int(app.config.get("TRUST_PROXY") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)


MAX_ID = 2**63 - 1  # BIGINT; a larger <int:id> cannot name a row


class BoundedIntegerConverter(IntegerConverter):
    """`<int:...>` that stops at BIGINT, so an absurd id is a 404 rather than a database
    overflow (a 500 on SQLite, a DataError on PostgreSQL)."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 — werkzeug's signature
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def bound_integer_routes(app) -> None:
    """Cap every `<int:>` argument of the routes already registered and of any added later."""
    app.url_map.converters["int"] = BoundedIntegerConverter
    for rule in app.url_map.iter_rules():
        for converter in rule._converters.values():
            if isinstance(converter, IntegerConverter) and converter.max is None:
                converter.max = MAX_ID


def _is_private(response) -> bool:
    """Responses for a signed-in user or a bearer-token caller must not be kept by caches."""
    if request.endpoint == "static" or "Cache-Control" in response.headers:
        return False
    if request.headers.get("Authorization"):
        return True
    return bool(getattr(current_user, "is_authenticated", False))


def _signed_in_user():
    return current_user._get_current_object() if getattr(current_user, "is_authenticated", False) else None


def bind_audit_origin() -> None:
    """The audit trail's origin for this request: the signed-in user (a session or a bearer token,
    resolved when an event is written), else "anonymous", and the client address."""
    g.audit_origin = audit.bind(audit.Origin(label="anonymous", ip=request.remote_addr, user=_signed_in_user))


def unbind_audit_origin(_exc=None) -> None:
    token = g.pop("audit_origin", None)
    if token is not None:
        audit.unbind(token)


def register(app) -> None:
    trust_proxy(app)
    bound_integer_routes(app)
    app.before_request_funcs.setdefault(None, []).insert(0, bind_audit_origin)  # before any hook that writes
    app.before_request(password_change_gate)  # a temporary password: change it before anything else
    app.teardown_request(unbind_audit_origin)
    app.teardown_request(forget_request_user)

    @app.after_request
    def security_headers(response):
        tiles = tile_settings(current_app.config)["origin"]
        response.headers.setdefault("Content-Security-Policy", CSP.format(tiles=tiles).replace("  ", " "))
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(self)")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if _is_private(response):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.after_request
    def remember_language(response):
        """A page opened with ?lang=en (or zh) keeps that language on later pages: the choice goes
        into the same `lang` cookie the EN/中文 switch sets (huishang/site.py), once."""
        wanted = request.args.get("lang")
        if (wanted in current_app.config["LANGUAGES"] and request.cookies.get("lang") != wanted
                and response.mimetype == "text/html"):
            response.set_cookie("lang", wanted, max_age=365 * 86400, samesite="Lax", httponly=True)
            response.headers["Cache-Control"] = "private, no-store"  # a shared cache must not replay the cookie
        return response

    @app.get("/favicon.ico")
    def favicon():
        """Browsers ask for it on every first visit; answer without a 404 in every log."""
        return "", 204, {"Cache-Control": "public, max-age=604800"}

    @app.context_processor
    def template_helpers():
        """The only context processor: the locale, the district's name and the nav presenter."""
        return {"locale": str(get_locale() or "zh"),
                "district_name": current_app.config.get("DISTRICT_NAME", "徐汇区"),
                "nav": nav(current_user)}
