"""Merchant pages: home (the tasks in words first — tasks.py — then my shops and the menu) and the
notification centre. The store, staff, and question pages live in store.py, staff.py and
questions.py; the public registration and FAQ pages in public.py."""

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from huishang.services.core import KINDS, format_local, notifications

from ..extensions import db
from ..handling import commit
from ..models import ChangeRequest, Notification, today
from . import bp, tasks

# Links of the merchant home's menu, in order. Every page is always there: a renamed endpoint is
# a BuildError, not a link that quietly disappears.
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
    ("merchant.inspections", "检查结果"),
)


def merchant_menu() -> list[tuple[str, str]]:
    """(label, url) of every page in the merchant home's menu."""
    return [(_(label), url_for(endpoint)) for endpoint, label in MENU]


@bp.app_template_filter("hs_local")
def local_time(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored naive-UTC time as district time (UTC+8, no DST)."""
    return format_local(value, fmt)


@bp.get("/")
def home():
    shops = sorted(current_user.shops, key=lambda s: (s.status == "closed", s.sign_name))
    pending = dict(db.session.execute(
        select(ChangeRequest.shop_id, func.count()).where(
            ChangeRequest.shop_id.in_([s.id for s in shops] or [-1]), ChangeRequest.status == "pending")
        .group_by(ChangeRequest.shop_id)).all())
    latest = notifications.for_user(current_user, unread_only=True, limit=5)
    return render_template("merchant/home.html", shops=shops, pending=pending, latest=latest,
                           kinds=KINDS, menu=merchant_menu(), tasks=tasks.tasks_for(current_user, shops, today()))


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
