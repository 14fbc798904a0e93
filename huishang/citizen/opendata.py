"""开放数据 — the public open-data API, the bulk download and the page that explains them."""

from flask import abort, render_template, send_file

from huishang.services.integration import opendata

from ..api import Blueprint
from ..extensions import csrf, limiter
from ..schemas.opendata import OpenBusinessPage, OpenInspectionPage, OpenQuerySchema
from . import bp

blp = Blueprint(
    "open_data",
    __name__,
    url_prefix="/api/v1/public/open",
    description="Open data: businesses and inspection results (public fields only)",
)
csrf.exempt(blp)

RATE = "60 per minute"


def _page(items, total, args):
    more = args["page"] * args["per_page"] < total
    return {
        "items": items,
        "page": args["page"],
        "per_page": args["per_page"],
        "total": total,
        "next_page": args["page"] + 1 if more else None,
    }


@blp.route("/businesses")
@limiter.limit(RATE)
@blp.arguments(OpenQuerySchema, location="query")
@blp.response(200, OpenBusinessPage)
def businesses(args):
    """Every registered shop (closed ones too, with their status), oldest first."""
    items, total = opendata.page_of_businesses(
        opendata.naive_utc(args.get("updated_since")), args["page"], args["per_page"]
    )
    return _page(items, total, args)


@blp.route("/inspections")
@limiter.limit(RATE)
@blp.arguments(OpenQuerySchema, location="query")
@blp.response(200, OpenInspectionPage)
def inspections(args):
    """Inspection results: date, outcome, the shop's code. No inspectors, no notes."""
    items, total = opendata.page_of_inspections(
        opendata.naive_utc(args.get("updated_since")), args["page"], args["per_page"]
    )
    return _page(items, total, args)


@bp.get("/open-data")
def open_data_page():
    return render_template(
        "breakfast/open_data.html",
        latest=opendata.latest_info(),
        feed=opendata.feed_info(),
        businesses=opendata.BUSINESS_COLUMNS,
        inspections=opendata.INSPECTION_COLUMNS,
    )


@bp.get("/open-data/latest.zip")
@limiter.limit("10 per minute")
def open_data_latest():
    path = opendata.latest_path()
    if path is None:
        abort(404, description="尚未生成开放数据文件")
    return send_file(
        path,
        mimetype="application/zip",
        as_attachment=True,
        download_name="huishang-open-data.zip",
        max_age=3600,
    )
