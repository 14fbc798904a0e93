"""双随机 results, public: /draws/<token> and /api/v1/public/draws/<token> (no account).

一公开 publishes the results after the inspection (国办发〔2015〕58号; domain-research §2.1): a
draw is found only by its random public token and only once `grading.draws.is_public` (its
inspection window closed, or every target inspected by its drawn pair). Before that — and for any
sequential id or unknown token — the answer is 404. The public sees each target's shop, the date of
its inspection and the outcome; never the inspectors, the credit class, the seed or the population."""

from flask import Blueprint, abort, render_template

from huishang.services.grading import draws

from ..api import Blueprint as ApiBlueprint
from ..extensions import csrf, limiter
from ..models.grading import RandomDraw
from ..schemas.grading import DrawPublicSchema

bp = Blueprint("draws_public", __name__)
blp = ApiBlueprint(
    "public_draws",
    __name__,
    url_prefix="/api/v1/public",
    description="Random-draw (双随机) results, public once the inspection window has closed",
)
csrf.exempt(blp)


def load_public(token: str) -> RandomDraw:
    draw = draws.find_public(token)
    if draw is None:
        abort(404, description="抽查不存在或尚未公开 (no such draw, or not public yet)")
    return draw


def public_view(draw: RandomDraw) -> dict:
    return {
        "token": draw.public_token,
        "title": draw.title,
        "drawn_on": draw.drawn_on,
        "window_ends_on": draw.window_ends_on,
        "population": draws.population_size(draw),
        "targets": draws.public_results(draw),
    }


@bp.get("/draws/<token>")
def draw_page(token):
    draw = load_public(token)
    return render_template("grading/public_draw.html", draw=draw, rows=draws.public_results(draw),
                           population=draws.population_size(draw), source=draws.SOURCE)


@blp.route("/draws/<token>")
@limiter.limit("60 per minute")
@blp.response(200, DrawPublicSchema)
@blp.alt_response(404, description="No such draw, or its inspection window has not closed yet")
def public_draw(token):
    """A public draw's results: the shops drawn, the date and outcome of each one's inspection."""
    return public_view(load_public(token))


def register(app, api) -> None:
    app.register_blueprint(bp)
    api.register_blueprint(blp)
