"""Citizen feedback: complaints and reports (投诉举报). Reviews and the complaint workflow's
events live beside these as the feedback feature grows."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow

COMPLAINT_CATEGORIES = ("food_safety", "price", "measurement", "service", "hygiene",
                        "false_advertising", "other")
CATEGORY_LABELS = {"food_safety": "食品安全", "price": "价格", "measurement": "计量",
                   "service": "服务质量", "hygiene": "环境卫生", "false_advertising": "虚假宣传",
                   "other": "其他"}


class Complaint(db.Model):
    __tablename__ = "complaints"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket: Mapped[str] = mapped_column(String(20), unique=True)
    tracking_key_hash: Mapped[str] = mapped_column(String(128))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10), default="complaint")  # complaint | report
    category: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(30))  # personal data: handling regulator only
    status: Mapped[str] = mapped_column(String(20), default="submitted", index=True)
    substantiated: Mapped[bool] = mapped_column(Boolean, default=False)
    substantiated_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    __table_args__ = (Index("ix_complaints_shop_status", "shop_id", "status"),)
