"""Checklist and inspection schemas: a variant per audience.

Staff (inspectors, regulators) see everything; the shop's merchant sees their results without the
device id and GPS fix of the inspectors' phones; the public variant is the face and date only.
"""

from marshmallow import Schema, fields, validate

from huishang.services.catalog import checklists as catalog_checklists
from huishang.services.inspections import fields as answer_fields

from ..models.inspections import OUTCOME_FACES, OUTCOME_LABELS, RESULTS
from .base import UtcDateTime

MAX_NOTE = answer_fields.MAX_NOTE


class ChecklistItemSchema(Schema):
    id = fields.Integer()
    section = fields.String()
    text = fields.String()
    text_en = fields.String()
    key = fields.Boolean(metadata={"description": "重点项 (key item) when true, else 一般项"})
    basis = fields.String()


class ChecklistTemplateSchema(Schema):
    id = fields.Integer()
    key = fields.String()
    version = fields.Integer()
    kind = fields.String(metadata={"description": "inspection | self_check"})
    topic = fields.String(metadata={"description": "food_safety | market | cold_chain | epidemic"})
    name = fields.String()
    name_en = fields.String()
    current = fields.Boolean()
    full = fields.Function(lambda t: catalog_checklists.is_full(getattr(t, "template", t)),
                           metadata={"description": "an inspection with it is a full inspection (sets the grade)"})
    items = fields.List(fields.Nested(ChecklistItemSchema))


class ApplicableTemplateSchema(ChecklistTemplateSchema):
    """A template that applies to a shop, with why (dumps a `checklists.Applicable`)."""

    reason = fields.String(metadata={"description": "why it applies, e.g. 业态 快餐, 冷链：是 → 蓝色"})

    def get_attribute(self, obj, attr, default):
        return super().get_attribute(obj if attr == "reason" else obj.template, attr, default)


class ShopChecklistsSchema(Schema):
    shop_code = fields.String()
    colour = fields.String(allow_none=True, metadata={"description": "cold-chain colour or null"})
    colour_reason = fields.String()
    inspection = fields.List(fields.Nested(ApplicableTemplateSchema))
    self_check = fields.List(fields.Nested(ApplicableTemplateSchema))


MAX_ID = 2**31 - 1
_id = {"required": True, "validate": validate.Range(1, MAX_ID)}


class AnswerInSchema(Schema):
    """One answer. Its result (符合/不符合/不适用 are read too) and note are checked by the
    service with the answer's checks (`inspections.fields`), whose messages name the item, as the
    inspection and self-check pages show them."""

    item_id = fields.Integer(**_id)
    result = fields.String(required=True, metadata={"enum": list(RESULTS)})
    note = fields.String(load_default="", metadata={"maxLength": MAX_NOTE})


class InspectionCreateSchema(Schema):
    shop_code = fields.String(required=True, validate=validate.Length(min=1, max=20))
    template_id = fields.Integer(**_id)
    co_inspector = fields.String(
        required=True,
        validate=validate.Length(min=1, max=60),
        metadata={"description": "username of the second inspector"},
    )
    answers = fields.List(
        fields.Nested(AnswerInSchema), required=True, validate=validate.Length(min=1, max=500)
    )
    client_id = fields.String(
        required=True,
        validate=validate.Length(min=8, max=64),
        metadata={"description": "client-generated id; a retry returns the same inspection"},
    )
    inspected_on = fields.Date(load_default=None)
    rectification_deadline = fields.Date(load_default=None)
    lat = fields.Float(load_default=None, allow_none=True, allow_nan=False, validate=validate.Range(-90, 90))
    lng = fields.Float(
        load_default=None, allow_none=True, allow_nan=False, validate=validate.Range(-180, 180)
    )
    note = fields.String(load_default="", validate=validate.Length(max=1000))


class SelfCheckCreateSchema(Schema):
    template_id = fields.Integer(**_id)
    answers = fields.List(
        fields.Nested(AnswerInSchema), required=True, validate=validate.Length(min=1, max=500)
    )
    client_id = fields.String(load_default=None, validate=validate.Length(min=8, max=64))
    checked_on = fields.Date(load_default=None)


class AnswerSchema(Schema):
    item_id = fields.Integer()
    result = fields.String()
    note = fields.String()
    photos = fields.Function(
        lambda a: len([p for p in (a.photos or "").split("\n") if p]),
        metadata={"description": "number of photos"},
    )


class RectificationSchema(Schema):
    id = fields.Integer()
    deadline = fields.Date()
    reported_done_on = fields.Date(allow_none=True)
    report_note = fields.String(allow_none=True)
    closed_on = fields.Date(allow_none=True)
    closed_by_inspection_id = fields.Integer(allow_none=True)


class InspectionPublicSchema(Schema):
    """What a citizen may see: the face and the date."""

    inspected_on = fields.Date()
    outcome = fields.String()
    outcome_label = fields.Function(lambda i: OUTCOME_LABELS.get(i.outcome))
    face = fields.Function(lambda i: OUTCOME_FACES.get(i.outcome, ("", ""))[0])


class InspectionOwnerSchema(InspectionPublicSchema):
    """The shop's merchant: the full result, who inspected, the rectification, their own answer."""

    id = fields.Integer()
    shop_code = fields.Function(lambda i: i.shop.code)
    template_id = fields.Integer(allow_none=True)
    template_name = fields.Function(lambda i: i.template.name if i.template else None)
    template_version = fields.Function(lambda i: i.template.version if i.template else None)
    inspector = fields.Function(lambda i: i.inspector.label if i.inspector else None)
    co_inspector = fields.Function(lambda i: i.co_inspector.label if i.co_inspector else None)
    full = fields.Boolean()
    source = fields.String()
    note = fields.String()
    rectification_deadline = fields.Function(
        lambda i: i.rectification.deadline.isoformat() if i.rectification else None
    )
    rectification = fields.Function(
        lambda i: RectificationSchema().dump(i.rectification) if i.rectification else None
    )
    ack_status = fields.String(allow_none=True)
    ack_note = fields.String(allow_none=True)
    answers = fields.List(fields.Nested(AnswerSchema))


class InspectionStaffSchema(InspectionOwnerSchema):
    """Inspectors and regulators: adds the device's client id and the GPS fix."""

    client_id = fields.String(allow_none=True)
    inspector_username = fields.Function(lambda i: i.inspector.username if i.inspector else None)
    co_inspector_username = fields.Function(lambda i: i.co_inspector.username if i.co_inspector else None)
    lat = fields.Float(allow_none=True)
    lng = fields.Float(allow_none=True)
    created_at = UtcDateTime()
    referred_at = UtcDateTime(allow_none=True, metadata={"description": "移送立案: when it was referred for a case"})
    referred_by = fields.Function(lambda i: i.referred_by.label if i.referred_by else None)
    referral_note = fields.String(allow_none=True)


class SelfCheckSchema(Schema):
    id = fields.Integer()
    shop_code = fields.Function(lambda s: s.shop.code)
    template_id = fields.Integer()
    template_name = fields.Function(lambda s: s.template.name)
    checked_on = fields.Date()
    outcome = fields.String()
    outcome_label = fields.Function(lambda s: OUTCOME_LABELS.get(s.outcome))
    answers = fields.List(fields.Dict())
