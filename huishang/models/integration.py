"""City-system links: API keys for machine clients (市级系统对接)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow
from .inspections import Inspection
from .registry import Licence, Shop
from .users import User

API_SCOPES = ("registry:read", "inspections:write", "penalties:write")
SCOPE_LABELS = {
    "registry:read": "读取商铺登记与检查变更",
    "inspections:write": "推送检查记录",
    "penalties:write": "推送行政处罚",
}


class ApiKey(db.Model):
    """A key for a machine client. Only the SHA-256 of the key is stored; the key itself is shown
    once, at creation. The prefix (the first characters) identifies it in lists and logs."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])

    def __repr__(self) -> str:
        return f"<ApiKey {self.prefix} {self.name}>"


# The changes feed (GET /api/v1/integration/changes) pages through shops and licences by
# (updated_at, id) and inspections by (created_at, id); these indexes keep each page a short
# range scan instead of a sort of the whole table. Declared here, with the feature that needs them.
Index("ix_shops_updated_at_id", Shop.updated_at, Shop.id)
Index("ix_inspections_created_at_id", Inspection.created_at, Inspection.id)
Index("ix_licences_updated_at_id", Licence.updated_at, Licence.id)
