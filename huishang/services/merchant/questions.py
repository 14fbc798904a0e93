"""Questions (咨询): a merchant asks the regulator; the answer is due within QUESTION_ANSWER_DAYS
(default 2) working days of the day asked; answered questions may be published as FAQ without the
merchant's identity."""
from __future__ import annotations

from datetime import date

from flask import current_app, has_app_context
from sqlalchemy import select

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import Question, Shop, today, utcnow
from huishang.models.scope import scoped
from huishang.services import Conflict, DomainError
from huishang.services.core import audit, notifications, uploads, workdays

MAX_BODY = 2000


def answer_days() -> int:
    return int(current_app.config.get("QUESTION_ANSWER_DAYS", 2)) if has_app_context() else 2


def due_date(asked_on: date) -> date:
    return workdays.add_workdays(asked_on, answer_days())


def time_left(question: Question, on: date | None = None) -> dict:
    """{'workdays': n, 'overdue': bool, 'answered': bool} — n working days until the due date
    (0 on the due day, negative once overdue)."""
    on = on or today()
    if question.is_answered:
        return {"workdays": None, "overdue": question.answered_at.date() > question.due_on,
                "answered": True}
    left = workdays.workdays_between(on, question.due_on)
    return {"workdays": left, "overdue": on > question.due_on, "answered": False}


def ask(shop: Shop, body: str, *, attachment: bytes | None = None, actor=None,
        asked_on: date | None = None) -> Question:
    body = (body or "").strip()
    errors = {}
    if not body:
        errors["body"] = [N_("请填写咨询内容")]
    elif len(body) > MAX_BODY:
        errors["body"] = [N_("不能超过%(max)s个字", max=MAX_BODY)]
    if attachment:
        try:
            uploads.read_image(attachment, "attachment")
        except DomainError as exc:
            errors.update(exc.errors)
    if errors:
        raise DomainError(N_("咨询内容有误"), errors)
    asked_on = asked_on or today()
    question = Question(shop_id=shop.id, asked_by_id=getattr(actor, "id", None), body=body,
                        due_on=due_date(asked_on))
    if attachment:
        question.attachment = uploads.store_image(attachment, f"questions/{shop.id}", "attachment")
    db.session.add(question)
    db.session.flush()
    audit.record("question.ask", question, actor=actor, after={"due_on": question.due_on})
    return question


def answer(question: Question, text: str, *, actor=None) -> Question:
    text = (text or "").strip()
    if not text:
        raise DomainError(N_("请填写答复内容"), {"answer": [N_("请填写答复内容")]})
    if len(text) > MAX_BODY * 2:
        raise DomainError(N_("答复过长"), {"answer": [N_("不能超过%(max)s个字", max=MAX_BODY * 2)]})
    before = {"answer": question.answer}
    question.answer = text
    question.answered_at = question.answered_at or utcnow()
    question.answered_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit.record("question.answer", question, actor=actor, before=before, after={"answer": text})
    notifications.notify(question.shop, "answer", "您的咨询已有答复", text[:200],
                         f"/merchant/questions/{question.id}")
    return question


def publish_faq(question: Question, faq_question: str, faq_answer: str, *, actor=None) -> Question:
    """Publish as FAQ. The regulator edits the texts so that no merchant identity remains."""
    if not question.is_answered:
        raise Conflict(N_("尚未答复的咨询不能发布为常见问题"), {"answer": [N_("请先答复")]})
    faq_question, faq_answer = (faq_question or "").strip(), (faq_answer or "").strip()
    errors = {}
    if not faq_question:
        errors["faq_question"] = [N_("请填写公开的问题")]
    if not faq_answer:
        errors["faq_answer"] = [N_("请填写公开的答复")]
    if errors:
        raise DomainError(N_("常见问题内容有误"), errors)
    question.faq_published, question.faq_question, question.faq_answer = True, faq_question, faq_answer
    db.session.flush()
    audit.record("question.publish_faq", question, actor=actor,
                 after={"faq_question": faq_question, "faq_answer": faq_answer})
    return question


def unpublish_faq(question: Question, *, actor=None) -> Question:
    question.faq_published = False
    db.session.flush()
    audit.record("question.unpublish_faq", question, actor=actor, after={"faq_published": False})
    return question


def queue_query(user, *, answered: bool = False):
    """A SELECT of the questions of shops in the regulator's streets, answered or not."""
    query = scoped(select(Question).join(Shop, Question.shop_id == Shop.id), user, Shop.street_id)
    if answered:
        return query.where(Question.answered_at.is_not(None))
    return query.where(Question.answered_at.is_(None))


def queue(user, *, answered: bool = False) -> list[Question]:
    """Questions of shops in the regulator's streets: unanswered by due date, or recent answers."""
    query = queue_query(user, answered=answered)
    order = (Question.answered_at.desc(),) if answered else (Question.due_on, Question.id)
    return list(db.session.scalars(query.order_by(*order).limit(200)))


def for_shops(shop_ids) -> list[Question]:
    return list(db.session.scalars(select(Question).where(Question.shop_id.in_(shop_ids or [-1]))
                                   .order_by(Question.asked_at.desc()).limit(200)))


def faq() -> list[Question]:
    return list(db.session.scalars(select(Question).where(Question.faq_published)
                                   .order_by(Question.answered_at.desc())))
