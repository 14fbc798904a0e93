"""Property managers' end (物业端): a complex's tenant list."""
from flask import Blueprint

from ..security import page_gate

bp = Blueprint("property", __name__, url_prefix="/property")
bp.before_request(page_gate("property"))


def register(app, api) -> None:
    from . import pages  # noqa: F401

    app.register_blueprint(bp)
