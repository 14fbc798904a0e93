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
                 **{action: step.label for action, step in TRANSITIONS.items()}}


def _clean_note(note, required: bool, errors: dict, field: str = "note") -> str:
    check = fields.REQUIRED_NOTE if required else fields.NOTE
    return Report({}, errors=errors).check(field, check, note) or ""


def _event(complaint: Complaint, action: str, *, role: str, actor=None, from_status=None,
           note: str = "", public: bool = True) -> ComplaintEvent:
    event = ComplaintEvent(action=action, actor_id=getattr(actor, "id", None), actor_role=role,
                           from_status=from_status, to_status=complaint.status, note=note, public=public)
    complaint.events.append(event)
    return event
