"""QR images, plates and plate reissue: the API (bearer token, can_view) and the staff pages.

Images carry an ETag derived from exactly what they draw; a matching If-None-Match answers 304
and nothing is rendered. Reissue is for regulators in scope, with a reason, and is audited.
"""
from flask import (
    abort,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, fields, pre_dump, validate

from huishang.services.scan import faces as scans
from huishang.services.scan import plates as plate_service

from ..api import Blueprint
from ..extensions import csrf
from ..handling import commit, commit_or_fail, load_shop
from ..security import api_gate, roles_required
from . import bp

blp = Blueprint("plates", __name__, url_prefix="/api/v1",
                description="QR codes, printable plates, plate reissue")
blp.before_request(api_gate())
csrf.exempt(blp)

KINDS = {"qr.png": "qr", "qr.svg": "qr", "plate.png": "plate", "plate.pdf": "plate"}
BINARY = {"type": "string", "format": "binary"}  # the schema of an image or PDF body


class ReissueSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=plate_service.REASON_MAX),
                           metadata={"description": "Why the plate is reissued (lost, defaced, ...)"})


class ReissueResultSchema(Schema):
    code = fields.String()
    previous_code = fields.String()
    plate_version = fields.Integer()
    scan_url = fields.String()


class ScanStatsQuery(Schema):
    days = fields.Integer(load_default=30, validate=validate.Range(1, 366))


class ScanFaces(Schema):
    citizen = fields.Integer()
    manage = fields.Integer()
    supervise = fields.Integer()


class ScanDay(ScanFaces):
    """One day of `scans.scan_stats`: a `(day, {face: count})` pair."""

    day = fields.Date()

    @pre_dump
    def from_pair(self, pair, **_kwargs) -> dict:
        day, faces = pair
        return {"day": day, **faces}


class ScanStatsSchema(Schema):
    days = fields.Integer()
    since = fields.Date()
    totals = fields.Nested(ScanFaces)
    total = fields.Integer()
    by_day = fields.List(fields.Nested(ScanDay))


def send_artefact(shop, kind: str, *, download: bool = False):
    """The image or PDF with its ETag; 304 when the client already holds this version."""
    etag = plate_service.etag(shop, kind)
    if etag in request.if_none_match:
        response = make_response("", 304)
    else:
        body, mimetype, etag = plate_service.artefact(shop, kind)
        response = make_response(body)
        response.mimetype = mimetype
        disposition = "attachment" if download else "inline"
        response.headers["Content-Disposition"] = f'{disposition}; filename="{shop.code}-{kind}"'
    response.set_etag(etag)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _artefact_route(kind: str):
    def view(code):
        return send_artefact(load_shop(code), kind)

    view.__name__ = f"get_{kind.replace('.', '_')}"
    view.__doc__ = {"qr.png": "The QR (level Q, 4-module quiet zone) as PNG: PUBLIC_BASE_URL/s/<code>.",
                    "qr.svg": "The same QR as SVG.",
                    "plate.png": "The printable plate, 100 × 140 mm at 300 dpi.",
                    "plate.pdf": "The printable plate as vector PDF (QR as rectangles, embedded font)."}[kind]
    return view


for _kind, _mime in (("qr.png", "image/png"), ("qr.svg", "image/svg+xml"),
                     ("plate.png", "image/png"), ("plate.pdf", "application/pdf")):
    blp.route(f"/shops/<code>/{_kind}", endpoint=_kind.replace(".", "_"))(
        blp.response(200, BINARY, content_type=_mime, description=f"{_kind} (ETag; 304 on If-None-Match)")(
            _artefact_route(_kind)))


@blp.route("/shops/<code>/reissue", methods=["POST"])
@blp.arguments(ReissueSchema)
@blp.response(200, ReissueResultSchema)
@roles_required("regulator", message="只有监管者可以补发铭牌 (regulators only)")
def reissue(data, code):
    """补发铭牌 (regulators in scope): a new code; the old one answers "replaced"."""
    shop = load_shop(code, "can_edit")
    previous = shop.code
    plate_service.reissue(shop, data["reason"], actor=current_user)
    commit()
    return {"code": shop.code, "previous_code": previous, "plate_version": shop.plate_version,
            "scan_url": plate_service.plate_data(shop).url}


@blp.route("/shops/<code>/scans")
@blp.arguments(ScanStatsQuery, location="query")
@blp.response(200, ScanStatsSchema)
@roles_required("regulator", "inspector", message="只有监管人员可以查看扫码统计 (staff only)")
def scan_stats(args, code):
    """Scans per day by face (citizen / manage / supervise) over the last `days` days."""
    shop = load_shop(code)
    return scans.scan_stats(shop, args["days"])


# -- staff pages ---------------------------------------------------------------------------

def profile_url(code: str) -> str:
    """The plate section of the shop's profile page."""
    return url_for("admin.shop_profile", code=code) + "#plate"


def plate_panel(shop, user) -> dict:
    """The plate section (admin/profile/_plate.html, on the profile and the plate page): code
    history, scans of the last 30 days, and whether `user` may reissue (a regulator in scope)."""
    if scans.flush_scans():
        # This process's buffered scans are written so that the figures include them. The counts were
        # recorded by the scans (GETs by nature, see citizen/scan.py), not by this read; flushed and
        # not committed they would be lost when the request's session is rolled back.
        commit(on_get="scan counts buffered by earlier scans")
    return {"history": plate_service.history(shop), "stats": scans.scan_stats(shop, 30),
            "can_reissue": shop.can_regulate(user)}


@bp.get("/shops/<code>/plate", endpoint="plate_page")
def plate_page(code):
    """The plate: preview, downloads, code history, scan statistics, reissue form."""
    shop = load_shop(code)
    return render_template("admin/plate.html", shop=shop, plate=plate_panel(shop, current_user),
                           reason="", errors={})


@bp.get("/shops/<code>/plate/<kind>", endpoint="plate_file")
def plate_file(code, kind):
    if kind not in KINDS:
        abort(404)
    return send_artefact(load_shop(code), kind, download=request.args.get("download") == "1")


@bp.post("/shops/<code>/plate/reissue", endpoint="plate_reissue")
@roles_required("regulator")
def plate_reissue(code):
    shop = load_shop(code, "can_edit")
    reason = request.form.get("reason", "")
    done, failed = commit_or_fail(
        lambda: plate_service.reissue(shop, reason, actor=current_user),
        done=lambda _result: profile_url(shop.code), category="success",
        message=lambda _result: _("已补发铭牌，新编号 %(code)s；旧铭牌扫码将提示已更换。", code=shop.code))
    if failed is None:
        return done
    return render_template("admin/plate.html", shop=shop, plate=plate_panel(shop, current_user), reason=reason,
                           errors=failed.errors,
                           message=failed.message), failed.status
