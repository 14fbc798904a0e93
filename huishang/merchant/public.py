"""The merchant end's public pages: registering with a claim code, the FAQ, and sign photos
(a shop's sign is public). Outside the merchant gate."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from huishang.services import DomainError, registry
from huishang.services.merchant import claims, questions

from ..extensions import limiter
from ..handling import commit_or_rollback
from .common import send_upload

bp = Blueprint("merchant_public", __name__)


@bp.route("/merchant/register", methods=["GET", "POST"])
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
def register():
    """A merchant registers with phone, password and the claim code from the welcome letter."""
    if current_user.is_authenticated and current_user.role == "merchant":
        return redirect(url_for("merchant.claim"))
    form, errors, status = {"code": request.args.get("code", "")}, {}, 200
    if request.method == "POST":
        form = {k: request.form.get(k, "") for k in ("phone", "display_name", "code")}
        password, confirm = request.form.get("password", ""), request.form.get("password2", "")

        def register_with_code():
            if password != confirm:
                raise DomainError("两次输入的密码不一致", {"password2": [_("两次输入的密码不一致")]})
            return claims.register(form["phone"], password, form["code"], form["display_name"])

        registered, failed = commit_or_rollback(register_with_code)
        if failed is None:
            user, shop = registered
            login_user(user)
            flash(_("注册成功，您已认领 %(name)s", name=shop.sign_name), "info")
            return redirect(url_for("merchant.shop", code=shop.code))
        errors, status = failed.errors, failed.status
    return render_template("merchant/register.html", form=form, errors=errors), status


@bp.get("/faq")
def faq():
    """常见问题 — answered questions published without the merchant's identity."""
    return render_template("merchant/faq.html", items=questions.faq())


@bp.get("/media/sign/<code>")
def sign_photo(code):
    """A shop's sign photo, public like the sign itself (closed shops excluded)."""
    shop = registry.get_shop(code)
    if shop is None or shop.status == "closed":
        abort(404)
    return send_upload(shop.sign_photo)
