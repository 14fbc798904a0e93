"""Who gets what, on which channel. Every in-app notification (`services.core.notify`) is offered to
`on_notification`; the kinds below also leave the platform, to the address the user has for the
channel (`User.phone` for SMS, `User.email` for e-mail). A citizen has no account: `notify_citizen`
sends the complaint's progress by SMS to the phone they gave, only when they agreed to it."""
from __future__ import annotations

from flask import current_app

from huishang.extensions import db
from huishang.models import User

from .outbox import enqueue

# kind → channels beyond the in-app notice
KIND_CHANNELS: dict[str, tuple[str, ...]] = {
    "assignment": ("sms", "email"),  # inspectors: a visit on the 30-day list assigned to them
    "escalation": ("sms", "email"),  # the desk handler: a forwarded complaint not answered in time
    "complaint_forwarded": ("sms", "email"),  # merchants, with the date the answer is due
    "licence_expiry": ("sms", "email"),
    "health_cert_expiry": ("sms", "email"),
    "rectification_due": ("sms", "email"),
    "answer": ("email",),
    "change_reviewed": ("email",),
    "policy": ("email",),
    "notice": ("email",),
}
SMS_DETAIL_MAX = 35  # a template variable is short; the full text is in the app


def on_notification(notification, **_) -> None:
    """Receiver of `notification_created`: queue the notification's external copies."""
    wanted = KIND_CHANNELS.get(notification.kind, ())
    if not wanted:
        return
    user = db.session.get(User, notification.user_id)
    if user is None or not user.active:
        return
    base = current_app.config.get("PUBLIC_BASE_URL", "")
    link = f"{base}{notification.link}" if notification.link.startswith("/") else notification.link
    for channel in wanted:
        address = user.phone if channel == "sms" else user.email
        body = "\n\n".join(part for part in (notification.body, link) if part)
        enqueue(channel, address, notification.kind, notification.title, body, user=user,
                params={"title": notification.title[:20], "detail": (notification.body or "")[:SMS_DETAIL_MAX]},
                dedupe_key=f"n{notification.id}:{channel}")


def notify_citizen(complaint, words: str, *, consent: bool, event_id: int | None = None) -> None:
    """Tell the citizen their complaint moved (`words`: the status as the tracking page says it), by
    SMS, when they gave a phone and agreed. The message carries the ticket and the status only —
    never a note written for the merchant or the desk."""
    if not consent or not complaint.phone:
        return
    base = current_app.config.get("PUBLIC_BASE_URL", "")
    ticket = getattr(complaint, "citizen_ticket", None) or complaint.ticket  # the short ticket the citizen keeps
    kind = "举报" if getattr(complaint, "kind", "complaint") == "report" else "投诉"
    enqueue("sms", complaint.phone, "complaint_progress", f"{kind} {ticket}：{words}",
            f"您的{kind} {ticket}：{words}。查询：{base}/complaints/track",
            params={"title": ticket, "detail": words[:SMS_DETAIL_MAX]},
            dedupe_key=(f"c{complaint.id}:e{event_id}" if event_id else f"c{complaint.id}:{words}")[:120])


_progress_sms = notify_citizen  # the receiver's keyword `notify_citizen` (a flag) shadows the name


def on_complaint_moved(complaint_id: int, *, notify_citizen: bool = False, status_label: str = "",
                       event_id: int | None = None, **_) -> None:
    """Receiver of `complaint_moved` (huishang/signals.py): the citizen's progress SMS, only when the
    signal says they gave a mobile and agreed (`notify_citizen`). The words are the citizen-visible
    status; no note goes out by SMS."""
    if not notify_citizen:
        return
    from huishang.models import Complaint

    complaint = db.session.get(Complaint, complaint_id)
    if complaint is not None:
        _progress_sms(complaint, status_label, consent=True, event_id=event_id)
