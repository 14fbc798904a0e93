"""The inspector's phone: the home with today's assigned visits (nearest first on the phone, overdue
marked, a camera scan button), and the installable web app around it — the web manifest and the
service worker, served from the site root so the worker's scope covers every page it keeps
(/admin/patrol, the checklist forms of today's shops, their supervision pages).

The worker and the queue live in static/js (sw.js is read from there and served at /sw.js);
inspections queued offline are posted to the ordinary form with their client id, so a retry never
records a second inspection (services.inspections.record_inspection)."""
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from huishang.services import planning
from huishang.services.catalog import checklists

from ..models import today
from . import bp

pwa = Blueprint("patrol", __name__)

SW_VERSION = "patrol-v1"  # bump when the app shell (css/js listed in sw.js) changes


@bp.get("/patrol", endpoint="patrol_home")
def patrol_home():
    """今日检查: the open 30-day-list items assigned to the signed-in inspector, due today or overdue."""
    on = today()
    visits, later = planning.assigned_visits(current_user, on)
    keep = []
    for v in visits:
        if current_user.can_inspect(v.shop) and checklists.applicable_templates(v.shop, "inspection"):
            keep.append(url_for("admin.inspection_new", code=v.shop.code))
        keep.append(url_for("citizen.scan", code=v.shop.code))
    return render_template("inspections/patrol_home.html", visits=visits, later=later, today=on, keep=keep)


@pwa.get("/sw.js")
def service_worker():
    """The service worker, at the root so its scope is the whole site. No caching by the browser's
    HTTP cache: a new version must be seen at the next visit."""
    body = (Path(current_app.static_folder) / "js" / "sw.js").read_bytes()  # small: read, no open file
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@pwa.get("/manifest.webmanifest")
def manifest():
    """The web app manifest: installs 汇商码巡查 on the home screen, opening the inspector's home."""
    body = {
        "name": _("汇商码 · 巡查"),
        "short_name": _("汇商码巡查"),
        "lang": "zh-CN",
        "start_url": url_for("admin.patrol_home"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#f5f6f8",
        "theme_color": "#b3261e",
        "icons": [{"src": url_for("static", filename="icons/patrol.svg"), "sizes": "any",
                   "type": "image/svg+xml", "purpose": "any"}],
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
