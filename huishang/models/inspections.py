"""监督检查 — inspections, their answers, and rectifications (整改)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import today, utcnow
from .scope import holds

OUTCOMES = ("pass", "partial", "fail")
OUTCOME_LABELS = {"pass": "符合", "partial": "基本符合", "fail": "不符合"}
OUTCOME_FACES = {"pass": ("良好", "😊"), "partial": ("一般", "😐"), "fail": ("较差", "☹")}
# 符合 / 不符合 / 不适用 / 当场整改 — "fixed" is a finding the inspector saw corrected before leaving
# (SAMR Order 49 Art. 32: 当场整改); it counts as compliant for the outcome and opens no
# rectification, but it is recorded and shown (docs/inspections.md).
RESULTS = ("pass", "fail", "na", "fixed")
RESULT_LABELS = {"pass": "符合", "fail": "不符合", "na": "不适用", "fixed": "当场整改"}


class Inspection(db.Model):
    __tablename__ = "inspections"
    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    template_id: Mapped[int | None] = mapped_column(ForeignKey("checklist_templates.id"))
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    co_inspector_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    inspected_on: Mapped[date] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(10))  # pass | partial | fail
    full: Mapped[bool] = mapped_column(Boolean, default=True)  # a full inspection (not re-inspection)
    source: Mapped[str] = mapped_column(String(12), default="app")  # app | import | api
    client_id: Mapped[str | None] = mapped_column(String(64), unique=True)  # idempotent retries
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    note: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    ack_status: Mapped[str | None] = mapped_column(String(10))  # acknowledged | refused
    ack_note: Mapped[str | None] = mapped_column(Text)
    ack_at: Mapped[datetime | None] = mapped_column(DateTime)
    # 移送立案: a failed key item referred for a case (Administrative Penalty Law Art. 54; Order 49
    # Art. 33) — who, when and the note; internal to regulators.
    referred_at: Mapped[datetime | None] = mapped_column(DateTime)
    referred_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    referral_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    shop = relationship("Shop")
    template = relationship("ChecklistTemplate")
    inspector = relationship("User", foreign_keys=[inspector_id])
    co_inspector = relationship("User", foreign_keys=[co_inspector_id])
    referred_by = relationship("User", foreign_keys=[referred_by_id])
    answers: Mapped[list[InspectionAnswer]] = relationship(
        back_populates="inspection", cascade="all, delete-orphan"
    )
    rectification: Mapped[Rectification | None] = relationship(
        back_populates="inspection", uselist=False, foreign_keys="Rectification.inspection_id"
    )

    __table_args__ = (Index("ix_inspections_shop_date", "shop_id", "inspected_on"),)

    def can_view(self, user) -> bool:
        """Staff covering the shop's street (everything) and the shop's merchant (their variant)."""
        return self.shop.can_inspect(user) or holds(user, self.shop)

    @property
    def rectification_unrecorded(self) -> bool:
        """An imported 基本符合 / 不符合 whose file gave no rectification deadline: the history import
        recorded no rectification rather than invent one ("整改情况未录入")."""
        return self.source == "import" and self.outcome != "pass" and self.rectification is None

    def can_change(self, user) -> bool:
        """The shop's merchant, who signs for the result or refuses it. A recorded inspection is a
        record: staff correct it only by a re-inspection (a new inspection of the shop)."""
        return holds(user, self.shop)


class InspectionAnswer(db.Model):
    __tablename__ = "inspection_answers"
    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("checklist_items.id"))
    result: Mapped[str] = mapped_column(String(8))  # pass | fail | na | fixed
    note: Mapped[str] = mapped_column(Text, default="")
    photos: Mapped[str] = mapped_column(Text, default="")  # newline-separated stored paths
    inspection: Mapped[Inspection] = relationship(back_populates="answers")
    item = relationship("ChecklistItem")

    @property
    def photo_list(self) -> list[str]:
        return [p for p in (self.photos or "").split("\n") if p]

    __table_args__ = (UniqueConstraint("inspection_id", "item_id", name="uq_answer_item"),)


class Rectification(db.Model):
    """整改 — opened by a 基本符合 / 不符合 outcome, closed by a re-inspection."""

    __tablename__ = "rectifications"
    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"))
    deadline: Mapped[date] = mapped_column(Date, index=True)
    reported_done_on: Mapped[date | None] = mapped_column(Date)
    report_note: Mapped[str | None] = mapped_column(Text)
    report_photo: Mapped[str | None] = mapped_column(String(200))
    closed_on: Mapped[date | None] = mapped_column(Date)
    closed_by_inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspections.id"))
    inspection: Mapped[Inspection] = relationship(
        back_populates="rectification", foreign_keys=[inspection_id]
    )
    shop = relationship("Shop")

    def can_view(self, user) -> bool:
        """As its inspection: staff covering the shop's street and the shop's merchant."""
        return self.shop.can_inspect(user) or holds(user, self.shop)

    def can_change(self, user) -> bool:
        """The shop's merchant reports it done; a re-inspection by staff (a new inspection) closes it."""
        return holds(user, self.shop)

    @property
    def is_overdue(self) -> bool:
        return self.closed_on is None and self.deadline < today()

    @property
    def is_open(self) -> bool:
        return self.closed_on is None
