"""The fields of a checklist answer (检查项作答), one check each, shared by the inspection and
self-check pages and the API (see `services.core.fields` for the shape). Their messages name the
checklist item, so they take its id as context.
"""
from huishang.i18n import N_
from huishang.models.inspections import RESULTS
from huishang.services.core import Invalid

MAX_NOTE = 1000
RESULT_ALIASES = {
    "pass": "pass",
    "fail": "fail",
    "na": "na",
    "fixed": "fixed",
    "符合": "pass",
    "不符合": "fail",
    "不适用": "na",
    "当场整改": "fixed",
}


def item_id(value, n: int) -> int:
    """The answered item's id; `n` is the answer's position (for the message)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Invalid(N_("第%(n)s个答案缺少有效的 item_id", n=n)) from None


def result(value, item) -> str:
    """符合/不符合/不适用/当场整改 or pass/fail/na/fixed → pass/fail/na/fixed. 当场整改 (fixed): a
    problem found and corrected before the inspectors left (SAMR Order 49 Art. 33)."""
    found = RESULT_ALIASES.get(str(value or "").strip())
    if found not in RESULTS:
        raise Invalid(N_("检查项 %(item_id)s 的结果应为 符合/不符合/不适用/当场整改 (pass/fail/na/fixed)",
                         item_id=item))
    return found


def note(value, item) -> str:
    """The inspector's note on the item: at most 1,000 characters once trimmed; may be empty."""
    typed = str(value or "").strip()
    if len(typed) > MAX_NOTE:
        raise Invalid(N_("检查项 %(item_id)s 的说明不能超过%(max)s字", item_id=item, max=MAX_NOTE))
    return typed
