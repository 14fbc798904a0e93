"""The property end (物业端): a complex's tenants with a supervision summary, move-in and move-out
reports confirmed by a regulator (so the registry holds no zombie shops), notices relayed to every
tenant, and a message thread with the regulator per complex.

The tenant summary never carries complainant data, credit class or staff personal data.
"""
from __future__ import annotations

from sqlalchemy import func, select

from huishang.services import Conflict, DomainError, registry
from huishang.services.core import audit, notifications

from ..extensions import db
from ..i18n import N_
from ..models import Complex, Message, Notice, PropertyReport, Rectification, Shop, today, utcnow
from ..models.inspections import OUTCOME_FACES
from ..models.scope import scoped

MOVE_IN_FIELDS = ("uscc", "entity_name", "sign_name", "address", "business_type", "contact", "phone",
                  "opening_hours")


def tenants(complex_id: int, *, include_closed: bool = False) -> list[dict]:
    """The complex's shops with status, latest inspection face and open rectifications."""
    query = select(Shop).where(Shop.complex_id == complex_id)
    if not include_closed:
        query = query.where(Shop.status != "closed")
    shops = list(db.session.scalars(query.order_by(Shop.sign_name)))
    open_counts = dict(db.session.execute(
        select(Rectification.shop_id, func.count()).where(
            Rectification.shop_id.in_([s.id for s in shops] or [-1]), Rectification.closed_on.is_(None))
        .group_by(Rectification.shop_id)).all())
    overdue = dict(db.session.execute(
        select(Rectification.shop_id, func.count()).where(
            Rectification.shop_id.in_([s.id for s in shops] or [-1]), Rectification.closed_on.is_(None),
            Rectification.deadline < today()).group_by(Rectification.shop_id)).all())
    rows = []
    for shop in shops:
        grade, face = OUTCOME_FACES.get(shop.latest_outcome, (None, None))
        rows.append({"shop": shop, "code": shop.code, "sign_name": shop.sign_name, "status": shop.status,
                     "status_label": shop.status_label, "business_type": shop.business_type.name,
                     "grade": grade, "face": face, "inspected_on": shop.latest_inspected_on,
                     "open_rectifications": open_counts.get(shop.id, 0),
                     "overdue_rectifications": overdue.get(shop.id, 0),
                     "licences_valid": shop.licences_valid()})
    return rows


def _complex(user) -> Complex:
    if user.role != "property" or user.complex_id is None:
        raise DomainError(N_("物业账户未关联商业综合体"), status=403)
    return user.complex


def report_move_in(user, data: dict, *, effective_on=None, note: str = "") -> PropertyReport:
    """A new tenant: validated as a shop of this complex now; registered when a regulator confirms."""
    cx = _complex(user)
    details = {k: registry.clean_text(data.get(k)) for k in MOVE_IN_FIELDS}
    probe = dict(details, street=cx.street.name, complex=cx.name)
    clean, errors = registry.validate_shop(probe, registry.Lookups.load())
    when = registry.parse_date(effective_on, "effective_on", errors) if effective_on else None
    if errors:
        raise DomainError(N_("入驻信息有误"), errors)
    report = PropertyReport(complex_id=cx.id, kind="move_in", details=details, effective_on=when,
                            note=(note or "").strip()[:1000], reported_by_id=user.id)
    db.session.add(report)
    db.session.flush()
    audit.record("property.move_in", report, actor=user, after=dict(details))
    return report


def report_move_out(user, shop: Shop, *, effective_on=None, note: str = "") -> PropertyReport:
    cx = _complex(user)
    if shop.complex_id != cx.id:
        raise DomainError(N_("该商铺不在您管理的综合体内"), status=403)
    if shop.status == "closed":
        raise Conflict(N_("该商铺已注销"), {"shop": [N_("已注销")]})
    if db.session.scalar(select(PropertyReport.id).where(
            PropertyReport.shop_id == shop.id, PropertyReport.kind == "move_out",
            PropertyReport.status == "pending")):
        raise Conflict(N_("该商铺已有待确认的撤场报告"), {"shop": [N_("已报告，待监管部门确认")]})
    errors: dict[str, list[str]] = {}
    when = registry.parse_date(effective_on, "effective_on", errors) if effective_on else None
    if errors:
        raise DomainError(N_("撤场信息有误"), errors)
    report = PropertyReport(complex_id=cx.id, kind="move_out", shop_id=shop.id, effective_on=when,
                            details={"sign_name": shop.sign_name, "code": shop.code},
                            note=(note or "").strip()[:1000], reported_by_id=user.id)
    db.session.add(report)
    db.session.flush()
    audit.record("property.move_out", report, actor=user, shop_id=shop.id,
                 after={"shop": shop.code, "effective_on": when})
    return report


def _pending(report: PropertyReport) -> None:
    if report.status != "pending":
        raise Conflict(N_("该报告已处理"), {"status": [str(report.status_label)]})


def confirm(report: PropertyReport, *, actor=None) -> PropertyReport:
    """Move-in → registry.register_shop; move-out → registry.close_shop."""
    _pending(report)
    if report.kind == "move_in":
        data = dict(report.details, street=report.complex.street.name, complex=report.complex.name)
        if report.effective_on and report.effective_on <= today():
            data["registered_on"] = report.effective_on
        shop = registry.register_shop(data, actor=actor)
        report.shop_id = shop.id
    else:
        on = min(report.effective_on or today(), today())
        registry.close_shop(report.shop, actor=actor, reason=f"物业报告撤场：{report.note}", on=on)
    report.status, report.reviewed_at = "confirmed", utcnow()
    report.reviewed_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit.record("property_report.confirm", report, actor=actor, shop_id=report.shop_id,
                 after={"status": "confirmed", "shop": report.shop.code if report.shop else None})
    return report


def reject(report: PropertyReport, reason: str, *, actor=None) -> PropertyReport:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(N_("退回须说明理由"), {"reason": [N_("请填写退回理由")]})
    _pending(report)
    report.status, report.reason = "rejected", reason[:1000]
    report.reviewed_at, report.reviewed_by_id = utcnow(), getattr(actor, "id", None)
    db.session.flush()
    audit.record("property_report.reject", report, actor=actor,
                 after={"status": "rejected", "reason": reason})
    return report


def reports(complex_id: int | None = None, *, user=None, status: str | None = None) -> list[PropertyReport]:
    query = select(PropertyReport)
    if complex_id is not None:
        query = query.where(PropertyReport.complex_id == complex_id)
    if user is not None:
        query = scoped(query.join(Complex, Complex.id == PropertyReport.complex_id), user, Complex.street_id)
    if status:
        query = query.where(PropertyReport.status == status)
    return list(db.session.scalars(query.order_by(PropertyReport.created_at.desc()).limit(200)))


def relay_notice(user, title: str, body: str) -> Notice:
    """Send a notice to every merchant of every open tenant."""
    cx = _complex(user)
    title, body = (title or "").strip(), (body or "").strip()
    errors = {}
    if not title or len(title) > 200:
        errors["title"] = [N_("请填写标题（200字以内）")]
    if not body:
        errors["body"] = [N_("请填写通知内容")]
    if errors:
        raise DomainError(N_("通知内容有误"), errors)
    notice = Notice(complex_id=cx.id, sender_id=user.id, title=title, body=body)
    db.session.add(notice)
    count = 0
    for shop in db.session.scalars(select(Shop).where(Shop.complex_id == cx.id, Shop.status != "closed")):
        count += len(notifications.notify(shop, "notice", f"{cx.name}：{title}", body))
    notice.recipients = count
    db.session.flush()
    audit.record("property.notice", notice, actor=user, after={"title": title, "recipients": count})
    return notice


def notices(complex_id: int) -> list[Notice]:
    return list(db.session.scalars(select(Notice).where(Notice.complex_id == complex_id)
                                   .order_by(Notice.created_at.desc()).limit(50)))


def post_message(complex_obj: Complex, user, body: str) -> Message:
    body = (body or "").strip()
    if not body:
        raise DomainError(N_("请填写留言内容"), {"body": [N_("请填写留言内容")]})
    if len(body) > 2000:
        raise DomainError(N_("留言过长"), {"body": [N_("不能超过2000个字")]})
    message = Message(complex_id=complex_obj.id, sender_id=user.id, from_regulator=user.role == "regulator",
                      body=body)
    db.session.add(message)
    db.session.flush()
    audit.record("message.post", message, actor=user, after={"complex": complex_obj.name})
    return message


def thread(complex_id: int, *, reader=None) -> list[Message]:
    """The complex's thread, oldest first; marks the other side's messages read for `reader`."""
    messages = list(db.session.scalars(select(Message).where(Message.complex_id == complex_id)
                                       .order_by(Message.created_at, Message.id)))
    if reader is not None:
        mine = reader.role == "regulator"
        for m in messages:
            if m.from_regulator != mine and m.read_at is None:
                m.read_at = utcnow()
        db.session.flush()
    return messages


def unread_for_complex(complex_id: int) -> int:
    """Regulator messages in the complex's thread not yet read by the property manager."""
    return db.session.scalar(select(func.count()).select_from(Message).where(
        Message.complex_id == complex_id, Message.from_regulator, Message.read_at.is_(None))) or 0


def threads_for(user) -> list[dict]:
    """Complexes in the regulator's streets that have messages, with unread counts."""
    query = (select(Complex, func.count(Message.id), func.max(Message.created_at))
             .join(Message, Message.complex_id == Complex.id).group_by(Complex.id))
    query = scoped(query, user, Complex.street_id)
    unread = dict(db.session.execute(select(Message.complex_id, func.count()).where(
        Message.read_at.is_(None), Message.from_regulator.is_(False)).group_by(Message.complex_id)).all())
    return [{"complex": cx, "count": n, "last": last, "unread": unread.get(cx.id, 0)}
            for cx, n, last in db.session.execute(query.order_by(func.max(Message.created_at).desc()))]

