"""Open-data schemas: the query arguments and the public rows (no personal or internal data)."""

from marshmallow import Schema, fields, validate

from .base import UtcDateTime

MAX_PER_PAGE = 500


class OpenQuerySchema(Schema):
    updated_since = UtcDateTime(metadata={"description": "ISO 8601, UTC; rows changed after it"})
    page = fields.Integer(load_default=1, validate=validate.Range(1, 1000000))
    per_page = fields.Integer(load_default=100, validate=validate.Range(1, MAX_PER_PAGE))


class OpenBusinessSchema(Schema):
    business_id = fields.String(metadata={"description": "the shop's public plate code"})
    name = fields.String()
    address = fields.String()
    city = fields.String()
    district = fields.String()
    street = fields.String()
    business_type = fields.String()
    business_type_code = fields.String()
    status = fields.String(metadata={"description": "open | suspended | closed"})
    latitude = fields.Float(allow_none=True, metadata={"description": "WGS-84"})
    longitude = fields.Float(allow_none=True, metadata={"description": "WGS-84"})
    opening_hours = fields.String()
    serves_breakfast = fields.Boolean()
    latest_outcome = fields.String(allow_none=True)
    latest_inspected_on = fields.String(allow_none=True)
    updated_at = fields.String()


class OpenInspectionSchema(Schema):
    inspection_id = fields.Integer()
    business_id = fields.String()
    date = fields.String()
    type = fields.String(metadata={"description": "routine (full inspection) | followup"})
    outcome = fields.String(metadata={"description": "pass | partial | fail"})
    description = fields.String(metadata={"description": "符合 | 基本符合 | 不符合"})
    grade = fields.String(metadata={"description": "良好 | 一般 | 较差"})
    updated_at = fields.String()


class _Page(Schema):
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    next_page = fields.Integer(allow_none=True)


class OpenBusinessPage(_Page):
    items = fields.List(fields.Nested(OpenBusinessSchema))


class OpenInspectionPage(_Page):
    items = fields.List(fields.Nested(OpenInspectionSchema))
