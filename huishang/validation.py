"""The domain's field checks at the front-ends: a WTForms validator and marshmallow fields that call
the same checks (`services.core.fields`, `services.registry.fields`, ...) as the services and the
imports, so a bad value gets the same message in a form, in the API and in an import report.

A front-end checks only what a field says alone: that a required one is given, a free-text field's
check (its length), the type a JSON value must have (number, date, yes/no, one word of a list). It
leaves the rest to the service, which checks every field again, adds the catalogue look-ups and the
rules between fields, and reports all the bad fields at once: a form or an API call with a bad phone
and an unknown street hears about both, with the import's messages.
"""
from marshmallow import ValidationError, fields, missing
from wtforms.validators import StopValidation
from wtforms.validators import ValidationError as FormError

from huishang.services.core import REQUIRED, Field, Invalid, blank, day, number, yes_no


def front_check(field: Field):
    """The part of `field` a front-end checks alone: the whole check of free text (a field with a
    `max_length`, whose check is about its text only), else nothing."""
    return field.check if field.max_length else (lambda value: value)


def missing_messages(field: Field) -> list[str]:
    """What a required field says when nothing is given: its check's own words for an empty value
    (e.g. "请选择投诉类别"), else "必填项不能为空"."""
    try:
        field.check(None)
    except Invalid as problem:
        return problem.messages
    return [REQUIRED]


class FormCheck:
    """A WTForms validator: `field`'s front-end check (see `front_check`) and, when `required`,
    `missing_messages` for a blank value. A blank optional value stops the chain (as `Optional` does)."""

    def __init__(self, field: Field, *, required: bool = False):
        self.domain = field
        self.check = front_check(field)
        self.required = required
        self.field_flags = ({"required": True} if required else {}) | (
            {"maxlength": field.max_length} if field.max_length else {})

    def __call__(self, form, wtfield):
        if blank(wtfield.data):
            wtfield.errors[:] = []
            if self.required:
                *first, last = missing_messages(self.domain)
                wtfield.errors.extend(first)
                raise StopValidation(last)
            raise StopValidation()
        try:
            self.check(wtfield.data)
        except Invalid as problem:
            wtfield.errors.extend(problem.messages[:-1])
            raise FormError(problem.messages[-1]) from None


def _raise(problem: Invalid):
    raise ValidationError(problem.messages) from None


class Checked:
    """A marshmallow field read by a domain `Field` (`self.domain`, if any): a required one that is
    missing or null says `missing_messages`."""

    domain = None

    def _validate_missing(self, value):
        if self.required and (value is missing or value is None):
            raise ValidationError(missing_messages(self.domain) if self.domain else [REQUIRED])
        super()._validate_missing(value)


class Text(Checked, fields.String):
    """Text read by `field`: its front-end check (free text: its length, documented as maxLength);
    the service checks the rest."""

    def __init__(self, field: Field, **kwargs):
        self.domain = field
        self.check = front_check(field)
        metadata = kwargs.pop("metadata", {}) | ({"maxLength": field.max_length} if field.max_length else {})
        if kwargs.get("required"):
            metadata.setdefault("minLength", 1)
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if self.required and blank(value):
            raise ValidationError(missing_messages(self.domain))
        try:
            self.check(value)
        except Invalid as problem:
            _raise(problem)
        return value


class Choice(Checked, fields.String):
    """A word from a fixed list checked by `field` (e.g. a status); the clean value is returned."""

    def __init__(self, field: Field, choices, **kwargs):
        self.domain = field
        self.check = field.check
        metadata = kwargs.pop("metadata", {}) | {"enum": list(choices)}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return self.check(super()._deserialize(value, attr, data, **kwargs))
        except Invalid as problem:
            _raise(problem)


class Number(Checked, fields.Float):
    """A number, also sent as text (full-width digits too): `core.fields.number`."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return number(value)
        except Invalid as problem:
            _raise(problem)


class WholeNumber(Checked, fields.Integer):
    """Documented as an integer; read as `Number` (the service keeps the whole part)."""

    _deserialize = Number._deserialize


class Day(Checked, fields.Date):
    """A date as the imports and forms read it: `core.fields.day` (ISO, 2024/3/5, 2024年3月5日)."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return day(value)
        except Invalid as problem:
            _raise(problem)


class YesNo(Checked, fields.Boolean):
    """A yes/no flag: `core.fields.yes_no` (true/false, 是/否, 1/0)."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return yes_no(value)
        except Invalid as problem:
            _raise(problem)
