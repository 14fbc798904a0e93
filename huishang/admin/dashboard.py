"""Regulators' dashboard (监管驾驶舱), its export, and API-key management for city systems."""

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from huishang.services import dashboard, messages
from huishang.services.core import KINDS, format_local
from huishang.services.integration import apikeys

from .. import handling
from ..extensions import db
from ..i18n import N_
from ..models import ApiKey
from ..models.integration import API_SCOPES, SCOPE_LABELS
from ..security import roles_required
from . import bp
from .grading import nine_grid


@bp.get("/dashboard", endpoint="dashboard")
@roles_required("regulator")
def dashboard_page():
    """The figures for the regulator's streets (or one of them), each chart linking to its list.
    The whole scope shows the grading feature's nine-grid (cells link to their shops); one street
    shows the counts of the figures."""
    figures = dashboard.compute(current_user, street=request.args.get("street", "").strip() or None)
    return render_template(
        "dashboard/index.html",
        f=figures,
        tiers=dashboard.TIERS,
        grades=dashboard.GRADES,
        ninegrid=nine_grid(current_user) if figures.street is None else None,
        streets=dashboard.scope_streets(current_user),
        plan_labels=dashboard.PLAN_STATUS_LABELS,
    )


@bp.get("/dashboard/export.<fmt>", endpoint="dashboard_export")
@roles_required("regulator")
def dashboard_export(fmt):
    """The dashboard figures as XLSX (one sheet per table) or CSV (sections one after another)."""
    if fmt not in dashboard.EXPORT_TYPES:
        abort(404)
    figures = dashboard.compute(current_user, street=request.args.get("street", "").strip() or None)
    name, body, mimetype = dashboard.export(figures, fmt)
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.route("/api-keys", methods=["GET", "POST"], endpoint="api_keys")
@roles_required("regulator")
def api_keys_page():
    """List keys; POST creates one and shows the key once. District-wide regulators only: a key
    reaches the whole district, so a street-scoped regulator may not issue or revoke one."""
    _district_wide_only()
    created, raw, errors, status = None, None, {}, 200
    form = {"name": "", "scopes": []}
    if request.method == "POST":
        form = {"name": request.form.get("name", ""), "scopes": request.form.getlist("scopes")}
        result, failed = handling.commit_or_rollback(
            lambda: apikeys.create_key(form["name"], form["scopes"], actor=current_user))
        if failed is None:
            (created, raw), form = result, {"name": "", "scopes": []}
        else:
            errors, status = failed.errors, 422
    response = current_app.make_response(
        (
            render_template(
                "dashboard/api_keys.html",
                keys=apikeys.list_keys(),
                created=created,
                raw=raw,
                errors=errors,
                form=form,
                scopes=API_SCOPES,
                scope_labels=SCOPE_LABELS,
            ),
            status,
        )
    )
    response.headers["Cache-Control"] = "no-store"  # the one-time key must not be cached
    return response


@bp.post("/api-keys/<int:key_id>/revoke", endpoint="api_key_revoke")
@roles_required("regulator")
def api_key_revoke(key_id):
    _district_wide_only()
    key = db.session.get(ApiKey, key_id) or abort(404)
    if request.form.get("confirm") != "yes":
        flash(_("请勾选确认后再吊销"), "error")
        return redirect(url_for("admin.api_keys"))
    return handling.commit_or_flash(
        lambda: apikeys.revoke_key(key, actor=current_user), done=url_for("admin.api_keys"), category="success",
        message=lambda _key: _("已吊销密钥 %(prefix)s…（%(name)s）", prefix=key.prefix, name=key.name))


def _district_wide_only() -> None:
    if not current_user.district_wide:
        abort(403, description="市级系统密钥只能由全区监管者管理 (district-wide regulators only)")


MESSAGE_STATUS_LABELS = {"queued": N_("待发送"), "sending": N_("发送中"), "sent": N_("已发送"),
                         "failed": N_("发送失败"), "capped": N_("超过每日上限未发送")}
MESSAGE_CHANNEL_LABELS = {"email": N_("电子邮件"), "sms": N_("短信")}


@bp.get("/messages", endpoint="outbox")
@roles_required("regulator")
def outbox_page():
    """The outbox of e-mail and SMS: what left the platform, to whom (masked), and whether the
    provider took it. District-wide regulators only (the addresses are personal data)."""
    if not current_user.district_wide:
        abort(403, description="发件箱只能由全区监管者查看 (district-wide regulators only)")
    status = request.args.get("status") if request.args.get("status") in MESSAGE_STATUS_LABELS else None
    page = request.args.get("page", 1, type=int) or 1
    rows, total = messages.outbox_page(status, page)
    return render_template("dashboard/outbox.html", rows=rows, total=total, page=page, status=status,
                           mask=messages.mask_address, local=format_local, statuses=MESSAGE_STATUS_LABELS,
                           channels=MESSAGE_CHANNEL_LABELS, kinds=KINDS, page_size=messages.PAGE_SIZE)
