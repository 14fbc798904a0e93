"""行政处罚 — penalties; their public summary (SAMR Order 45 Art. 4) is shown only while the
publicity of a published kind runs (services/grading/penalties.py); credit repair lives beside them."""
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
    # The kind of penalty (行政处罚法 Art. 9) decides its publicity class (SAMR Order 45 Art. 2, 13):
    # services/grading/penalties.PENALTY_KINDS.
    kind: Mapped[str] = mapped_column(String(30), default="fine")
    # 公示日期: publicity runs from here (Order 45 Art. 13), never public before; None = not published.
    published_on: Mapped[date | None] = mapped_column(Date)
    basis: Mapped[str] = mapped_column(Text, default="")  # 处罚依据
    content: Mapped[str] = mapped_column(Text, default="")  # 处罚内容
    authority: Mapped[str] = mapped_column(String(100), default="")  # 作出决定的机关
    # 限制开展生产经营活动 / 限制从业 beyond three years: publicity lasts the restriction (Art. 13 ¶3).
    restriction_ends_on: Mapped[date | None] = mapped_column(Date)
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
