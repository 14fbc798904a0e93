"""Merchant side of inspections: results of their own shops (acknowledge or refuse with a
reason), the printable result sheet to post, rectifications reported done with a photo, and
self-checks from the same checklist library on the configured cadence."""

import uuid

from flask import Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from huishang.services import inspections
from huishang.services.catalog import checklists
from huishang.services.inspections import result_sheet

from ..extensions import db
from ..handling import commit_or_fail
from ..models import Inspection, Rectification, SelfCheck, today
from . import bp
from .common import own_object, own_shop, upload_bytes


def _own_shop_ids() -> list[int]:
    return [s.id for s in current_user.shops] or [-1]


@bp.get("/inspections", endpoint="inspections")
def inspection_list():
    """检查结果"""
    rows = db.session.scalars(
        select(Inspection)
        .where(Inspection.shop_id.in_(_own_shop_ids()))
        .order_by(Inspection.inspected_on.desc(), Inspection.id.desc())
        .limit(100)
    ).all()
    return render_template("inspections/merchant_list.html", inspections=rows)


@bp.get("/inspections/<int(max=2147483647):inspection_id>", endpoint="inspection")
def inspection_detail(inspection_id):
    return _detail_page(own_object(Inspection, inspection_id))


def _detail_page(inspection: Inspection, errors: dict | None = None, status: int = 200):
    template = inspection.template
    return render_template(
        "inspections/merchant_detail.html",
        inspection=inspection,
        shop=inspection.shop,
        groups=checklists.grouped_items(template) if template else [],
        answers={a.item_id: a for a in inspection.answers},
        errors=errors or {},
    ), status


@bp.post("/inspections/<int(max=2147483647):inspection_id>/ack", endpoint="inspection_ack")
def inspection_ack(inspection_id):
    """Sign for the result, or refuse with the reason recorded."""
    inspection = own_object(Inspection, inspection_id)
    accept = request.form.get("decision") == "accept"
    done, failed = commit_or_fail(
        lambda: inspections.acknowledge(
            inspection, actor=current_user, accept=accept, reason=request.form.get("reason", "")
        ),
        done=url_for("merchant.inspection", inspection_id=inspection.id),
        message=_("已签收检查结果") if accept else _("已记录拒签及理由"),
        category="message",
    )
    if failed is None:
        return done
    return _detail_page(inspection, failed.errors, failed.status)


@bp.get("/inspections/<int(max=2147483647):inspection_id>/sheet.pdf", endpoint="inspection_sheet")
def inspection_sheet(inspection_id):
    inspection = own_object(Inspection, inspection_id)
    return Response(
        result_sheet.render(inspection),
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{result_sheet.filename(inspection)}"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.get("/rectifications", endpoint="rectifications")
def rectification_list(errors=None, status=200):
    """整改"""
    rows = db.session.scalars(
        select(Rectification)
        .where(Rectification.shop_id.in_(_own_shop_ids()))
        .order_by(Rectification.closed_on.is_not(None), Rectification.deadline.desc())
        .limit(100)
    ).all()
    return render_template(
        "inspections/merchant_rectifications.html",
        rectifications=rows,
        today=today(),
        errors=errors or {},
        failed_id=request.view_args.get("rect_id"),
    ), status


@bp.post("/rectifications/<int(max=2147483647):rect_id>/report", endpoint="rectification_report")
def rectification_report(rect_id):
    """Report a rectification done, with a photo of the corrected state."""
    rect = own_object(Rectification, rect_id)
    done, failed = commit_or_fail(
        lambda: inspections.report_rectified(
            rect, actor=current_user, note=request.form.get("note", ""), photo=upload_bytes("photo")
        ),
        done=url_for("merchant.rectifications"), message=_("已报告整改完成，等待执法人员复查"), category="message",
    )
    if failed is None:
        return done
    return rectification_list(errors=failed.errors, status=failed.status)


@bp.get("/self-checks", endpoint="self_checks")
def self_check_list():
    """自查"""
    shops = [
        {
            "shop": shop,
            "templates": checklists.applicable_templates(shop, "self_check"),
            "due_on": inspections.self_check_due_on(shop),
        }
        for shop in current_user.shops
    ]
    recent = db.session.scalars(
        select(SelfCheck)
        .where(SelfCheck.shop_id.in_(_own_shop_ids()))
        .order_by(SelfCheck.checked_on.desc(), SelfCheck.id.desc())
        .limit(30)
    ).all()
    return render_template(
        "inspections/merchant_self_checks.html",
        shops=shops,
        recent=recent,
        today=today(),
        interval=inspections.self_check_interval(),
    )


@bp.route("/shops/<code>/self-checks/new", methods=["GET", "POST"], endpoint="self_check_new")
def self_check_new(code):
    shop = own_shop(code)
    wanted = request.form.get("template_id") or request.args.get("template")
    applicable = checklists.applicable_templates(shop, "self_check")
    template = checklists.get_template(wanted) if wanted else (applicable[0].template if applicable else None)
    if template is None or template.kind != "self_check":
        abort(404)
    errors, status = {}, 200
    if request.method == "POST":
        answers = [
            {
                "item_id": item.id,
                "result": request.form.get(f"result-{item.id}"),
                "note": request.form.get(f"note-{item.id}", ""),
            }
            for item in template.items
        ]
        done, failed = commit_or_fail(
            lambda: inspections.record_self_check(
                shop,
                template.id,
                answers,
                actor=current_user,
                client_id=(request.form.get("client_id") or "").strip() or None,
            )[0],
            done=lambda check: url_for("merchant.self_check", check_id=check.id, saved=1),
        )
        if failed is None:
            return done
        errors, status = failed.errors, failed.status
    return render_template(
        "inspections/self_check_form.html",
        shop=shop,
        template=template,
        applicable=applicable,
        groups=checklists.grouped_items(template),
        errors=errors,
        form=request.form,
        client_id=request.form.get("client_id") or uuid.uuid4().hex,
    ), status


@bp.get("/self-checks/<int(max=2147483647):check_id>", endpoint="self_check")
def self_check_detail(check_id):
    check = own_object(SelfCheck, check_id)
    answers = {a["item_id"]: a for a in check.answers}
    return render_template(
        "inspections/self_check_detail.html",
        check=check,
        shop=check.shop,
        groups=checklists.grouped_items(check.template),
        answers=answers,
        saved=request.args.get("saved") == "1",
    )
