"""Inspections: recording a checklist's answers and rectifications (`records`), the merchant's
answer (`responses`), merchants' self-checks (`self_checks`), the checks of a checklist answer's
fields (`fields`), the referral of a failed key item for a case (`referrals`), the history import
from the city's mobile supervision system, and the result sheet.

Others use: the submodules `fields`, `history_import`, `referrals`, `result_sheet` and the names
re-exported below."""
from . import fields, history_import, referrals, result_sheet
from .followup import notify_result
from .records import (
    Submission,
    apply_to_shop,
    eligible_co_inspectors,
    find_by_client_id,
    open_rectifications,
    outcome_of,
    record_inspection,
    rectification_days,
    shop_inspections,
)
from .responses import acknowledge, report_rectified
from .self_checks import overdue_self_checks, record_self_check, self_check_due_on, self_check_interval

__all__ = [
    "fields", "history_import", "referrals", "result_sheet", "Submission", "acknowledge", "apply_to_shop",
    "eligible_co_inspectors", "find_by_client_id", "notify_result", "open_rectifications", "outcome_of",
    "overdue_self_checks", "record_inspection", "record_self_check", "rectification_days", "report_rectified",
    "self_check_due_on", "self_check_interval", "shop_inspections",
]
