"""双随机 results, public: /draws/<id> and /api/v1/public/draws/<id> (no account).

Shows the drawn entities, the inspectors' names and the outcomes once inspected — never the
credit class, the population snapshot or any inspector contact data."""

from flask import Blueprint, abort, render_template

from huishang.services.grading import draws

from ..api import Blueprint as ApiBlueprint
from ..extensions import csrf, db, limiter
from ..models.grading import RandomDraw
from ..schemas.grading import DrawPublicSchema

bp = Blueprint("draws_public", __name__)
blp = ApiBlueprint(
    "public_draws",
    __name__,
    url_prefix="/api/v1/public",
    description="Published random-draw (双随机) results",
)
csrf.exempt(blp)


def load_published(draw_id: int) -> RandomDraw:
    draw = db.session.get(RandomDraw, draw_id)
    if draw is None or not draw.published:
        abort(404, description="抽查不存在 (no such draw)")
    return draw


def public_view(draw: RandomDraw) -> dict:
    return {
        "id": draw.id,
        "title": draw.title,
        "drawn_on": draw.drawn_on,
        "seed": draw.seed,
        "population": draws.population_size(draw),
        "targets": draws.results(draw),
    }


@bp.get("/draws/<int:draw_id>")
def draw_page(draw_id):
    draw = load_published(draw_id)
    return render_template(
        "grading/public_draw.html",
        draw=draw,
        rows=draws.results(draw),
        population=draws.population_size(draw),
    )


@blp.route("/draws/<int:draw_id>")
@limiter.limit("60 per minute")
@blp.response(200, DrawPublicSchema)
def public_draw(draw_id):
    """A published draw: entities drawn, inspectors' names, outcomes once inspected."""
    return public_view(load_published(draw_id))


def register(app, api) -> None:
    app.register_blueprint(bp)
    api.register_blueprint(blp)
