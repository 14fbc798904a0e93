"""The desk's workflow over a complaint: transitions, the actions open to a role, assignment to a
handler, reopening and the citizen's rating.

The workflow is the explicit table TRANSITIONS: each action names the statuses it may start
from, the status it leads to and the role that may take it. Anything else is refused with a 409
naming the current status. Every transition writes a ComplaintEvent (time, actor, from → to,
note) and an audit event.

    submitted ─accept→ accepted ─forward→ forwarded ─answer→ answered ─resolve / close_unresolved→ closed
        │reject / duplicate / not_our_jurisdiction          (the desk may also close from accepted,
        ↓                                                    forwarded or reopened, or forward again
      closed ─reopen (citizen, ≤ 15 days after closing)→ reopened ─(as accepted)→ ...
"""
from __future__ import annotations

import logging
from datetime import date

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import Complaint, User, utcnow
from huishang.models import today as district_today
from huishang.models.feedback import CLOSED_STATUSES, TRANSITIONS
from huishang.services import Conflict, DomainError, Forbidden
from huishang.services.core import audit, clients, notifications
from huishang.services.registry import after_shop_change
from huishang.signals import complaint_moved

from .deadlines import _due, refresh_unresponsive
from .events import ROLE_LABELS, _clean_note, _event
from .intake import get

log = logging.getLogger(__name__)

REOPEN_DAYS = 15
CLOSING = ("resolve", "close_unresolved")


def allowed_actions(complaint: Complaint, role: str) -> list[str]:
    """The actions `role` may take on the complaint now (for buttons)."""
    actions = [a for a, step in TRANSITIONS.items() if step.role == role and complaint.status in step.sources]
    if "forward" in actions and complaint.kind != "complaint":
        actions.remove("forward")
    if "reopen" in actions and not can_reopen(complaint):
        actions.remove("reopen")
    return actions


def can_reopen(complaint: Complaint, on: date | None = None) -> bool:
    on = on or district_today()
    return (complaint.status in CLOSED_STATUSES and complaint.closed_on is not None
            and (on - complaint.closed_on).days <= REOPEN_DAYS)


def transition(complaint: Complaint, action: str, *, role: str, actor=None, note=None,
               substantiated=None, duplicate_of: str | None = None, on: date | None = None) -> Complaint:
    """Move the complaint along the workflow.

    Raises DomainError (422) for an unknown action or bad note/fields, Forbidden (403) when
    `role` may not take the action, Conflict (409) when the current status does not allow it.
    """
    step = TRANSITIONS.get(action)
    if step is None:
        raise DomainError(N_("未知操作"), {"action": [N_("未知操作：%(action)s", action=action)]})
    if step.role != role:
        raise Forbidden(N_("「%(step)s」只能由%(role)s操作", step=step.label, role=ROLE_LABELS[step.role]),
                        {"action": [N_("无权执行此操作")]})
    if complaint.status not in step.sources:
        status, label = complaint.status_label, step.label
        raise Conflict(N_("当前状态「%(status)s」不能执行「%(step)s」", status=status, step=label),
                       {"action": [N_("状态为%(status)s时不能%(step)s", status=status, step=label)]})
    on = on or district_today()
    errors: dict[str, list[str]] = {}
    text = _clean_note(note, step.note_required, errors)
    if action in CLOSING and not isinstance(substantiated, bool):
        errors["substantiated"] = [N_("办结时须认定投诉是否属实")]
    original = None
    if action == "duplicate":
        original = get(duplicate_of or "")
        if original is None or original.id == complaint.id or original.shop_id != complaint.shop_id:
            errors["duplicate_of"] = [N_("请填写同一商铺的另一张工单号")]
    if errors:
        raise DomainError(N_("操作信息有误"), errors)
    if action == "forward" and complaint.kind != "complaint":
        raise Conflict(N_("举报件不转交商户（保护举报人），请安排核查后办结"), {"action": [N_("举报件不能转交商户")]})
    if action == "reopen" and not can_reopen(complaint, on):
        raise Conflict(N_("办结超过%(days)s天，不能重新打开", days=REOPEN_DAYS),
                       {"action": [N_("只能在办结后%(days)s天内重新打开", days=REOPEN_DAYS)]})
    before = {"status": complaint.status}
    complaint.status = step.target
    _APPLY[action](complaint, on=on, note=text, substantiated=substantiated, original=original)
    event = _event(complaint, action, role=role, actor=actor, from_status=before["status"], note=text)
    db.session.flush()
    record = clients.audit_anonymous if role == "citizen" else audit.record
    record(f"complaint.{action}", complaint, actor=actor, before=before,
           after={"status": complaint.status, "note": text[:200]})
    moved(complaint, action, event.note_for("citizen"), event_id=event.id)
    return complaint


def citizen_may_be_texted(complaint: Complaint) -> bool:
    """Progress by SMS only when the citizen gave a mobile number and ticked the consent box."""
    phone = complaint.phone or ""
    return bool(complaint.sms_consent and len(phone) == 11 and phone.startswith("1"))


def progress_message(complaint: Complaint, note: str = "") -> str:
    """The words a progress SMS carries: the ticket, the citizen-visible status and, when the step's
    note was written for the citizen, that note — never a merchant or internal note."""
    text = f"【汇商码】您的{'投诉' if complaint.kind == 'complaint' else '举报'}（{complaint.citizen_ticket}）" \
           f"进度：{complaint.status_label}。"
    if note:
        text += note[:60] + ("…" if len(note) > 60 else "")
    return text


def moved(complaint: Complaint, action: str, note: str = "", event_id: int | None = None) -> None:
    """Send `complaint_moved` (huishang/signals.py): the SMS hook of the messages outbox listens
    there. A receiver that fails is logged and never undoes the step."""
    try:
        complaint_moved.send(complaint.id, action=action, status=complaint.status,
                             status_label=complaint.status_label, kind=complaint.kind,
                             notify_citizen=citizen_may_be_texted(complaint), event_id=event_id,
                             message=progress_message(complaint, note))
    except Exception:  # noqa: BLE001 — a message outage must not undo the desk's step
        log.exception("complaint_moved receiver failed for complaint %s", complaint.id)


def _apply_open(complaint: Complaint, *, on, **_) -> None:
    complaint.due_on = _due(on, complaint.status)
    if complaint.status == "accepted" and complaint.accepted_on is None:
        complaint.accepted_on = on  # starts the 45-working-day mediation clock (Order 20 Art. 21)


def _apply_forward(complaint: Complaint, *, on, **_) -> None:
    complaint.forwarded_on = on
    complaint.merchant_due_on = _due(on, "forwarded")
    complaint.due_on = complaint.merchant_due_on
    complaint.escalated = False
    # The shop's merchants learn of it in their notification centre — nothing about the complainant.
    body = f"{complaint.category_label}投诉，请于 {complaint.merchant_due_on:%Y-%m-%d} 前答复。"
    notifications.notify(complaint.shop, "complaint_forwarded", f"投诉转办 {complaint.ticket}", body,
                         link=f"/merchant/complaints/{complaint.ticket}")


def _apply_answer(complaint: Complaint, *, on, note, **_) -> None:
    complaint.merchant_answer = note
    complaint.answered_at = utcnow()
    complaint.due_on = _due(on, "answered")
    refresh_unresponsive(complaint.shop, on)


def _apply_close(complaint: Complaint, *, on, note, substantiated=None, original=None, **_) -> None:
    was = bool(complaint.substantiated)
    complaint.closed_on = on
    complaint.due_on = None
    complaint.resolution = note
    complaint.substantiated = bool(substantiated)
    if complaint.substantiated and not was:
        complaint.substantiated_on = on
    elif not complaint.substantiated:
        complaint.substantiated_on = None
    if original is not None:
        complaint.duplicate_of_id = original.id
    if complaint.status in ("resolved", "closed_unresolved") and complaint.forwarded_on:
        refresh_unresponsive(complaint.shop, on)
    if complaint.substantiated or was:
        after_shop_change(complaint.shop)


def _apply_reopen(complaint: Complaint, *, on, **_) -> None:
    complaint.reopen_count = (complaint.reopen_count or 0) + 1
    complaint.satisfaction = None
    complaint.due_on = _due(on, "reopened")


_APPLY = {"accept": _apply_open, "reject": _apply_close, "forward": _apply_forward, "answer": _apply_answer,
          "resolve": _apply_close, "close_unresolved": _apply_close, "duplicate": _apply_close,
          "not_our_jurisdiction": _apply_close, "reopen": _apply_reopen}


def add_note(complaint: Complaint, note, audience: str, *, actor) -> Complaint:
    """The desk's note on a complaint without a step, for one audience (models.feedback.AUDIENCES):
    the citizen (tracking page), the merchant (only once forwarded, and never on a 举报: Art. 33)
    or internal (the desk only)."""
    from huishang.models.feedback import AUDIENCES

    errors: dict[str, list[str]] = {}
    text = _clean_note(note, True, errors)
    if audience not in AUDIENCES:
        errors["audience"] = [N_("请选择备注给谁看")]
    elif audience == "merchant" and (complaint.kind != "complaint" or complaint.forwarded_on is None):
        errors["audience"] = [N_("只有已转交商户的投诉才能给商户留言（举报不告知商户）")]
    if errors:
        raise DomainError(N_("备注信息有误"), errors)
    _event(complaint, "note", role="regulator", actor=actor, from_status=complaint.status, note=text,
           public=audience == "citizen", audience=audience)
    db.session.flush()
    audit.record("complaint.note", complaint, actor=actor, after={"audience": audience, "note": text[:200]})
    return complaint


def extend_case(complaint: Complaint, *, actor, note) -> Complaint:
    """Record the head's approval to extend a report's verification by 15 working days
    (市场监督管理行政处罚程序规定 Art. 18)."""
    errors: dict[str, list[str]] = {}
    text = _clean_note(note, True, errors)
    if errors:
        raise DomainError(N_("请写明延期理由和批准人"), errors)
    if complaint.kind != "report" or not complaint.is_open:
        raise Conflict(N_("只有未办结的举报可以延长核查期限"), {"action": [N_("只有未办结的举报可以延期")]})
    if complaint.case_extended:
        raise Conflict(N_("核查期限已经延长过一次"), {"action": [N_("已延长过")]})
    complaint.case_extended = True
    _event(complaint, "extend", role="regulator", actor=actor, from_status=complaint.status, note=text,
           public=False, audience="internal")
    db.session.flush()
    audit.record("complaint.extend", complaint, actor=actor, before={"case_extended": False},
                 after={"case_extended": True, "note": text[:200]})
    return complaint


def assign(complaint: Complaint, handler: User | None, *, actor) -> Complaint:
    """Give the complaint to a handler: an active regulator whose streets cover the shop."""
    if handler is None or handler.role != "regulator" or not handler.active \
            or not handler.covers_street(complaint.shop.street_id):
        raise DomainError(N_("经办人须是管辖该街道的监管人员"), {"handler": [N_("经办人须是管辖该街道的监管人员")]})
    if complaint.status in CLOSED_STATUSES:
        raise Conflict(N_("已办结的投诉不能指派"), {"handler": [N_("投诉已办结")]})
    before = {"assignee_id": complaint.assignee_id}
    complaint.assignee_id = handler.id
    complaint.assignee = handler
    _event(complaint, "assign", role="regulator", actor=actor, from_status=complaint.status,
           note=f"指派给 {handler.label}", public=False)
    db.session.flush()
    audit.record("complaint.assign", complaint, actor=actor, before=before, after={"assignee_id": handler.id})
    return complaint


def rate(complaint: Complaint, satisfaction, note=None) -> Complaint:
    """The citizen's satisfaction (1–5) with a closed complaint, once per closing."""
    errors: dict[str, list[str]] = {}
    try:
        value = int(satisfaction) if not isinstance(satisfaction, bool) else 0
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 5:
        errors["satisfaction"] = [N_("请选择 1–5 分")]
    text = _clean_note(note, False, errors)
    if errors:
        raise DomainError(N_("评价信息有误"), errors)
    if complaint.status not in CLOSED_STATUSES:
        raise Conflict(N_("投诉办结后才能评价满意度"), {"satisfaction": [N_("投诉尚未办结")]})
    if complaint.satisfaction is not None:
        raise Conflict(N_("您已评价过本次办理结果"), {"satisfaction": [N_("已评价")]})
    complaint.satisfaction = value
    _event(complaint, "rate", role="citizen", from_status=complaint.status,
           note=f"满意度 {value}/5 {text}".strip())
    db.session.flush()
    clients.audit_anonymous("complaint.rate", complaint, after={"satisfaction": value})
    return complaint
