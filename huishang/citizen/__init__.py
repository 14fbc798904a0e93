"""Citizens' end: the public scan page, reviews, complaints, the breakfast map — no account."""
from flask import Blueprint

bp = Blueprint("citizen", __name__)


def register(app, api) -> None:
    # Public pages: home (pages), /s/<code> and the public shop JSON (scan, api_public), reviews and
    # complaints (feedback), the breakfast map and open data, published random-draw results.
    from . import (  # noqa: F401
        api_public,
        breakfast,
        draws,
        feedback,
        opendata,
        pages,
        scan,
    )

    app.register_blueprint(bp)
    api.register_blueprint(api_public.blp)
    api.register_blueprint(breakfast.blp)
    api.register_blueprint(opendata.blp)
    feedback.register(app, api)
    draws.register(app, api)
