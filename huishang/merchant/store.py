"""Store information: open fields apply at once; sign name, address, business type and licences
go to the regulators' review queue."""
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from huishang.services import DomainError
from huishang.services.core import audit, uploads
from huishang.services.merchant import changes, licences

from ..extensions import db
from ..handling import commit, commit_or_fail
from ..i18n import N_
from ..models import BusinessType, ChangeRequest, Licence
from . import bp
from .common import form_data, own_object, own_shop, send_upload, upload_bytes

OPEN_FIELDS = ("contact", "phone", "opening_hours", "breakfast_spend", "breakfast_wait",
               "breakfast_offer", "breakfast_hours")


def _shop_page(shop, *, status=200, errors=None, form=None, section=None):
    history = list(db.session.scalars(select(ChangeRequest).where(ChangeRequest.shop_id == shop.id)
                                      .order_by(ChangeRequest.created_at.desc()).limit(20)))
    types = list(db.session.scalars(select(BusinessType).where(BusinessType.static_risk.is_not(None))
                                    .order_by(BusinessType.position)))
    return render_template("merchant/shop.html", shop=shop, history=history, types=types,
                           errors=errors or {}, form=form or {}, section=section,
                           licence_kinds=licences.LICENCE_KINDS), status


@bp.get("/shops/<code>")
def shop(code):
    return _shop_page(own_shop(code))


@bp.post("/shops/<code>/info")
def shop_info(code):
    shop = own_shop(code)
    data = form_data(*OPEN_FIELDS)
    data["serves_breakfast"] = "serves_breakfast" in (form := form_data("serves_breakfast", "cold_chain"))
    data["cold_chain"] = "cold_chain" in form
    for name in ("breakfast_spend", "breakfast_wait"):
        if name in data and not data[name].strip():
            data[name] = None
    done, failed = commit_or_fail(lambda: changes.apply_open_fields(shop, data, actor=current_user),
                                  done=url_for("merchant.shop", code=shop.code), message=_("店铺信息已更新"))
    if failed is None:
        return done
    return _shop_page(shop, status=422, errors=failed.errors, form=data, section="info")


@bp.post("/shops/<code>/sign-photo")
def sign_photo_upload(code):
    shop = own_shop(code)
    data = upload_bytes("photo")

    def replace_photo():
        if data is None:
            raise DomainError(N_("请选择照片"), {"photo": [N_("请选择一张门头照片（JPEG 或 PNG）")]})
        before = {"sign_photo": shop.sign_photo}
        shop.sign_photo = uploads.store_image(data, f"signs/{shop.id}")
        db.session.flush()
        audit.record("shop.sign_photo", shop, actor=current_user, before=before,
                     after={"sign_photo": shop.sign_photo})

    done, failed = commit_or_fail(replace_photo, done=url_for("merchant.shop", code=shop.code),
                                  message=_("门头照片已更新"))
    if failed is None:
        return done
    return _shop_page(shop, status=failed.status, errors=failed.errors, section="photo")


@bp.post("/shops/<code>/change")
def shop_change(code):
    shop = own_shop(code)
    data = {k: v for k, v in form_data("sign_name", "address", "business_type").items() if v.strip()}
    note = form_data("note").get("note", "")

    def request_change():
        if not data:
            raise DomainError(N_("请填写要变更的内容"), {"_schema": [N_("请至少填写一项要变更的内容")]})
        return changes.request_shop_change(shop, data, actor=current_user, note=note)

    done, failed = commit_or_fail(request_change, done=lambda cr: url_for("merchant.change", change_id=cr.id),
                                  message=_("变更申请已提交，监管部门审核后生效"))
    if failed is None:
        return done
    return _shop_page(shop, status=failed.status, errors=failed.errors, form=data, section="change")


@bp.route("/shops/<code>/licences/new", methods=["GET", "POST"], defaults={"licence_id": None})
@bp.route("/shops/<code>/licences/<int:licence_id>/edit", methods=["GET", "POST"])
def licence_form(code, licence_id):
    from flask import request

    shop = own_shop(code)
    licence = None
    if licence_id is not None:
        licence = db.session.get(Licence, licence_id)
        if licence is None or licence.shop_id != shop.id:
            abort(404)
    form, errors, status = {}, {}, 200
    if request.method == "POST":
        form = form_data("kind", "number", "issued_on", "expires_on")
        done, failed = commit_or_fail(
            lambda: licences.request_change(shop, form, image=upload_bytes("image"), licence=licence,
                                            actor=current_user),
            done=lambda cr: url_for("merchant.change", change_id=cr.id),
            message=_("证照变更已提交，监管部门审核后生效"))
        if failed is None:
            return done
        errors, status = failed.errors, failed.status
    elif licence is not None:
        form = {"kind": licence.kind, "number": licence.number,
                "issued_on": licence.issued_on.isoformat() if licence.issued_on else "",
                "expires_on": licence.expires_on.isoformat() if licence.expires_on else ""}
    return render_template("merchant/licence_form.html", shop=shop, licence=licence, form=form,
                           errors=errors, kinds=licences.LICENCE_KINDS), status


@bp.get("/licences/<int:licence_id>/image")
def licence_image(licence_id):
    return send_upload(own_object(Licence, licence_id).image_path)


@bp.get("/shops/<code>/sign-photo")
def sign_photo(code):
    return send_upload(own_shop(code).sign_photo)


@bp.get("/changes/<int:change_id>")
def change(change_id):
    cr = own_object(ChangeRequest, change_id)
    return render_template("merchant/change.html", cr=cr, labels=changes.FIELD_LABELS)


@bp.get("/changes/<int:change_id>/image")
def change_image(change_id):
    return send_upload(own_object(ChangeRequest, change_id).changes.get("image_path"))


@bp.post("/changes/<int:change_id>/withdraw")
def change_withdraw(change_id):
    cr = own_object(ChangeRequest, change_id)
    changes.withdraw(cr, actor=current_user)
    commit()
    flash(_("变更申请已撤回"), "info")
    return redirect(url_for("merchant.shop", code=cr.shop.code))

