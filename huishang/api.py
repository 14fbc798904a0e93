"""The JSON API object (flask-smorest), with the contract's error shape.

Errors are `{"code": status, "message": ..., "errors": {field: [...]}}`. flask-smorest nests
validation messages by location (`json`, `query`, ...); they are flattened to fields here. Pages
share the same HTTPException hook, so non-API paths get an HTML error page instead.
"""
from flask import render_template, request
from flask_smorest import Api

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


def is_api_request() -> bool:
    return request.path.startswith("/api/")


class HuishangApi(Api):
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
