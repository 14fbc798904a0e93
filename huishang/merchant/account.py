"""A logged-in merchant claims one more shop (chains) with a claim code."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db, limiter
from ..services import DomainError, claims
from . import bp


@bp.route("/claim", methods=["GET", "POST"], endpoint="claim")
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
def claim_shop():
    """认领店铺"""
    errors, status = {}, 200
    if request.method == "POST":
        try:
            shop = claims.claim(current_user, request.form.get("code", ""))
        except DomainError as exc:
            db.session.rollback()
            errors, status = exc.errors, exc.status
        else:
            db.session.commit()
            flash(_("已认领 %(name)s", name=shop.sign_name), "info")
            return redirect(url_for("merchant.shop", code=shop.code))
    return render_template("merchant/claim.html", errors=errors), status
