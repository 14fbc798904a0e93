"""The JSON API object (flask-smorest), with the contract's error shape.

Errors are `{"code": status, "message": ..., "errors": {field: [...]}}`. flask-smorest nests
validation messages by location (`json`, `query`, ...); they are flattened to fields here. Pages
share the same HTTPException hook, so non-API paths get an HTML error page instead.

Times: the database holds naive UTC. The API writes every datetime with its offset (`...+00:00`,
RFC 3339 as the OpenAPI `date-time` format requires; a phone in Shanghai would otherwise read a
naive time as local, eight hours off) and reads a datetime with an offset as naive UTC, so that
comparisons with stored values never mix naive and aware datetimes.
"""
from datetime import UTC, datetime
from decimal import Decimal

from flask import jsonify, render_template, request
from flask_smorest import Api
from marshmallow import fields

from .i18n import chinese, localize
from .security import json_error

LOCATIONS = ("json", "query", "form", "files", "headers", "path", "view_args", "querystring")


def _flatten(messages) -> dict:
    if not isinstance(messages, dict):
        return {"_schema": messages if isinstance(messages, list) else [str(messages)]}
    out: dict = {}
    for key, value in messages.items():
        if key in LOCATIONS and isinstance(value, dict):
            out.update(value)
        else:
            out[key] = value
    return out


def _utc_isoformat(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


def _naive_utc_fromisoformat(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def use_utc_datetimes() -> None:
    """Make marshmallow's ISO datetimes carry UTC on the way out and drop it on the way in."""
    fields.DateTime.SERIALIZATION_FUNCS = {**fields.DateTime.SERIALIZATION_FUNCS,
                                           "iso": _utc_isoformat, "iso8601": _utc_isoformat}
    fields.DateTime.DESERIALIZATION_FUNCS = {**fields.DateTime.DESERIALIZATION_FUNCS,
                                             "iso": _naive_utc_fromisoformat,
                                             "iso8601": _naive_utc_fromisoformat}


use_utc_datetimes()


def _numeric_bounds(_converter, field, ret, **kwargs) -> dict:
    """apispec documents every Decimal as a number and copies its Range bounds as strings
    ("100000000.00"), which makes the document invalid (minimum/maximum must be numbers). A
    Decimal dumped as a string (money: `as_string=True`) is documented as a decimal string."""
    out = {}
    if isinstance(field, fields.Decimal) and field.as_string:
        out.update({"type": "string", "format": "decimal", "pattern": r"^-?\d+(\.\d+)?$"})
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        value = ret.get(key)
        if isinstance(value, (str, Decimal)) and not isinstance(value, bool):
            try:
                number = float(value)
            except ValueError:
                continue
            out[key] = int(number) if number.is_integer() else number
    return out


def respond(data, status: int = 200):
    """A ready JSON response. Views that dump an audience variant themselves return this, so
    flask-smorest does not dump it again through the documented (widest) schema. Messages the services
    mark with `N_()` are translated for an English request."""
    response = jsonify(localize(data) if not chinese() else data)
    response.status_code = status
    return response


def is_api_request() -> bool:
    return request.path.startswith("/api/")


class HuishangApi(Api):
    def init_app(self, app, *, spec_kwargs=None):
        super().init_app(app, spec_kwargs=spec_kwargs)
        self.ma_plugin.converter.add_attribute_function(_numeric_bounds)

    def handle_http_exception(self, error):
        status = error.code or 500
        if not is_api_request():
            return render_template("errors/error.html", status=status, error=error), status
        data = getattr(error, "data", None) or {}
        errors = _flatten(data.get("messages", {})) if data.get("messages") else {}
        message = data.get("message") or error.description or error.name
        if errors and status in (400, 422):
            fields = ", ".join(sorted(errors))
            message = f"请求内容有误：{fields} (invalid input: {fields})"
        response = json_error(status, message, errors)
        if status == 405 and getattr(error, "valid_methods", None):
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response


api = HuishangApi()
