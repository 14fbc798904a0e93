"""Breakfast-map schemas: public fields only (no contact, phone, credit class or licences)."""

from marshmallow import Schema, fields, validate

from ..services.breakfast import MAX_LIMIT


class BreakfastQuerySchema(Schema):
    lat = fields.Float(
        required=True,
        allow_nan=False,
        validate=validate.Range(-90, 90),
        metadata={"description": "WGS-84 latitude of the citizen"},
    )
    lng = fields.Float(
        required=True,
        allow_nan=False,
        validate=validate.Range(-180, 180),
        metadata={"description": "WGS-84 longitude of the citizen"},
    )
    limit = fields.Integer(load_default=20, validate=validate.Range(1, MAX_LIMIT))


class BreakfastPointSchema(Schema):
    """One breakfast point as anyone may see it."""

    code = fields.Function(lambda p: p.shop.code)
    sign_name = fields.Function(lambda p: p.shop.sign_name)
    address = fields.Function(lambda p: p.shop.address)
    street = fields.Function(lambda p: p.shop.street.name)
    business_type = fields.Function(lambda p: p.shop.business_type.name)
    lat = fields.Function(lambda p: p.shop.lat, metadata={"description": "WGS-84"})
    lng = fields.Function(lambda p: p.shop.lng, metadata={"description": "WGS-84"})
    distance_m = fields.Float(metadata={"description": "great-circle distance in metres"})
    spend_per_person = fields.Function(
        lambda p: float(p.shop.breakfast_spend) if p.shop.breakfast_spend is not None else None,
        allow_none=True,
        metadata={"description": "yuan per person"},
    )
    average_wait_min = fields.Function(lambda p: p.shop.breakfast_wait, allow_none=True)
    offer = fields.Function(lambda p: p.shop.breakfast_offer)
    hours = fields.Function(lambda p: p.shop.breakfast_hours)
    serving_now = fields.Boolean(
        allow_none=True, metadata={"description": "null when the hours are not given"}
    )
    latest_outcome = fields.Function(lambda p: p.shop.latest_outcome, allow_none=True)
    latest_inspected_on = fields.Function(
        lambda p: p.shop.latest_inspected_on.isoformat() if p.shop.latest_inspected_on else None,
        allow_none=True,
    )
    grade = fields.Function(
        lambda p: p.grade[0] if p.grade else None,
        allow_none=True,
        metadata={"description": "良好 | 一般 | 较差 from the latest inspection"},
    )


class BreakfastListSchema(Schema):
    items = fields.List(fields.Nested(BreakfastPointSchema))
    count = fields.Integer()
