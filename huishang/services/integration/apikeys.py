"""API keys for the city's machine clients (市级系统对接密钥).

A key is `hsk_` + 43 URL-safe characters (32 random bytes). Only its SHA-256 is stored, so a
leaked database does not leak working keys; the full key is shown once, when it is created. The
first 12 characters (the prefix) identify a key in lists and in the audit log.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import select

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import ApiKey, utcnow
from huishang.models.integration import API_SCOPES
from huishang.services import Conflict, DomainError
from huishang.services.core import audit
from huishang.services.registry import clean_text

KEY_PREFIX = "hsk_"
PREFIX_LENGTH = 12
TOUCH_EVERY = timedelta(seconds=60)  # last_used_at is refreshed at most once a minute


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def create_key(name: str, scopes, *, actor=None) -> tuple[ApiKey, str]:
    """Create a key; returns (record, the raw key to show once).

    Raises DomainError naming `name` or `scopes` on bad input."""
    errors: dict[str, list[str]] = {}
    name = clean_text(name)
    if not name:
        errors["name"] = [N_("请填写使用该密钥的系统名称")]
    elif len(name) > 80:
        errors["name"] = [N_("不能超过80个字符")]
    scopes = sorted(set(scopes or []))
    unknown = [s for s in scopes if s not in API_SCOPES]
    if unknown:
        errors["scopes"] = [N_("未知权限：%(unknown)s", unknown=", ".join(unknown))]
    elif not scopes:
        errors["scopes"] = [N_("至少选择一项权限")]
    if errors:
        raise DomainError(N_("密钥信息有误"), errors)
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        name=name,
        prefix=raw[:PREFIX_LENGTH],
        key_hash=hash_key(raw),
        scopes=scopes,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(key)
    db.session.flush()
    audit.record(
        "apikey.create", key, actor=actor, after={"name": name, "prefix": key.prefix, "scopes": scopes}
    )
    return key, raw


def revoke_key(key: ApiKey, *, actor=None) -> ApiKey:
    """Revoke a key at once. Raises Conflict if it is already revoked."""
    if key.revoked_at is not None:
        raise Conflict(N_("该密钥已吊销"), {"key": [N_("已吊销")]})
    key.revoked_at = utcnow()
    key.revoked_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit.record(
        "apikey.revoke",
        key,
        actor=actor,
        before={"revoked_at": None},
        after={"revoked_at": key.revoked_at, "prefix": key.prefix},
    )
    return key


def authenticate(raw: str | None) -> ApiKey | None:
    """The active key matching `raw`, or None. The lookup is by hash, so no comparison of the
    secret itself happens in Python."""
    raw = (raw or "").strip()
    if not raw.startswith(KEY_PREFIX) or len(raw) > 100:
        return None
    key = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(raw)))
    if key is None or key.revoked_at is not None:
        return None
    return key


def touch(key: ApiKey) -> bool:
    """Record use; returns True when the row changed (the caller commits)."""
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at >= TOUCH_EVERY:
        key.last_used_at = now
        return True
    return False


def actor_for(key: ApiKey):
    """An audit actor standing for a machine client (no user row behind it)."""
    return SimpleNamespace(id=None, username=f"apikey:{key.prefix}")


def list_keys() -> list[ApiKey]:
    return db.session.scalars(select(ApiKey).order_by(ApiKey.revoked_at.is_not(None), ApiKey.id.desc())).all()
