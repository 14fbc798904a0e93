"""`/s/<code>` — the role-aware scan page (多码合一).

Anonymous visitors get the citizen face from a per-process cache: no query while the entry is
fresh (SCAN_CACHE_FRESH seconds, default 60), then one indexed read to revalidate it. Signed-in
users get their face rendered on every request (see services/scan.py for the rules).
"""
import logging
from typing import NamedTuple

from flask import current_app, make_response, render_template, request, session
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from huishang.services.feedback import mask_personal
from huishang.services.feedback import reviews as review_service
from huishang.services.grading import penalties as grading_penalties
from huishang.services.registry import display, normalise
from huishang.services.scan import faces as scans

from .. import handling
from ..admin.complaints import ComplaintsSection, complaints_section
from ..admin.grading import grading_panel
from ..admin.inspections import inspection_summary
from ..extensions import db
from ..models import Shop, today
from . import bp, scan_cache

CITIZEN_MAX_AGE = 60  # seconds a browser or CDN may keep the anonymous face
log = logging.getLogger(__name__)


PREFETCH_HEADER = "X-Patrol-Prefetch"  # sent by static/sw.js when it keeps a page for offline patrol


def _count(shop_id: int, face: str) -> None:
    """Count the scan; a failed write of the counts never fails the page (they are retried).

    The one GET that writes by design: a scan is a GET by nature (a phone's camera opens the plate's
    URL), and counting scans is what the plate's statistics are. The counts are buffered in memory;
    the background flusher writes them, or this request when SCAN_FLUSH_HITS scans are waiting."""
    config = current_app.config
    if not current_app.testing:  # tests flush explicitly (SCAN_FLUSH_HITS=1 or flush_scans())
        scans.flusher.ensure_started(current_app._get_current_object(), config.get("SCAN_FLUSH_SECONDS", 5.0))
    try:
        if scans.count_scan(shop_id, face, every_hits=config.get("SCAN_FLUSH_HITS", 5000)):
            handling.commit(on_get="scan counts: a scan is a GET by nature")
    except SQLAlchemyError as exc:
        db.session.rollback()
        log.warning("scan counts not written, kept for the next flush: %s", type(exc).__name__)


def _html(body: str, status: int = 200, *, public: bool = False):
    response = make_response(body, status)
    if public:
        response.headers["Cache-Control"] = f"public, max-age={CITIZEN_MAX_AGE}"
        response.headers["Vary"] = "Cookie, Accept-Language"
    else:
        response.headers["Cache-Control"] = "private, no-store"
    return response


# -- presenters: what each face shows besides the shop record -----------------------------------

class CitizenFace(NamedTuple):
    """scan/citizen.html. Cached and shared between anonymous visitors: nothing per visitor."""

    licence_state: str  # valid / expired / none
    reviews: dict  # the rating and the latest visible reviews (scan/_citizen_reviews.html)
    breakfast: bool  # the breakfast section (scan/_citizen_breakfast.html): an open breakfast shop
    # 行政处罚信息摘要 while their publicity runs (scan/_citizen_penalties.html; SAMR Order 45). The
    # cache key of the anonymous page includes the day, so a summary is gone the day it ends.
    penalties: list


def present_citizen(shop: Shop) -> CitizenFace:
    return CitizenFace(licence_state=scans.licence_state(shop), reviews=review_service.summary(shop),
                       breakfast=shop.serves_breakfast and shop.status == "open",
                       penalties=grading_penalties.public_penalties(shop))


def manage_actions(shop: Shop, user) -> str | None:
    """The menu of the management face (scan/_manage_actions.html): "merchant" for the shop's own
    merchant, "property" for its property manager, None for anyone else."""
    if user.role == "merchant" and user.owns_shop(shop):
        return "merchant"
    if user.role == "property" and user.manages_shop(shop):
        return "property"
    return None


class SuperviseSections(NamedTuple):
    """The feature sections of scan/supervise.html, each the variable its partial reads."""

    grading: dict  # scan/_supervise_grading.html; credit class for regulators only
    inspections: dict | None  # scan/_supervise_inspections.html; None: not shown
    complaints: ComplaintsSection  # scan/_supervise_complaints.html: the open complaints


def present_supervise(shop: Shop, user) -> SuperviseSections:
    return SuperviseSections(grading=grading_panel(shop, user), inspections=inspection_summary(shop, user),
                             complaints=complaints_section(shop, user, open_only=True))


def _render_citizen(shop_id: int | None = None, note=None, shop=None) -> str:
    shop = shop or scans.load_shop(shop_id)
    return render_template("scan/citizen.html", shop=shop, note=note, **present_citizen(shop)._asdict())


def _published_face(shop: Shop, locale: str):
    """The citizen face of `shop` in `locale` as an anonymous scan of its code gets it — body and
    headers after every after-request hook — for `faces.published` to store; None when it would
    set a cookie or not answer 200 (never shared, as in the micro-cache)."""
    app = current_app._get_current_object()
    with app.test_request_context(f"/s/{shop.code}", headers={"Cookie": f"lang={locale}"}):
        response = app.process_response(_html(_render_citizen(shop=shop), public=True))
        if response.status_code != 200 or "Set-Cookie" in response.headers:
            return None
        return response.status, list(response.headers.items()), response.get_data()


def _anonymous_scan(code: str):
    """The hot path. A fresh cached face costs no query; a stale one one indexed read; a miss
    one read of the shop with everything the face shows."""
    cacheable = not session.get("_flashes")  # a flashed message is personal: never shared
    key = (request.full_path, str(get_locale()), today())
    page = scans.citizen_pages.get(key) if cacheable else None
    if page is not None and scans.citizen_pages.is_fresh(page):
        shop_id, html, version = page.shop_id, page.value, page.version
    elif page is not None:
        resolution = scans.resolve(code)
        if resolution.kind != "shop":
            return _not_a_shop(resolution)
        shop_id, version = resolution.shop_id, resolution.version
        if page.version == version:
            scans.citizen_pages.checked(page)
            html = page.value
        else:
            html = _render_citizen(shop_id)
            scans.citizen_pages.put(key, html, shop_id=shop_id, version=version)
    else:
        shop = scans.load_current(code)
        if shop is None:
            return _not_a_shop(scans.resolve(code))
        shop_id, html, version = shop.id, _render_citizen(shop=shop), scans.version_of(shop)
        if cacheable:
            scans.citizen_pages.put(key, html, shop_id=shop_id, version=version)
    if cacheable:
        request.environ[scan_cache.MARK] = (shop_id, version)  # the micro-cache may share it
    _count(shop_id, "citizen")
    return _html(html, public=cacheable)


def _not_a_shop(resolution):
    if resolution.kind == "replaced":
        return _html(render_template("scan/replaced.html", resolution=resolution), 410, public=True)
    return _html(render_template("scan/not_genuine.html", resolution=resolution), 404, public=True)


@bp.get("/s", endpoint="scan_lookup")
def scan_lookup():
    """Typed code (`?code=ABCD EFGH J`) for when a camera cannot read the QR: redirect to the
    scan URL of the normalised code; the scan page then says whether it is genuine."""
    from flask import redirect, url_for


    code = normalise(request.args.get("code", ""))[:32]
    if not code:
        return _html(render_template("scan/lookup.html"))
    return redirect(url_for("citizen.scan", code=code))


@bp.get("/s/<code>", endpoint="scan")
def scan(code: str):
    """One code, three faces: citizen, management (own merchant / property manager), supervision
    (staff in scope). Forged or unknown codes are 404; an old code of a reissued plate is 410."""
    if not current_user.is_authenticated:
        return _anonymous_scan(code)
    resolution = scans.resolve(code)
    if resolution.kind != "shop":
        return _not_a_shop(resolution)
    shop = scans.load_shop(resolution.shop_id)
    if request.args.get("view") == "public":  # staff and merchants preview what citizens see
        return _html(_render_citizen(shop.id, "preview"))
    face, note = scans.face_for(current_user, shop)
    if request.headers.get(PREFETCH_HEADER) != "1":  # the patrol service worker storing it is no scan
        _count(shop.id, face)
    if face == "citizen":
        return _html(_render_citizen(shop.id, note))
    if face == "manage":
        return _html(render_template("scan/manage.html", shop=shop, actions=manage_actions(shop, current_user),
                                     **scans.manage_context(shop)))
    return _html(render_template("scan/supervise.html", shop=shop, **scans.supervise_context(shop),
                                 **present_supervise(shop, current_user)._asdict()))


@bp.record_once
def _install(state) -> None:
    """Counts still buffered when a worker stops are written on the way out; the micro-cache goes
    in front of the app. (A changed shop's cached faces are dropped on `shop_changed`.)"""
    import atexit

    app = state.app
    scans.citizen_pages.fresh = float(app.config.get("SCAN_CACHE_FRESH", CITIZEN_MAX_AGE))

    atexit.register(scans.flush_at_exit, app)
    scans.published.RENDERER = _published_face
    if app.config.get("SCAN_MICROCACHE", True):
        app.wsgi_app = scan_cache.ScanMicroCache(app.wsgi_app, app.config, app=app)


@bp.app_template_filter("plate_code")
def plate_code_filter(code: str) -> str:
    """A code grouped for reading: `ABCD EFGH J`."""
    return display(code)


@bp.app_template_filter("mask_personal")
def mask_personal_filter(text: str | None, partial: bool = False) -> str:
    """Citizen text with phones, ID numbers and e-mail masked (see services.moderation)."""
    return mask_personal(text, partial=partial)

