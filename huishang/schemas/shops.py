"""Shop schemas. The public variant carries no personal data and never the credit class; the
owner variant adds contacts; the staff variant adds the supervision fields."""
from marshmallow import Schema, fields, validate

from huishang.services.registry import fields as shop
from huishang.validation import Choice, Day, Number, Text, WholeNumber, YesNo

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

class ShopWriteSchema(Schema):
    """Fields accepted on create and update, each read with its registry field's check (the same
    messages as the admin form and the import): required, size, type. The registry service checks
    them again with the catalogue look-ups and the rules between fields (USCC check character,
    streets, coordinates inside the district) and reports every bad field at once."""

    code = Text(shop.CODE)
    uscc = Text(shop.USCC)
    entity_name = Text(shop.ENTITY_NAME)
    legal_rep = Text(shop.LEGAL_REP)
    sign_name = Text(shop.SIGN_NAME)
    address = Text(shop.ADDRESS)
    street = Text(shop.STREET, metadata={"description": "name or code"})
    business_type = Text(shop.BUSINESS_TYPE, metadata={"description": "catalogue code or name"})
    complex = Text(shop.COMPLEX, allow_none=True)
    lat = Number(allow_none=True)
    lng = Number(allow_none=True)
    status = Choice(shop.OPEN_STATUS, ("open", "suspended"))
    contact = Text(shop.CONTACT)
    phone = Text(shop.PHONE_NUMBER, metadata={"maxLength": shop.TEXT_LIMITS["phone"]})
    opening_hours = Text(shop.OPENING_HOURS)
    registered_on = Day()
    licence_no = Text(shop.LICENCE_NO)
    licence_expires = Day(allow_none=True)
    serves_breakfast = YesNo()
    cold_chain = YesNo()
    breakfast_spend = Number(allow_none=True)
    breakfast_wait = WholeNumber(allow_none=True)
    breakfast_offer = Text(shop.BREAKFAST_OFFER)
    breakfast_hours = Text(shop.BREAKFAST_HOURS)


class ShopCreateSchema(ShopWriteSchema):
    uscc = Text(shop.USCC, required=True)
    entity_name = Text(shop.ENTITY_NAME, required=True)
    sign_name = Text(shop.SIGN_NAME, required=True)
    address = Text(shop.ADDRESS, required=True)
    street = Text(shop.STREET, required=True, metadata={"description": "name or code"})
    business_type = Text(shop.BUSINESS_TYPE, required=True, metadata={"description": "catalogue code or name"})


class ShopCloseSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class ShopQuerySchema(Schema):
    street = fields.String(validate=validate.Length(max=40))
    business_type = fields.String(validate=validate.Length(max=60))
    status = fields.String(validate=validate.OneOf(STATUSES))
    q = fields.String(validate=validate.Length(max=100), metadata={"description": "free text"})
    complex = fields.String(validate=validate.Length(max=100))
