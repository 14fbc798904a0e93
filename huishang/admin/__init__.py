"""Regulators' and inspectors' end: registry pages, supervision, and their JSON API."""
from flask import Blueprint

from ..security import page_gate

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(page_gate("regulator", "inspector"))


def register(app, api) -> None:
    # Routes attach to the blueprints on import: registry (api_shops, pages), complexes (complexes,
    # api_complexes), codes (plates), inspections, the catalogue (catalog), grading, feedback
    # (complaints), merchant relations (the merchants pages and
    # merchants_api), dashboard, and the shop profile, which shows a section of each (profile).
    from . import (  # noqa: F401
        api_complexes,
        api_shops,
        catalog,
        complaints,
        complexes,
        dashboard,
        grading,
        inspections,
        jobs,
        merchants,
        merchants_api,
        pages,
        plates,
        profile,
    )

    if not bp._got_registered_once:  # attached once, before the first app registers admin
        bp.register_blueprint(merchants.bp)  # the merchant-relations pages: /admin/merchants, admin.merchants.*
    app.register_blueprint(bp)
    api.register_blueprint(api_shops.blp)
    api.register_blueprint(api_complexes.blp)
    api.register_blueprint(merchants_api.blp)
    api.register_blueprint(plates.blp)
    api.register_blueprint(inspections.blp)
    api.register_blueprint(jobs.blp)
    complaints.register(app, api)
    grading.register(app, api)
