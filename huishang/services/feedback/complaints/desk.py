"""The complaints desk's queries and tools: the filtered queue and its counters, the merchants'
list, the handlers a complaint can go to, and the reply templates."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, or_, select

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import Complaint, ReplyTemplate, Shop, Street, User
from huishang.models import today as district_today
from huishang.models.feedback import CLOSED_STATUSES, COMPLAINT_CATEGORIES, OPEN_STATUSES
from huishang.models.scope import scoped
from huishang.services import DomainError, NotFound
from huishang.services.core import audit

from ..fields import NOTE_MAX


def desk_query(user, *, street=None, status=None, due=None, category=None, assigned=None, q=None,
               on: date | None = None):
    """The complaints the user may see, filtered. Unknown filter values raise DomainError (400)."""
    on = on or district_today()
    street_ids = user.street_ids()
    query = select(Complaint)
    if street_ids is not None or street or q:  # a district-wide queue needs no join
        query = scoped(query.join(Shop, Complaint.shop_id == Shop.id), user, Shop.street_id)
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
        query = query.where(or_(Complaint.ticket == text, Complaint.short_code == text.replace("-", ""),
                                Shop.code == text,
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


def open_for_merchant(user, on: date | None = None) -> list[dict]:
    """The merchant's complaints to answer, for their home's task list: each forwarded complaint
    still waiting for their answer, soonest first, with its clock in words, e.g.
    {"ticket": ..., "shop": "老弄堂生煎", "category": "食品安全", "due_on": date,
     "overdue": False, "words": "请于 2026-12-08 前答复（还剩 3 个工作日）", "url": "/merchant/complaints/..."}.
    Reports never reach the merchant (Order 20 Art. 33)."""
    from huishang.services.core import workdays

    on = on or district_today()
    shops = list(getattr(user, "shops", []) or [])
    if not shops:
        return []
    rows = db.session.scalars(select(Complaint).where(
        Complaint.shop_id.in_([s.id for s in shops]), Complaint.status == "forwarded",
        Complaint.kind == "complaint").order_by(Complaint.merchant_due_on, Complaint.id))
    tasks = []
    for c in rows:
        due = c.merchant_due_on
        if due is None:
            words = "请尽快答复"
        elif due < on:
            words = f"已超过答复期限 {due:%Y-%m-%d}（{-workdays.workdays_between(on, due)} 个工作日），请立即答复"
        elif due == on:
            words = f"今天（{due:%Y-%m-%d}）是答复期限"
        else:
            words = f"请于 {due:%Y-%m-%d} 前答复（还剩 {workdays.workdays_between(on, due)} 个工作日）"
        tasks.append({"ticket": c.ticket, "shop": c.shop.sign_name, "category": c.category_label,
                      "due_on": due, "overdue": bool(due and due < on), "words": words,
                      "url": f"/merchant/complaints/{c.ticket}"})
    return tasks


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
