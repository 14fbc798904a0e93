"""Complaints and reports (投诉举报) and their closed loop, in working days.

`intake` files them (and finds them again by ticket and tracking key), `workflow` moves them along
the table TRANSITIONS, `deadlines` keeps their clocks and escalates late answers, `desk` holds the
desk's queue, counters and reply templates, `privacy` what staff and the public see of the
complainant, `events` the history every step writes.

Others use the names re-exported below (`complaints.transition`, `complaints.submit`, ...)."""
from huishang.models.feedback import TRANSITIONS
from huishang.services.core import uploads  # noqa: F401 -- citizen/feedback.py reads complaints.uploads.MAX_BYTES

from ..fields import DESCRIPTION_MAX, DESCRIPTION_MIN, NOTE_MAX, PHONE
from .deadlines import (
    LEGAL_DECISION_DAYS,
    STEP_LIMITS,
    delete_calendar_day,
    refresh_unresponsive,
    set_calendar_day,
    step_limits,
    sweep_overdue,
)
from .desk import (
    delete_template,
    desk_counts,
    desk_query,
    for_merchant,
    handlers_for,
    note_from,
    save_template,
    templates,
)
from .events import ACTION_LABELS, ROLE_LABELS
from .intake import (
    MAX_PHOTOS,
    find_for_citizen,
    get,
    hash_key,
    me_too,
    open_similar,
    submit,
    tracking_url,
    validate,
)
from .privacy import description_for, excerpt, is_handler, mask_phone, phone_for
from .workflow import CLOSING, REOPEN_DAYS, allowed_actions, assign, can_reopen, rate, transition

__all__ = [
    "ACTION_LABELS", "CLOSING", "DESCRIPTION_MAX", "DESCRIPTION_MIN", "LEGAL_DECISION_DAYS", "MAX_PHOTOS",
    "NOTE_MAX", "PHONE", "REOPEN_DAYS", "ROLE_LABELS", "STEP_LIMITS", "TRANSITIONS",
    "allowed_actions", "assign", "can_reopen", "delete_calendar_day", "delete_template", "description_for",
    "desk_counts", "desk_query", "excerpt", "find_for_citizen", "for_merchant", "get", "handlers_for",
    "hash_key", "is_handler", "mask_phone", "me_too", "note_from", "open_similar", "phone_for", "rate",
    "refresh_unresponsive", "save_template", "set_calendar_day", "step_limits", "submit", "sweep_overdue",
    "templates", "tracking_url", "transition", "validate",
]
