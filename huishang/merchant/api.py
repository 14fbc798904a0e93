"""JSON API of the merchant and property ends (bearer tokens):

- /api/v1/shops/<code>/staff — the merchant and staff in scope get personal data; the complex's
  property manager gets masked names; anyone else 403. Merchants add, edit and remove staff.
- /api/v1/shops/<code>/change-requests — a merchant files a regulated change (the regulators'
  review queue and decisions are in `admin/merchants_api.py`).
- /api/v1/notifications — the caller's notification centre.
- /api/v1/questions — merchants ask (the 2-working-day clock in each item); regulators answer
  through `admin/merchants_api.py`.
- /api/v1/policies — the policies for the merchant's business types (all, for staff).
- /api/v1/claims — a logged-in merchant claims one more shop with a claim code.
- /api/v1/public/faq — the published FAQ, no token.
"""
from flask_login import current_user

from huishang.services.core import notifications
from huishang.services.merchant import changes, claims, policies
from huishang.services.merchant import questions as question_service
from huishang.services.merchant import staff as staff_service

from ..api import Blueprint
from ..extensions import csrf, limiter
from ..handling import commit, load_shop
from ..models import Staff
from ..schemas.base import Variant
from ..schemas.merchant import (
    ChangeRequestSchema,
    ChangeRequestWriteSchema,
    ClaimCodeSchema,
    ClaimedShopSchema,
    FaqSchema,
    NotificationListSchema,
    NotificationReadSchema,
    PolicySchema,
    QuestionSchema,
    QuestionWriteSchema,
    StaffListSchema,
    StaffMaskedListSchema,
    StaffSchema,
    StaffWriteSchema,
)
from ..security import api_gate, roles_required
from .common import own_object

blp = Blueprint("merchant-api", __name__, url_prefix="/api/v1",
                description="Merchant and property ends: staff, changes, questions, notifications")
blp.before_request(api_gate())
csrf.exempt(blp)

public_blp = Blueprint("faq-api", __name__, url_prefix="/api/v1/public", description="Published FAQ")
csrf.exempt(public_blp)


@blp.route("/shops/<code>/staff", methods=["GET"])
@blp.response(200, StaffListSchema)
def staff_list(code):
    """Staff of a shop. Property managers get masked names and posts only (no coverage)."""
    shop = load_shop(code)
    people = staff_service.for_shop(shop)
    if staff_service.may_see_personal(current_user, shop):
        return {"items": people, "coverage": staff_service.coverage(shop)}
    return Variant(StaffMaskedListSchema, {"items": [p for p in people if p.active], "coverage": None})


@blp.route("/shops/<code>/staff", methods=["POST"])
@blp.arguments(StaffWriteSchema)
@blp.response(201, StaffSchema)
@roles_required("merchant", message="只有本店经营者可以登记员工 (the shop's merchant only)")
def staff_add(data, code):
    """Add a staff member (the shop's merchant: a merchant may view only the shops they hold)."""
    shop = load_shop(code)
    person = staff_service.add(shop, _staff_data(data), actor=current_user)
    commit()
    return person


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
    return person


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
@roles_required("regulator", "inspector", "merchant", message="物业无权查看变更申请 (not for property managers)")
def shop_changes(code):
    """Change requests of a shop (its merchant, or staff in scope)."""
    shop = load_shop(code)
    return changes.for_shops([shop.id])


@blp.route("/shops/<code>/change-requests", methods=["POST"])
@blp.arguments(ChangeRequestWriteSchema)
@blp.response(201, ChangeRequestSchema)
@roles_required("merchant", message="只有本店经营者可以申请变更 (the shop's merchant only)")
def shop_change_create(data, code):
    """File a change of sign name, address or business type for review (the shop's merchant)."""
    shop = load_shop(code)
    note = data.pop("note", "")
    cr = changes.request_shop_change(shop, data, actor=current_user, note=note)
    commit()
    return cr


# -- notifications ------------------------------------------------------------------------------
@blp.route("/notifications", methods=["GET"])
@blp.response(200, NotificationListSchema)
def notification_list():
    """The caller's notifications, newest first, with the unread count."""
    return _notifications()


def _notifications() -> dict:
    return {"items": notifications.for_user(current_user), "unread": notifications.unread_count(current_user)}


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
    return _notifications()


# -- questions and policies ---------------------------------------------------------------------
@blp.route("/questions", methods=["GET"])
@blp.response(200, QuestionSchema(many=True))
@roles_required("merchant", "regulator", message="当前角色无权查看咨询 (this role may not)")
def question_list():
    """Merchants: their questions. Regulators: the unanswered queue of their streets."""
    if current_user.role == "merchant":
        items = question_service.for_shops([s.id for s in current_user.shops])
    else:
        items = question_service.queue(current_user)
    return items


@blp.route("/questions", methods=["POST"])
@blp.arguments(QuestionWriteSchema)
@blp.response(201, QuestionSchema)
@roles_required("merchant", message="只有本店经营者可以咨询 (the shop's merchant only)")
def question_ask(data):
    """Ask the regulator (merchants, for one of their shops). Attachments: the web form."""
    shop = load_shop(data["shop_code"])
    question = question_service.ask(shop, data["body"], actor=current_user)
    commit()
    return question


@blp.route("/policies", methods=["GET"])
@blp.response(200, PolicySchema(many=True))
@roles_required("merchant", "regulator", "inspector", message="当前角色无权查看 (this role may not)")
def policy_list():
    """Policies for the merchant's business types; every policy for staff."""
    if current_user.role == "merchant":
        items = policies.for_merchant(current_user)
    else:
        items = policies.all_policies()
    return items


@blp.route("/claims", methods=["POST"])
@blp.arguments(ClaimCodeSchema)
@blp.response(200, ClaimedShopSchema)
@limiter.limit("10 per minute; 50 per hour")
def claim(data):
    """A merchant claims one more shop with the claim code from its welcome letter."""
    shop = claims.claim(current_user, data["code"])
    commit()
    return shop


@public_blp.route("/faq", methods=["GET"])
@public_blp.response(200, FaqSchema(many=True))
def faq():
    """Answered questions published as FAQ — no shop, no merchant."""
    return question_service.faq()
