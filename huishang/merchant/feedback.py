"""Merchant pages for feedback: complaints the desk forwarded about their shops (answered here,
without anything about the complainant) and customer reviews (replied to here)."""
from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from huishang.services.feedback import complaints as service
from huishang.services.feedback import mask_personal
from huishang.services.feedback import reviews as review_service

from ..extensions import db
from ..handling import commit_or_fail
from ..models import Review, today
from . import bp


def own_complaint(ticket: str):
    """A complaint forwarded about one of the merchant's shops; 404 otherwise (even when it
    exists: a merchant may not learn of complaints the desk has not forwarded)."""
    complaint = service.get(ticket)
    if complaint is None or not complaint.can_view(current_user):
        abort(404)
    return complaint


@bp.get("/complaints", endpoint="complaints")
def complaints():
    """投诉处理"""
    items = db.session.scalars(service.for_merchant(current_user.shops)).all()
    return render_template("feedback/merchant_complaints.html", items=items, today=today())


def _detail(complaint, status=200, errors=None, form=None):
    return render_template("feedback/merchant_complaint.html", c=complaint, description=mask_personal(
        complaint.description), notes=service.notes_for(complaint, "merchant"), errors=errors or {}, form=form or {},
        today=today()), status


@bp.get("/complaints/<ticket>", endpoint="complaint")
def complaint(ticket: str):
    return _detail(own_complaint(ticket))


@bp.post("/complaints/<ticket>/answer", endpoint="complaint_answer")
def answer(ticket: str):
    complaint = own_complaint(ticket)
    done, failed = commit_or_fail(
        lambda: service.transition(complaint, "answer", role="merchant", actor=current_user,
                                   note=request.form.get("note")),
        done=url_for("merchant.complaint", ticket=complaint.ticket),
        message=_("答复已提交，监管部门会跟进办结。"), category="ok")
    if failed is None:
        return done
    return _detail(own_complaint(ticket), failed.status, failed.errors or {"note": [failed.message]}, request.form)


@bp.get("/reviews", endpoint="reviews")
def reviews():
    """顾客点评"""
    return render_template("feedback/merchant_reviews.html", shops=current_user.shops,
                           reviews=review_service.for_merchant(current_user.shops), errors={})


@bp.post("/reviews/<int:review_id>/reply", endpoint="review_reply")
def reply(review_id: int):
    review = db.session.get(Review, review_id)
    if review is None:
        abort(404)
    if not review.can_change(current_user):
        abort(403)
    done, failed = commit_or_fail(lambda: review_service.reply(review, request.form.get("reply"), actor=current_user),
                                  done=url_for("merchant.reviews"), message=_("回复已发布"), category="ok")
    if failed is None:
        return done
    return render_template("feedback/merchant_reviews.html", shops=current_user.shops,
                           reviews=review_service.for_merchant(current_user.shops),
                           errors={review_id: [m for ms in failed.errors.values() for m in ms]
                                   or [failed.message]},
                           form=request.form), failed.status
