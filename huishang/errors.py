"""Error handlers: JSON in the contract's shape under /api/, an HTML page elsewhere."""
import logging

from flask import render_template, request
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError

from huishang.services import DomainError

from .api import is_api_request
from .extensions import db
from .i18n import init_app as init_messages
from .i18n import localize
from .security import json_error

log = logging.getLogger(__name__)
UNAVAILABLE_TEXT = "服务暂时不可用，请稍后重试 / Service unavailable, please retry shortly"


def _reset_session() -> None:
    try:
        db.session.rollback()
    except DBAPIError:  # the connection itself is gone
        db.session.close()


def register(app) -> None:
    # Services raise DomainErrors in Chinese with `N_()` messages; pages translate them as they render
    # (the Jinja finalize hook and the `messages` filter), JSON bodies in `json_error`.
    init_messages(app)

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()
        if is_api_request():
            return json_error(exc.status, exc.message, exc.errors)
        return render_template("errors/error.html", status=exc.status, message=localize(exc.message),
                               errors=localize(exc.errors)), exc.status

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unavailable(exc):
        """The database is down or restarting: 503 with Retry-After, so that phones queue and
        retry and the load balancer's health check (/healthz) takes the instance out meanwhile.
        pool_pre_ping replaces the dead connections once PostgreSQL is back."""
        return _unavailable(exc)

    @app.teardown_appcontext
    def release_dead_connection(_exc):
        """Runs before Flask-SQLAlchemy's own teardown (teardowns run in reverse order). After a
        database restart, the rollback that closing the session does fails on the dead
        connection, and that error would escape the request as a bare 500 after the response
        was decided; drop the connection from the pool instead."""
        try:
            db.session.close()
        except DBAPIError:
            try:
                db.session().invalidate()  # the scoped proxy has no invalidate()
            except DBAPIError:
                log.warning("could not invalidate a dead database connection")

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def value_out_of_range(exc):
        """A number too large for its column (SQLite raises OverflowError, PostgreSQL a DataError)
        is bad input, not a server fault. Schemas should bound their integers; this is the net."""
        _reset_session()
        log.warning("value out of range during %s %s: %s", request.method, request.path,
                    type(getattr(exc, "orig", exc)).__name__)
        message = "数值超出允许范围 (a value is out of range)"
        if is_api_request():
            return json_error(422, message, {"_schema": [message]})
        return render_template("errors/error.html", status=422, message=message), 422

    def _unavailable(exc):
        _reset_session()
        detail = str(getattr(exc, "orig", exc)).strip().splitlines()[:1]
        log.warning("database unavailable during %s %s: %s", request.method, request.path,
                    detail[0][:200] if detail else type(exc).__name__)
        if is_api_request():
            response = json_error(503, "服务暂时不可用，请稍后重试 (database unavailable, retry shortly)")
        else:
            try:  # the page shows the signed-in user, which may need the database
                response = app.make_response((render_template("errors/error.html", status=503), 503))
            except DBAPIError:
                _reset_session()
                response = app.make_response((UNAVAILABLE_TEXT, 503,
                                              {"Content-Type": "text/plain; charset=utf-8"}))
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(500)
    def internal_error(exc):
        _reset_session()
        if is_api_request():
            return json_error(500, "服务器内部错误 (internal error)")
        return render_template("errors/error.html", status=500), 500
