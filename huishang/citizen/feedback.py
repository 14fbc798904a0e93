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
    session,
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
from ..models.feedback import CATEGORY_LABELS, COMPLAINT_CATEGORIES, KIND_HINTS, KIND_LABELS, REVIEW_TAGS
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
    # Wrong keys: a ticket is locked for a while after 5 wrong keys, an IP after 20 (a 6-digit key
    # has a million values, the last four digits of a phone ten thousand).
    "FEEDBACK_KEY_FAILURES_TICKET": "5 per 30 minutes",
    "FEEDBACK_KEY_FAILURES_IP": "20 per hour",
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
def _typed_ticket() -> str:
    return (request.view_args or {}).get("ticket") or request.form.get("ticket") or ""


def _no_ticket() -> bool:
    return not _typed_ticket().strip()


def _ticket_rate_key() -> str:
    """Flask-Limiter key for wrong keys: the complaint (its TS and short tickets count as one)."""
    typed = _typed_ticket()
    complaint = complaint_service.get(typed)
    return f"ticket:{complaint.id}" if complaint is not None else \
        "ticket:?" + complaint_service.normalise_code(typed)[:20]


def _wrong_key(response) -> bool:
    """A wrong key answers 404 (like an unknown ticket); only those count towards the lock."""
    return response.status_code == 404


_tracking_ip = limiter.shared_limit(_limit("FEEDBACK_TRACKING_LIMIT_IP"), "tracking-ip",
                                    key_func=clients.rate_key_ip)
_failures_ticket = limiter.shared_limit(_limit("FEEDBACK_KEY_FAILURES_TICKET"), "key-failures-ticket",
                                        key_func=_ticket_rate_key, deduct_when=_wrong_key,
                                        exempt_when=_no_ticket)
_failures_ip = limiter.shared_limit(_limit("FEEDBACK_KEY_FAILURES_IP"), "key-failures-ip",
                                    key_func=clients.rate_key_ip, deduct_when=_wrong_key)


def tracking_limit(view):
    """Every request that checks a key: the IP's request rate, and the locks on wrong keys per
    ticket and per IP (429 while locked, even with the right key)."""
    return _tracking_ip(_failures_ticket(_failures_ip(view)))


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


TRACKED = "fb_tracked"  # session: ids of the complaints this browser has opened with their key


def _remember(complaint) -> None:
    ids = [i for i in session.get(TRACKED, []) if i != complaint.id]
    session[TRACKED] = (ids + [complaint.id])[-10:]


def load_tracked(ticket: str, key: str | None):
    """The complainant's complaint, or 404 — a wrong key is indistinguishable from no ticket. A
    browser that opened it with its key once (the lookup form, the confirmation) needs no key
    again in this session."""
    complaint = complaint_service.get(ticket)
    if complaint is not None and not key and complaint.id in session.get(TRACKED, []):
        return complaint
    if complaint is None or not complaint_service.key_matches(complaint, key):
        abort(404, description=_("工单号或查询码不正确 (wrong ticket or tracking key)"))
    _remember(complaint)
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
    locked = request.endpoint in ("feedback.track", "feedback.track_lookup", "feedback.reopen",
                                  "feedback.rate", "feedback.photo")
    return render_template("feedback/too_many.html", locked=locked), 429


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
                           categories=CATEGORY_LABELS, kinds=KIND_LABELS, hints=KIND_HINTS, errors=errors or {},
                           form=form or {}, excerpt=complaint_service.excerpt), status


@bp.route("/s/<code>/complain", methods=["GET", "POST"])
@limited(*complaint_limits)
def complain(code: str):
    """Step 1: choose a category; step 2: see open complaints of that category (me too) or file."""
    shop = load_shop(code)
    if request.method == "GET":
        category = request.args.get("category")
        return _complaint_page(shop, category if category in COMPLAINT_CATEGORIES else None)
    form = {k: request.form.get(k, "") for k in ("category", "kind", "description", "phone", "name",
                                                 "sms_consent")}
    form["kind"] = form["kind"] or "none"  # the form always asks: an unticked choice is an error
    photos = read_photos()

    def filed_page(filed):
        complaint, key = filed
        _remember(complaint)
        session["fb_new"] = {"id": complaint.id, "key": key}  # shown once on the confirmation
        return url_for("feedback.track", ticket=complaint.citizen_ticket, new=1)

    done, failed = commit_or_fail(lambda: complaint_service.submit(shop, form, photos, **_who()), done=filed_page)
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


@bp.route("/complaints/track", methods=["GET", "POST"])
@tracking_limit
def track_lookup():
    """Enter the ticket and key (for someone who wrote them down or saved the picture). The form
    posts, so the key never sits in an address; an old link with ?key= still works."""
    if request.method == "GET":
        ticket = (request.args.get("ticket") or "").strip().upper()
        key = (request.args.get("key") or "").strip()
        if ticket and key:
            return redirect(url_for("feedback.track", ticket=ticket, key=key))
        return render_template("feedback/track_lookup.html", ticket=ticket, errors={})
    ticket = (request.form.get("ticket") or "").strip()
    complaint = complaint_service.find_for_citizen(ticket, request.form.get("key"))
    if complaint is None:
        errors = {"key": [_("工单号或查询码不正确。连续输错5次，该工单会锁定30分钟。")]}
        return render_template("feedback/track_lookup.html", ticket=ticket.upper(), errors=errors), 404
    _remember(complaint)
    return redirect(url_for("feedback.track", ticket=complaint.citizen_ticket))


def _track_page(complaint, key, status=200, errors=None):
    fresh = session.get("fb_new") or {}
    new_key = fresh.get("key") if request.args.get("new") == "1" and fresh.get("id") == complaint.id else None
    if new_key:
        session.pop("fb_new")  # shown once (only this browser's signed cookie changes; nothing is stored)
    response = current_app.make_response((render_template(
        "feedback/track.html", c=complaint, key=key, new=new_key is not None, new_key=new_key,
        errors=errors or {}, texted=complaint_service.citizen_may_be_texted(complaint),
        events=complaint_service.notes_for(complaint, "citizen"), phone=complaint_service.mask_phone(complaint.phone),
        can_reopen=complaint_service.can_reopen(complaint), reopen_days=complaint_service.REOPEN_DAYS,
        closed=not complaint.is_open), status))
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/complaints/<ticket>")
@tracking_limit
def track(ticket: str):
    """The complainant's tracking page: opened from the lookup form (this browser remembers it),
    or with ?key= (old tracking links)."""
    key = request.args.get("key", "")
    return _track_page(load_tracked(ticket, key), key)


@bp.post("/complaints/<ticket>/reopen")
@tracking_limit
def reopen(ticket: str):
    key = request.form.get("key", "")
    complaint = load_tracked(ticket, key)
    done, failed = commit_or_fail(
        lambda: complaint_service.transition(complaint, "reopen", role="citizen", note=request.form.get("note")),
        done=url_for("feedback.track", ticket=complaint.citizen_ticket),
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
        done=url_for("feedback.track", ticket=complaint.citizen_ticket),
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
            "name": {"type": "string", "maxLength": 40},
            "sms_consent": {"type": "boolean"},
            "photos": {"type": "array", "maxItems": 3, "items": {"type": "string", "format": "binary"}}},
            "required": ["category", "description"]}},
    },
}


@blp.route("/shops/<code>/complaints", methods=["POST"])
@blp.doc(requestBody=COMPLAINT_BODY)
@blp.response(201, ComplaintCreatedSchema)
@limited(*complaint_limits)
def post_complaint(code: str):
    """File a 投诉 (`kind` complaint: `name` and `phone` required, SAMR Order 20 Art. 9) or a 举报
    (`kind` report: may be anonymous) — JSON, or multipart/form-data with up to 3 JPEG/PNG
    `photos`. Without `kind`, a filing with a phone is a 投诉 (and needs the name), else a 举报. Returns the
    citizen's short `code` and 6-digit `key` (shown once; `tracking_key` is the same key), the
    desk's `ticket` and the tracking link (without the key)."""
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
    return {"ticket": complaint.ticket, "code": complaint.short_code, "key": key, "tracking_key": key,
            "kind": complaint.kind, "tracking_url": complaint_service.tracking_url(complaint),
            "status": complaint.status, "due_on": complaint.due_on}


@blp.route("/complaints/<ticket>", methods=["GET"])
@blp.arguments(TrackingArgs, location="query")
@blp.response(200, ComplaintTrackingSchema)
@tracking_limit
def get_complaint(args, ticket: str):
    """Follow a complaint by its short code (or TS ticket) and key: the 6-digit key, the last four
    digits of the phone given, or an old 22-character key. A wrong key answers 404, like an unknown
    ticket; after 5 wrong keys the ticket answers 429 for 30 minutes (20 per IP per hour)."""
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
