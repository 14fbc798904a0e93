"""What follows an inspection once it is recorded, and need not keep the inspector waiting.

The submit grades the one shop in its own transaction (supervision and the public face are right
at once); telling the shop's merchants of the result — in the app and through NOTIFY_SENDER, which
may be an SMS gateway — runs after the commit as a follow-up job (`jobs.follow_up`). Idempotent:
a result is notified once per inspection, however often the follow-up runs."""
from __future__ import annotations

from sqlalchemy import exists, select

from huishang.extensions import db
from huishang.models import Inspection, Notification, Rectification
from huishang.models.inspections import OUTCOME_LABELS
from huishang.services.core import notifications

KIND = "inspection_result"


def notify_result(inspection_id: int) -> int:
    """Tell the shop's merchants the inspection's result (and the rectification deadline, if any).
    Returns the notifications created: 0 when they were already sent or the inspection is gone."""
    inspection = db.session.get(Inspection, inspection_id)
    if inspection is None:
        return 0
    link = f"/merchant/inspections/{inspection.id}"
    if db.session.scalar(select(exists().where(Notification.kind == KIND, Notification.link == link))):
        return 0
    title = f"监督检查结果：{OUTCOME_LABELS.get(inspection.outcome, inspection.outcome)}"
    deadline = db.session.scalar(select(Rectification.deadline).where(Rectification.inspection_id == inspection.id))
    body = f"检查日期 {inspection.inspected_on.isoformat()}"
    if deadline is not None:
        body += f"；请于 {deadline.isoformat()} 前完成整改并在商户端上报"
    return len(notifications.notify(inspection.shop, KIND, title, body, link))
