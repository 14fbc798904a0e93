"""`/s/<code>` — the role-aware scan page (多码合一).

Anonymous visitors get the citizen face, served from a per-process cache after one indexed
read; signed-in users get their face rendered fresh (see services/scan.py for the rules).
"""
from flask import current_app, make_response, render_template, request, session
from flask_babel import get_locale
from flask_login import current_user

from ..extensions import db
from ..models import today
from ..services import scan as scans
from . import bp

CITIZEN_MAX_AGE = 60  # seconds a browser or CDN may keep the anonymous face


def _count(shop_id: int, face: str) -> None:
    config = current_app.config
    if scans.count_scan(shop_id, face, every_hits=config.get("SCAN_FLUSH_HITS", 200),
                        every_seconds=config.get("SCAN_FLUSH_SECONDS", 5.0)):
        db.session.commit()


def _html(body: str, status: int = 200, *, public: bool = False):
    response = make_response(body, status)
    if public:
        response.headers["Cache-Control"] = f"public, max-age={CITIZEN_MAX_AGE}"
        response.headers["Vary"] = "Cookie, Accept-Language"
    else:
        response.headers["Cache-Control"] = "private, no-store"
    return response


def _citizen_face(resolution, note=None, *, cacheable: bool) -> str:
    """The citizen face; anonymous renders are cached per path, locale, shop version and day."""
    key = (request.full_path, str(get_locale()), resolution.version, today())
    if cacheable:
        html = scans.citizen_pages.get(key)
        if html is not None:
            return html
    shop = scans.load_shop(resolution.shop_id)
    html = render_template("scan/citizen.html", shop=shop, note=note,
                           licence_state=scans.licence_state(shop))
    if cacheable:
        scans.citizen_pages.put(key, html)
    return html


@bp.get("/s/<code>", endpoint="scan")
def scan(code: str):
    """One code, three faces: citizen, management (own merchant / property manager), supervision
    (staff in scope). Forged or unknown codes are 404; an old code of a reissued plate is 410."""
    resolution = scans.resolve(code)
    if resolution.kind in ("forged", "unknown"):
        return _html(render_template("scan/not_genuine.html", resolution=resolution), 404, public=True)
    if resolution.kind == "replaced":
        return _html(render_template("scan/replaced.html", resolution=resolution), 410, public=True)
    anonymous = not current_user.is_authenticated
    if anonymous:
        # Flashed messages are personal: a page carrying one is neither cached nor shared.
        cacheable = not session.get("_flashes")
        html = _citizen_face(resolution, cacheable=cacheable)
        _count(resolution.shop_id, "citizen")
        return _html(html, public=cacheable)
    shop = scans.load_shop(resolution.shop_id)
    face, note = scans.face_for(current_user, shop)
    if request.args.get("view") == "public":  # staff and merchants preview what citizens see
        return _html(_citizen_face(resolution, "preview", cacheable=False))
    _count(shop.id, face)
    if face == "citizen":
        return _html(_citizen_face(resolution, note, cacheable=False))
    if face == "manage":
        return _html(render_template("scan/manage.html", shop=shop, **scans.manage_context(shop)))
    return _html(render_template("scan/supervise.html", shop=shop, **scans.supervise_context(shop)))


@bp.record_once
def _flush_scans_at_exit(state) -> None:
    """Counts still buffered when a worker stops are written on the way out."""
    import atexit

    app = state.app

    def flush():
        with app.app_context():
            try:
                if scans.flush_scans():
                    db.session.commit()
            except Exception:  # noqa: BLE001 — the database may already be gone at shutdown
                db.session.rollback()

    atexit.register(flush)


@bp.app_template_filter("plate_code")
def plate_code_filter(code: str) -> str:
    """A code grouped for reading: `ABCD EFGH J`."""
    from ..services.codes import display

    return display(code)


@bp.app_template_global("has_endpoint")
def has_endpoint(name: str) -> bool:
    """Whether another feature provides `name` (so a link is shown only when it leads somewhere)."""
    return name in current_app.view_functions
