"""Regulators' and inspectors' end: registry pages, supervision, and their JSON API."""
from flask import Blueprint

from ..security import page_gate

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(page_gate("regulator", "inspector"))


def register(app, api) -> None:
    from . import api_shops, pages  # noqa: F401  (routes attach to the blueprints on import)
    from . import dashboard  # noqa: F401  (dashboard feature: dashboard, export, API keys)
    from . import plates  # noqa: F401  (codes feature: QR, plates, reissue)
    from . import inspections  # noqa: F401  (inspections feature: checklists, inspections, self-checks)
    from . import complaints  # (feedback feature: complaint desk, moderation, calendar)
    from . import merchants  # noqa: F401  (merchant feature: review queue, claims, questions, policies)
    from . import grading  # (grading feature: 30-day list, nine-grid, penalties, draws)

    app.register_blueprint(bp)
    api.register_blueprint(api_shops.blp)
    api.register_blueprint(plates.blp)
    api.register_blueprint(inspections.blp)
    complaints.register(app, api)
    grading.register(app, api)
