"""Schemas for the city systems' integration API (machine clients with API keys)."""

from marshmallow import Schema, fields, validate

from huishang.services.grading import penalties

from ..extensions import db
from ..models import Shop
from .base import DateText, UtcDateTime

_ext = {
    "required": True,
    "validate": validate.Length(min=1, max=64),
    "metadata": {"description": "the record's id in the city's system; repeats are idempotent"},
}


class InspectionPushSchema(Schema):
    external_id = fields.String(**_ext)
    shop_code = fields.String(required=True, validate=validate.Length(min=1, max=20))
    inspected_on = fields.Date(required=True)
    outcome = fields.String(
        required=True, validate=validate.OneOf(("pass", "partial", "fail", "符合", "基本符合", "不符合"))
    )
    full = fields.Boolean(load_default=True, metadata={"description": "false for a re-inspection (复查)"})
    rectification_deadline = fields.Date(allow_none=True, load_default=None)
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class PenaltyPushSchema(Schema):
    external_id = fields.String(**_ext)
    shop_code = fields.String(required=True, validate=validate.Length(min=1, max=20))
    decision_no = fields.String(required=True, validate=validate.Length(min=1, max=60))
    decided_on = fields.Date(required=True)
    violation = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    severity = fields.String(load_default="general", validate=validate.OneOf(("minor", "general", "severe")))
    fine = fields.Decimal(
        allow_none=True,
        load_default=None,
        places=2,
        as_string=False,
        validate=validate.Range(min=0, max=100000000),
    )
    kind = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(tuple(penalties.PENALTY_KINDS)),
                         metadata={"description": "penalty kind (SAMR Order 45); default fine_low if minor, else fine"})
    published_on = fields.Date(allow_none=True, load_default=None,
                               metadata={"description": "公示日期; unset: not public until a regulator records it"})
    basis = fields.String(load_default="", validate=validate.Length(max=2000))
    authority = fields.String(load_default="", validate=validate.Length(max=100))
    publicity_ends_on = fields.Date(
        allow_none=True, load_default=None,
        metadata={"description": "default: 3 months or 3 years by kind, from published_on (else decided_on)"}
    )
    fulfilled_on = fields.Date(allow_none=True, load_default=None)
    internal_note = fields.String(load_default="", validate=validate.Length(max=2000))


class InspectionRecordSchema(Schema):
    """An inspection as `citysync` writes it for the city's systems (dates already written)."""

    id = fields.Integer()
    external_id = fields.String(
        allow_none=True, metadata={"description": "null for inspections made in the app"}
    )
    shop_code = fields.String()
    inspected_on = DateText()
    outcome = fields.String()
    full = fields.Boolean()
    source = fields.String()
    rectification_deadline = DateText(allow_none=True)
    rectified_on = DateText(allow_none=True)


class PenaltyRecordSchema(Schema):
    """A stored `Penalty` as the city's systems see it (no violation text, no internal note)."""

    id = fields.Integer()
    external_id = fields.String()
    shop_code = fields.Function(lambda p: db.session.get(Shop, p.shop_id).code, metadata={"type": "string"})
    decision_no = fields.String()
    decided_on = fields.Date()
    severity = fields.String()
    fine = fields.Float(allow_none=True)
    publicity_ends_on = fields.Date()
    fulfilled_on = fields.Date(allow_none=True)


class ChangesQuerySchema(Schema):
    since = UtcDateTime(
        metadata={"description": "ISO 8601 (UTC when no offset); required without cursor"}
    )
    cursor = fields.String(
        validate=validate.Length(max=400), metadata={"description": "next_cursor of the previous page"}
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))


class ChangeSchema(Schema):
    type = fields.String(metadata={"description": "shop | inspection"})
    changed_at = fields.String()
    shop = fields.Dict(metadata={"description": "registry record (type shop)"})
    inspection = fields.Nested(InspectionRecordSchema, metadata={"description": "type inspection"})


class ChangesPageSchema(Schema):
    items = fields.List(fields.Nested(ChangeSchema))
    next_cursor = fields.String()
    has_more = fields.Boolean()
