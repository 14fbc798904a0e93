"""Complaints and reports (投诉举报) and their closed loop, in working days.

`intake` files them — a 投诉 (own dispute, name and phone) or a 举报 (a violation, may be
anonymous) — and finds them again by the citizen's short ticket and 6-digit key, `workflow` moves
them along the table TRANSITIONS and sends `complaint_moved`, `deadlines` keeps their clocks (the
district's promise and the legal limits of SAMR Order 20, each with its source) and sweeps them, `desk` holds the
desk's queue, counters and reply templates, `privacy` what staff and the public see of the
complainant, `events` the history every step writes, each note for one audience (citizen, merchant, internal).

For the merchant's home: `open_for_merchant(user)` — their complaints to answer with the clock in words.

Others use the names re-exported below (`complaints.transition`, `complaints.submit`, ...)."""
from huishang.models.feedback import TRANSITIONS
from huishang.services.core import uploads  # noqa: F401 -- citizen/feedback.py reads complaints.uploads.MAX_BYTES

from ..fields import DESCRIPTION_MAX, DESCRIPTION_MIN, NOTE_MAX, PHONE
from .deadlines import (
    CLOCKS,
    LEGAL_DECISION_DAYS,
    STEP_LIMITS,
    clocks,
    clocks_in_words,
    delete_calendar_day,
    refresh_unresponsive,
    set_calendar_day,
    step_limits,
    sweep_legal,
    sweep_overdue,
)
from .desk import (
    delete_template,
    desk_counts,
    desk_query,
    for_merchant,
    handlers_for,
    note_from,
    open_for_merchant,
    save_template,
    templates,
)
from .events import ACTION_LABELS, ROLE_LABELS, notes_for
from .intake import (
    MAX_PHOTOS,
    find_for_citizen,
    get,
    hash_key,
    key_matches,
    me_too,
    normalise_code,
    open_similar,
    submit,
    tracking_url,
    validate,
)
from .privacy import description_for, excerpt, is_handler, mask_name, mask_phone, name_for, phone_for
from .workflow import (
    CLOSING,
    REOPEN_DAYS,
    add_note,
    allowed_actions,
    assign,
    can_reopen,
    citizen_may_be_texted,
    extend_case,
    progress_message,
    rate,
    transition,
)

__all__ = [
    "ACTION_LABELS", "CLOSING", "DESCRIPTION_MAX", "DESCRIPTION_MIN", "LEGAL_DECISION_DAYS", "MAX_PHOTOS",
    "NOTE_MAX", "PHONE", "REOPEN_DAYS", "ROLE_LABELS", "STEP_LIMITS", "TRANSITIONS",
    "allowed_actions", "assign", "can_reopen", "delete_calendar_day", "delete_template", "description_for",
    "desk_counts", "desk_query", "excerpt", "find_for_citizen", "for_merchant", "get", "handlers_for",
    "hash_key", "is_handler", "mask_phone", "me_too", "note_from", "open_similar", "phone_for", "rate",
    "refresh_unresponsive", "save_template", "set_calendar_day", "step_limits", "submit", "sweep_overdue",
    "templates", "tracking_url", "transition", "validate",
    "CLOCKS", "add_note", "citizen_may_be_texted", "clocks", "clocks_in_words", "extend_case", "key_matches",
    "mask_name", "name_for", "normalise_code", "notes_for", "open_for_merchant", "progress_message", "sweep_legal",
]
