"""Sending what is queued: the background job `messages.deliver` (every minute from beat; by hand
`flask messages deliver`). It runs outside any request and commits each message on its own, so a
crash never resends a message the provider took:

1. claim: a due message becomes `sending` with `next_attempt_at` ten minutes ahead, committed
   (on PostgreSQL rows are taken with SKIP LOCKED, so two workers never claim the same message);
2. send through its channel;
3. record: `sent` with the provider's id, or back to `queued` with the next retry time
   (`BACKOFF`), or `failed` with the reason once the attempts are spent.

A worker killed between 1 and 3 leaves the message `sending`; it is due again ten minutes later.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from huishang.extensions import db
from huishang.models import utcnow
from huishang.models.messages import OutboundMessage

from . import channels
from .outbox import stale_after

BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
           timedelta(hours=12))
MAX_ATTEMPTS = len(BACKOFF) + 1


def _claim(now: datetime) -> OutboundMessage | None:
    query = (select(OutboundMessage)
             .where(OutboundMessage.status.in_(("queued", "sending")), OutboundMessage.next_attempt_at <= now)
             .order_by(OutboundMessage.next_attempt_at, OutboundMessage.id).limit(1))
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    message = db.session.scalar(query)
    if message is None:
        return None
    message.status, message.attempts = "sending", message.attempts + 1
    message.next_attempt_at = now + stale_after()
    db.session.commit()
    return message


def _send(message: OutboundMessage) -> str:
    config = current_app.config
    if message.channel == "email":
        return channels.send_email(config, message.to_address, message.subject, message.body)
    return channels.send_sms(config, message.to_address, message.kind, message.params or {}, str(message.id))


def deliver_due(now: datetime | None = None, limit: int = 500) -> dict:
    """Send up to `limit` due messages; returns {"sent": n, "retry": n, "failed": n}."""
    counts = {"sent": 0, "retry": 0, "failed": 0}
    for _ in range(limit):
        moment = now or utcnow()
        message = _claim(moment)
        if message is None:
            break
        try:
            message.provider_id = _send(message)[:80]
        except channels.SendError as exc:
            message.last_error = str(exc)[:300]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = "failed"
                counts["failed"] += 1
            else:
                message.status = "queued"
                message.next_attempt_at = moment + BACKOFF[message.attempts - 1]
                counts["retry"] += 1
        else:
            message.status, message.sent_at, message.last_error = "sent", utcnow(), ""
            counts["sent"] += 1
        db.session.commit()
    return counts
