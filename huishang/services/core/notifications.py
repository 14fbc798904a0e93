"""The merchants' notification centre (and the pluggable outbound sender).

How other features notify a merchant::

    from huishang.services.core import notify
    notify(shop_or_user, "rectification_due", "整改即将到期", "请于 5 月 3 日前完成整改", "/merchant/...")

- `target` is a `User` (that user only) or a `Shop` (every merchant holding the shop; a shop with
  no merchant yet notifies nobody and returns []).
- `kind` is one of KINDS (free text is accepted, but the centre groups and labels by KINDS).
- Rows are added and flushed; the caller commits with the rest of its change.
- Each notification is also handed to the sender named by config NOTIFY_SENDER (a dotted path to a
  callable taking the Notification). The default, `log_sender`, writes one log line; an SMS or
  mail gateway is plugged in by pointing NOTIFY_SENDER at its function. A sender that raises is
  logged and never breaks the in-app notice.
"""
from __future__ import annotations

import importlib
import logging

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import Notification, Shop, User, utcnow
from huishang.models.users import user_shops
from huishang.services import DomainError
from huishang.signals import notification_created

log = logging.getLogger(__name__)

KINDS = {  # labels for display only (lazy: translated when rendered)
    "licence_expiry": _l("证照到期"),
    "health_cert_expiry": _l("健康证到期"),
    "rectification_due": _l("整改到期"),
    "complaint_forwarded": _l("投诉转办"),
    "policy": _l("新政策"),
    "answer": _l("咨询答复"),
    "change_reviewed": _l("变更审核"),
    "notice": _l("物业通知"),
    "assignment": _l("检查任务"),
    "escalation": _l("投诉升级"),
    "other": _l("其他"),
}
DEFAULT_SENDER = "huishang.services.core.notifications.log_sender"


def log_sender(notification: Notification) -> None:
    """The default sender: one log line (no personal data beyond the user id)."""
    log.info("notify user=%s kind=%s title=%s", notification.user_id, notification.kind,
             notification.title)


def _sender():
    path = (current_app.config.get("NOTIFY_SENDER") if has_app_context() else None) or DEFAULT_SENDER
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def recipients(target) -> list[User]:
    if isinstance(target, User):
        return [target]
    if isinstance(target, Shop):
        return list(db.session.scalars(
            select(User).join(user_shops, user_shops.c.user_id == User.id)
            .where(user_shops.c.shop_id == target.id, User.role == "merchant", User.active)))
    raise DomainError(N_("通知对象必须是用户或商铺"), {"target": [N_("必须是用户或商铺")]})


def notify(target, kind: str, title: str, body: str = "", link: str = "") -> list[Notification]:
    """Notify a user, or every merchant of a shop. Returns the notifications created."""
    if not (title or "").strip():
        raise DomainError(N_("通知标题不能为空"), {"title": [N_("不能为空")]})
    shop_id = target.id if isinstance(target, Shop) else None
    return _create([(user, shop_id, kind, title, body, link) for user in recipients(target)])


def notify_shops(items) -> list[Notification]:
    """Bulk form for batch jobs (reminders): `items` are (shop, kind, title, body, link); the
    merchants of all the shops are loaded in one query per thousand shops."""
    items = list(items)
    shop_ids = sorted({shop.id for shop, *_ in items})
    holders: dict[int, list[User]] = {}
    for start in range(0, len(shop_ids), 1000):
        rows = db.session.execute(
            select(user_shops.c.shop_id, User).join(User, User.id == user_shops.c.user_id)
            .where(user_shops.c.shop_id.in_(shop_ids[start:start + 1000]), User.role == "merchant",
                   User.active))
        for shop_id, user in rows:
            holders.setdefault(shop_id, []).append(user)
    return _create([(user, shop.id, kind, title, body, link)
                    for shop, kind, title, body, link in items for user in holders.get(shop.id, [])])


def _create(rows) -> list[Notification]:
    created = [Notification(user_id=user.id, shop_id=shop_id, kind=kind[:30], title=title[:200],
                            body=body or "", link=(link or "")[:300])
               for user, shop_id, kind, title, body, link in rows]
    db.session.add_all(created)
    db.session.flush()
    send = _sender()
    for note in created:
        notification_created.send(note)  # e-mail / SMS copies (services.messages), same transaction
        try:
            send(note)
        except Exception:  # noqa: BLE001 — an SMS gateway outage must not lose the in-app notice
            log.exception("notification sender failed for notification %s", note.id)
    return created


def unread_count(user) -> int:
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def for_user(user, *, unread_only: bool = False, limit: int = 100) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(db.session.scalars(query.order_by(Notification.created_at.desc(),
                                                  Notification.id.desc()).limit(limit)))


def mark_read(user, notification_id: int | None = None) -> int:
    """Mark one (or, with None, all) of the user's notifications read. Returns rows changed."""
    query = update(Notification).where(Notification.user_id == user.id,
                                       Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    result = db.session.execute(query.values(read_at=utcnow()))
    return result.rowcount or 0
