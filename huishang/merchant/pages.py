"""Merchant pages: home (my shops and menu) and the notification centre. The store, staff, and
question pages live in store.py, staff.py and questions.py; the public registration and FAQ pages
in public.py."""
from datetime import timedelta

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from huishang.services.core import KINDS, notifications

from ..extensions import db
from ..models import ChangeRequest, Notification
from ..views import commit
from . import bp

# Links of the merchant end in menu order. Endpoints owned by other features appear only when
# they are registered; any further argument-less merchant.* page appears under its docstring.
MENU = (
    ("merchant.home", "我的店铺"),
    ("merchant.notifications", "消息通知"),
    ("merchant.self_checks", "自查"),
    ("merchant.rectifications", "整改"),
    ("merchant.complaints", "投诉处理"),
    ("merchant.reviews", "顾客点评"),
    ("merchant.credit", "信用修复"),
    ("merchant.questions", "咨询监管部门"),
    ("merchant.policies", "政策法规"),
    ("merchant.claim", "认领店铺"),
)
HIDDEN = {"merchant.static", "merchant.question_new", "merchant.notifications_read_all"}


@bp.app_template_global("merchant_menu")
def merchant_menu() -> list[tuple[str, str]]:
    """(label, url) for every merchant page that exists in this deployment."""
    views = current_app.view_functions
    seen, items = set(), []
    for endpoint, label in MENU:
        if endpoint in views:
            items.append((_(label), url_for(endpoint)))
            seen.add(endpoint)
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: r.rule):
        endpoint = rule.endpoint
        if (not endpoint.startswith("merchant.") or endpoint in seen or endpoint in HIDDEN
                or rule.arguments or "GET" not in rule.methods):
            continue
        doc = (views[endpoint].__doc__ or "").strip().splitlines()
        if doc:
            items.append((doc[0].rstrip("."), url_for(endpoint)))
            seen.add(endpoint)
    return items


@bp.app_template_filter("hs_local")
def local_time(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored naive-UTC time as district time (UTC+8, no DST)."""
    return (value + timedelta(hours=8)).strftime(fmt) if value else ""


@bp.app_template_global("unread_notifications")
def unread_notifications(user=None) -> int:
    """Unread notification count for the nav badge (0 for anonymous users)."""
    return notifications.unread_count(user if user is not None else current_user)


@bp.get("/")
def home():
    shops = sorted(current_user.shops, key=lambda s: (s.status == "closed", s.sign_name))
    pending = dict(db.session.execute(
        select(ChangeRequest.shop_id, func.count()).where(
            ChangeRequest.shop_id.in_([s.id for s in shops] or [-1]), ChangeRequest.status == "pending")
        .group_by(ChangeRequest.shop_id)).all())
    latest = notifications.for_user(current_user, unread_only=True, limit=5)
    return render_template("merchant/home.html", shops=shops, pending=pending, latest=latest,
                           kinds=KINDS)


@bp.get("/notifications", endpoint="notifications")
def notifications_page():
    """消息通知"""
    items = notifications.for_user(current_user, limit=200)
    return render_template("merchant/notifications.html", items=items, kinds=KINDS)


@bp.post("/notifications/<int:notification_id>/open")
def notification_open(notification_id: int):
    note = db.session.get(Notification, notification_id)
    if note is None or note.user_id != current_user.id:
        abort(404)
    notifications.mark_read(current_user, note.id)
    commit()
    link = note.link if note.link.startswith("/") and not note.link.startswith(("//", "/\\")) else ""
    return redirect(link or url_for("merchant.notifications"))


@bp.post("/notifications/read-all")
def notifications_read_all():
    notifications.mark_read(current_user)
    commit()
    return redirect(request.referrer if (request.referrer or "").startswith(request.host_url)
                    else url_for("merchant.notifications"))


from . import account, questions, staff, store  # noqa: E402,F401  (routes attach to bp on import)
