"""A logged-in merchant claims one more shop (chains) with a claim code."""
from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from huishang.services.merchant import claims

from ..extensions import limiter
from ..handling import commit_or_fail
from . import bp


@bp.route("/claim", methods=["GET", "POST"], endpoint="claim")
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
def claim_shop():
    """认领店铺"""
    errors, status = {}, 200
    if request.method == "POST":
        done, failed = commit_or_fail(lambda: claims.claim(current_user, request.form.get("code", "")),
                                      done=lambda shop: url_for("merchant.shop", code=shop.code),
                                      message=lambda shop: _("已认领 %(name)s", name=shop.sign_name))
        if failed is None:
            return done
        errors, status = failed.errors, failed.status
    return render_template("merchant/claim.html", errors=errors), status
