"""The domain's field checks at the front-ends: a WTForms validator and marshmallow fields that call
the same checks (`services.core.fields`, `services.registry.fields`, ...) as the services and the
imports, so a bad value gets the same message in a form, in the API and in an import report.

A front-end checks what it can check alone — required, the size of free text, the type a JSON
value must have — and leaves the rest to the service, which checks every field again, adds the
catalogue look-ups and the rules between fields, and reports all the bad fields at once.
"""
from marshmallow import ValidationError, fields, missing
from wtforms.validators import StopValidation
from wtforms.validators import ValidationError as FormError

from huishang.services.core import REQUIRED, Field, Invalid, blank, day, number, text, yes_no


def size_check(field: Field):
    """The part of `field` a front-end checks alone: the length of free text (else nothing)."""
    return text(field.max_length) if field.max_length else (lambda value: value)


class FormCheck:
    """A WTForms validator: `field`'s required and size checks, with the domain's messages.
    A blank optional value stops the chain (as `Optional` does)."""

    def __init__(self, field: Field, *, required: bool = False):
        self.check = size_check(field)
        self.required = required
        self.field_flags = ({"required": True} if required else {}) | (
            {"maxlength": field.max_length} if field.max_length else {})

    def __call__(self, form, wtfield):
        if blank(wtfield.data):
            wtfield.errors[:] = []
            raise StopValidation(REQUIRED if self.required else None)
        try:
            self.check(wtfield.data)
        except Invalid as problem:
            wtfield.errors.extend(problem.messages[:-1])
            raise FormError(problem.messages[-1]) from None


def _raise(problem: Invalid):
    raise ValidationError(problem.messages) from None


class _Checked:
    """A marshmallow field whose missing, null or blank value, when required, says `REQUIRED`."""

    def _validate_missing(self, value):
        if self.required and (value is missing or value is None):
            raise ValidationError([REQUIRED])
        super()._validate_missing(value)


class Text(_Checked, fields.String):
    """Free text checked by `field`'s size check; its maximum length is documented."""

    def __init__(self, field: Field, **kwargs):
        self.check = size_check(field)
        metadata = kwargs.pop("metadata", {}) | ({"maxLength": field.max_length} if field.max_length else {})
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if self.required and blank(value):
            raise ValidationError([REQUIRED])
        try:
            self.check(value)
        except Invalid as problem:
            _raise(problem)
        return value


class Choice(_Checked, fields.String):
    """A word from a fixed list checked by `field` (e.g. a status); the clean value is returned."""

    def __init__(self, field: Field, choices, **kwargs):
        self.check = field.check
        metadata = kwargs.pop("metadata", {}) | {"enum": list(choices)}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return self.check(super()._deserialize(value, attr, data, **kwargs))
        except Invalid as problem:
            _raise(problem)


class Number(_Checked, fields.Float):
    """A number, also sent as text (full-width digits too): `core.fields.number`."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return number(value)
        except Invalid as problem:
            _raise(problem)


class WholeNumber(_Checked, fields.Integer):
    """Documented as an integer; read as `Number` (the service keeps the whole part)."""

    _deserialize = Number._deserialize


class Day(_Checked, fields.Date):
    """A date as the imports and forms read it: `core.fields.day` (ISO, 2024/3/5, 2024年3月5日)."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return day(value)
        except Invalid as problem:
            _raise(problem)


class YesNo(_Checked, fields.Boolean):
    """A yes/no flag: `core.fields.yes_no` (true/false, 是/否, 1/0)."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return yes_no(value)
        except Invalid as problem:
            _raise(problem)
