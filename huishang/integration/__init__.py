"""Machine clients of the city's systems: /api/v1/integration, authenticated by API key.

Send `X-Api-Key: <key>`. A missing, unknown or revoked key is 401; a key without the scope an
operation needs is 403. Keys are created and revoked by regulators at /admin/api-keys.
"""

from flask import g, request
from flask_smorest import Blueprint

from ..extensions import csrf, db
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


@blp.before_request
def key_gate():
    from huishang.services.integration import apikeys

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
    if apikeys.touch(key):
        db.session.commit()
    g.api_key = key
    return None


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
