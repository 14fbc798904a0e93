"""Helpers shared by the page and API views of the staff, merchant and property ends: loading a shop
for an action in the user's scope."""
from typing import NamedTuple

from flask import abort
from flask_login import current_user

from .services import registry

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

