"""Regulator and inspector pages: the registry list, the shop profile, create / edit / close.

Inspectors read; regulators change (in their streets). A shop outside the user's streets answers
404, so a profile URL does not even confirm that the shop exists.
"""
from pathlib import PurePath

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from huishang.services import DomainError, jobs, registry
from huishang.services.registry import exporting, importing
from huishang.services.registry import fields as shop_fields

from .. import handling
from ..extensions import db
from ..models import BusinessType, Complex, Shop, Street
from ..security import roles_required
from ..validation import FormCheck
from . import bp
from . import jobs as jobs_views
from .listing import read_listing

PER_PAGE = 30
FILTERS = ("street", "business_type", "status", "q")
EXPIRING_DAYS = 30
MAX_UPLOAD_ROWS = 5000  # larger files go through `flask shops import` (a request must stay short)


# -- forms --------------------------------------------------------------------------------

class ShopForm(FlaskForm):
    """The registry record. Each field checks what it can alone (required, size) with its registry
    field's check and message; the registry service checks the rest (USCC check character, streets,
    coordinates) and its errors are put back on these fields, so the messages are the API's and the
    import's."""

    uscc = StringField(_l("统一社会信用代码"), validators=[FormCheck(shop_fields.USCC, required=True)])
    entity_name = StringField(_l("主体名称"), validators=[FormCheck(shop_fields.ENTITY_NAME, required=True)])
    legal_rep = StringField(_l("法定代表人"), validators=[FormCheck(shop_fields.LEGAL_REP)])
    sign_name = StringField(_l("店招名称"), validators=[FormCheck(shop_fields.SIGN_NAME, required=True)])
    address = StringField(_l("地址"), validators=[FormCheck(shop_fields.ADDRESS, required=True)])
    street = SelectField(_l("街道"), validators=[FormCheck(shop_fields.STREET, required=True)], choices=[],
                         validate_choice=False)
    business_type = SelectField(_l("业态"), validators=[FormCheck(shop_fields.BUSINESS_TYPE, required=True)],
                                choices=[], validate_choice=False)
    complex = SelectField(_l("商业综合体"), choices=[], validate_choice=False)
    lat = StringField(_l("纬度"), validators=[FormCheck(shop_fields.LAT)])
    lng = StringField(_l("经度"), validators=[FormCheck(shop_fields.LNG)])
    contact = StringField(_l("联系人"), validators=[FormCheck(shop_fields.CONTACT)])
    phone = StringField(_l("联系电话"), validators=[FormCheck(shop_fields.PHONE_NUMBER)])
    opening_hours = StringField(_l("营业时间"), validators=[FormCheck(shop_fields.OPENING_HOURS)])
    registered_on = StringField(_l("登记日期"), validators=[FormCheck(shop_fields.REGISTERED_ON)])
    licence_no = StringField(_l("许可证号"), validators=[FormCheck(shop_fields.LICENCE_NO)])
    licence_expires = StringField(_l("许可证有效期"), validators=[FormCheck(shop_fields.LICENCE_EXPIRES)])
    cold_chain = BooleanField(_l("经营冷链食品"))
    serves_breakfast = BooleanField(_l("早餐网点"))
    breakfast_spend = StringField(_l("早餐人均消费（元）"), validators=[FormCheck(shop_fields.BREAKFAST_SPEND)])
    breakfast_wait = StringField(_l("早餐等候时间（分钟）"), validators=[FormCheck(shop_fields.BREAKFAST_WAIT)])
    breakfast_offer = TextAreaField(_l("早餐品种"), validators=[FormCheck(shop_fields.BREAKFAST_OFFER)])
    breakfast_hours = StringField(_l("早餐供应时间"), validators=[FormCheck(shop_fields.BREAKFAST_HOURS)])
    status = SelectField(_l("经营状态"), choices=[SelectChoice("open", _l("营业")),
                                                    SelectChoice("suspended", _l("停业"))],
                         validate_choice=False)

    def fill_choices(self, user) -> None:
        streets = db.session.scalars(select(Street).order_by(Street.position)).all()
        self.street.choices = [SelectChoice("", _("请选择街道"))] + [
            SelectChoice(s.name, s.name) for s in streets if user.covers_street(s.id)]
        types = db.session.scalars(select(BusinessType).where(BusinessType.active.is_(True))
                                   .order_by(BusinessType.position)).all()
        names = {bt.id: bt.name for bt in types}
        self.business_type.choices = [SelectChoice("", _("请选择业态"))] + [
            SelectChoice(bt.code, bt.name, optgroup=names.get(bt.parent_id, bt.family))
            for bt in types if bt.static_risk is not None]
        self.complex.choices = [SelectChoice("", _("无"))] + [
            SelectChoice(c.name, c.name) for c in db.session.scalars(select(Complex).order_by(Complex.name))]

    def payload(self, *, editing: bool) -> dict:
        data = {name: self[name].data for name in registry_fields(editing)}
        for name, value in data.items():
            if isinstance(value, str):
                data[name] = value.strip()
        if editing:  # an emptied date keeps the stored one rather than blanking a required column
            for name in ("registered_on", "licence_expires"):
                if not data.get(name):
                    data.pop(name, None)
        for name in ("breakfast_spend", "breakfast_wait"):
            if data.get(name) == "":
                data[name] = None
        return data

    def show_errors(self, exc: DomainError) -> None:
        for name, messages in exc.errors.items():
            target = self[name] if name in self._fields else None
            if target is None:
                self.form_errors.extend(messages)
            else:
                target.errors = list(target.errors or []) + list(messages)
        if not exc.errors:
            self.form_errors.append(exc.message)


def registry_fields(editing: bool) -> tuple[str, ...]:
    names = ("uscc", "entity_name", "sign_name", "address", "street", "business_type", "complex",
             "lat", "lng", "contact", "phone", "opening_hours", "registered_on", "licence_no",
             "licence_expires", "cold_chain", "serves_breakfast", "breakfast_spend", "breakfast_wait",
             "breakfast_offer", "breakfast_hours")
    return names + ("status",) if editing else names + ("legal_rep",)


class ImportForm(FlaskForm):
    file = FileField(_l("CSV 或 Excel 文件"), validators=[
        FileRequired(_l("请选择文件")), FileAllowed(["csv", "xlsx"], _l("只支持 .csv 或 .xlsx 文件"))])


class CloseForm(FlaskForm):
    reason = TextAreaField(_l("注销原因"), validators=[DataRequired(), Length(min=2, max=500)])


# -- helpers ------------------------------------------------------------------------------

def load_shop(code: str, check: str = "can_view") -> Shop:
    """Load or 404 (also when out of scope: the URL must not confirm the shop exists); 403 when
    in view but the action is not allowed."""
    return handling.load_shop(code, check, handling.PAGE_SCOPE)


def street_in_scope(form: ShopForm) -> bool:
    street = db.session.scalar(select(Street).where(Street.name == form.street.data))
    if street is not None and not current_user.covers_street(street.id):
        form.street.errors = list(form.street.errors or []) + [_("该街道不在您的管辖范围")]
        return False
    return True


def filtered_query(filters: dict):
    """The scoped registry SELECT with the list filters; raises DomainError for unknown values."""
    return registry.filter_shops(registry.scoped_shops(current_user),
                                 **{k: v for k, v in filters.items() if k in FILTERS})


def read_filters(values=None) -> dict:
    values = request.args if values is None else values
    filters = {k: (values.get(k) or "").strip()[:100] or None for k in FILTERS}
    if filters["status"] not in (None, "open", "suspended", "closed"):
        filters["status"] = None
    return filters


# -- registry list --------------------------------------------------------------------------

@bp.get("/")
def registry_page():
    return redirect(url_for("admin.registry"))


def _registry_sorts() -> dict:
    """The registry list's sort keys (whitelist) and their ORDER BY column; the shop id breaks ties.
    Street and business type sort by their catalogue position (the order of the filters)."""
    return {
        "new": Shop.id,
        "name": Shop.sign_name,
        "code": Shop.code,
        "street": select(Street.position).where(Street.id == Shop.street_id).scalar_subquery(),
        "type": select(BusinessType.position).where(BusinessType.id == Shop.business_type_id).scalar_subquery(),
        "status": Shop.status,
        "registered": Shop.registered_on,
    }


REGISTRY_SORT_KEYS = ("new", "name", "code", "street", "type", "status", "registered")


@bp.get("/shops", endpoint="registry")
def registry_list():
    """The registry list with filters, search, sorting (`sort`, `dir`) and pagination: cards on a
    phone, a table on a desk (≥ 1024 px)."""
    filters = read_filters()
    listing = read_listing(REGISTRY_SORT_KEYS, "new", PER_PAGE, filters, default_dir="desc")
    status, error = 200, None
    try:
        query = filtered_query(filters)
    except DomainError as exc:
        query, error, status = registry.scoped_shops(current_user).where(False), exc.message, 400
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    listing = listing.clamp(total)
    column = _registry_sorts()[listing.sort]
    order = (column.desc(), Shop.id.desc()) if listing.descending else (column.asc(), Shop.id.asc())
    shops = db.session.scalars(query.order_by(*order).limit(PER_PAGE).offset(listing.offset)
                               .options(selectinload(Shop.street), selectinload(Shop.business_type))).all()
    streets = [s for s in db.session.scalars(select(Street).order_by(Street.position))
               if current_user.covers_street(s.id)]
    types = db.session.scalars(select(BusinessType).order_by(BusinessType.position)).all()
    args = {k: v for k, v in filters.items() if v}
    return render_template("admin/registry.html", shops=shops, total=total, page=listing.page,
                           pages=listing.pages(total), listing=listing, filters=filters, args=args, error=error,
                           streets=streets, types=types), status


@bp.post("/shops/export.<fmt>")
def registry_export(fmt: str):
    """The filtered list (within the user's scope) as CSV (UTF-8 with BOM) or XLSX: a job, whose
    page shows its progress and offers the file when it is ready."""
    if fmt not in exporting.FORMATS:
        abort(404)
    filters = {k: v for k, v in read_filters(request.values).items() if v}
    filtered_query(filters)  # an unknown street or type: 400 here, not a failed job
    return jobs_views.start_and_show("registry.export", {"fmt": fmt, "filters": filters})


@bp.route("/shops/import", methods=["GET", "POST"])
@roles_required("regulator")
def registry_import():
    """Upload a CSV / XLSX: 检查 reports only; 导入 writes all rows or none, as a job. A file over
    MAX_UPLOAD_ROWS is checked by the job itself, whose page lists any bad rows."""
    form, plan, status = ImportForm(), None, 200
    if form.validate_on_submit():
        upload = form.file.data
        content = upload.read()
        importing_now = request.form.get("action") == "import"
        try:
            if importing_now and len(importing.read_rows(upload.filename, content)[1]) > MAX_UPLOAD_ROWS:
                return start_import_job(upload.filename, content)
            plan = importing.plan_upload(upload.filename, content, current_user, MAX_UPLOAD_ROWS)
        except DomainError as exc:
            form.file.errors = list(form.file.errors or []) + [exc.message] + [
                m for msgs in exc.errors.values() for m in msgs]
        else:
            db.session.rollback()
            if plan.ok and importing_now:
                return start_import_job(upload.filename, content)
    if request.method == "POST" and (plan is None or not plan.ok):
        status = 422
    return render_template("admin/shop_import.html", form=form, plan=plan,
                           max_rows=MAX_UPLOAD_ROWS), status


def start_import_job(filename: str, content: bytes):
    """Keep the upload with the job (removed with it after JOB_FILES_DAYS) and start the import."""
    job = jobs.create("registry.import", {"filename": filename}, current_user)
    path = jobs.job_dir(job.id) / ("upload" + PurePath(filename).suffix.lower()[:6])
    path.write_bytes(content)
    job.params = {"filename": filename, "path": str(path)}
    return redirect(jobs_views.launch_committed(job))


# -- create / edit / close ------------------------------------------------------------------

@bp.route("/shops/new", methods=["GET", "POST"])
@roles_required("regulator")
def shop_new():
    form = ShopForm()
    del form.status  # a new shop is open
    form.fill_choices(current_user)
    if form.validate_on_submit() and street_in_scope(form):
        done, failed = handling.commit_or_fail(
            lambda: registry.register_shop(form.payload(editing=False), actor=current_user),
            done=lambda shop: url_for("admin.shop_profile", code=shop.code),
            message=lambda shop: _("已登记，商铺码 %(code)s", code=shop.code))
        if failed is None:
            return done
        form.show_errors(failed)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/shop_form.html", form=form, shop=None), status


@bp.route("/shops/<code>/edit", methods=["GET", "POST"])
@roles_required("regulator")
def shop_edit(code: str):
    shop = load_shop(code, "can_edit")
    if shop.status == "closed":
        flash(_("已注销的商铺不能修改"), "error")
        return redirect(url_for("admin.shop_profile", code=shop.code))
    form = ShopForm(data=form_data(shop) if request.method == "GET" else None)
    form.fill_choices(current_user)
    if form.validate_on_submit() and street_in_scope(form):
        done, failed = handling.commit_or_fail(
            lambda: registry.update_shop(shop, form.payload(editing=True), actor=current_user),
            done=url_for("admin.shop_profile", code=shop.code), message=_("已保存"))
        if failed is None:
            return done
        form.show_errors(failed)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/shop_form.html", form=form, shop=shop), status


def form_data(shop: Shop) -> dict:
    licence = next((lic for lic in shop.licences if lic.kind in ("food_business", "business")), None)
    return {
        "uscc": shop.entity.uscc, "entity_name": shop.entity.name, "legal_rep": shop.entity.legal_rep,
        "sign_name": shop.sign_name, "address": shop.address, "street": shop.street.name,
        "business_type": shop.business_type.code, "complex": shop.complex.name if shop.complex else "",
        "lat": "" if shop.lat is None else str(shop.lat), "lng": "" if shop.lng is None else str(shop.lng),
        "contact": shop.contact, "phone": shop.phone, "opening_hours": shop.opening_hours,
        "registered_on": shop.registered_on.isoformat() if shop.registered_on else "",
        "licence_no": licence.number if licence else "",
        "licence_expires": licence.expires_on.isoformat() if licence and licence.expires_on else "",
        "cold_chain": shop.cold_chain, "serves_breakfast": shop.serves_breakfast,
        "breakfast_spend": "" if shop.breakfast_spend is None else f"{shop.breakfast_spend:g}",
        "breakfast_wait": "" if shop.breakfast_wait is None else str(shop.breakfast_wait),
        "breakfast_offer": shop.breakfast_offer, "breakfast_hours": shop.breakfast_hours,
        "status": shop.status,
    }


@bp.route("/shops/<code>/close", methods=["GET", "POST"])
@roles_required("regulator")
def shop_close(code: str):
    """注销, with a reason; the shop leaves the plan and public lists, its history stays."""
    shop = load_shop(code, "can_edit")
    form = CloseForm()
    if form.validate_on_submit():
        done, failed = handling.commit_or_fail(
            lambda: registry.close_shop(shop, actor=current_user, reason=form.reason.data),
            done=url_for("admin.shop_profile", code=shop.code), message=_("商铺已注销"))
        if failed is None:
            return done
        form.reason.errors = list(form.reason.errors or []) + [failed.message]
        return render_template("admin/shop_close.html", form=form, shop=shop), failed.status
    status = 422 if request.method == "POST" else 200
    return render_template("admin/shop_close.html", form=form, shop=shop), status
