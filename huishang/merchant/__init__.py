"""Merchants' end: their shops, licences, staff, self-checks, complaints, questions."""
from flask import Blueprint

from ..security import page_gate

bp = Blueprint("merchant", __name__, url_prefix="/merchant")
bp.before_request(page_gate("merchant"))


def register(app, api) -> None:
    from . import api as merchant_api  # merchant feature: JSON API

    # Store pages and public registration (pages, public), results and self-checks (inspections),
    # complaints and review replies (feedback), credit repair (credit).
    from . import (  # noqa: F401
        credit,
        feedback,
        inspections,
        pages,
        public,
    )

    app.register_blueprint(bp)
    app.register_blueprint(public.bp)  # registration and FAQ: outside the merchant gate
    api.register_blueprint(merchant_api.blp)
    api.register_blueprint(merchant_api.public_blp)
