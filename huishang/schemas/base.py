"""The pieces the API's schemas are built from; nothing here changes marshmallow itself.

- `UtcDateTime`: the database holds naive UTC. Written with its offset (`...+00:00`, RFC 3339 as the
  OpenAPI `date-time` format requires; a phone in Shanghai would otherwise read a naive time as
  local, eight hours off) and read back, when the text carries an offset, as naive UTC, so that
  comparisons with stored values never mix naive and aware datetimes.
- `Text`: a string in the reader's language. A message the domain layer marks with `N_()` is
  translated for an English request (a plain `fields.String` would pass on the Chinese text).
- `DateText`: a date a service has already written as text, documented as `format: date`.
- `Variant`, `VariantNested`, `UnionSchema`: one audience's view of a documented schema. A view
  whose audiences see different fields returns `Variant(ShopStaffSchema, shop)`; a list whose
  items differ by audience (the assigned handler sees a complaint's phone, other staff do not)
  holds a `Variant` per item in a `VariantNested` field. A variant is dumped only if the
  documented schema covers every field it writes, so the OpenAPI document never misses a field
  the API sends. Where no variant covers the others, a `UnionSchema` documents them all and
  dumps nothing itself.
"""
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from marshmallow import Schema, fields

from ..i18n import localize


def _utc_isoformat(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


def _naive_utc_fromisoformat(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


class UtcDateTime(fields.DateTime):
    """A stored naive-UTC datetime: written as `...+00:00`, read as naive UTC (module docstring)."""

    SERIALIZATION_FUNCS = {**fields.DateTime.SERIALIZATION_FUNCS,
                           "iso": _utc_isoformat, "iso8601": _utc_isoformat}
    DESERIALIZATION_FUNCS = {**fields.DateTime.DESERIALIZATION_FUNCS,
                             "iso": _naive_utc_fromisoformat, "iso8601": _naive_utc_fromisoformat}


class Text(fields.String):
    """A string in the reader's language: an `N_()` message is translated, anything else is as given."""

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(localize(value), attr, obj, **kwargs)


class DateText(fields.String):
    """A date the domain layer has already written as `YYYY-MM-DD` (documented as `format: date`)."""

    def __init__(self, **kwargs):
        kwargs["metadata"] = {"format": "date", **kwargs.get("metadata", {})}
        super().__init__(**kwargs)


@dataclass(frozen=True)
class Variant:
    """`data` as one audience sees it: dumped through `schema` instead of the declared schema."""

    schema: type[Schema]
    data: object

    def dump_within(self, declared: Schema, *, many: bool = False):
        """Dump through the variant's schema.

        Raises TypeError when `declared` (the schema the response or field documents) does not
        document every field the variant writes: that is a programming error, not bad input."""
        missing = undocumented(type(declared), self.schema)
        if missing:
            raise TypeError(f"{self.schema.__name__} writes fields that {type(declared).__name__} "
                            f"does not document: {', '.join(missing)}")
        return self.schema(many=many).dump(self.data)


class VariantNested(fields.Nested):
    """`fields.Nested` whose value may be a `Variant`: each item as its own audience sees it."""

    def _serialize(self, nested_obj, attr, obj, **kwargs):
        if isinstance(nested_obj, Variant):
            return nested_obj.dump_within(self.schema)
        return super()._serialize(nested_obj, attr, obj, **kwargs)


class UnionSchema(Schema):
    """Documents the fields of several audience variants (subclass it together with them); it
    dumps nothing itself, so no caller gets another audience's fields by accident.

    Raises TypeError on `dump`: the view returns a `Variant` instead."""

    def dump(self, obj, *, many=None):
        raise TypeError(f"{type(self).__name__} only documents its variants: return a Variant")


def _nested_schema(field: fields.Field) -> Schema | None:
    """The schema a (list of) nested field(s) dumps through, if any."""
    if isinstance(field, fields.List):
        field = field.inner
    if isinstance(field, fields.Nested):
        return field.schema
    return None


@cache
def undocumented(declared: type[Schema], variant: type[Schema]) -> tuple[str, ...]:
    """Fields `variant` writes that `declared` does not document, as dotted paths (empty if none).

    A field is documented when `declared` has a field of the same output name; where both nest a
    schema, the nested schemas are compared in turn. A declared field of no fixed shape (a
    `Function`, a `Dict`) documents whatever the variant writes there."""
    documented = {f.data_key or name: f for name, f in declared().dump_fields.items()}
    missing = []
    for name, field in variant().dump_fields.items():
        key = field.data_key or name
        if key not in documented:
            missing.append(key)
            continue
        inner, declared_inner = _nested_schema(field), _nested_schema(documented[key])
        if inner is not None and declared_inner is not None:
            missing += [f"{key}.{sub}" for sub in undocumented(type(declared_inner), type(inner))]
    return tuple(missing)
