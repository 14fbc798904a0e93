"""Queueing a message: the address checked, one row per message and address, the same event never
queued twice (`dedupe_key`), and at most `MESSAGES_DAILY_CAP` messages a district day to one address
on one channel — past it a message is recorded as `capped` and not sent (the in-app notice stays)."""
from __future__ import annotations

import re
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from huishang.extensions import db
from huishang.models import utcnow
from huishang.models.messages import CHANNELS, OutboundMessage
from huishang.services.core import day_start_utc, local_date

from . import channels

MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DEFAULT_DAILY_CAP = 5
PAGE_SIZE = 50


def normalise(channel: str, address: str | None) -> str | None:
    """The address in the form the provider takes, or None when it cannot receive on `channel`."""
    address = re.sub(r"[\s-]", "", address or "") if channel == "sms" else (address or "").strip()
    if channel == "sms":
        match = MOBILE.match(address)
        return match.group(1) if match else None
    return address if EMAIL.match(address) and len(address) <= 120 else None


def _sent_today(channel: str, address: str) -> int:
    start = day_start_utc(local_date(utcnow()))
    return db.session.scalar(select(func.count()).select_from(OutboundMessage).where(
        OutboundMessage.to_address == address, OutboundMessage.channel == channel, OutboundMessage.created_at >= start,
        OutboundMessage.status != "capped")) or 0


def enqueue(channel: str, address: str | None, kind: str, subject: str, body: str = "", *,
            user=None, params: dict | None = None, dedupe_key: str | None = None) -> OutboundMessage | None:
    """Queue one message; None when the channel is off or the address cannot receive it. Flushes;
    the caller commits with the change the message is about (so a rolled-back change sends nothing)."""
    if channel not in CHANNELS:
        raise ValueError(channel)
    config = current_app.config
    address = normalise(channel, address)
    if address is None or not channels.enabled(config, channel, kind):
        return None
    if dedupe_key:
        existing = db.session.scalar(select(OutboundMessage).where(OutboundMessage.dedupe_key == dedupe_key))
        if existing is not None:
            return existing
    cap = int(config.get("MESSAGES_DAILY_CAP") or DEFAULT_DAILY_CAP)
    status = "capped" if _sent_today(channel, address) >= cap else "queued"
    message = OutboundMessage(channel=channel, kind=kind[:30], user_id=getattr(user, "id", None), to_address=address,
                      subject=(subject or "")[:200], body=body or "", params=params, dedupe_key=dedupe_key,
                      status=status, next_attempt_at=utcnow(),
                      last_error="超过每人每日上限，未发送" if status == "capped" else "")
    db.session.add(message)
    db.session.flush()
    return message


def mask_address(address: str) -> str:
    if "@" in address:
        name, _, domain = address.partition("@")
        return f"{name[:1]}***@{domain}"
    return f"{address[:3]}****{address[-4:]}" if len(address) >= 7 else "****"


def outbox_page(status: str | None = None, page: int = 1) -> tuple[list[OutboundMessage], int]:
    """The outbox, newest first, for the administrators' page (addresses are masked there)."""
    query = select(OutboundMessage)
    if status:
        query = query.where(OutboundMessage.status == status)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(query.order_by(OutboundMessage.created_at.desc(), OutboundMessage.id.desc())
                              .offset((max(page, 1) - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return list(rows), total


def stale_after() -> timedelta:
    """A message claimed by a worker that died is tried again after this long."""
    return timedelta(minutes=10)
