"""The regulators' side of the merchant end's JSON API (bearer tokens): the review queue of
regulated changes and its decisions, and answers to merchants' questions. The URLs sit beside the
merchants' own (/api/v1/change-requests, /api/v1/questions/<id>/answer); the objects decide who may
act on them (`can_change`: regulators covering the shop's street).
"""
from flask import abort
from flask_login import current_user

from huishang.services.merchant import changes
from huishang.services.merchant import questions as question_service

from ..api import Blueprint
from ..extensions import csrf, db
from ..handling import commit
from ..models import ChangeRequest, Question
from ..schemas.merchant import ChangeRejectSchema, ChangeRequestSchema, QuestionAnswerSchema, QuestionSchema
from ..security import api_gate, roles_required

blp = Blueprint("admin-merchants-api", __name__, url_prefix="/api/v1",
                description="Regulators: review merchants' changes, answer their questions")
blp.before_request(api_gate())
csrf.exempt(blp)


def _regulator_scope(obj):
    """A change request or question the current user may decide (regulators in scope), else 403."""
    if not obj.can_change(current_user):
        abort(403, description="无权处理 (regulators in scope only)")
    return obj


# -- staff --------------------------------------------------------------------------------------


@blp.route("/change-requests", methods=["GET"])
@blp.response(200, ChangeRequestSchema(many=True))
@roles_required("regulator", message="只有监管者可以审核 (regulators only)")
def change_queue():
    """The review queue: pending requests of shops in the regulator's streets."""
    return changes.queue(current_user)


@blp.route("/change-requests/<int:change_id>/approve", methods=["POST"])
@blp.response(200, ChangeRequestSchema)
def change_approve(change_id):
    """Approve: the change is applied through the registry."""
    cr = _regulator_scope(db.session.get(ChangeRequest, change_id) or abort(404))
    changes.approve(cr, actor=current_user)
    commit()
    return cr


@blp.route("/change-requests/<int:change_id>/reject", methods=["POST"])
@blp.arguments(ChangeRejectSchema)
@blp.response(200, ChangeRequestSchema)
def change_reject(data, change_id):
    """Reject with a reason; nothing changes."""
    cr = _regulator_scope(db.session.get(ChangeRequest, change_id) or abort(404))
    changes.reject(cr, data["reason"], actor=current_user)
    commit()
    return cr


@blp.route("/questions/<int:question_id>/answer", methods=["POST"])
@blp.arguments(QuestionAnswerSchema)
@blp.response(200, QuestionSchema)
def question_answer(data, question_id):
    """Answer a question (regulators in scope); the merchant is notified."""
    question = _regulator_scope(db.session.get(Question, question_id) or abort(404))
    question_service.answer(question, data["answer"], actor=current_user)
    commit()
    return question
