"""行政处罚 — penalties, internal on the shop profile; credit repair lives beside them."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow
from .scope import holds

SEVERITIES = ("minor", "general", "severe")


class Penalty(db.Model):
    __tablename__ = "penalties"
    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    decision_no: Mapped[str] = mapped_column(String(60), unique=True)
    decided_on: Mapped[date] = mapped_column(Date)
    violation: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(10), default="general")
    fine: Mapped[float | None] = mapped_column(Numeric(12, 2))
    publicity_ends_on: Mapped[date] = mapped_column(Date, index=True)
    fulfilled_on: Mapped[date | None] = mapped_column(Date)
    repaired_on: Mapped[date | None] = mapped_column(Date)  # credit repair granted: stops counting
    internal_note: Mapped[str] = mapped_column(Text, default="")
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    shop = relationship("Shop")

    def can_view(self, user) -> bool:
        """Regulators covering the shop's street (with the internal note) and the shop's merchant
        (without it, to apply for credit repair). Not inspectors."""
        return self.shop.can_regulate(user) or holds(user, self.shop)

    def can_change(self, user) -> bool:
        """Regulators covering the shop's street (record, mark fulfilled)."""
        return self.shop.can_regulate(user)
