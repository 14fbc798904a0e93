"""Schemas of the merchant and property ends, a variant per audience.

- Staff: `StaffSchema` (personal data: the shop's merchant and staff in scope) and
  `StaffMaskedSchema` (anyone else allowed to see the shop, e.g. its property manager: masked
  name and post only). Never public.
- Questions: `QuestionSchema` for the asking merchant and regulators; `FaqSchema` is public and
  carries neither the shop nor the merchant.
- Change requests, notifications, policies: one audience each (owner or regulator in scope).
"""
from marshmallow import Schema, fields, validate

from huishang.services.merchant import time_left

from ..extensions import db
from ..models import Shop


class StaffMaskedSchema(Schema):
    name = fields.String(attribute="masked_name")
    role = fields.String()


class StaffSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    phone = fields.String()
    role = fields.String()
    health_cert_no = fields.String()
    health_cert_expires = fields.Date(allow_none=True)
    vaccine_doses = fields.Integer()
    vaccine_dates = fields.List(fields.String())
    active = fields.Boolean()


class StaffWriteSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 40))
    phone = fields.String(load_default="", validate=validate.Length(max=30))
    role = fields.String(load_default="", validate=validate.Length(max=40))
    health_cert_no = fields.String(load_default="", validate=validate.Length(max=60))
    health_cert_expires = fields.Date(load_default=None, allow_none=True)
    vaccine_doses = fields.Integer(load_default=0, validate=validate.Range(0, 6))
    vaccine_dates = fields.List(fields.Date(), load_default=list, validate=validate.Length(max=6))
    active = fields.Boolean(load_default=True)


class StaffCoverageSchema(Schema):
    total = fields.Integer()
    cert_valid = fields.Integer()
    cert_missing_or_expired = fields.Integer()
    cert_expiring_30 = fields.Integer()
    vaccinated = fields.Integer()
    full = fields.Integer()
    boosted = fields.Integer()
    cert_pct = fields.Integer(allow_none=True)
    vaccinated_pct = fields.Integer(allow_none=True)
    full_pct = fields.Integer(allow_none=True)
    boosted_pct = fields.Integer(allow_none=True)


class StaffListSchema(Schema):
    items = fields.List(fields.Nested(StaffSchema))
    coverage = fields.Nested(StaffCoverageSchema, allow_none=True)


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    link = fields.String()
    shop_code = fields.Function(lambda n: n.shop_id and _shop_code(n.shop_id), allow_none=True)
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


def _shop_code(shop_id):
    shop = db.session.get(Shop, shop_id)
    return shop.code if shop else None


class NotificationListSchema(Schema):
    items = fields.List(fields.Nested(NotificationSchema))
    unread = fields.Integer()


class NotificationReadSchema(Schema):
    ids = fields.List(fields.Integer(), load_default=None, allow_none=True,
                      metadata={"description": "notification ids; omit to mark all read"})


class ChangeRequestSchema(Schema):
    id = fields.Integer()
    shop_code = fields.Function(lambda cr: cr.shop.code)
    kind = fields.String()
    status = fields.String()
    before = fields.Dict()
    after = fields.Dict()
    note = fields.String()
    reason = fields.String(allow_none=True)
    created_at = fields.DateTime()
    reviewed_at = fields.DateTime(allow_none=True)


class ChangeRequestWriteSchema(Schema):
    sign_name = fields.String(validate=validate.Length(1, 100))
    address = fields.String(validate=validate.Length(1, 200))
    business_type = fields.String(validate=validate.Length(1, 60), metadata={"description": "code or name"})
    note = fields.String(load_default="", validate=validate.Length(max=1000))


class ChangeRejectSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(1, 1000))


class QuestionSchema(Schema):
    id = fields.Integer()
    shop_code = fields.Function(lambda q: q.shop.code)
    body = fields.String()
    has_attachment = fields.Function(lambda q: bool(q.attachment))
    asked_at = fields.DateTime()
    due_on = fields.Date()
    workdays_left = fields.Method("get_left", allow_none=True)
    overdue = fields.Method("get_overdue")
    answer = fields.String(allow_none=True)
    answered_at = fields.DateTime(allow_none=True)
    faq_published = fields.Boolean()

    def get_left(self, q):
        return time_left(q)["workdays"]

    def get_overdue(self, q):
        return time_left(q)["overdue"]


class QuestionWriteSchema(Schema):
    shop_code = fields.String(required=True, validate=validate.Length(1, 16))
    body = fields.String(required=True, validate=validate.Length(1, 2000))


class QuestionAnswerSchema(Schema):
    answer = fields.String(required=True, validate=validate.Length(1, 4000))


class FaqSchema(Schema):
    """Public: no shop, no merchant."""

    question = fields.String(attribute="faq_question")
    answer = fields.String(attribute="faq_answer")
    answered_on = fields.Function(lambda q: q.answered_at.date().isoformat() if q.answered_at else None)


class PolicySchema(Schema):
    id = fields.Integer()
    title = fields.String()
    body = fields.String()
    source = fields.String()
    published_at = fields.DateTime()
    business_types = fields.Function(lambda p: [t.code for t in p.business_types])


class ClaimCodeSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(1, 20))




class ClaimedShopSchema(Schema):
    shop_code = fields.String()
    sign_name = fields.String()
