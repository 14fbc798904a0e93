"""Helpers shared by the merchant views: load-or-404 and authorise-or-403, sending stored uploads."""
from pathlib import Path

from flask import abort, current_app, send_from_directory
from flask_login import current_user

from ..extensions import db
from ..handling import PLAIN_SCOPE, load_shop
from ..models import Staff


def own_shop(code: str):
    """The current merchant's shop: 404 when unknown, 403 when someone else's."""
    return load_shop(code, "owns_shop", PLAIN_SCOPE)


def own_object(model, object_id: int):
    """A row with a shop_id that the current merchant holds (404 / 403)."""
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    if not current_user.owns_shop(obj.shop):
        abort(403)
    return obj


def own_staff(staff_id: int) -> Staff:
    return own_object(Staff, staff_id)


def send_upload(relative: str | None):
    """Serve a stored upload (already authorised by the caller); 404 when missing."""
    if not relative:
        abort(404)
    root = Path(current_app.config["UPLOAD_DIR"])
    response = send_from_directory(root, relative, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def form_data(*names: str) -> dict:
    from flask import request

    return {name: request.form.get(name, "") for name in names if name in request.form}


def upload_bytes(name: str) -> bytes | None:
    from flask import request

    storage = request.files.get(name)
    if storage is None or not storage.filename:
        return None
    return storage.read()
