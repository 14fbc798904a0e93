"""Machine clients of the city's systems: /api/v1/integration, authenticated by API key.

Send `X-Api-Key: <key>`. A missing, unknown or revoked key is 401; a key without the scope an
operation needs is 403. Keys are created and revoked by regulators at /admin/api-keys.
"""

import logging

from flask import g, request
from sqlalchemy.exc import SQLAlchemyError

from huishang.services.integration import apikeys

from ..api import Blueprint
from ..extensions import csrf, db
from ..handling import commit, committed
from ..security import json_error

blp = Blueprint(
    "integration",
    __name__,
    url_prefix="/api/v1/integration",
    description="City systems: push inspections and penalties, pull registry changes "
    "(API key in the X-Api-Key header)",
)
csrf.exempt(blp)

SECURITY = [{"ApiKeyAuth": []}]
SCOPE_BY_ENDPOINT = {
    "integration.push_inspection": "inspections:write",
    "integration.push_penalty": "penalties:write",
    "integration.list_changes": "registry:read",
}


log = logging.getLogger(__name__)


@blp.before_request
def key_gate():
    """Authenticate the X-Api-Key and check the endpoint's scope. Writes nothing itself: the key's
    last-used stamp is put in the session, to be committed with the request's write (`record_key_use`)."""
    if request.method == "OPTIONS":
        return None
    key = apikeys.authenticate(request.headers.get("X-Api-Key"))
    if key is None:
        response = json_error(401, "需要有效的 API 密钥 (a valid X-Api-Key is required)")
        response.headers["WWW-Authenticate"] = 'ApiKey header="X-Api-Key"'
        return response
    scope = SCOPE_BY_ENDPOINT.get(request.endpoint or "")
    if scope is None or not key.has_scope(scope):
        return json_error(403, f"该密钥没有 {scope} 权限 (missing scope)", {"scope": [scope or "unknown"]})
    g.api_key = key
    g.api_key_stamp = apikeys.touch(key)
    return None


@blp.after_request
def record_key_use(response):
    """A key's last use is recorded on every call it authenticates, at most once a minute
    (`apikeys.touch`). A push carries the stamp in its own commit; a read, or a call whose write was
    refused (the error handler rolled the stamp back with it), commits the stamp alone here, so the
    request still commits once."""
    if not g.pop("api_key_stamp", False) or committed() or response.status_code >= 500:
        return response
    try:
        apikeys.touch(g.api_key)  # again: a rollback took the first stamp with it
        commit(on_get="an API key's last use is recorded on reads too (regulators see it at /admin/api-keys)")
    except SQLAlchemyError as exc:  # the stamp never fails the answer; the next call records it
        db.session.rollback()
        log.warning("API key use not recorded: %s", type(exc).__name__)
    return response


def register(app, api) -> None:
    from . import views  # noqa: F401  (routes attach to the blueprint on import)

    api.register_blueprint(blp)
    components = api.spec.components
    if "ApiKeyAuth" not in components.security_schemes:
        components.security_scheme(
            "ApiKeyAuth",
            {
                "type": "apiKey",
                "in": "header",
                "name": "X-Api-Key",
                "description": "Issued by a regulator at /admin/api-keys",
            },
        )
