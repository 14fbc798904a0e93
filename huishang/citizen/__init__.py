"""Citizens' end: the public scan page, reviews, complaints, the breakfast map — no account."""
from flask import Blueprint

bp = Blueprint("citizen", __name__)


def register(app, api) -> None:
    from . import pages  # noqa: F401

    app.register_blueprint(bp)
