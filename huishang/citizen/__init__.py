"""Citizens' end: the public scan page, reviews, complaints, the breakfast map — no account."""
from flask import Blueprint

bp = Blueprint("citizen", __name__)


def register(app, api) -> None:
    from . import pages  # noqa: F401
    from . import feedback  # (feedback feature: reviews, complaints, tracking)
    from . import api_public, scan  # noqa: F401  (codes feature: /s/<code>, public shop JSON)
    from . import breakfast, opendata  # noqa: F401  (dashboard feature: breakfast map, open data)
    from . import draws  # (grading feature: published random-draw results)

    app.register_blueprint(bp)
    api.register_blueprint(api_public.blp)
    api.register_blueprint(breakfast.blp)
    api.register_blueprint(opendata.blp)
    feedback.register(app, api)
    draws.register(app, api)
