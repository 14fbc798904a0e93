"""The catalogue for regulators: business types (业态), the cold-chain colour table (红橙黄蓝) and
the checklist library's create / copy / retire (the library's list, detail and editor are in
`inspections`). Every staff member reads; district-wide regulators change (one catalogue for the
whole district). Every change is audited by the services with before → after."""
from __future__ import annotations

from functools import wraps

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from huishang.services.catalog import checklists, fields, types

from .. import handling
from ..models.checklists import TEMPLATE_KINDS
from . import bp

DISTRICT_ONLY = _l("目录由区级监管人员维护 (district-wide regulators only)")


def can_manage(user) -> bool:
    """District-wide regulators manage the catalogue."""
    return getattr(user, "role", None) == "regulator" and user.district_wide


def district_wide_only(view):
    """Decorator: a change to the catalogue is the district-wide regulators'."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not can_manage(current_user):
            abort(403, description=str(DISTRICT_ONLY))
        return view(*args, **kwargs)

    return wrapped


def _type_form() -> dict:
    return {name: request.form.get(name, "") for name in ("name", "name_en", "static_risk", "colour")}


# -- business types ------------------------------------------------------------------------------
@bp.get("/catalog", endpoint="catalog")
def catalog_home():
    return render_template(
        "admin/catalog/types.html",
        tree=types.tree(),
        risks=fields.RISK_LABELS,
        colours=fields.COLOUR_LABELS,
        can_manage=can_manage(current_user),
    )


@bp.route("/catalog/types/new", methods=["GET", "POST"], endpoint="catalog_type_new")
@district_wide_only
def catalog_type_new():
    families = types.families()
    errors, status, form = {}, 200, _type_form() | {"family": request.form.get("family", "")}
    if request.method == "POST":
        family = types.get(request.form.get("family"))
        done, failed = handling.commit_or_fail(
            lambda: types.add_business_type(family, _type_form(), actor=current_user),
            done=url_for("admin.catalog"), message=_l("已新增业态"))
        if failed is None:
            return done
        errors, status = failed.errors, failed.status
    return render_template("admin/catalog/type_form.html", bt=None, families=families, form=form, errors=errors,
                           risks=fields.RISK_LABELS, colours=fields.COLOUR_LABELS), status


@bp.route("/catalog/types/<int(max=2147483647):type_id>/edit", methods=["GET", "POST"],
          endpoint="catalog_type_edit")
@district_wide_only
def catalog_type_edit(type_id):
    bt = types.get(type_id) or abort(404)
    errors, status = {}, 200
    form = {"name": bt.name, "name_en": bt.name_en, "static_risk": bt.static_risk or "", "colour": bt.colour or ""}
    if request.method == "POST":
        form = _type_form()
        done, failed = handling.commit_or_fail(
            lambda: types.update_business_type(bt, form, actor=current_user),
            done=url_for("admin.catalog"), message=_l("业态已保存"))
        if failed is None:
            return done
        errors, status = failed.errors, failed.status
    return render_template("admin/catalog/type_form.html", bt=bt, families=[], form=form, errors=errors,
                           risks=fields.RISK_LABELS, colours=fields.COLOUR_LABELS), status


# -- the cold-chain colour table ------------------------------------------------------------------
RULE_ROWS_EXTRA = 2


def _rule_rows(table: dict) -> list[dict]:
    rows = []
    for rule in table["rules"]:
        type_colours = rule.get("type_colours")
        rows.append({
            "colour": rule.get("colour", ""),
            "business_type": (rule.get("business_types") or [""])[0],
            "family": (rule.get("families") or [""])[0],
            "type_colour": "any" if type_colours is None else (type_colours[0] or "none"),
            "cold_chain": "any" if "cold_chain" not in rule else ("yes" if rule["cold_chain"] else "no"),
        })
    return rows


@bp.route("/catalog/colours", methods=["GET", "POST"], endpoint="catalog_colours")
def catalog_colours():
    """The colour table: what each colour covers and the ordered rules (the first that holds decides)."""
    errors, status = {}, 200
    table = checklists.colour_table()
    rows = _rule_rows(table)
    units = {colour: info.get("units", "") for colour, info in table["colours"].items()}
    if request.method == "POST":
        if not can_manage(current_user):
            abort(403, description=str(DISTRICT_ONLY))
        count = min(request.form.get("rows", 0, type=int) or 0, 100)
        rows = [{name: request.form.get(f"{name}-{n}", "") for name in
                 ("colour", "business_type", "family", "type_colour", "cold_chain")} for n in range(count)]
        units = {colour: request.form.get(f"units-{colour}", "") for colour in fields.COLOURS}
        done, failed = handling.commit_or_fail(
            lambda: checklists.save_colour_table(units, rows, actor=current_user),
            done=url_for("admin.catalog_colours"), message=_l("冷链四色对照表已保存"))
        if failed is None:
            return done
        errors, status = failed.errors, failed.status
    return render_template(
        "admin/catalog/colours.html",
        rows=rows + [{"colour": "", "business_type": "", "family": "", "type_colour": "any", "cold_chain": "any"}]
        * RULE_ROWS_EXTRA,
        units=units,
        tree=types.tree(),
        colours=fields.COLOUR_LABELS,
        errors=errors,
        can_manage=can_manage(current_user),
    ), status


# -- checklists: create, copy, retire ------------------------------------------------------------------
def item_rows_from_form() -> list[dict]:
    """The editor's item rows (shared with the checklist editor in `inspections`)."""
    count = min(request.form.get("rows", 0, type=int) or 0, checklists.MAX_ITEMS + 20)
    return [
        {
            "section": request.form.get(f"section-{n}"),
            "text": request.form.get(f"text-{n}"),
            "text_en": request.form.get(f"text_en-{n}"),
            "basis": request.form.get(f"basis-{n}"),
            "key": request.form.get(f"key-{n}") == "1",
            "position": request.form.get(f"position-{n}"),
        }
        for n in range(count)
        if request.form.get(f"delete-{n}") != "1"
    ]


def blank_rows(rows: list[dict], extra: int = 3) -> list[dict]:
    section = rows[-1]["section"] if rows else ""
    return rows + [{"section": section, "text": "", "text_en": "", "basis": "", "key": False, "position": ""}
                   for _ in range(extra)]


@bp.route("/checklists/new", methods=["GET", "POST"], endpoint="checklist_new")
@district_wide_only
def checklist_new():
    errors, status, rows = {}, 200, []
    form = {"kind": "inspection", "topic": "market", "name": "", "name_en": "", "business_types": []}
    if request.method == "POST":
        form = {name: request.form.get(name, "") for name in ("kind", "topic", "name", "name_en")}
        form["business_types"] = request.form.getlist("business_types")
        rows = item_rows_from_form()
        done, failed = handling.commit_or_fail(
            lambda: checklists.create_template(form, rows, actor=current_user),
            done=lambda new: url_for("admin.checklist_detail", template_id=new.id), message=_l("检查表已创建"))
        if failed is None:
            return done
        errors, status = failed.errors, failed.status
    return render_template(
        "admin/catalog/checklist_new.html", form=form, rows=blank_rows(rows, 5), errors=errors, tree=types.tree(),
        kinds=checklists.KIND_LABELS, topics={t: checklists.TOPIC_LABELS[t] for t in fields.TOPICS},
        kind_order=TEMPLATE_KINDS,
    ), status


@bp.post("/checklists/<int(max=2147483647):template_id>/copy", endpoint="checklist_copy")
@district_wide_only
def checklist_copy(template_id):
    template = checklists.get_template(template_id) or abort(404)
    done, failed = handling.commit_or_fail(
        lambda: checklists.copy_template(template, actor=current_user),
        done=lambda copy: url_for("admin.checklist_edit", template_id=copy.id),
        message=_l("已复制为新检查表，请修改后保存"))
    if failed is None:
        return done
    flash(handling.error_text(failed), "error")
    return redirect(url_for("admin.checklist_detail", template_id=template.id))


@bp.post("/checklists/<int(max=2147483647):template_id>/retire", endpoint="checklist_retire")
@district_wide_only
def checklist_retire(template_id):
    template = checklists.get_template(template_id) or abort(404)
    return handling.commit_or_flash(
        lambda: checklists.retire_template(template, actor=current_user),
        done=url_for("admin.checklist_detail", template_id=template.id), message=_l("检查表已停用"), details=True)
