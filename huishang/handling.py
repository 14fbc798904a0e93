"""Helpers shared by the page and API views of the staff, merchant and property ends: loading a shop
for an action in the user's scope, and committing the request's one transaction."""
from typing import NamedTuple

from flask import abort, flash, has_request_context, redirect, request
from flask_login import current_user

from huishang.services import DomainError, registry

from .extensions import db

# -- loading a shop for an action ------------------------------------------------------------------


class ShopScope(NamedTuple):
    """How an audience answers for a shop code it may not act on.

    `hide`: a shop outside the user's view answers 404 like an unknown code (pages: the URL must not
    confirm that the shop exists); otherwise an unknown code is 404 and a refused action 403.
    `missing` / `denied`: the 404 / 403 descriptions (None: the generic text). A lazy string is
    rendered in the request's language when it is used."""

    hide: bool = False
    missing: str | None = None
    denied: str | None = None


PAGE_SCOPE = ShopScope(hide=True)
API_SCOPE = ShopScope(missing="商铺不存在 (no such shop)", denied="无权访问该商铺 (out of scope)")
PLAIN_SCOPE = ShopScope()  # 404 / 403 with the generic texts


def load_shop(code: str, check="can_view", scope: ShopScope = API_SCOPE):
    """The shop with public code `code` when the current user passes `check` on it; else abort with
    404 / 403 as `scope` says. `check` names a User permission (`can_view`, `can_edit`, `can_inspect`,
    `can_supervise`, `owns_shop`, `manages_shop`) or is a callable (user, shop) -> bool."""
    shop = registry.get_shop(code)
    if shop is None or (scope.hide and not current_user.can_view(shop)):
        abort(404, description=_text(scope.missing))
    allowed = check(current_user, shop) if callable(check) else getattr(current_user, check)(shop)
    if not allowed:
        abort(403, description=_text(scope.denied))
    return shop


def _text(message):
    return None if message is None else str(message)


# -- the request's one commit ----------------------------------------------------------------------
#
# Services flush; the request commits once, through one of these four (no view module calls
# db.session.commit itself: tests/test_one_commit.py reads their source to keep it so):
#
#   commit()               after the view's service calls, when a DomainError is answered by the app's
#                          error handler (JSON API views: the contract's error body; pages: the error page)
#   commit_or_rollback()   the view answers a DomainError itself: (result, None) or (None, the error)
#   commit_or_fail()       a form: the redirect on success, or the error to show the form again with
#   commit_or_flash()      a button without a form: the error flashed, the same redirect
#
# A GET never writes. A read that must record something (a scan count, a read mark) says why in
# `commit(on_get=...)`; background sweeps belong to commands (`flask complaints sweep`, ...).

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Kept in request.environ, not g: g lives as long as the app context, which a test holds across requests.
_COMMITTED = "huishang.committed"


def commit(*, on_get: str | None = None) -> None:
    """Commit what the request's service calls flushed, as one transaction.

    Call it once, after the last service call. A DomainError raised before it never gets here: the
    app's error handler rolls the transaction back and answers it, so a failure in step three of four
    leaves nothing behind. Also a view that answers without reaching it (a 403 after a service call)
    writes nothing: the session is closed, and rolled back, at the end of the request.

    Raises RuntimeError during a GET, HEAD or OPTIONS request unless `on_get` says why that read must
    record something: a GET never writes by accident."""
    if on_get is None and has_request_context() and request.method in SAFE_METHODS:
        raise RuntimeError(f"{request.method} {request.path} would commit: a GET never writes")
    db.session.commit()
    if has_request_context():
        request.environ[_COMMITTED] = True


def committed() -> bool:
    """Whether the current request has committed through `commit`."""
    return has_request_context() and bool(request.environ.get(_COMMITTED))


def commit_or_rollback(action):
    """Run `action()` (the view's service calls) as the request's one transaction.

    It returns: commit → (its result, None). It raises a DomainError: roll back → (None, the error),
    for the view to answer (show the page again with the error's message, field errors and status).
    Other exceptions propagate (the error handlers roll back)."""
    try:
        result = action()
    except DomainError as exc:
        db.session.rollback()
        return None, exc
    commit()
    return result, None


def commit_or_fail(action, *, done, message=None, category="info"):
    """`commit_or_rollback` for a form: on success flash `message` and answer a redirect to `done`
    → (response, None); on a DomainError → (None, the error), for the view to show the form again
    with the error's message, field errors and status.
    `done` and `message` are a URL / text, or callables of the action's result (evaluated only after
    the commit). `message` may be a lazy string: it is flashed as str(message), in the request's language."""
    result, failed = commit_or_rollback(action)
    if failed is not None:
        return None, failed
    if message is not None:
        flash(str(message(result) if callable(message) else message), category)
    return redirect(done(result) if callable(done) else done), None


def commit_or_flash(action, *, done, message=None, category="info", details=False):
    """`commit_or_fail` for a button without a form to show again: a DomainError is flashed as an
    error (its message; with `details`, also its field messages) and the answer is the same redirect
    to `done` (a URL here)."""
    response, failed = commit_or_fail(action, done=done, message=message, category=category)
    if failed is None:
        return response
    flash(error_text(failed, details=details), "error")
    return redirect(done)


def error_text(exc: DomainError, *, details: bool = False) -> str:
    """A DomainError as one line to flash, in the reader's language: the message, and with `details`
    the field messages after it (`DomainError.translated()` / `summary()`)."""
    return exc.summary() if details else exc.translated()
