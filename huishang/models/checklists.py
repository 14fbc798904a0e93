"""检查表 — versioned checklist templates. Editing a template makes a new version; a completed
checklist keeps the version it was filled against."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow

TEMPLATE_KINDS = ("inspection", "self_check")


class ChecklistTemplate(db.Model):
    __tablename__ = "checklist_templates"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), index=True)  # stable across versions
    version: Mapped[int] = mapped_column(Integer, default=1)
    kind: Mapped[str] = mapped_column(String(12))  # inspection | self_check
    topic: Mapped[str] = mapped_column(String(20))  # food_safety | epidemic | cold_chain
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(160), default="")
    # Matching rule: which shops this applies to (families, business type codes, colours, ...).
    match: Mapped[dict] = mapped_column(JSON, default=dict)
    current: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    # Retired (停用): kept for the inspections filled against it, never matched to a shop again.
    retired_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    items: Mapped[list[ChecklistItem]] = relationship(
        back_populates="template", order_by="ChecklistItem.position", cascade="all, delete-orphan"
    )

    __table_args__ = (UniqueConstraint("key", "version", name="uq_template_key_version"),)

    @property
    def retired(self) -> bool:
        return self.retired_at is not None


class ChecklistItem(db.Model):
    __tablename__ = "checklist_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_templates.id", ondelete="CASCADE"),
                                             index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    section: Mapped[str] = mapped_column(String(60))
    text: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text, default="")  # shown in the English interface
    key: Mapped[bool] = mapped_column(Boolean, default=False)  # 重点项 vs 一般项
    basis: Mapped[str] = mapped_column(String(200), default="")  # legal basis
    template: Mapped[ChecklistTemplate] = relationship(back_populates="items")


class CatalogSetting(db.Model):
    """A catalogue table a regulator edits in the app, stored whole as JSON under a key — today
    the cold-chain colour table (`cold_chain_colours`); the shipped file is the default until the
    first edit."""

    __tablename__ = "catalog_settings"
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
