"""Authentication and the role gates.

Pages use a Flask-Login session (CSRF on every form). The JSON API uses bearer tokens only: a
session cookie never authenticates an API call, so API writes need no CSRF token. A token is
signed, expires after TOKEN_MAX_AGE seconds and dies when the user's password changes.
"""
from functools import wraps

from flask import current_app, g, jsonify, redirect, request, url_for
from flask_login import current_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .extensions import db
from .i18n import localize
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


def api_gate(*roles: str):
    """A before_request hook for an API blueprint: a valid bearer token of one of `roles`."""

    def gate():
        if request.method == "OPTIONS":
            return None
        user = bearer_user()
        if user is None:
            return json_error(401, "需要有效的访问令牌 (a valid bearer token is required)")
        g._login_user = user  # current_user for this request only; no session is created
        g.api_user = user
        if roles and user.role not in roles:
            return json_error(403, "当前角色无权进行此操作 (this role may not do that)")
        return None

    return gate


def page_gate(*roles: str):
    """A before_request hook for a page blueprint: logged in, with one of `roles`."""

    def gate():
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        if roles and current_user.role not in roles:
            from flask import abort

            abort(403)
        return None

    return gate


def roles_required(*roles: str):
    """Per-view role check inside a blueprint whose gate admits more roles."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user
            if not user.is_authenticated or user.role not in roles:
                if request.path.startswith("/api/"):
                    return json_error(403, "当前角色无权进行此操作 (this role may not do that)")
                from flask import abort

                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
