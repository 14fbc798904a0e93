"""Complaints and reports (投诉举报) and their closed loop, in working days.

The workflow is the explicit table TRANSITIONS: each action names the statuses it may start
from, the status it leads to and the role that may take it. Anything else is refused with a 409
naming the current status. Every transition writes a ComplaintEvent (time, actor, from → to,
note) and an audit event.

    submitted ─accept→ accepted ─forward→ forwarded ─answer→ answered ─resolve / close_unresolved→ closed
        │reject / duplicate / not_our_jurisdiction          (the desk may also close from accepted,
        ↓                                                    forwarded or reopened, or forward again
      closed ─reopen (citizen, ≤ 15 days after closing)→ reopened ─(as accepted)→ ...

Time limits (working days, holidays and 调休 from the calendar): the desk accepts or rejects within
2 (legal maximum 7), the merchant answers a forwarded complaint within 3, and every other open
step has a limit too (STEP_LIMITS, overridable with the COMPLAINT_STEP_LIMITS setting).
`sweep_overdue(on)` flags forwards not answered in time: the complaint is escalated (a flag on
the desk) and the shop marked unresponsive until it has no overdue forward left.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date

from flask import current_app
from sqlalchemy import func, or_, select

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import (
    CalendarDay,
    Complaint,
    ComplaintEvent,
    ComplaintPhoto,
    ComplaintSupport,
    ReplyTemplate,
    Shop,
    Street,
    User,
    utcnow,
)
from huishang.models import today as district_today
from huishang.models.feedback import (
    CLOSED_STATUSES,
    COMPLAINT_CATEGORIES,
    OPEN_STATUSES,
    TRANSITIONS,
)
from huishang.services import Conflict, DomainError, Forbidden, NotFound
from huishang.services.core import Report, audit, clients, notifications, uploads, workdays
from huishang.services.registry import after_shop_change

from . import fields, moderation
from .fields import NOTE_MAX

MAX_PHOTOS = 3
REOPEN_DAYS = 15
LEGAL_DECISION_DAYS = 7
STEP_LIMITS = {"submitted": 2, "reopened": 2, "accepted": 2, "forwarded": 3, "answered": 2}
COMPLAINT_FIELDS = (fields.CATEGORY, fields.KIND, fields.DESCRIPTION, fields.PHONE_NUMBER)
ROLE_LABELS = {"regulator": "监管部门", "merchant": "商户", "citizen": "投诉人", "system": "系统"}


CLOSING = ("resolve", "close_unresolved")
ACTION_LABELS = {"submit": "提交", "assign": "指派", "escalate": "超期升级", "rate": "满意度评价",
                 **{action: step.label for action, step in TRANSITIONS.items()}}


# -- helpers ------------------------------------------------------------------------------------

def hash_key(key: str) -> str:
    return hashlib.sha256((key or "").encode()).hexdigest()


def mask_phone(phone: str | None) -> str | None:
    """138****1234 — what everyone but the assigned handler sees."""
    if not phone:
        return None
    digits = phone.replace("-", "")
    if len(digits) >= 7:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return "*" * len(digits)


def is_handler(complaint: Complaint, user) -> bool:
    """Whether `user` is the complaint's assigned handler (a regulator): the one who sees personal data."""
    return user is not None and getattr(user, "role", None) == "regulator" and complaint.assignee_id == user.id


def phone_for(complaint: Complaint, user) -> str | None:
    """The phone in full for the assigned handler, masked for any other staff."""
    if is_handler(complaint, user):
        return complaint.phone
    return mask_phone(complaint.phone)


def description_for(complaint: Complaint, user) -> str:
    """The description as typed for the assigned handler; for any other staff the numbers and
    e-mail addresses in it partly masked (138****5678), as on the supervision face."""
    if is_handler(complaint, user):
        return complaint.description or ""
    return moderation.mask_personal(complaint.description, partial=True)


def step_limits() -> dict[str, int]:
    limits = dict(STEP_LIMITS)
    limits.update(current_app.config.get("COMPLAINT_STEP_LIMITS") or {})
    return limits


def _clean_note(note, required: bool, errors: dict, field: str = "note") -> str:
    check = fields.REQUIRED_NOTE if required else fields.NOTE
    return Report({}, errors=errors).check(field, check, note) or ""


def _event(complaint: Complaint, action: str, *, role: str, actor=None, from_status=None,
           note: str = "", public: bool = True) -> ComplaintEvent:
    event = ComplaintEvent(action=action, actor_id=getattr(actor, "id", None), actor_role=role,
                           from_status=from_status, to_status=complaint.status, note=note, public=public)
    complaint.events.append(event)
    return event


def excerpt(text: str, length: int = 60) -> str:
    """A short public excerpt: personal numbers masked, text with filtered words withheld."""
    verdict = moderation.check(text)
    if verdict.reject or [w for w in verdict.hold if w != "个人信息"]:
        return "（内容不公开）"
    masked = moderation.mask_personal(" ".join((text or "").split()))
    return masked if len(masked) <= length else masked[:length] + "…"


# -- submitting ---------------------------------------------------------------------------------

def validate(data: dict, photos: list[bytes]) -> tuple[dict, dict]:
    report = Report(data)
    clean = {each.name: report.check(each.name, each, data.get(each.name)) for each in COMPLAINT_FIELDS}
    errors = report.errors
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = [N_("最多上传%(max)s张照片", max=MAX_PHOTOS)]
    else:
        for n, blob in enumerate(photos, 1):
            try:
                uploads.read_image(blob, "photos")
            except DomainError as exc:
                messages = exc.errors.get("photos", [exc.message])
                errors.setdefault("photos", []).extend(N_("第%(n)s张：%(message)s", n=n, message=m) for m in messages)
                if exc.status == 413:
                    errors["_status"] = [413]  # type: ignore[list-item]
    return clean, errors


def submit(shop: Shop, data: dict, photos: list[bytes] = (), *, client_hash: str | None = None,
           ip_hash: str | None = None, on: date | None = None) -> tuple[Complaint, str]:
    """File a complaint about `shop`. Returns (complaint, tracking key) — the key is shown once.

    Raises DomainError (422, or 413 for an oversized photo) naming each bad field; nothing is
    stored then.
    """
    photos = [p for p in photos if p]
    clean, errors = validate(data, photos)
    if errors:
        status = 413 if errors.pop("_status", None) else 422
        raise DomainError(N_("投诉内容有误"), errors, status=status)
    on = on or district_today()
    key = secrets.token_urlsafe(16)
    complaint = Complaint(ticket="TMP" + secrets.token_hex(8), tracking_key_hash=hash_key(key),
                          shop_id=shop.id,
                          client_hash=client_hash, ip_hash=ip_hash, status="submitted", submitted_on=on,
                          due_on=workdays.add_workdays(on, step_limits()["submitted"]),
                          legal_due_on=workdays.add_workdays(on, LEGAL_DECISION_DAYS), **clean)
    complaint.shop = shop
    db.session.add(complaint)
    db.session.flush()
    complaint.ticket = f"TS{on:%Y%m%d}-{complaint.id:06d}"
    for blob in photos:
        complaint.photos.append(ComplaintPhoto(path=uploads.store_image(blob, "complaints", "photos")))
    _event(complaint, "submit", role="citizen", note="")
    db.session.flush()
    clients.audit_anonymous("complaint.submit", complaint, after={
        "ticket": complaint.ticket, "category": complaint.category, "kind": complaint.kind,
        "photos": len(photos)})
    return complaint, key


def tracking_url(complaint: Complaint, key: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/complaints/{complaint.ticket}?key={key}"


def get(ticket: str) -> Complaint | None:
    ticket = (ticket or "").strip().upper()
    if not ticket or len(ticket) > 20:
        return None
    return db.session.scalar(select(Complaint).where(Complaint.ticket == ticket))


def find_for_citizen(ticket: str, key: str | None) -> Complaint | None:
    """The complaint when the tracking key matches, else None (a wrong key looks like no ticket)."""
    complaint = get(ticket)
    if complaint is None or not key or len(key) > 100:
        return None
    return complaint if hmac.compare_digest(complaint.tracking_key_hash, hash_key(key)) else None


def open_similar(shop: Shop, category: str | None, limit: int = 10) -> list[Complaint]:
    """The shop's open complaints of `category` (for "me too" before filing a duplicate)."""
    if category not in COMPLAINT_CATEGORIES:
        return []
    return list(db.session.scalars(
        select(Complaint).where(Complaint.shop_id == shop.id, Complaint.category == category,
                                Complaint.status.in_(OPEN_STATUSES))
        .order_by(Complaint.created_at.desc()).limit(limit)))


def me_too(complaint: Complaint, *, client_hash: str) -> Complaint:
    """Add the client's "me too" to an open complaint. Conflict (409) when closed or repeated."""
    if not complaint.is_open:
        raise Conflict(N_("该投诉已办结，不能再附议"), {"ticket": [N_("投诉已办结")]})
    if complaint.client_hash and complaint.client_hash == client_hash:
        raise Conflict(N_("这是您自己提交的投诉"), {"ticket": [N_("不能附议自己的投诉")]})
    exists = db.session.scalar(select(ComplaintSupport.id).where(
        ComplaintSupport.complaint_id == complaint.id, ComplaintSupport.client_hash == client_hash))
    if exists:
        raise Conflict(N_("您已附议过这条投诉"), {"ticket": [N_("每人只能附议一次")]})
    db.session.add(ComplaintSupport(complaint_id=complaint.id, client_hash=client_hash))
    complaint.supporters = (complaint.supporters or 0) + 1
    db.session.flush()
    clients.audit_anonymous("complaint.me_too", complaint, after={"supporters": complaint.supporters})
    return complaint


# -- the workflow -------------------------------------------------------------------------------

def allowed_actions(complaint: Complaint, role: str) -> list[str]:
    """The actions `role` may take on the complaint now (for buttons)."""
    actions = [a for a, step in TRANSITIONS.items() if step.role == role and complaint.status in step.sources]
    if "forward" in actions and complaint.kind != "complaint":
        actions.remove("forward")
    if "reopen" in actions and not can_reopen(complaint):
        actions.remove("reopen")
    return actions


def can_reopen(complaint: Complaint, on: date | None = None) -> bool:
    on = on or district_today()
    return (complaint.status in CLOSED_STATUSES and complaint.closed_on is not None
            and (on - complaint.closed_on).days <= REOPEN_DAYS)


def transition(complaint: Complaint, action: str, *, role: str, actor=None, note=None,
               substantiated=None, duplicate_of: str | None = None, on: date | None = None) -> Complaint:
    """Move the complaint along the workflow.

    Raises DomainError (422) for an unknown action or bad note/fields, Forbidden (403) when
    `role` may not take the action, Conflict (409) when the current status does not allow it.
    """
    step = TRANSITIONS.get(action)
    if step is None:
        raise DomainError(N_("未知操作"), {"action": [N_("未知操作：%(action)s", action=action)]})
    if step.role != role:
        raise Forbidden(N_("「%(step)s」只能由%(role)s操作", step=step.label, role=ROLE_LABELS[step.role]),
                        {"action": [N_("无权执行此操作")]})
    if complaint.status not in step.sources:
        status, label = complaint.status_label, step.label
        raise Conflict(N_("当前状态「%(status)s」不能执行「%(step)s」", status=status, step=label),
                       {"action": [N_("状态为%(status)s时不能%(step)s", status=status, step=label)]})
    on = on or district_today()
    errors: dict[str, list[str]] = {}
    text = _clean_note(note, step.note_required, errors)
    if action in CLOSING and not isinstance(substantiated, bool):
        errors["substantiated"] = [N_("办结时须认定投诉是否属实")]
    original = None
    if action == "duplicate":
        original = get(duplicate_of or "")
        if original is None or original.id == complaint.id or original.shop_id != complaint.shop_id:
            errors["duplicate_of"] = [N_("请填写同一商铺的另一张工单号")]
    if errors:
        raise DomainError(N_("操作信息有误"), errors)
    if action == "forward" and complaint.kind != "complaint":
        raise Conflict(N_("举报件不转交商户（保护举报人），请安排核查后办结"), {"action": [N_("举报件不能转交商户")]})
    if action == "reopen" and not can_reopen(complaint, on):
        raise Conflict(N_("办结超过%(days)s天，不能重新打开", days=REOPEN_DAYS),
                       {"action": [N_("只能在办结后%(days)s天内重新打开", days=REOPEN_DAYS)]})
    before = {"status": complaint.status}
    complaint.status = step.target
    _APPLY[action](complaint, on=on, note=text, substantiated=substantiated, original=original)
    _event(complaint, action, role=role, actor=actor, from_status=before["status"], note=text)
    db.session.flush()
    record = clients.audit_anonymous if role == "citizen" else audit.record
    record(f"complaint.{action}", complaint, actor=actor, before=before,
           after={"status": complaint.status, "note": text[:200]})
    return complaint


def _due(on: date, status: str) -> date | None:
    days = step_limits().get(status)
    return workdays.add_workdays(on, days) if days is not None else None


def _apply_open(complaint: Complaint, *, on, **_) -> None:
    complaint.due_on = _due(on, complaint.status)


def _apply_forward(complaint: Complaint, *, on, **_) -> None:
    complaint.forwarded_on = on
    complaint.merchant_due_on = _due(on, "forwarded")
    complaint.due_on = complaint.merchant_due_on
    complaint.escalated = False
    # The shop's merchants learn of it in their notification centre — nothing about the complainant.
    body = f"{complaint.category_label}投诉，请于 {complaint.merchant_due_on:%Y-%m-%d} 前答复。"
    notifications.notify(complaint.shop, "complaint_forwarded", f"投诉转办 {complaint.ticket}", body,
                         link=f"/merchant/complaints/{complaint.ticket}")


def _apply_answer(complaint: Complaint, *, on, note, **_) -> None:
    complaint.merchant_answer = note
    complaint.answered_at = utcnow()
    complaint.due_on = _due(on, "answered")
    refresh_unresponsive(complaint.shop, on)


def _apply_close(complaint: Complaint, *, on, note, substantiated=None, original=None, **_) -> None:
    was = bool(complaint.substantiated)
    complaint.closed_on = on
    complaint.due_on = None
    complaint.resolution = note
    complaint.substantiated = bool(substantiated)
    if complaint.substantiated and not was:
        complaint.substantiated_on = on
    elif not complaint.substantiated:
        complaint.substantiated_on = None
    if original is not None:
        complaint.duplicate_of_id = original.id
    if complaint.status in ("resolved", "closed_unresolved") and complaint.forwarded_on:
        refresh_unresponsive(complaint.shop, on)
    if complaint.substantiated or was:
        after_shop_change(complaint.shop)


def _apply_reopen(complaint: Complaint, *, on, **_) -> None:
    complaint.reopen_count = (complaint.reopen_count or 0) + 1
    complaint.satisfaction = None
    complaint.due_on = _due(on, "reopened")


_APPLY = {"accept": _apply_open, "reject": _apply_close, "forward": _apply_forward, "answer": _apply_answer,
          "resolve": _apply_close, "close_unresolved": _apply_close, "duplicate": _apply_close,
          "not_our_jurisdiction": _apply_close, "reopen": _apply_reopen}


def assign(complaint: Complaint, handler: User | None, *, actor) -> Complaint:
    """Give the complaint to a handler: an active regulator whose streets cover the shop."""
    if handler is None or handler.role != "regulator" or not handler.active \
            or not handler.covers_street(complaint.shop.street_id):
        raise DomainError(N_("经办人须是管辖该街道的监管人员"), {"handler": [N_("经办人须是管辖该街道的监管人员")]})
    if complaint.status in CLOSED_STATUSES:
        raise Conflict(N_("已办结的投诉不能指派"), {"handler": [N_("投诉已办结")]})
    before = {"assignee_id": complaint.assignee_id}
    complaint.assignee_id = handler.id
    complaint.assignee = handler
    _event(complaint, "assign", role="regulator", actor=actor, from_status=complaint.status,
           note=f"指派给 {handler.label}", public=False)
    db.session.flush()
    audit.record("complaint.assign", complaint, actor=actor, before=before, after={"assignee_id": handler.id})
    return complaint


def rate(complaint: Complaint, satisfaction, note=None) -> Complaint:
    """The citizen's satisfaction (1–5) with a closed complaint, once per closing."""
    errors: dict[str, list[str]] = {}
    try:
        value = int(satisfaction) if not isinstance(satisfaction, bool) else 0
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 5:
        errors["satisfaction"] = [N_("请选择 1–5 分")]
    text = _clean_note(note, False, errors)
    if errors:
        raise DomainError(N_("评价信息有误"), errors)
    if complaint.status not in CLOSED_STATUSES:
        raise Conflict(N_("投诉办结后才能评价满意度"), {"satisfaction": [N_("投诉尚未办结")]})
    if complaint.satisfaction is not None:
        raise Conflict(N_("您已评价过本次办理结果"), {"satisfaction": [N_("已评价")]})
    complaint.satisfaction = value
    _event(complaint, "rate", role="citizen", from_status=complaint.status,
           note=f"满意度 {value}/5 {text}".strip())
    db.session.flush()
    clients.audit_anonymous("complaint.rate", complaint, after={"satisfaction": value})
    return complaint


# -- time limits --------------------------------------------------------------------------------

def refresh_unresponsive(shop: Shop, on: date | None = None) -> None:
    """Shop.unresponsive: true while any forwarded complaint is past its answer deadline."""
    on = on or district_today()
    overdue = db.session.scalar(select(func.count(Complaint.id)).where(
        Complaint.shop_id == shop.id, Complaint.status == "forwarded", Complaint.merchant_due_on < on))
    flag = bool(overdue)
    if shop.unresponsive != flag:
        audit.record("shop.unresponsive", shop, before={"unresponsive": shop.unresponsive},
                     after={"unresponsive": flag})
        shop.unresponsive = flag
        after_shop_change(shop)


def sweep_overdue(on: date | None = None, limit: int | None = None) -> int:
    """Escalate every forwarded complaint not answered by its deadline (at most `limit`, oldest
    first); returns how many were newly escalated. Idempotent: run it from cron
    (`flask complaints sweep`) as often as you like."""
    from sqlalchemy.orm import selectinload

    on = on or district_today()
    late = list(db.session.scalars(select(Complaint).options(selectinload(Complaint.shop)).where(
        Complaint.status == "forwarded", Complaint.merchant_due_on < on, Complaint.escalated.is_(False))
        .order_by(Complaint.merchant_due_on, Complaint.id).limit(limit)))
    shops = {}
    for complaint in late:
        complaint.escalated = True
        # Added directly (not through complaint.events) so that a large sweep loads no histories.
        db.session.add(ComplaintEvent(
            complaint_id=complaint.id, action="escalate", actor_role="system", from_status=complaint.status,
            to_status=complaint.status, public=False,
            note=f"商户未在期限（{complaint.merchant_due_on:%Y-%m-%d}）内答复，已升级"))
        audit.record("complaint.escalate", complaint, after={"escalated": True})
        shops[complaint.shop_id] = complaint.shop
    for shop in shops.values():
        refresh_unresponsive(shop, on)
    db.session.flush()
    return len(late)


# -- the desk -----------------------------------------------------------------------------------

def desk_query(user, *, street=None, status=None, due=None, category=None, assigned=None, q=None,
               on: date | None = None):
    """The complaints the user may see, filtered. Unknown filter values raise DomainError (400)."""
    on = on or district_today()
    street_ids = user.street_ids()
    query = select(Complaint)
    if street_ids is not None or street or q:  # a district-wide queue needs no join
        query = query.join(Shop, Complaint.shop_id == Shop.id)
    if street_ids is not None:
        query = query.where(Shop.street_id.in_(street_ids or {-1}))
    if street:
        st = db.session.scalar(select(Street).where(
            or_(Street.name == street, Street.code == street.upper())))
        if st is None:
            raise DomainError(N_("未知街道"), {"street": [N_("未知街道：%(street)s", street=street)]}, status=400)
        query = query.where(Shop.street_id == st.id)
    if status == "open":
        query = query.where(Complaint.status.in_(OPEN_STATUSES))
    elif status == "closed":
        query = query.where(Complaint.status.in_(CLOSED_STATUSES))
    elif status:
        if status not in OPEN_STATUSES + CLOSED_STATUSES:
            raise DomainError(N_("未知状态"), {"status": [N_("未知状态：%(status)s", status=status)]}, status=400)
        query = query.where(Complaint.status == status)
    if due == "today":
        query = query.where(Complaint.due_on == on, Complaint.status.in_(OPEN_STATUSES))
    elif due == "overdue":
        query = query.where(Complaint.due_on < on, Complaint.status.in_(OPEN_STATUSES))
    elif due == "escalated":
        query = query.where(Complaint.escalated.is_(True), Complaint.status == "forwarded")
    elif due:
        raise DomainError(N_("未知期限筛选"), {"due": [N_("应为 today、overdue 或 escalated")]}, status=400)
    if category:
        if category not in COMPLAINT_CATEGORIES:
            raise DomainError(N_("未知类别"), {"category": [N_("未知类别：%(category)s", category=category)]},
                              status=400)
        query = query.where(Complaint.category == category)
    if assigned == "me":
        query = query.where(Complaint.assignee_id == user.id)
    elif assigned == "none":
        query = query.where(Complaint.assignee_id.is_(None))
    if q:
        text = q.strip().upper()
        query = query.where(or_(Complaint.ticket == text, Shop.code == text,
                                Shop.sign_name.ilike(f"%{q.strip().replace('%', '')}%")))
    return query.order_by(Complaint.due_on.is_(None), Complaint.due_on, Complaint.created_at)


def desk_counts(user, on: date | None = None) -> dict[str, int]:
    """The desk's counters in one scan: open, due today, overdue, escalated, mine (open)."""
    from sqlalchemy import and_

    on = on or district_today()
    is_open = Complaint.status.in_(OPEN_STATUSES)
    columns = {
        "open": is_open,
        "today": and_(is_open, Complaint.due_on == on),
        "overdue": and_(is_open, Complaint.due_on < on),
        "escalated": and_(Complaint.status == "forwarded", Complaint.escalated.is_(True)),
        "mine": and_(is_open, Complaint.assignee_id == user.id),
    }
    query = desk_query(user, on=on).order_by(None).with_only_columns(
        *(func.count(Complaint.id).filter(condition) for condition in columns.values()))
    return dict(zip(columns, db.session.execute(query).one(), strict=True))


def for_merchant(shops):
    """Complaints about the merchant's shops that the desk forwarded to them."""
    ids = [s.id for s in shops] or [-1]
    return select(Complaint).where(Complaint.shop_id.in_(ids), Complaint.forwarded_on.is_not(None)) \
        .order_by(Complaint.status != "forwarded", Complaint.due_on, Complaint.created_at.desc())


def handlers_for(complaint: Complaint) -> list[User]:
    users = db.session.scalars(select(User).where(User.role == "regulator", User.active.is_(True))
                               .order_by(User.username))
    return [u for u in users if u.covers_street(complaint.shop.street_id)]


# -- reply templates ----------------------------------------------------------------------------

def templates() -> list[ReplyTemplate]:
    return list(db.session.scalars(select(ReplyTemplate).order_by(ReplyTemplate.position, ReplyTemplate.id)))


def save_template(data: dict, *, actor, template: ReplyTemplate | None = None) -> ReplyTemplate:
    """Create or edit a reply template. DomainError (422) names a bad title or body."""
    title = (data.get("title") or "").strip()
    body = (data.get("body") or "").strip()
    errors: dict[str, list[str]] = {}
    if not title or len(title) > 60:
        errors["title"] = [N_("标题必填，不超过60字")]
    if not body or len(body) > NOTE_MAX:
        errors["body"] = [N_("内容必填，不超过%(max)s字", max=NOTE_MAX)]
    if errors:
        raise DomainError(N_("模板内容有误"), errors)
    before = {"title": template.title, "body": template.body} if template else None
    if template is None:
        template = ReplyTemplate(title=title, body=body, position=len(templates()))
        db.session.add(template)
    template.title, template.body = title, body
    db.session.flush()
    audit.record("reply_template.save", template, actor=actor, before=before,
                 after={"title": title, "body": body})
    return template


def delete_template(template: ReplyTemplate, *, actor) -> None:
    audit.record("reply_template.delete", template, actor=actor, before={"title": template.title})
    db.session.delete(template)
    db.session.flush()


def note_from(data: dict) -> str | None:
    """The note of a desk form: the typed text, or the chosen reply template's body."""
    note = (data.get("note") or "").strip()
    template_id = str(data.get("template") or "")
    if not note and template_id.isdigit():
        template = db.session.get(ReplyTemplate, int(template_id))
        if template is None:
            raise NotFound(N_("回复模板不存在"), {"template": [N_("回复模板不存在")]})
        return template.body
    return note


# -- the calendar -------------------------------------------------------------------------------

def set_calendar_day(day: date | None, is_workday: bool, name: str, *, actor):
    """Add or change a holiday (is_workday False) or a make-up working day (调休, True)."""
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if day is None:
        errors["day"] = [N_("请填写日期（YYYY-MM-DD）")]
    if len(name) > 40:
        errors["name"] = [N_("名称不能超过40字")]
    if errors:
        raise DomainError(N_("日历信息有误"), errors)
    row = db.session.get(CalendarDay, day)
    before = {"is_workday": row.is_workday, "name": row.name} if row else None
    if row is None:
        row = CalendarDay(day=day)
        db.session.add(row)
    row.is_workday, row.name = bool(is_workday), name
    db.session.flush()
    audit.record("calendar.set", row, actor=actor, before=before,
                 after={"day": day, "is_workday": bool(is_workday), "name": name})
    return row


def delete_calendar_day(day: date, *, actor) -> None:
    row = db.session.get(CalendarDay, day)
    if row is None:
        raise NotFound(N_("该日期没有设置"), {"day": [N_("该日期没有设置")]})
    audit.record("calendar.delete", row, actor=actor, before={"day": day, "is_workday": row.is_workday,
                                                              "name": row.name})
    db.session.delete(row)
    db.session.flush()
