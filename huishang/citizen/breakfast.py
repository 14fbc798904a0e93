"""早餐地图 — the public breakfast page and `GET /api/v1/public/breakfast`."""

from flask import current_app, render_template, request
from sqlalchemy import select

from huishang.services import DomainError, breakfast
from huishang.services.core import district_now, for_display, tile_settings

from ..api import Blueprint
from ..extensions import csrf, db, limiter
from ..i18n import N_
from ..models import Street
from ..schemas.breakfast import BreakfastListSchema, BreakfastQuerySchema
from . import bp

blp = Blueprint(
    "public_breakfast",
    __name__,
    url_prefix="/api/v1/public",
    description="Breakfast points nearest a place (public, no account)",
)
csrf.exempt(blp)

PAGE_LIMIT = 20
SERVING_SEARCH = 100  # "供应中" looks this far down the nearest list for points serving now


def map_config() -> dict:
    tiles = tile_settings(current_app.config)
    return {"tile_url": tiles["url"], "attribution": tiles["attribution"], "subdomains": tiles["subdomains"],
            "crs": tiles["crs"]}


@blp.route("/breakfast")
@limiter.limit("60 per minute")
@blp.arguments(BreakfastQuerySchema, location="query")
@blp.response(200, BreakfastListSchema)
def breakfast_api(args):
    """Open breakfast points nearest (lat, lng), nearest first, with `distance_m`."""
    points = breakfast.nearest(args["lat"], args["lng"], args["limit"])
    return {"items": points, "count": len(points)}


@bp.get("/breakfast")
def breakfast_page():
    """Nearest breakfast points to a shared location (`lat`, `lng`) or a chosen street; a
    server-rendered list that works without JavaScript or map tiles."""
    streets = db.session.scalars(select(Street).order_by(Street.position)).all()
    chosen = request.args.get("street", "").strip()
    context = {
        "streets": streets,
        "chosen": chosen,
        "points": None,
        "origin": None,
        "error": None,
        "errors": {},
        "map": map_config(),
    }
    status = 200
    try:
        origin = _origin(chosen)
    except DomainError as exc:
        context.update(error=exc.message, errors=exc.errors)
        origin, status = None, exc.status
    serving = request.args.get("serving") == "1"
    context["serving"] = serving
    context["now_text"] = district_now().strftime("%H:%M")
    if origin is not None:
        lat, lng = origin
        points = breakfast.nearest(lat, lng, SERVING_SEARCH if serving else PAGE_LIMIT)
        # 供应中: only the points whose breakfast hours cover the district's current time
        context["points"] = [p for p in points if p.serving_now][:PAGE_LIMIT] if serving else points
        context["origin"] = {"lat": lat, "lng": lng, "display": for_display(lat, lng, context["map"]["crs"])}
    return render_template("breakfast/index.html", **context), status


def _origin(chosen: str):
    """The point to search from, or None when the citizen has not said where yet."""
    if request.args.get("lat") or request.args.get("lng"):
        lat, lng, _ = breakfast.validate_query(request.args.get("lat"), request.args.get("lng"), PAGE_LIMIT)
        return lat, lng
    if chosen:
        found = breakfast.street_centre(chosen)
        if found is None:
            raise DomainError(N_("未知街道"), {"street": [N_("未知街道：%(street)s", street=chosen)]}, status=400)
        _, lat, lng = found
        if lat is None:
            raise DomainError(
                "该街道暂无已标注位置的商铺", {"street": ["暂无位置数据，请换一个街道"]}, status=404
            )
        return lat, lng
    return None
