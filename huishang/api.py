"""The JSON API object (flask-smorest), its blueprints, and the contract's error shape.

Errors are `{"code": status, "message": ..., "errors": {field: [...]}}`. flask-smorest nests
validation messages by location (`json`, `query`, ...); they are flattened to fields here. Pages
share the same HTTPException hook, so non-API paths get an HTML error page instead.

Every JSON success response is dumped through the schema its view declares (`Blueprint` below), so
the OpenAPI document describes what the API sends. Datetimes are written with their UTC offset by
`schemas.base.UtcDateTime`; nothing in marshmallow is patched.
"""
from decimal import Decimal
from functools import wraps

import flask_smorest
from flask import current_app, jsonify, render_template, request
from flask_smorest import Api
from flask_smorest.utils import (
    resolve_schema_instance,
    set_status_and_headers_in_response,
    unpack_tuple_response,
)
from marshmallow import Schema, fields
from werkzeug.wrappers import Response

from .i18n import localize
from .schemas.base import Variant
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


def is_api_request() -> bool:
    return request.path.startswith("/api/")


class Blueprint(flask_smorest.Blueprint):
    """An API blueprint whose views return what to send, never a JSON body they built.

    `@blp.response(status, Schema)` documents the body and dumps the view's return value (an
    object, a list, or a dict of them) through `Schema`. Where audiences see different fields the
    view returns `Variant(NarrowerSchema, obj)`, dumped through the narrower schema once the
    declared one is known to document all its fields. N_() messages come out in the reader's
    language. A view may still return a response it made for an error (4xx) or a file; a JSON
    success response that bypasses the declared schema raises TypeError."""

    def response(self, status_code, schema=None, **kwargs):
        declared = resolve_schema_instance(schema)
        document = super().response(status_code, declared, **kwargs)
        if not isinstance(declared, Schema):
            return document  # no body (204), or a file whose format the document states

        def decorator(func):
            @wraps(func)
            def view(*args, **view_kwargs):
                result = current_app.ensure_sync(func)(*args, **view_kwargs)
                data, status, headers = unpack_tuple_response(result)
                if isinstance(data, Response):
                    _refuse_undeclared_json(data, status)
                    return result
                if isinstance(data, Variant):
                    body = data.dump_within(declared, many=declared.many)
                else:
                    body = declared.dump(data)
                response = jsonify(localize(body))
                response.status_code = status_code
                set_status_and_headers_in_response(response, status, headers)
                return response

            return document(view)

        return decorator


def _refuse_undeclared_json(response: Response, status) -> None:
    status = status if isinstance(status, int) else response.status_code
    if response.is_json and status < 300:
        raise TypeError(f"{request.endpoint} built a JSON {status} response itself: return the "
                        "object for the declared response schema (or a Variant) instead")


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
