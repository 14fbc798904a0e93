"""A shop's records as grading reads them: inspections, rectifications, substantiated complaints
and penalties, loaded for many shops at once."""
from __future__ import annotations

from sqlalchemy import select

from huishang.extensions import db
from huishang.models import BusinessType, Complaint, Inspection, Penalty, Rectification, Shop, today

from .facts import History

# -- loading history ----------------------------------------------------------------------------


def load_histories(
    shop_ids: list[int] | None = None, id_range: tuple[int, int] | None = None
) -> dict[int, History]:
    """The records of many shops in five queries (used per shop and by the nightly batch, which
    passes an id range: a range scan, where a 5,000-element IN list costs more to parse than to run)."""

    def which(column):
        return column.between(*id_range) if id_range else column.in_(shop_ids)

    histories: dict[int, History] = {}
    rows = db.session.execute(
        select(Shop.id, BusinessType.static_risk, Shop.registered_on)
        .join(BusinessType, Shop.business_type_id == BusinessType.id)
        .where(which(Shop.id))
    )
    for sid, risk, registered_on in rows:
        histories[sid] = History(risk, registered_on or today())
    for sid, *rest in db.session.execute(
        select(
            Inspection.shop_id, Inspection.id, Inspection.inspected_on, Inspection.outcome, Inspection.full
        ).where(which(Inspection.shop_id))
    ):
        histories[sid].inspections.append(tuple(rest))
    for sid, *rest in db.session.execute(
        select(
            Rectification.shop_id,
            Rectification.id,
            Inspection.inspected_on,
            Rectification.deadline,
            Rectification.closed_on,
        )
        .join(Inspection, Rectification.inspection_id == Inspection.id)
        .where(which(Rectification.shop_id))
    ):
        histories[sid].rectifications.append(tuple(rest))
    for sid, *rest in db.session.execute(
        select(Complaint.shop_id, Complaint.id, Complaint.substantiated_on, Complaint.category).where(
            which(Complaint.shop_id),
            Complaint.substantiated.is_(True),
            Complaint.substantiated_on.is_not(None),
        )
    ):
        histories[sid].complaints.append(tuple(rest))
    for sid, *rest in db.session.execute(
        select(
            Penalty.shop_id,
            Penalty.id,
            Penalty.decided_on,
            Penalty.publicity_ends_on,
            Penalty.repaired_on,
            Penalty.decision_no,
            Penalty.severity,
        ).where(which(Penalty.shop_id))
    ):
        histories[sid].penalties.append(tuple(rest))
    return histories
