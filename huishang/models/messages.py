"""The outbox: every message that leaves the platform by e-mail or SMS, one row per message and
address, kept with its delivery attempts so a regulator can answer "was the merchant told?"."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow

CHANNELS = ("email", "sms")
# queued → sending → sent; a failed attempt goes back to queued with a later next_attempt_at until
# the attempts run out (failed); over the per-person daily cap a message is recorded as capped.
MESSAGE_STATUSES = ("queued", "sending", "sent", "failed", "capped")


class OutboundMessage(db.Model):
    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))  # email | sms
    kind: Mapped[str] = mapped_column(String(30))  # the notification kind, or complaint_progress
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Personal data: the address (a phone number or an e-mail address) — administrators only, masked.
    to_address: Mapped[str] = mapped_column(String(120))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    params: Mapped[dict | None] = mapped_column(JSON)  # the SMS template's parameters
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    provider_id: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_address_day", "to_address", "channel", "created_at"),
    )
