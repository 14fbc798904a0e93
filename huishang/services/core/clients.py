"""Anonymous citizen clients, without personal data.

A client is a random id kept in a signed cookie (`hs_client`: itsdangerous-signed, HttpOnly,
SameSite=Lax, one year), independent of the Flask session. The database only ever sees HMACs
made with SECRET_KEY: of the client id and of the IP address. The raw IP is never stored.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

from . import audit

COOKIE = "hs_client"
SALT = "huishang-client-id"
MAX_AGE = 365 * 86400
ENVIRON_KEY = "huishang.client"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _hmac(kind: str, value: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def remote_ip() -> str:
    return request.remote_addr or "unknown"


def _load() -> tuple[str, bool]:
    """(client id, whether it came from a valid cookie), minting a new id when needed."""
    # Kept in the WSGI environ, not `g`: one app context may serve several requests (tests).
    if ENVIRON_KEY not in request.environ:
        raw = request.cookies.get(COOKIE, "")
        try:
            client_id = _serializer().loads(raw) if raw else None
        except BadSignature:
            client_id = None
        known = isinstance(client_id, str) and 16 <= len(client_id) <= 64
        request.environ[ENVIRON_KEY] = (client_id if known else secrets.token_urlsafe(18), known)
    return request.environ[ENVIRON_KEY]


def client_id() -> str:
    return _load()[0]


def is_known() -> bool:
    """True when the request carried a valid client cookie (a returning client)."""
    return _load()[1]


def client_hash() -> str:
    return _hmac("client", client_id())


def ip_hash() -> str:
    return _hmac("ip", remote_ip())


def rate_key_client() -> str:
    """Flask-Limiter key: the client (cookie id, or the IP when the request carries none)."""
    return "client:" + (client_hash() if is_known() else ip_hash())


def rate_key_ip() -> str:
    """Flask-Limiter key: the hashed IP."""
    return "ip:" + ip_hash()


def set_cookie(response):
    """Attach the client cookie to the response when the client is new (every feedback page
    hands one out, so the form's POST already carries it)."""
    client, known = _load()
    if not known:
        response.set_cookie(COOKIE, _serializer().dumps(client), max_age=MAX_AGE,
                            httponly=True, samesite="Lax",
                            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    return response


def audit_anonymous(action: str, obj, **kwargs):
    """Audit a citizen's write without the raw IP: anonymous clients are kept only as hashes."""
    event = audit.record(action, obj, **kwargs)
    event.ip = None
    return event
