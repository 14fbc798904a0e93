"""JSON API of the merchant and property ends (bearer tokens):

- /api/v1/shops/<code>/staff — the merchant and staff in scope get personal data; the complex's
  property manager gets masked names; anyone else 403. Merchants add, edit and remove staff.
- /api/v1/shops/<code>/change-requests, /api/v1/change-requests — regulated changes and their
  review (regulators in scope).
- /api/v1/notifications — the caller's notification centre.
- /api/v1/questions — merchants ask, regulators answer (the 2-working-day clock in each item).
- /api/v1/policies — the policies for the merchant's business types (all, for staff).
- /api/v1/claims — a logged-in merchant claims one more shop with a claim code.
- /api/v1/public/faq — the published FAQ, no token.
"""
from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint

from huishang.services.core import notifications
from huishang.services.merchant import changes, claims, policies
from huishang.services.merchant import questions as question_service
from huishang.services.merchant import staff as staff_service

from ..api import respond
from ..extensions import csrf, db, limiter
from ..models import ChangeRequest, Question, Staff
from ..schemas.merchant import (
    ChangeRejectSchema,
    ChangeRequestSchema,
    ChangeRequestWriteSchema,
    ClaimCodeSchema,
    ClaimedShopSchema,
    FaqSchema,
    NotificationListSchema,
    NotificationReadSchema,
    PolicySchema,
    QuestionAnswerSchema,
    QuestionSchema,
    QuestionWriteSchema,
    StaffListSchema,
    StaffMaskedSchema,
    StaffSchema,
    StaffWriteSchema,
)
from ..security import api_gate, json_error
from ..views import commit, load_shop
from .common import own_object

blp = Blueprint("merchant-api", __name__, url_prefix="/api/v1",
                description="Merchant and property ends: staff, changes, questions, notifications")
blp.before_request(api_gate())
csrf.exempt(blp)

public_blp = Blueprint("faq-api", __name__, url_prefix="/api/v1/public", description="Published FAQ")
csrf.exempt(public_blp)


def _regulator_scope(obj):
    if current_user.role != "regulator" or not current_user.covers_street(obj.shop.street_id):
        abort(403, description="无权处理 (regulators in scope only)")
    return obj


# -- staff --------------------------------------------------------------------------------------
@blp.route("/shops/<code>/staff", methods=["GET"])
@blp.response(200, StaffListSchema)
def staff_list(code):
    """Staff of a shop. Property managers get masked names and posts only (no coverage)."""
    shop = load_shop(code)
    people = staff_service.for_shop(shop)
    if staff_service.may_see_personal(current_user, shop):
        return respond({"items": StaffSchema(many=True).dump(people),
                        "coverage": staff_service.coverage(shop)})
    return respond({"items": StaffMaskedSchema(many=True).dump([p for p in people if p.active]),
                    "coverage": None})


@blp.route("/shops/<code>/staff", methods=["POST"])
@blp.arguments(StaffWriteSchema)
@blp.response(201, StaffSchema)
def staff_add(data, code):
    """Add a staff member (the shop's merchant)."""
    shop = load_shop(code)
    if not current_user.owns_shop(shop):
        return json_error(403, "只有本店经营者可以登记员工 (the shop's merchant only)")
    person = staff_service.add(shop, _staff_data(data), actor=current_user)
    commit()
    return respond(StaffSchema().dump(person), 201)


def _staff_data(data):
    data = dict(data)
    data["vaccine_dates"] = [d.isoformat() for d in data.get("vaccine_dates") or []]
    if data.get("health_cert_expires"):
        data["health_cert_expires"] = data["health_cert_expires"].isoformat()
    return data


@blp.route("/staff/<int:staff_id>", methods=["PUT"])
@blp.arguments(StaffWriteSchema)
@blp.response(200, StaffSchema)
def staff_update(data, staff_id):
    """Replace a staff member's record (the shop's merchant)."""
    person = staff_service.update(own_object(Staff, staff_id), _staff_data(data), actor=current_user)
    commit()
    return respond(StaffSchema().dump(person))


@blp.route("/staff/<int:staff_id>", methods=["DELETE"])
@blp.response(204)
def staff_delete(staff_id):
    """Remove a staff member (the shop's merchant)."""
    staff_service.remove(own_object(Staff, staff_id), actor=current_user)
    commit()
    return "", 204


# -- change requests ----------------------------------------------------------------------------
@blp.route("/shops/<code>/change-requests", methods=["GET"])
@blp.response(200, ChangeRequestSchema(many=True))
def shop_changes(code):
    """Change requests of a shop (its merchant, or staff in scope)."""
    shop = load_shop(code)
    if current_user.role == "property":
        return json_error(403, "物业无权查看变更申请 (not for property managers)")
    return respond(ChangeRequestSchema(many=True).dump(changes.for_shops([shop.id])))


@blp.route("/shops/<code>/change-requests", methods=["POST"])
@blp.arguments(ChangeRequestWriteSchema)
@blp.response(201, ChangeRequestSchema)
def shop_change_create(data, code):
    """File a change of sign name, address or business type for review (the shop's merchant)."""
    shop = load_shop(code)
    if not current_user.owns_shop(shop):
        return json_error(403, "只有本店经营者可以申请变更 (the shop's merchant only)")
    note = data.pop("note", "")
    cr = changes.request_shop_change(shop, data, actor=current_user, note=note)
    commit()
    return respond(ChangeRequestSchema().dump(cr), 201)


@blp.route("/change-requests", methods=["GET"])
@blp.response(200, ChangeRequestSchema(many=True))
def change_queue():
    """The review queue: pending requests of shops in the regulator's streets."""
    if current_user.role != "regulator":
        return json_error(403, "只有监管者可以审核 (regulators only)")
    return respond(ChangeRequestSchema(many=True).dump(changes.queue(current_user)))


@blp.route("/change-requests/<int:change_id>/approve", methods=["POST"])
@blp.response(200, ChangeRequestSchema)
def change_approve(change_id):
    """Approve: the change is applied through the registry."""
    cr = _regulator_scope(db.session.get(ChangeRequest, change_id) or abort(404))
    changes.approve(cr, actor=current_user)
    commit()
    return respond(ChangeRequestSchema().dump(cr))


@blp.route("/change-requests/<int:change_id>/reject", methods=["POST"])
@blp.arguments(ChangeRejectSchema)
@blp.response(200, ChangeRequestSchema)
def change_reject(data, change_id):
    """Reject with a reason; nothing changes."""
    cr = _regulator_scope(db.session.get(ChangeRequest, change_id) or abort(404))
    changes.reject(cr, data["reason"], actor=current_user)
    commit()
    return respond(ChangeRequestSchema().dump(cr))


# -- notifications ------------------------------------------------------------------------------
@blp.route("/notifications", methods=["GET"])
@blp.response(200, NotificationListSchema)
def notification_list():
    """The caller's notifications, newest first, with the unread count."""
    items = notifications.for_user(current_user)
    return respond(NotificationListSchema().dump(
        {"items": items, "unread": notifications.unread_count(current_user)}))


@blp.route("/notifications/read", methods=["POST"])
@blp.arguments(NotificationReadSchema)
@blp.response(200, NotificationListSchema)
def notification_read(data):
    """Mark the given notifications (or all) read."""
    if data.get("ids") is None:
        notifications.mark_read(current_user)
    else:
        for notification_id in data["ids"]:
            notifications.mark_read(current_user, notification_id)
    commit()
    return notification_list()


# -- questions and policies ---------------------------------------------------------------------
@blp.route("/questions", methods=["GET"])
@blp.response(200, QuestionSchema(many=True))
def question_list():
    """Merchants: their questions. Regulators: the unanswered queue of their streets."""
    if current_user.role == "merchant":
        items = question_service.for_shops([s.id for s in current_user.shops])
    elif current_user.role == "regulator":
        items = question_service.queue(current_user)
    else:
        return json_error(403, "当前角色无权查看咨询 (this role may not)")
    return respond(QuestionSchema(many=True).dump(items))


@blp.route("/questions", methods=["POST"])
@blp.arguments(QuestionWriteSchema)
@blp.response(201, QuestionSchema)
def question_ask(data):
    """Ask the regulator (merchants, for one of their shops). Attachments: the web form."""
    shop = load_shop(data["shop_code"])
    if not current_user.owns_shop(shop):
        return json_error(403, "只有本店经营者可以咨询 (the shop's merchant only)")
    question = question_service.ask(shop, data["body"], actor=current_user)
    commit()
    return respond(QuestionSchema().dump(question), 201)


@blp.route("/questions/<int:question_id>/answer", methods=["POST"])
@blp.arguments(QuestionAnswerSchema)
@blp.response(200, QuestionSchema)
def question_answer(data, question_id):
    """Answer a question (regulators in scope); the merchant is notified."""
    question = _regulator_scope(db.session.get(Question, question_id) or abort(404))
    question_service.answer(question, data["answer"], actor=current_user)
    commit()
    return respond(QuestionSchema().dump(question))


@blp.route("/policies", methods=["GET"])
@blp.response(200, PolicySchema(many=True))
def policy_list():
    """Policies for the merchant's business types; every policy for staff."""
    if current_user.role == "merchant":
        items = policies.for_merchant(current_user)
    elif current_user.is_staff:
        items = policies.all_policies()
    else:
        return json_error(403, "当前角色无权查看 (this role may not)")
    return respond(PolicySchema(many=True).dump(items))


@blp.route("/claims", methods=["POST"])
@blp.arguments(ClaimCodeSchema)
@blp.response(200, ClaimedShopSchema)
@limiter.limit("10 per minute; 50 per hour")
def claim(data):
    """A merchant claims one more shop with the claim code from its welcome letter."""
    shop = claims.claim(current_user, data["code"])
    commit()
    return respond({"shop_code": shop.code, "sign_name": shop.sign_name})


@public_blp.route("/faq", methods=["GET"])
@public_blp.response(200, FaqSchema(many=True))
def faq():
    """Answered questions published as FAQ — no shop, no merchant."""
    return question_service.faq()
