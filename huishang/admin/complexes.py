"""The regulators' complex pages (商业综合体): the list of the complexes in their streets, registering
one, changing its name, street, address and property managers (chosen from the property-manager
accounts by name). A street regulator sees and changes only complexes in their streets; the
service (`registry.complexes`) checks and audits every change."""
from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice

from huishang.services import DomainError
from huishang.services.registry import complexes

from .. import handling
from ..extensions import db
from ..models import Street
from ..security import roles_required
from ..validation import FormCheck
from . import bp


class ComplexForm(FlaskForm):
    name = StringField(_l("名称"), validators=[FormCheck(complexes.NAME, required=True)])
    street = SelectField(_l("街道"), validators=[FormCheck(complexes.STREET, required=True)], choices=[],
                         validate_choice=False)
    address = StringField(_l("地址"), validators=[FormCheck(complexes.ADDRESS)])
    managers = SelectMultipleField(_l("物业管理人员"), choices=[], validate_choice=False)

    def fill_choices(self, user) -> None:
        streets = db.session.scalars(select(Street).order_by(Street.position)).all()
        self.street.choices = [SelectChoice("", _("请选择街道"))] + [
            SelectChoice(s.name, s.name) for s in streets if user.covers_street(s.id)]
        self.managers.choices = [
            SelectChoice(u.username, u.label + (f"（{u.complex.name}）" if u.complex else ""))
            for u in complexes.property_accounts()]

    def payload(self) -> dict:
        return {"name": (self.name.data or "").strip(), "street": self.street.data or "",
                "address": (self.address.data or "").strip(), "managers": list(self.managers.data or [])}

    def show_errors(self, exc: DomainError) -> None:
        for name, messages in exc.errors.items():
            if name in self._fields:
                self[name].errors = list(self[name].errors or []) + list(messages)
            else:
                self.form_errors.extend(messages)
        if not exc.errors:
            self.form_errors.append(exc.message)


def _load(complex_id: int):
    cx = complexes.get_complex(complex_id)
    if cx is None or not cx.can_view(current_user):
        abort(404)
    return cx


@bp.get("/complexes")
@roles_required("regulator")
def complexes_list():
    rows = [{"complex": cx, "managers": complexes.managers(cx), "tenants": complexes.tenant_count(cx)}
            for cx in db.session.scalars(complexes.scoped_complexes(current_user))]
    return render_template("admin/complexes.html", rows=rows)


@bp.route("/complexes/new", methods=["GET", "POST"])
@roles_required("regulator")
def complex_new():
    form = ComplexForm()
    form.fill_choices(current_user)
    if form.validate_on_submit():
        done, failed = handling.commit_or_fail(
            lambda: complexes.create_complex(form.payload(), user=current_user),
            done=url_for("admin.complexes_list"), message=lambda cx: _("已登记商业综合体：%(name)s", name=cx.name))
        if failed is None:
            return done
        form.show_errors(failed)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/complex_form.html", form=form, cx=None), status


@bp.route("/complexes/<int:complex_id>/edit", methods=["GET", "POST"])
@roles_required("regulator")
def complex_edit(complex_id: int):
    cx = _load(complex_id)
    data = None
    if request.method == "GET":
        data = {"name": cx.name, "street": cx.street.name, "address": cx.address,
                "managers": [u.username for u in complexes.managers(cx)]}
    form = ComplexForm(data=data)
    form.fill_choices(current_user)
    if form.validate_on_submit():
        done, failed = handling.commit_or_fail(
            lambda: complexes.update_complex(cx, form.payload(), user=current_user),
            done=url_for("admin.complexes_list"), message=_("已保存"))
        if failed is None:
            return done
        form.show_errors(failed)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/complex_form.html", form=form, cx=cx), status
