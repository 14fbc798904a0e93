"""The merchant's answer to an inspection: signing or refusing the result (Order 49 Art. 34–35)
and reporting a rectification done, with a photo."""
from __future__ import annotations

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import Inspection, Rectification, today, utcnow
from huishang.services import Conflict, DomainError
from huishang.services.core import audit, uploads

from .records import MAX_NOTE


def acknowledge(inspection: Inspection, *, actor, accept: bool, reason: str = "") -> Inspection:
    """The merchant signs (accept) or refuses with a reason (Order 49 Art. 34–35). Once only.
    Raises DomainError naming `reason`, Conflict if already answered."""
    reason = " ".join((reason or "").split())
    if inspection.ack_status:
        raise Conflict(N_("该检查结果已确认或已拒签"), {"ack": [N_("已处理")]})
    if not accept and not reason:
        raise DomainError(N_("拒签须说明理由"), {"reason": [N_("请填写拒签理由")]})
    if len(reason) > MAX_NOTE:
        raise DomainError(N_("理由过长"), {"reason": [N_("不能超过%(max)s字", max=MAX_NOTE)]})
    inspection.ack_status = "acknowledged" if accept else "refused"
    inspection.ack_note = reason or None
    inspection.ack_at = utcnow()
    db.session.flush()
    audit.record(
        "inspection.ack",
        inspection,
        actor=actor,
        shop_id=inspection.shop_id,
        after={"ack_status": inspection.ack_status, "ack_note": inspection.ack_note},
    )
    return inspection


def report_rectified(rect: Rectification, *, actor, note: str, photo: bytes | None) -> Rectification:
    """The merchant reports the rectification done, with a photo; a re-inspection closes it.
    Raises DomainError naming `photo` or `note`, Conflict when it is closed already."""
    if rect.closed_on is not None:
        raise Conflict(N_("该整改已经复查关闭"), {"rectification": [N_("已关闭")]})
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise DomainError(N_("说明过长"), {"note": [N_("不能超过%(max)s字", max=MAX_NOTE)]})
    if not photo:
        raise DomainError(N_("请上传整改后的照片"), {"photo": [N_("请上传整改后的照片")]})
    path = uploads.store_image(photo, f"rectifications/{rect.shop_id}", "photo")
    before = {"reported_done_on": rect.reported_done_on, "report_photo": rect.report_photo}
    rect.reported_done_on, rect.report_note, rect.report_photo = today(), note, path
    db.session.flush()
    audit.record(
        "rectification.report",
        rect,
        actor=actor,
        before=before,
        after={"reported_done_on": rect.reported_done_on, "report_photo": path},
    )
    return rect
