"""Accounts (/api/v1/users, administrators only). A password is write-only (`load_only`) and its
hash is never a field: no schema here can send it."""
from marshmallow import Schema, fields, validate

from ..models.users import ACCOUNT_ROLES
from .base import Text, UtcDateTime

ROLE = validate.OneOf(ACCOUNT_ROLES)


class UserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    phone = fields.String()
    role = fields.String(attribute="account_role", metadata={"enum": list(ACCOUNT_ROLES)})
    role_label = Text(metadata={"description": "the role in words, in the reader's language"})
    streets = fields.Function(lambda u: sorted(s.name for s in u.streets))
    shops = fields.Function(lambda u: sorted(s.code for s in u.shops))
    complex = fields.Function(lambda u: u.complex.name if u.complex else None, allow_none=True)
    active = fields.Boolean()
    must_change_password = fields.Boolean()
    last_login_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()


class UserPageSchema(Schema):
    items = fields.List(fields.Nested(UserSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class UserQuerySchema(Schema):
    q = fields.String(load_default="", validate=validate.Length(max=60))
    role = fields.String(load_default="", validate=validate.OneOf(("", *ACCOUNT_ROLES)))
    street = fields.String(load_default="", validate=validate.Length(max=60),
                           metadata={"description": "street name or code"})
    active = fields.Boolean(load_default=None, allow_none=True)
    page = fields.Integer(load_default=1, validate=validate.Range(1, 100000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class _Scope(Schema):
    display_name = fields.String(validate=validate.Length(max=60))
    phone = fields.String(validate=validate.Length(max=30))
    streets = fields.List(fields.String(validate=validate.Length(max=60)), validate=validate.Length(max=50),
                          metadata={"description": "street names or codes"})
    shops = fields.List(fields.String(validate=validate.Length(max=20)), validate=validate.Length(max=200),
                        metadata={"description": "shop codes (merchants)"})
    complex = fields.String(allow_none=True, validate=validate.Length(max=120),
                            metadata={"description": "complex name (property managers)"})


class UserCreateSchema(_Scope):
    username = fields.String(required=True, validate=validate.Length(1, 60))
    role = fields.String(required=True, validate=ROLE)
    password = fields.String(required=True, load_only=True, validate=validate.Length(8, 200))
    must_change_password = fields.Boolean(load_default=True,
                                          metadata={"description": "change at the first login (default)"})


class UserUpdateSchema(_Scope):
    role = fields.String(validate=ROLE)
    active = fields.Boolean()
