"""A complaint's history (ComplaintEvent): writing an event, the note it carries, its labels.

Every step of a complaint — filing, each transition, assignment, rating, escalation — is one
event (time, actor and role, from → to, note); `ACTION_LABELS` and `ROLE_LABELS` name them.
"""
from __future__ import annotations

from huishang.i18n import N_
from huishang.models import Complaint, ComplaintEvent
from huishang.models.feedback import TRANSITIONS

NOTE_MAX = 1000
ROLE_LABELS = {"regulator": "监管部门", "merchant": "商户", "citizen": "投诉人", "system": "系统"}
ACTION_LABELS = {"submit": "提交", "assign": "指派", "escalate": "超期升级", "rate": "满意度评价",
                 **{action: step.label for action, step in TRANSITIONS.items()}}


def _clean_note(note, required: bool, errors: dict, field: str = "note") -> str:
    text = (note or "").strip() if isinstance(note, str) or note is None else None
    if text is None:
        errors.setdefault(field, []).append(N_("格式错误"))
        return ""
    if required and not text:
        errors.setdefault(field, []).append(N_("请填写说明"))
    elif len(text) > NOTE_MAX:
        errors.setdefault(field, []).append(N_("不能超过%(max)s字", max=NOTE_MAX))
    return text


def _event(complaint: Complaint, action: str, *, role: str, actor=None, from_status=None,
           note: str = "", public: bool = True) -> ComplaintEvent:
    event = ComplaintEvent(action=action, actor_id=getattr(actor, "id", None), actor_role=role,
                           from_status=from_status, to_status=complaint.status, note=note, public=public)
    complaint.events.append(event)
    return event
