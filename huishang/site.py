"""Health check and language switch."""
from flask import Blueprint, jsonify, make_response, redirect, request, url_for
from sqlalchemy import text

from .extensions import db

bp = Blueprint("site", __name__)


@bp.get("/healthz")
def healthz():
    """200 when the database answers; 503 otherwise (load balancers take the instance out)."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 — any database failure means unhealthy
        db.session.rollback()
        return jsonify({"status": "error", "database": "down", "detail": type(exc).__name__}), 503
    return jsonify({"status": "ok", "database": "ok"})


@bp.get("/lang/<code>")
def set_language(code: str):
    target = request.args.get("next") or "/"
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    response = make_response(redirect(target))
    if code in ("zh", "en"):
        response.set_cookie("lang", code, max_age=365 * 86400, samesite="Lax", httponly=True)
    return response


@bp.get("/")
def index():
    return redirect(url_for("citizen.home"))
