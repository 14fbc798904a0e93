"""Merchants' end: their shops, licences, staff, self-checks, complaints, questions."""
from flask import Blueprint

from ..security import page_gate

bp = Blueprint("merchant", __name__, url_prefix="/merchant")
bp.before_request(page_gate("merchant"))


def register(app, api) -> None:
    from . import pages, public  # noqa: F401
    from . import api as merchant_api  # merchant feature: JSON API
    from . import inspections  # noqa: F401  (inspections feature: results, rectifications, self-checks)
    from . import feedback  # noqa: F401  (feedback feature: complaints to answer, review replies)
    from . import credit  # noqa: F401  (grading feature: penalties and credit repair)

    app.register_blueprint(bp)
    app.register_blueprint(public.bp)  # registration and FAQ: outside the merchant gate
    api.register_blueprint(merchant_api.blp)
    api.register_blueprint(merchant_api.public_blp)
