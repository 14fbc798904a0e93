"""Staff pages: health certificates and vaccination, the merchant's own shops only."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from huishang.services.merchant import staff as staff_service

from ..handling import commit, commit_or_fail
from ..models import today
from . import bp
from .common import form_data, own_shop, own_staff

FIELDS = ("name", "phone", "role", "health_cert_no", "health_cert_expires", "vaccine_doses",
          "vaccine_dates")


@bp.get("/shops/<code>/staff")
def staff_list(code):
    shop = own_shop(code)
    return render_template("merchant/staff.html", shop=shop, people=staff_service.for_shop(shop),
                           summary=staff_service.coverage(shop), today=today())


def _form(shop, person=None):
    form, errors, status = {}, {}, 200
    if request.method == "POST":
        form = form_data(*FIELDS)
        form["active"] = "active" in request.form

        def save():
            if person is None:
                return staff_service.add(shop, form, actor=current_user)
            return staff_service.update(person, form, actor=current_user)

        done, failed = commit_or_fail(save, done=url_for("merchant.staff_list", code=shop.code),
                                      message=_("员工信息已保存"))
        if failed is None:
            return done
        errors, status = failed.errors, failed.status
    elif person is not None:
        form = {"name": person.name, "phone": person.phone, "role": person.role,
                "health_cert_no": person.health_cert_no,
                "health_cert_expires": (person.health_cert_expires.isoformat()
                                        if person.health_cert_expires else ""),
                "vaccine_doses": person.vaccine_doses, "vaccine_dates": " ".join(person.vaccine_dates or []),
                "active": person.active}
    else:
        form = {"active": True}
    return render_template("merchant/staff_form.html", shop=shop, person=person, form=form,
                           errors=errors), status


@bp.route("/shops/<code>/staff/new", methods=["GET", "POST"])
def staff_new(code):
    return _form(own_shop(code))


@bp.route("/staff/<int:staff_id>/edit", methods=["GET", "POST"])
def staff_edit(staff_id):
    person = own_staff(staff_id)
    return _form(person.shop, person)


@bp.post("/staff/<int:staff_id>/delete")
def staff_delete(staff_id):
    person = own_staff(staff_id)
    code = person.shop.code
    staff_service.remove(person, actor=current_user)
    commit()
    flash(_("员工已删除"), "info")
    return redirect(url_for("merchant.staff_list", code=code))
