"""A complaint's history (ComplaintEvent): writing an event, the note it carries, its labels.

Every step of a complaint — filing, each transition, assignment, rating, escalation — is one
event (time, actor and role, from → to, note); `ACTION_LABELS` and `ROLE_LABELS` name them.
"""
from __future__ import annotations

from huishang.models import Complaint, ComplaintEvent
from huishang.models.feedback import TRANSITIONS
from huishang.services.core import Report

from .. import fields

ROLE_LABELS = {"regulator": "监管部门", "merchant": "商户", "citizen": "投诉人", "system": "系统"}
ACTION_LABELS = {"submit": "提交", "assign": "指派", "escalate": "超期升级", "rate": "满意度评价",
                 "note": "备注", "overdue": "法定时限已过", "extend": "延长核查期限",
                 **{action: step.label for action, step in TRANSITIONS.items()}}


def _clean_note(note, required: bool, errors: dict, field: str = "note") -> str:
    check = fields.REQUIRED_NOTE if required else fields.NOTE
    return Report({}, errors=errors).check(field, check, note) or ""


# Whom each step's note is written for (models.feedback.AUDIENCES): the forward note is the desk's
# opinion to the merchant ("转交意见（商户可见）") and never reaches the citizen; an assignment is
# internal; every other step's note is told to the citizen (the merchant's answer included).
NOTE_AUDIENCE = {"forward": "merchant", "assign": "internal", "escalate": "internal", "overdue": "internal",
                 "extend": "internal"}


def _event(complaint: Complaint, action: str, *, role: str, actor=None, from_status=None,
           note: str = "", public: bool = True, audience: str | None = None) -> ComplaintEvent:
    audience = audience or NOTE_AUDIENCE.get(action, "citizen" if public else "internal")
    event = ComplaintEvent(action=action, actor_id=getattr(actor, "id", None), actor_role=role,
                           from_status=from_status, to_status=complaint.status, note=note, public=public,
                           audience=audience)
    complaint.events.append(event)
    return event


def notes_for(complaint: Complaint, audience: str) -> list[ComplaintEvent]:
    """The events `audience` may see with their notes: the citizen sees the public steps (a note only
    when written for them); the merchant the notes written for the merchant. Internal notes reach
    neither."""
    if audience == "citizen":
        return [e for e in complaint.events if e.public]
    return [e for e in complaint.events if e.audience == audience and e.note]
