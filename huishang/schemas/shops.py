"""Shop schemas. The public variant carries no personal data and never the credit class; the
owner variant adds contacts; the staff variant adds the supervision fields."""
from marshmallow import Schema, fields, validate

from .base import UtcDateTime

STATUSES = ("open", "suspended", "closed")


class LicencePublicSchema(Schema):
    kind = fields.String()
    valid = fields.Method("get_valid")
    expires_on = fields.Date(allow_none=True)

    def get_valid(self, obj) -> bool:
        return obj.is_valid()


class LicenceSchema(LicencePublicSchema):
    id = fields.Integer()
    number = fields.String()
    issued_on = fields.Date(allow_none=True)


class BusinessTypeSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    name_en = fields.String()
    family = fields.String()
    parent = fields.Function(lambda bt: bt.parent.code if bt.parent else None, allow_none=True)
    is_food = fields.Boolean(required=True)
    static_risk = fields.String(allow_none=True, metadata={"description": "National grade A–D"})
    colour = fields.String(allow_none=True, metadata={"description": "red|orange|yellow|blue|null"})


class ShopPublicSchema(Schema):
    """What anyone may see."""

    code = fields.String()
    sign_name = fields.String()
    address = fields.String()
    street = fields.Function(lambda s: s.street.name)
    business_type = fields.Function(lambda s: s.business_type.name)
    business_type_code = fields.Function(lambda s: s.business_type.code)
    status = fields.String()
    opening_hours = fields.String()
    lat = fields.Float(allow_none=True)
    lng = fields.Float(allow_none=True)
    complex = fields.Function(lambda s: s.complex.name if s.complex else None, allow_none=True)
    serves_breakfast = fields.Boolean()
    latest_outcome = fields.String(allow_none=True)
    latest_inspected_on = fields.Date(allow_none=True)


class ShopOwnerSchema(ShopPublicSchema):
    """The merchant's and property manager's view: adds contacts and licences."""

    entity_name = fields.Function(lambda s: s.entity.name)
    uscc = fields.Function(lambda s: s.entity.uscc)
    contact = fields.String()
    phone = fields.String()
    cold_chain = fields.Boolean()
    registered_on = fields.Date()
    breakfast_spend = fields.Float(allow_none=True)
    breakfast_wait = fields.Integer(allow_none=True)
    breakfast_offer = fields.String()
    breakfast_hours = fields.String()
    licences = fields.List(fields.Nested(LicenceSchema))


class ShopStaffSchema(ShopOwnerSchema):
    """Regulators' and inspectors' view: adds the supervision fields."""

    id = fields.Integer()
    street_id = fields.Integer()
    closed_on = fields.Date(allow_none=True)
    static_tier = fields.String(allow_none=True)
    dynamic_grade = fields.String(allow_none=True)
    next_due_on = fields.Date(allow_none=True)
    due_reason = fields.String(allow_none=True)
    unresponsive = fields.Boolean()
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class ShopRegulatorSchema(ShopStaffSchema):
    """Regulators only: adds the internal credit class (never public, never on the plate)."""

    credit_class = fields.String(allow_none=True)


class ShopOwnerPage(Schema):
    """A page of shops as their merchant or property manager sees them."""

    items = fields.List(fields.Nested(ShopOwnerSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class ShopStaffPage(ShopOwnerPage):
    """Inspectors: each shop in the staff variant."""

    items = fields.List(fields.Nested(ShopStaffSchema))


class ShopPage(ShopStaffPage):
    """Regulators: each shop with its credit class. The documented page, covering the others."""

    items = fields.List(fields.Nested(ShopRegulatorSchema))


PAGE_OF = {ShopOwnerSchema: ShopOwnerPage, ShopStaffSchema: ShopStaffPage, ShopRegulatorSchema: ShopPage}

_text = {"validate": validate.Length(max=200)}


class ShopWriteSchema(Schema):
    """Fields accepted on create and update. Domain validation (USCC check character, streets,
    coordinates inside the district) happens in the registry service and is reported per field."""

    code = fields.String(validate=validate.Length(max=16))
    uscc = fields.String(validate=validate.Length(max=40))
    entity_name = fields.String(**_text)
    legal_rep = fields.String(validate=validate.Length(max=60))
    sign_name = fields.String(**_text)
    address = fields.String(**_text)
    street = fields.String(validate=validate.Length(max=40), metadata={"description": "name or code"})
    business_type = fields.String(validate=validate.Length(max=60),
                                  metadata={"description": "catalogue code or name"})
    complex = fields.String(allow_none=True, validate=validate.Length(max=100))
    lat = fields.Float(allow_none=True, allow_nan=False)
    lng = fields.Float(allow_none=True, allow_nan=False)
    status = fields.String(validate=validate.OneOf(("open", "suspended")))
    contact = fields.String(validate=validate.Length(max=60))
    phone = fields.String(validate=validate.Length(max=30))
    opening_hours = fields.String(validate=validate.Length(max=100))
    registered_on = fields.Date()
    licence_no = fields.String(validate=validate.Length(max=60))
    licence_expires = fields.Date(allow_none=True)
    serves_breakfast = fields.Boolean()
    cold_chain = fields.Boolean()
    breakfast_spend = fields.Float(allow_none=True, allow_nan=False)
    breakfast_wait = fields.Integer(allow_none=True)
    breakfast_offer = fields.String(validate=validate.Length(max=300))
    breakfast_hours = fields.String(validate=validate.Length(max=40))


class ShopCreateSchema(ShopWriteSchema):
    uscc = fields.String(required=True, validate=validate.Length(min=1, max=40))
    entity_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    sign_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    address = fields.String(required=True, validate=validate.Length(min=1, max=200))
    street = fields.String(required=True, validate=validate.Length(min=1, max=40))
    business_type = fields.String(required=True, validate=validate.Length(min=1, max=60))


class ShopCloseSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class ShopQuerySchema(Schema):
    street = fields.String(validate=validate.Length(max=40))
    business_type = fields.String(validate=validate.Length(max=60))
    status = fields.String(validate=validate.OneOf(STATUSES))
    q = fields.String(validate=validate.Length(max=100), metadata={"description": "free text"})
    complex = fields.String(validate=validate.Length(max=100))
