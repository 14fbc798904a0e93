"""Audit events: every write records who, what, before and after, when and from where."""
from datetime import date, datetime
from decimal import Decimal

from flask import has_request_context, request
from flask_login import current_user

from ..extensions import db
from ..models import AuditEvent

SECRET_FIELDS = {"password", "password_hash", "tracking_key_hash", "token", "key_hash"}


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def snapshot(obj, fields) -> dict:
    """A JSON-safe dict of the named attributes, never including secrets."""
    return {f: _plain(getattr(obj, f, None)) for f in fields if f not in SECRET_FIELDS}


def record(action: str, obj, *, before: dict | None = None, after: dict | None = None,
           actor=None, shop_id: int | None = None) -> AuditEvent:
    """Add an audit event for `obj` to the session (flushed with the rest of the change)."""
    if actor is None and has_request_context() and current_user and current_user.is_authenticated:
        actor = current_user._get_current_object()
    ip = request.remote_addr if has_request_context() else None
    if shop_id is None:
        shop_id = getattr(obj, "shop_id", None)
        if shop_id is None and type(obj).__name__ == "Shop":
            shop_id = obj.id
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "username", None) or ("cli" if not has_request_context() else "anonymous"),
        action=action,
        object_type=type(obj).__name__,
        object_id=str(getattr(obj, "id", "") or getattr(obj, "code", "")),
        shop_id=shop_id,
        before={k: _plain(v) for k, v in (before or {}).items() if k not in SECRET_FIELDS} or None,
        after={k: _plain(v) for k, v in (after or {}).items() if k not in SECRET_FIELDS} or None,
        ip=ip,
    )
    db.session.add(event)
    return event
