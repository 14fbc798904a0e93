"""Error handlers: JSON in the contract's shape under /api/, an HTML page elsewhere."""
import logging

from flask import render_template

from .api import is_api_request
from .extensions import db
from .security import json_error
from .services import DomainError

log = logging.getLogger(__name__)


def register(app) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()
        if is_api_request():
            return json_error(exc.status, exc.message, exc.errors)
        return render_template("errors/error.html", status=exc.status, message=exc.message,
                               errors=exc.errors), exc.status

    @app.errorhandler(500)
    def internal_error(exc):
        db.session.rollback()
        if is_api_request():
            return json_error(500, "服务器内部错误 (internal error)")
        return render_template("errors/error.html", status=500), 500
