"""自查 — a merchant's self-check against a `self_check` template of the checklist library."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow
from .scope import holds


class SelfCheck(db.Model):
    __tablename__ = "self_checks"
    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_templates.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    checked_on: Mapped[date] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(10))  # pass | partial | fail, same rule as inspections
    # [{"item_id": int, "result": "pass|fail|na", "note": str}] — frozen with the template version.
    answers: Mapped[list] = mapped_column(JSON, default=list)
    client_id: Mapped[str | None] = mapped_column(String(64), unique=True)  # idempotent retries
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    template = relationship("ChecklistTemplate")
    shop = relationship("Shop")

    __table_args__ = (Index("ix_self_checks_shop_date", "shop_id", "checked_on"),)

    def can_view(self, user) -> bool:
        """Staff covering the shop's street and the shop's merchant."""
        return self.shop.can_inspect(user) or holds(user, self.shop)

    def can_change(self, user) -> bool:
        """The shop's merchant, who records it."""
        return holds(user, self.shop)
