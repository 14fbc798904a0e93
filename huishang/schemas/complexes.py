"""Complex (商业综合体) schemas: what `/api/v1/complexes` sends and accepts. Managers are the
property-manager accounts attached to the complex, named by username (sent with their display name)."""
from marshmallow import Schema, fields, validate

from huishang.services.registry import complexes

from ..validation import Text


class ManagerSchema(Schema):
    username = fields.String()
    display_name = fields.Function(lambda u: u.label)


class ComplexSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    address = fields.String()
    street = fields.Function(lambda cx: cx.street.name)
    managers = fields.Function(lambda cx: ManagerSchema(many=True).dump(complexes.managers(cx)),
                               metadata={"type": "array", "items": {"type": "object", "properties": {
                                   "username": {"type": "string"}, "display_name": {"type": "string"}}}})
    tenants = fields.Function(lambda cx: complexes.tenant_count(cx), metadata={"type": "integer"})


class ComplexWriteSchema(Schema):
    """A change: each field read with the service's check (the same messages as the page)."""

    name = Text(complexes.NAME)
    address = Text(complexes.ADDRESS)
    street = Text(complexes.STREET, metadata={"description": "name or code"})
    managers = fields.List(fields.String(validate=validate.Length(min=1, max=60)),
                           validate=validate.Length(max=50),
                           metadata={"description": "usernames of property-manager accounts (replaces the list)"})


class ComplexCreateSchema(ComplexWriteSchema):
    name = Text(complexes.NAME, required=True)
    street = Text(complexes.STREET, required=True, metadata={"description": "name or code"})
