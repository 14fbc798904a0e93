"""Authentication and the role gates.

One family says which roles may use a view: `page_gate` / `api_gate` on a blueprint (every route,
added later too) and `roles_required` on a view; all three refuse through `refusal`. Which object a
user may see or change is the model's answer (`shop.can_view(user)`, see huishang/models/scope.py).

Pages use a Flask-Login session (CSRF on every form). The JSON API uses bearer tokens only: a
session cookie never authenticates an API call, so API writes need no CSRF token. A token is
signed, expires after TOKEN_MAX_AGE seconds and dies when the user's password changes.
"""
from functools import wraps

from flask import abort, current_app, g, jsonify, redirect, request, url_for
from flask_login import current_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .extensions import db
from .i18n import N_, localize
from .models import User

TOKEN_SALT = "huishang-api-token"  # noqa: S105 — a salt naming the purpose, not a secret


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def issue_token(user) -> str:
    return _serializer().dumps({"uid": user.id, "v": user.token_version})


def user_from_token(token: str):
    """The active user a token names, or None when it is forged, expired or revoked."""
    try:
        data = _serializer().loads(token, max_age=current_app.config["TOKEN_MAX_AGE"])
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict):
        return None
    user = db.session.get(User, data.get("uid"))
    if user is None or not user.active or user.token_version != data.get("v"):
        return None
    return user


def bearer_user():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return user_from_token(token.strip())


def forget_request_user(_exc=None) -> None:
    """A bearer-authenticated user lives on `g` for one request only. In production each request
    has its own app context; in tests one context can span several requests, so clear it."""
    g.pop("_login_user", None)
    g.pop("api_user", None)


def json_error(status: int, message: str, errors: dict | None = None):
    # `N_()` messages from the services are Chinese text; the body is in the request's language.
    response = jsonify({"code": status, "message": localize(message), "errors": localize(errors or {})})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="huishang"'
    return response


# -- the role gates: one family for blueprints and views, pages and the API ---------------------

TOKEN_REQUIRED = "需要有效的访问令牌 (a valid bearer token is required)"  # noqa: S105 — a message, not a secret
ROLE_REFUSED = "当前角色无权进行此操作 (this role may not do that)"


def wants_json() -> bool:
    """A JSON caller: any /api/ path, or a page request whose Accept header prefers JSON to HTML."""
    if request.path.startswith("/api/"):
        return True
    return request.accept_mimetypes.best_match(("text/html", "application/json")) == "application/json"


def has_role(user, roles: tuple[str, ...]) -> bool:
    """`user` has one of `roles`; the pseudo-role "admin" names the district administrator (a
    regulator with `is_admin`), who also has the role "regulator"."""
    return user.role in roles or ("admin" in roles and bool(getattr(user, "administers", False)))


def refusal(roles: tuple[str, ...], message: str | None = None):
    """None when the current user is signed in with one of `roles` (any role when none are named;
    "admin": the district administrator, see `has_role`).

    Otherwise the refusal in the caller's form (`wants_json`). Not signed in: returns 401 with the
    error body, or the redirect to the login page. A role not named: returns 403 with the error body
    `{"code": 403, "message": message or ROLE_REFUSED, "errors": {}}`, or raises Forbidden for a
    page, which the error handler renders as the error page (with `message`, if any)."""
    if not current_user.is_authenticated:
        if wants_json():
            return json_error(401, TOKEN_REQUIRED)
        return redirect(url_for("auth.login", next=request.full_path))
    if roles and not has_role(current_user, roles):
        if wants_json():
            return json_error(403, message or ROLE_REFUSED)
        abort(403, description=message)  # None: the generic description
    return None


def roles_required(*roles: str, message: str | None = None, methods: tuple[str, ...] | None = None):
    """View decorator: the current user must have one of `roles` (see `refusal` for the answers).
    `message` is the 403 text for JSON callers (bilingual, "中文 (English)"); `methods` limits the
    check to those HTTP methods (a page everyone in the blueprint may read, only `roles` may post).
    On an API view put it right above the function, below flask-smorest's decorators."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if methods is None or request.method in methods:
                refused = refusal(roles, message)
                if refused is not None:
                    return refused
            return view(*args, **kwargs)

        return wrapped

    return decorator


def page_gate(*roles: str):
    """A before_request hook for a page blueprint: signed in (session), with one of `roles`."""

    def gate():
        return refusal(roles)

    return gate


def api_gate(*roles: str):
    """A before_request hook for an API blueprint: a valid bearer token, of one of `roles`. The
    token's user is `current_user` for this request only; no session is created."""

    def gate():
        if request.method == "OPTIONS":
            return None
        user = bearer_user()
        if user is None:
            return json_error(401, TOKEN_REQUIRED)
        g._login_user = user
        g.api_user = user
        if must_change_password(user):
            return json_error(403, PASSWORD_CHANGE_REQUIRED, {"password": [N_("请先修改临时密码")]})
        return refusal(roles)

    return gate


# -- a temporary password is changed before anything else -----------------------------------------

PASSWORD_CHANGE_REQUIRED = "请先修改临时密码 (change your temporary password first)"  # noqa: S105 — a message
PASSWORD_CHANGE_OPEN = {"auth.password_change", "auth.logout", "static", "site.set_language", "site.healthz"}


def must_change_password(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "must_change_password", False))


def password_change_gate():
    """An app-wide before_request hook: a user signed in with a temporary password (an account
    manager reset it) is sent to the change-password page from every page until it is changed;
    a JSON caller gets 403. API blueprints check the bearer user in `api_gate`."""
    if request.endpoint in PASSWORD_CHANGE_OPEN or not must_change_password(current_user):
        return None
    if wants_json():
        return json_error(403, PASSWORD_CHANGE_REQUIRED, {"password": [N_("请先修改临时密码")]})
    return redirect(url_for("auth.password_change"))
