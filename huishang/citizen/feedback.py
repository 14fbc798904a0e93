"""Citizens' feedback: review and complaint forms, complaint tracking, and the public API under
/api/v1/public. No account; a client is a signed cookie id plus a hashed IP (services/clients.py).
Rate limits are shared between the forms and the API (same scope), per client and per IP."""
from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _

from huishang.services import registry
from huishang.services.core import clients, format_local
from huishang.services.feedback import complaints as complaint_service
from huishang.services.feedback import reviews as review_service

from ..api import Blueprint as ApiBlueprint
from ..extensions import csrf, limiter
from ..handling import commit, commit_or_fail, commit_or_flash
from ..models.feedback import CATEGORY_LABELS, COMPLAINT_CATEGORIES, KIND_LABELS, REVIEW_TAGS
from ..schemas.feedback import (
    ComplaintCreatedSchema,
    ComplaintCreateSchema,
    ComplaintSuggestionSchema,
    ComplaintTrackingSchema,
    RateSchema,
    ReopenSchema,
    ReviewCreatedSchema,
    ReviewCreateSchema,
    ReviewPageSchema,
    SimilarArgs,
    TrackingArgs,
)
from ..security import json_error

bp = Blueprint("feedback", __name__)
blp = ApiBlueprint("public-feedback", __name__, url_prefix="/api/v1/public",
                   description="Citizens: reviews, complaints and complaint tracking (no account)")
csrf.exempt(blp)
bp.after_request(clients.set_cookie)
blp.after_request(clients.set_cookie)


@bp.after_request
def private(response):
    """Feedback pages carry a per-visitor cookie and CSRF token: never stored by a shared cache."""
    response.headers.setdefault("Cache-Control", "private, no-store")
    return response

DEFAULT_LIMITS = {
    "FEEDBACK_REVIEW_LIMIT_CLIENT": "3 per hour;10 per day",
    "FEEDBACK_REVIEW_LIMIT_IP": "30 per hour;300 per day",
    "FEEDBACK_COMPLAINT_LIMIT_CLIENT": "5 per hour;20 per day",
    "FEEDBACK_COMPLAINT_LIMIT_IP": "30 per hour;300 per day",
    "FEEDBACK_TRACKING_LIMIT_IP": "60 per minute",
}


def _limit(name: str):
    return lambda: current_app.config.get(name) or DEFAULT_LIMITS[name]


review_limits = (
    limiter.shared_limit(_limit("FEEDBACK_REVIEW_LIMIT_CLIENT"), "review-client",
                         key_func=clients.rate_key_client, methods=["POST"]),
    limiter.shared_limit(_limit("FEEDBACK_REVIEW_LIMIT_IP"), "review-ip", key_func=clients.rate_key_ip,
                         methods=["POST"]),
)
complaint_limits = (
    limiter.shared_limit(_limit("FEEDBACK_COMPLAINT_LIMIT_CLIENT"), "complaint-client",
                         key_func=clients.rate_key_client, methods=["POST"]),
    limiter.shared_limit(_limit("FEEDBACK_COMPLAINT_LIMIT_IP"), "complaint-ip", key_func=clients.rate_key_ip,
                         methods=["POST"]),
)
tracking_limit = limiter.shared_limit(_limit("FEEDBACK_TRACKING_LIMIT_IP"), "tracking-ip",
                                      key_func=clients.rate_key_ip)


def limited(*limits):
    def decorator(view):
        for limit in limits:
            view = limit(view)
        return view

    return decorator


def load_shop(code: str):
    shop = registry.get_shop(code)
    if shop is None:
        abort(404, description=_("商铺码不存在或已更换 (no such shop code)"))
    return shop


def load_tracked(ticket: str, key: str | None):
    """The complainant's complaint, or 404 — a wrong key is indistinguishable from no ticket."""
    complaint = complaint_service.find_for_citizen(ticket, key)
    if complaint is None:
        abort(404, description=_("工单号或查询码不正确 (wrong ticket or tracking key)"))
    return complaint


def read_photos() -> list[bytes]:
    """The uploaded `photos` as bytes (at most one more than allowed, so the error can say so)."""
    blobs = []
    for storage in request.files.getlist("photos"):
        with storage.stream:
            if storage.filename and len(blobs) <= complaint_service.MAX_PHOTOS:
                blobs.append(storage.read(complaint_service.uploads.MAX_BYTES + 1))
    return blobs


def _who() -> dict:
    return {"client_hash": clients.client_hash(), "ip_hash": clients.ip_hash()}


@bp.errorhandler(429)
def too_many(error):
    return render_template("feedback/too_many.html"), 429


# -- pages --------------------------------------------------------------------------------------

def _review_page(shop, status=200, errors=None, form=None):
    return render_template("feedback/review_form.html", shop=shop, tags=REVIEW_TAGS, errors=errors or {},
                           form=form or {}, recent=review_service.visible(shop, 10)), status


@bp.route("/s/<code>/review", methods=["GET", "POST"])
@limited(*review_limits)
def review(code: str):
    """The review form (works without JavaScript)."""
    shop = load_shop(code)
    if request.method == "GET":
        return _review_page(shop)
    data = {"stars": request.form.get("stars"), "text": request.form.get("text", ""),
            "tags": request.form.getlist("tags")}
    done, failed = commit_or_fail(
        lambda: review_service.submit(shop, data, known_client=clients.is_known(), **_who()),
        done=lambda item: url_for("citizen.scan", code=shop.code, reviewed=item.id), category="ok",
        message=lambda item: _("感谢您的评价！") if item.status == "visible" else _("评价已提交，审核通过后显示。"))
    if failed is None:
        return done
    return _review_page(shop, 409 if failed.status == 409 else 422, failed.errors or {"_": [failed.message]}, data)


def _complaint_page(shop, category, status=200, errors=None, form=None):
    similar = complaint_service.open_similar(shop, category)
    return render_template("feedback/complaint_form.html", shop=shop, category=category, similar=similar,
                           categories=CATEGORY_LABELS, kinds=KIND_LABELS, errors=errors or {},
                           form=form or {}, excerpt=complaint_service.excerpt), status


@bp.route("/s/<code>/complain", methods=["GET", "POST"])
@limited(*complaint_limits)
def complain(code: str):
    """Step 1: choose a category; step 2: see open complaints of that category (me too) or file."""
    shop = load_shop(code)
    if request.method == "GET":
        category = request.args.get("category")
        return _complaint_page(shop, category if category in COMPLAINT_CATEGORIES else None)
    form = {k: request.form.get(k, "") for k in ("category", "kind", "description", "phone")}
    photos = read_photos()
    done, failed = commit_or_fail(
        lambda: complaint_service.submit(shop, form, photos, **_who()),
        done=lambda filed: url_for("feedback.track", ticket=filed[0].ticket, key=filed[1], new=1))
    if failed is None:
        return done
    category = form["category"] if form["category"] in COMPLAINT_CATEGORIES else None
    return _complaint_page(shop, category, failed.status, failed.errors, form)


@bp.post("/complaints/<ticket>/me-too")
@limited(*complaint_limits)
def me_too(ticket: str):
    complaint = complaint_service.get(ticket)
    if complaint is None or not complaint.is_open:
        abort(404)
    return commit_or_flash(
        lambda: complaint_service.me_too(complaint, client_hash=clients.client_hash()),
        done=url_for("feedback.complain", code=complaint.shop.code, category=complaint.category),
        message=_("已附议，监管部门会一并处理。谢谢！"), category="ok")


@bp.get("/complaints/track")
def track_lookup():
    """Enter a ticket and tracking key (for someone who wrote them down)."""
    ticket = (request.args.get("ticket") or "").strip().upper()
    key = (request.args.get("key") or "").strip()
    if ticket and key:
        return redirect(url_for("feedback.track", ticket=ticket, key=key))
    return render_template("feedback/track_lookup.html", ticket=ticket)


def _track_page(complaint, key, status=200, errors=None):
    response = current_app.make_response((render_template(
        "feedback/track.html", c=complaint, key=key, new=request.args.get("new") == "1", errors=errors or {},
        events=[e for e in complaint.events if e.public], phone=complaint_service.mask_phone(complaint.phone),
        can_reopen=complaint_service.can_reopen(complaint), reopen_days=complaint_service.REOPEN_DAYS,
        closed=not complaint.is_open), status))
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/complaints/<ticket>")
@tracking_limit
def track(ticket: str):
    """The complainant's tracking page (the key from the tracking link)."""
    key = request.args.get("key", "")
    return _track_page(load_tracked(ticket, key), key)


@bp.post("/complaints/<ticket>/reopen")
@tracking_limit
def reopen(ticket: str):
    key = request.form.get("key", "")
    complaint = load_tracked(ticket, key)
    done, failed = commit_or_fail(
        lambda: complaint_service.transition(complaint, "reopen", role="citizen", note=request.form.get("note")),
        done=url_for("feedback.track", ticket=complaint.ticket, key=key),
        message=_("投诉已重新打开，监管部门会再次处理。"), category="ok")
    if failed is None:
        return done
    return _track_page(complaint, key, failed.status, failed.errors or {"action": [failed.message]})


@bp.post("/complaints/<ticket>/rate")
@tracking_limit
def rate(ticket: str):
    key = request.form.get("key", "")
    complaint = load_tracked(ticket, key)
    done, failed = commit_or_fail(
        lambda: complaint_service.rate(complaint, request.form.get("satisfaction"), request.form.get("note")),
        done=url_for("feedback.track", ticket=complaint.ticket, key=key),
        message=_("感谢您对办理结果的评价。"), category="ok")
    if failed is None:
        return done
    return _track_page(complaint, key, failed.status, failed.errors or {"satisfaction": [failed.message]})


@bp.get("/complaints/<ticket>/photos/<int:n>")
@tracking_limit
def photo(ticket: str, n: int):
    complaint = load_tracked(ticket, request.args.get("key"))
    if not 1 <= n <= len(complaint.photos):
        abort(404)
    response = send_from_directory(current_app.config["UPLOAD_DIR"], complaint.photos[n - 1].path)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# -- public API ---------------------------------------------------------------------------------


@blp.route("/shops/<code>/reviews", methods=["GET"])
@blp.response(200, ReviewPageSchema)
def list_reviews(code: str):
    """The shop's rating summary and its recent visible reviews with merchant replies."""
    shop = load_shop(code)
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 1000))
    items = review_service.visible(shop, 20, (page - 1) * 20)
    return {"average": shop.rating_average, "count": shop.rating_count or 0, "page": page, "items": items}


@blp.route("/shops/<code>/reviews", methods=["POST"])
@blp.arguments(ReviewCreateSchema)
@blp.response(201, ReviewCreatedSchema)
@limited(*review_limits)
def post_review(data, code: str):
    """Rate a shop: 1–5 stars, optional text (≤ 500) and tags. One per client per shop per 30 days
    (409); 429 beyond the rate limits. Text with filtered words is held for moderation."""
    shop = load_shop(code)
    item = review_service.submit(shop, data, known_client=clients.is_known(), **_who())
    commit()
    return item


@blp.route("/shops/<code>/complaints", methods=["GET"])
@blp.arguments(SimilarArgs, location="query")
@blp.response(200, ComplaintSuggestionSchema(many=True))
def similar(args, code: str):
    """The shop's open complaints of a category, to add "me too" instead of filing a duplicate."""
    shop = load_shop(code)
    return complaint_service.open_similar(shop, args["category"])


COMPLAINT_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": ComplaintCreateSchema},
        "multipart/form-data": {"schema": {"type": "object", "properties": {
            "category": {"type": "string", "enum": list(COMPLAINT_CATEGORIES)},
            "kind": {"type": "string", "enum": ["complaint", "report"]},
            "description": {"type": "string", "maxLength": 1000},
            "phone": {"type": "string"},
            "photos": {"type": "array", "maxItems": 3, "items": {"type": "string", "format": "binary"}}},
            "required": ["category", "description"]}},
    },
}


@blp.route("/shops/<code>/complaints", methods=["POST"])
@blp.doc(requestBody=COMPLAINT_BODY)
@blp.response(201, ComplaintCreatedSchema)
@limited(*complaint_limits)
def post_complaint(code: str):
    """File a complaint (JSON, or multipart/form-data with up to 3 JPEG/PNG `photos`). Returns the
    ticket, the tracking key (shown once) and the tracking link."""
    shop = load_shop(code)
    if request.mimetype == "multipart/form-data":
        data = request.form.to_dict()
        photos = read_photos()
    else:
        data = request.get_json(silent=True)
        photos = []
        if not isinstance(data, dict):
            return json_error(400, "请求体应为 JSON 对象 (a JSON object is expected)", {"json": ["应为 JSON 对象"]})
    complaint, key = complaint_service.submit(shop, data, photos, **_who())
    commit()
    return {"ticket": complaint.ticket, "tracking_key": key,
            "tracking_url": complaint_service.tracking_url(complaint, key),
            "status": complaint.status, "due_on": complaint.due_on}


@blp.route("/complaints/<ticket>", methods=["GET"])
@blp.arguments(TrackingArgs, location="query")
@blp.response(200, ComplaintTrackingSchema)
@tracking_limit
def get_complaint(args, ticket: str):
    """Follow a complaint with its tracking key. A wrong key answers 404, like an unknown ticket."""
    return load_tracked(ticket, args["key"])


@blp.route("/complaints/<ticket>/me-too", methods=["POST"])
@blp.response(200, ComplaintSuggestionSchema)
@limited(*complaint_limits)
def post_me_too(ticket: str):
    """Support an open complaint ("me too"), once per client."""
    complaint = complaint_service.get(ticket)
    if complaint is None or not complaint.is_open:
        abort(404, description="没有这条未办结的投诉 (no such open complaint)")
    complaint_service.me_too(complaint, client_hash=clients.client_hash())
    commit()
    return complaint


@blp.route("/complaints/<ticket>/reopen", methods=["POST"])
@blp.arguments(ReopenSchema)
@blp.response(200, ComplaintTrackingSchema)
@tracking_limit
def post_reopen(data, ticket: str):
    """Reopen within 15 days of closing (409 after), with the tracking key and a reason."""
    complaint = load_tracked(ticket, data["key"])
    complaint_service.transition(complaint, "reopen", role="citizen", note=data["note"])
    commit()
    return complaint


@blp.route("/complaints/<ticket>/satisfaction", methods=["POST"])
@blp.arguments(RateSchema)
@blp.response(200, ComplaintTrackingSchema)
@tracking_limit
def post_satisfaction(data, ticket: str):
    """Rate the handling of a closed complaint (1–5), once per closing."""
    complaint = load_tracked(ticket, data["key"])
    complaint_service.rate(complaint, data["satisfaction"], data.get("note"))
    commit()
    return complaint


def register(app, api) -> None:
    """Called from huishang.citizen.register()."""
    app.register_blueprint(bp)
    api.register_blueprint(blp)
    app.add_template_filter(local_time, "fb_local")


def local_time(value) -> str:
    """A stored naive-UTC timestamp as district time (UTC+8), to the minute."""
    return format_local(value)
