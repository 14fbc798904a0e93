"""Property-manager pages (物业端): the complex's tenants with a supervision summary, move-in and
move-out reports, notices relayed to every tenant, and the message thread with the regulator.
Never complainant data, credit class or staff personal data."""
from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from huishang.services import property as property_service
from huishang.services.merchant import staff as staff_service

from ..extensions import db
from ..handling import PLAIN_SCOPE, commit, commit_or_fail, load_shop
from ..models import BusinessType
from . import bp


def _complex():
    if current_user.complex is None:
        abort(403)
    return current_user.complex


def _tenant(code):
    return load_shop(code, "manages_shop", PLAIN_SCOPE)


@bp.get("/")
def home():
    cx = _complex()
    rows = property_service.tenants(cx.id)
    reports = property_service.reports(cx.id)
    pending = [r for r in reports if r.status == "pending"]
    decided = [r for r in reports if r.status != "pending"][:10]
    moving_out = {r.shop_id for r in pending if r.kind == "move_out"}
    return render_template("property/home.html", complex=cx, rows=rows, pending=pending,
                           decided=decided, moving_out=moving_out)


@bp.get("/tenants/<code>")
def tenant(code):
    shop = _tenant(code)
    staff = [staff_service.public_view(p) for p in staff_service.for_shop(shop, active_only=True)]
    row = next((r for r in property_service.tenants(shop.complex_id, include_closed=True)
                if r["code"] == shop.code), None)
    return render_template("property/tenant.html", shop=shop, row=row, staff=staff)


@bp.route("/move-in", methods=["GET", "POST"])
def move_in():
    cx = _complex()
    form, errors, status = {}, {}, 200
    if request.method == "POST":
        names = (*property_service.MOVE_IN_FIELDS, "effective_on", "note")
        form = {k: request.form.get(k, "") for k in names}
        done, failed = commit_or_fail(
            lambda: property_service.report_move_in(current_user, form, effective_on=form["effective_on"] or None,
                                                    note=form["note"]),
            done=url_for("property.home"), message=_("入驻报告已提交，监管部门确认后登记"))
        if failed is None:
            return done
        errors, status = failed.errors, failed.status
    types = list(db.session.scalars(select(BusinessType).where(BusinessType.static_risk.is_not(None))
                                    .order_by(BusinessType.position)))
    return render_template("property/move_in.html", complex=cx, form=form, errors=errors,
                           types=types), status


@bp.route("/tenants/<code>/move-out", methods=["GET", "POST"])
def move_out(code):
    shop = _tenant(code)
    errors, status = {}, 200
    if request.method == "POST":
        done, failed = commit_or_fail(
            lambda: property_service.report_move_out(current_user, shop,
                                                     effective_on=request.form.get("effective_on") or None,
                                                     note=request.form.get("note", "")),
            done=url_for("property.home"), message=_("撤场报告已提交，监管部门确认后注销"))
        if failed is None:
            return done
        errors, status = failed.errors, failed.status
    return render_template("property/move_out.html", shop=shop, errors=errors), status


@bp.route("/notices", methods=["GET", "POST"])
def notices():
    cx = _complex()
    form, errors, status = {}, {}, 200
    if request.method == "POST":
        form = {"title": request.form.get("title", ""), "body": request.form.get("body", "")}
        done, failed = commit_or_fail(
            lambda: property_service.relay_notice(current_user, form["title"], form["body"]),
            done=url_for("property.notices"),
            message=lambda notice: _("通知已发送给 %(n)s 位经营者", n=notice.recipients))
        if failed is None:
            return done
        errors, status = failed.errors, failed.status
    return render_template("property/notices.html", complex=cx, items=property_service.notices(cx.id),
                           form=form, errors=errors), status


@bp.route("/messages", methods=["GET", "POST"])
def messages():
    cx = _complex()
    errors, status = {}, 200
    if request.method == "POST":
        done, failed = commit_or_fail(
            lambda: property_service.post_message(cx, current_user, request.form.get("body", "")),
            done=url_for("property.messages"))
        if failed is None:
            return done
        errors, status = failed.errors, failed.status
    thread = property_service.thread(cx.id, reader=current_user)
    # Opening the thread is reading it: the regulators' messages are marked read here, which clears
    # both ends' unread counts. A separate "mark read" POST would leave them unread until a button is
    # pressed, a change users would see.
    commit(on_get="read marks: opening a message thread reads it")
    return render_template("property/messages.html", complex=cx, messages=thread, errors=errors), status


