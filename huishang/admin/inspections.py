"""Patrol inspections for inspectors and regulators: the phone form, result pages and sheets,
the checklist library and its editor, open rectifications, overdue self-checks; and the JSON API
(`/api/v1/shops/<code>/checklists`, `/api/v1/inspections`, `/api/v1/shops/<code>/self-checks`)."""

import uuid
from datetime import date

from flask import Response, abort, redirect, render_template, request, url_for
from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from huishang.services import DomainError, inspections, jobs, registry
from huishang.services.catalog import checklists
from huishang.services.catalog import fields as catalog_fields
from huishang.services.catalog import types as catalog_types
from huishang.services.inspections import result_sheet

from .. import handling
from ..api import Blueprint as ApiBlueprint
from ..extensions import csrf, db
from ..i18n import N_
from ..merchant.common import send_upload
from ..models import ChecklistTemplate, Inspection, Rectification, SelfCheck, Shop, today
from ..schemas.base import Variant
from ..schemas.inspections import (
    InspectionCreateSchema,
    InspectionOwnerSchema,
    InspectionStaffSchema,
    SelfCheckCreateSchema,
    SelfCheckSchema,
    ShopChecklistsSchema,
)
from ..security import api_gate, json_error, roles_required
from . import bp, catalog

PER_PAGE = 50


# -- helpers ---------------------------------------------------------------------------------
INSPECTION_SCOPE = handling.ShopScope(missing="商铺不存在 (no such shop)", denied="该商铺不在您的辖区 (out of scope)")


def load_shop(code: str, check: str = "can_inspect") -> Shop:
    return handling.load_shop(code, check, INSPECTION_SCOPE)


def load_inspection(inspection_id: int) -> Inspection:
    inspection = db.session.get(Inspection, inspection_id)
    if inspection is None:
        abort(404)
    if not inspection.can_view(current_user):
        abort(403)
    return inspection


def _date_field(name: str) -> date | None:
    value = (request.form.get(name) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError(N_("日期格式错误"), {name: [N_("日期格式应为 YYYY-MM-DD")]}) from None


def _float_field(name: str) -> float | None:
    value = (request.form.get(name) or "").strip()
    try:
        return float(value) if value else None
    except ValueError:
        raise DomainError(N_("位置格式错误"), {name: [N_("应为数字")]}) from None


def submission_from_form(template: ChecklistTemplate | None) -> inspections.Submission:
    """Read the phone form into a Submission. Raises DomainError for unreadable dates/numbers."""
    items = template.items if template else []
    photos = {}
    for item in items:
        blobs = [f.read() for f in request.files.getlist(f"photo-{item.id}") if f and f.filename]
        if blobs:
            photos[item.id] = blobs
    return inspections.Submission(
        template_id=request.form.get("template_id"),
        co_inspector=request.form.get("co_inspector"),
        answers=[
            {
                "item_id": item.id,
                "result": request.form.get(f"result-{item.id}"),
                "note": request.form.get(f"note-{item.id}", ""),
            }
            for item in items
        ],
        client_id=(request.form.get("client_id") or "").strip() or None,
        inspected_on=_date_field("inspected_on"),
        rectification_deadline=_date_field("rectification_deadline"),
        lat=_float_field("lat"),
        lng=_float_field("lng"),
        note=request.form.get("note", ""),
        photos=photos,
    )


# -- the inspector's form ------------------------------------------------------------------------
@bp.route("/shops/<code>/inspections/new", methods=["GET", "POST"], endpoint="inspection_new")
def inspection_new(code):
    """Start an inspection: the matched checklist (preselected), co-inspector, answers, photos."""
    shop = load_shop(code)
    applicable = checklists.applicable_templates(shop, "inspection")
    wanted = request.form.get("template_id") or request.args.get("template")
    template = checklists.get_template(wanted) if wanted else (applicable[0].template if applicable else None)
    if template is None or template.kind != "inspection":
        abort(404, description="没有适用的检查表 (no checklist applies)")
    errors, status = {}, 200
    if request.method == "POST":
        recorded, failed = handling.commit_or_rollback(
            lambda: inspections.record_inspection(shop, submission_from_form(template), actor=current_user))
        if failed is None:
            inspection, created = recorded
            if created:  # the merchants are told after the commit: the inspector does not wait for it
                jobs.follow_up("inspection.result", inspection.id)
            return redirect(url_for("admin.inspection_detail", inspection_id=inspection.id, saved=1))
        errors, status = failed.errors or {"_": [failed.message]}, failed.status
    return render_template(
        "inspections/new.html",
        shop=shop,
        template=template,
        applicable=applicable,
        groups=checklists.grouped_items(template),
        errors=errors,
        form=request.form,
        co_inspectors=inspections.eligible_co_inspectors(shop, current_user),
        client_id=request.form.get("client_id") or uuid.uuid4().hex,
        today=today(),
        default_days=inspections.rectification_days(),
        colour=checklists.cold_chain_colour(shop),
    ), status


@bp.get("/inspections/<int(max=2147483647):inspection_id>", endpoint="inspection_detail")
def inspection_detail(inspection_id):
    inspection = load_inspection(inspection_id)
    template = inspection.template
    return render_template(
        "inspections/detail.html",
        inspection=inspection,
        shop=inspection.shop,
        groups=checklists.grouped_items(template) if template else [],
        answers={a.item_id: a for a in inspection.answers},
        saved=request.args.get("saved") == "1",
        referral=_referral(inspection),
    )


def _referral(inspection):
    """What the result page shows of 移送立案: the failed key items, whether this user may refer
    now, and the referral once recorded (staff only — the merchant's pages never show it)."""
    failed = inspections.referrals.failed_key_items(inspection)
    if not failed and inspection.referred_at is None:
        return None
    return {"failed": failed, "can_refer": inspections.referrals.can_refer(inspection, current_user)}


@bp.get("/inspections/<int(max=2147483647):inspection_id>/sheet.pdf", endpoint="inspection_sheet")
def inspection_sheet(inspection_id):
    inspection = load_inspection(inspection_id)
    pdf = result_sheet.render(inspection)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{result_sheet.filename(inspection)}"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.get(
    "/inspections/<int(max=2147483647):inspection_id>/photos/<int:answer_id>/<int:n>",
    endpoint="inspection_photo",
)
def inspection_photo(inspection_id, answer_id, n):
    inspection = load_inspection(inspection_id)
    answer = next((a for a in inspection.answers if a.id == answer_id), None)
    if answer is None or not 0 <= n < len(answer.photo_list):
        abort(404)
    return send_upload(answer.photo_list[n])


@bp.get("/shops/<code>/inspections", endpoint="shop_inspections")
def shop_inspections(code):
    shop = load_shop(code, "can_view")
    return render_template(
        "inspections/shop_history.html",
        shop=shop,
        inspections=inspections.shop_inspections(shop, limit=200),
        rectifications=inspections.open_rectifications(shop),
        self_checks=db.session.scalars(
            select(SelfCheck)
            .where(SelfCheck.shop_id == shop.id)
            .order_by(SelfCheck.checked_on.desc())
            .limit(20)
        ).all(),
    )


# -- rectifications and self-checks -------------------------------------------------------------
@bp.get("/inspections", endpoint="inspections_home")
def inspections_home():
    """Open rectifications in scope (overdue first) and links to the library and self-checks."""
    scoped = registry.scoped_shops(current_user).with_only_columns(Shop.id).scalar_subquery()
    rects = db.session.scalars(
        select(Rectification)
        .where(Rectification.closed_on.is_(None), Rectification.shop_id.in_(scoped))
        .order_by(Rectification.deadline)
        .limit(PER_PAGE)
    ).all()
    return render_template("inspections/home.html", rectifications=rects, today=today())


@bp.get("/rectifications/<int(max=2147483647):rect_id>/photo", endpoint="rectification_photo")
def rectification_photo(rect_id):
    rect = db.session.get(Rectification, rect_id)
    if rect is None:
        abort(404)
    if not rect.can_view(current_user):
        abort(403)
    return send_upload(rect.report_photo)


@bp.get("/self-checks/overdue", endpoint="self_checks_overdue")
def self_checks_overdue():
    page = max(1, request.args.get("page", 1, type=int) or 1)
    rows = db.session.execute(
        inspections.overdue_self_checks(current_user).limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)
    ).all()
    return render_template(
        "inspections/overdue.html",
        rows=rows[:PER_PAGE],
        more=len(rows) > PER_PAGE,
        page=page,
        interval=inspections.self_check_interval(),
        today=today(),
    )


# -- the checklist library (create / copy / retire in `catalog`) --------------------------------------
@bp.get("/checklists", endpoint="checklists")
def checklist_list():
    return render_template(
        "inspections/templates.html",
        templates=checklists.current_templates(),
        retired=checklists.current_templates(retired=True),
        kinds=checklists.KIND_LABELS,
        topics=checklists.TOPIC_LABELS,
        colour_table=checklists.colour_table(),
        can_manage=catalog.can_manage(current_user),
    )


@bp.get("/checklists/<int(max=2147483647):template_id>", endpoint="checklist_detail")
def checklist_detail(template_id):
    template = checklists.get_template(template_id) or abort(404)
    match = template.match or {}
    return render_template(
        "inspections/template_detail.html",
        template=template,
        groups=checklists.grouped_items(template),
        versions=checklists.versions(template.key),
        match_types=[bt for _family, kids in catalog_types.tree() for bt in kids
                     if bt.code in match.get("business_types", []) or bt.family in match.get("families", [])],
        match_colours=[catalog_fields.COLOUR_LABELS[c] for c in match.get("colours", [])
                       if c in catalog_fields.COLOUR_LABELS],
        full=checklists.is_full(template),
        can_manage=catalog.can_manage(current_user),
    )


@bp.route(
    "/checklists/<int(max=2147483647):template_id>/edit", methods=["GET", "POST"], endpoint="checklist_edit"
)
@catalog.district_wide_only
def checklist_edit(template_id):
    """District-wide regulators edit the name, English name, the business types it applies to and
    the items (text, English text, basis, key item, order); saving makes a new version. A retired
    form is not edited (copy it)."""
    template = checklists.get_template(template_id) or abort(404)
    if not template.current or template.retired:
        return redirect(url_for("admin.checklist_detail", template_id=template.id))
    errors, rows, status = {}, None, 200
    match = template.match or {}
    chosen = match.get("business_types", [])
    if request.method == "POST":
        rows = catalog.item_rows_from_form()
        chosen = request.form.getlist("business_types")
        done, failed = handling.commit_or_fail(
            lambda: checklists.edit_template(
                template, request.form.get("name", ""), rows, actor=current_user,
                name_en=request.form.get("name_en", ""),
                business_types=chosen if request.form.get("match_types") == "1" else None),
            done=lambda new: url_for("admin.checklist_detail", template_id=new.id))
        if failed is None:
            return done
        errors, status = failed.errors, failed.status
    if rows is None:
        rows = [
            {"section": i.section, "text": i.text, "text_en": i.text_en, "basis": i.basis, "key": i.key,
             "position": ""} for i in template.items
        ]
    return render_template(
        "inspections/template_edit.html",
        template=template,
        rows=catalog.blank_rows(rows),
        errors=errors,
        name=request.form.get("name", template.name),
        name_en=request.form.get("name_en", template.name_en),
        tree=catalog_types.tree(),
        chosen=chosen,
        by_family=match.get("families", []),
        by_colour=match.get("colours", []),
    ), status


# -- 移送立案: referring a failed key item for a case -------------------------------------------------
@bp.post("/inspections/<int(max=2147483647):inspection_id>/refer", endpoint="inspection_refer")
@roles_required("regulator", "inspector")
def inspection_refer(inspection_id):
    """Record that the inspection's failed key item was referred for a case (Order 49 Art. 32–33)."""
    inspection = load_inspection(inspection_id)
    if not inspection.shop.can_inspect(current_user):
        abort(403)
    return handling.commit_or_flash(
        lambda: inspections.referrals.refer(inspection, actor=current_user, note=request.form.get("note", "")),
        done=url_for("admin.inspection_detail", inspection_id=inspection.id),
        message=_l("已记录移送立案"), details=True)


# -- presenter of the inspections section (profile and supervision face) ------------------------------
def inspection_summary(shop, user):
    """Recent inspections, open rectifications and whether `user` may start an inspection — for
    the profile and the supervision face. None for a user who may not see the shop's supervision
    data (the section is then not shown)."""
    if shop is None or not user.is_authenticated or not user.can_view(shop):
        return None
    return {
        "recent": inspections.shop_inspections(shop, limit=5),
        "open_rectifications": inspections.open_rectifications(shop),
        "can_inspect": user.can_inspect(shop),
        "colour": checklists.cold_chain_colour(shop),
        "self_check_due_on": inspections.self_check_due_on(shop),
        "today": today(),
    }


# -- JSON API -----------------------------------------------------------------------------------
blp = ApiBlueprint(
    "inspections", __name__, url_prefix="/api/v1", description="Checklists, inspections and self-checks"
)
blp.before_request(api_gate())
csrf.exempt(blp)


def api_shop(code: str) -> Shop:
    """Staff in scope or the shop's own merchant; 404 / 403 otherwise."""
    return handling.load_shop(code, lambda user, shop: user.can_inspect(shop) or user.owns_shop(shop))


def inspection_schema() -> type[InspectionOwnerSchema]:
    """Staff see the whole inspection; the shop's merchant the owner variant."""
    return InspectionStaffSchema if current_user.is_staff else InspectionOwnerSchema


@blp.route("/shops/<code>/checklists")
@blp.response(200, ShopChecklistsSchema)
def shop_checklists(code):
    """The templates that apply to the shop, per kind, each with the reason it applies."""
    shop = api_shop(code)
    colour = checklists.cold_chain_colour(shop)
    return {
        "shop_code": shop.code,
        "colour": colour,
        "colour_reason": checklists.colour_reason(shop, colour),
        "inspection": checklists.applicable_templates(shop, "inspection"),
        "self_check": checklists.applicable_templates(shop, "self_check"),
    }


@blp.route("/inspections", methods=["POST"])
@blp.arguments(InspectionCreateSchema)
@blp.response(201, InspectionStaffSchema)
@blp.alt_response(200, schema=InspectionStaffSchema, description="A retry: the inspection already recorded")
@roles_required("regulator", "inspector", message="只有执法人员可以录入监督检查 (inspectors and regulators only)")
def create_inspection(data):
    """Record an inspection (inspectors and regulators in scope). A retry with the same
    client_id answers 200 with the inspection already recorded."""
    shop = registry.get_shop(data["shop_code"])
    if shop is None:
        return json_error(422, "商铺不存在", {"shop_code": ["商铺码不存在"]})
    if not shop.can_inspect(current_user):
        return json_error(403, "该商铺不在您的辖区 (out of scope)", {"shop_code": ["不在辖区"]})
    sub = inspections.Submission(
        **{
            k: data[k]
            for k in (
                "template_id",
                "co_inspector",
                "answers",
                "client_id",
                "inspected_on",
                "rectification_deadline",
                "lat",
                "lng",
                "note",
            )
        }
    )
    inspection, created = inspections.record_inspection(shop, sub, actor=current_user, source="api")
    handling.commit()
    if created:  # consequences that can follow go to a job after the commit (merchants notified)
        jobs.follow_up("inspection.result", inspection.id)
    return inspection, 201 if created else 200


@blp.route("/inspections/<int:inspection_id>")
@blp.response(200, InspectionStaffSchema)
def get_inspection(inspection_id):
    """One inspection: staff in scope see all of it, the shop's merchant their variant."""
    inspection = db.session.get(Inspection, inspection_id) if inspection_id <= checklists.MAX_ID else None
    if inspection is None:
        abort(404)
    if not inspection.can_view(current_user):
        abort(403, description=handling.API_SCOPE.denied)
    return Variant(inspection_schema(), inspection)


@blp.route("/shops/<code>/inspections")
@blp.response(200, InspectionStaffSchema(many=True))
def list_inspections(code):
    """The shop's inspections, newest first (at most 200)."""
    shop = api_shop(code)
    return Variant(inspection_schema(), inspections.shop_inspections(shop, limit=200))


@blp.route("/shops/<code>/self-checks")
class SelfChecks(MethodView):
    @blp.response(200, SelfCheckSchema(many=True))
    def get(self, code):
        """The shop's self-checks, newest first (staff in scope and the merchant)."""
        shop = api_shop(code)
        checks = db.session.scalars(
            select(SelfCheck)
            .where(SelfCheck.shop_id == shop.id)
            .order_by(SelfCheck.checked_on.desc(), SelfCheck.id.desc())
            .limit(200)
        )
        return checks

    @blp.arguments(SelfCheckCreateSchema)
    @blp.response(201, SelfCheckSchema)
    @roles_required("merchant", message="自查由经营者本人提交 (the shop's merchant only)")
    def post(self, data, code):
        """Record a self-check of the merchant's own shop (`api_shop` then admits only its merchant).
        A retry with the same client_id → 200."""
        shop = api_shop(code)
        check, created = inspections.record_self_check(
            shop,
            data["template_id"],
            data["answers"],
            actor=current_user,
            client_id=data["client_id"],
            checked_on=data["checked_on"],
        )
        handling.commit()
        return check, 201 if created else 200
