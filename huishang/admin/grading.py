"""Grading pages and API: the 30-day list (tracking, assignment, exports), nine-grid cells, the
grading explanation, rules, penalties, credit repair review and random draws.

Scope: regulators and inspectors see only their streets; writes to rules, penalties, repairs,
draws, list generation and assignment are the regulators'; closing a list item as "not found" or
"business closed" is also open to inspectors in scope.
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import zip_longest

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.views import MethodView
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from huishang.services import DomainError, grading, planning, registry
from huishang.services.grading import SEVERITY_LABELS, credit, draws, penalties

from .. import handling
from ..api import Blueprint as ApiBlueprint
from ..extensions import csrf, db
from ..i18n import N_
from ..models import BusinessType, Entity, Penalty, Shop, Street, User, today
from ..models.grading import (
    CREDIT_CLASSES,
    GRADES,
    PLAN_STATUS_LABELS,
    REASON_LABELS,
    TIERS,
    CreditRepair,
    PlanItem,
    RandomDraw,
)
from ..models.scope import scoped
from ..models.users import user_streets
from ..schemas.base import Variant
from ..schemas.grading import (
    AsOfSchema,
    AssignBodySchema,
    AutoAssignSchema,
    CloseItemSchema,
    CountSchema,
    DrawCreateSchema,
    DrawStaffSchema,
    GenerateSchema,
    GradingRegulatorSchema,
    GradingSchema,
    PenaltyCreateSchema,
    PenaltyPublishSchema,
    PenaltyStaffSchema,
    PlanItemSchema,
    PlanListSchema,
    PlanQuerySchema,
)
from ..security import api_gate, page_gate, roles_required
from . import jobs as jobs_views
from .listing import read_listing

bp = Blueprint("grading", __name__, url_prefix="/admin")
bp.before_request(page_gate("regulator", "inspector"))
blp = ApiBlueprint(
    "inspection_plan",
    __name__,
    url_prefix="/api/v1",
    description="The 30-day inspection list, grading, penalties and random draws",
)
blp.before_request(api_gate("regulator", "inspector"))
csrf.exempt(blp)
PER_PAGE = 50


# -- loading and authorising ----------------------------------------------------------------------


GRADING_SCOPE = handling.ShopScope(missing=_l("商铺不存在"), denied=_l("该商铺不在您的管辖范围"))


def load_shop(code: str) -> Shop:
    return handling.load_shop(code, "can_supervise", GRADING_SCOPE)


def load_item(item_id: int) -> PlanItem:
    item = db.session.get(PlanItem, item_id)
    if item is None:
        abort(404, description=_("清单事项不存在"))
    if not item.can_change(current_user):
        abort(403, description=_("该清单事项不在您的管辖范围"))
    return item


def load_penalty(penalty_id: int) -> Penalty:
    penalty = db.session.get(Penalty, penalty_id)
    if penalty is None:
        abort(404, description=_("处罚记录不存在"))
    if not penalty.can_change(current_user):
        abort(403, description=_("该商铺不在您的管辖范围"))
    return penalty


def load_draw(draw_id: int) -> RandomDraw:
    draw = db.session.get(RandomDraw, draw_id)
    if draw is None:
        abort(404, description=_("抽查不存在"))
    if not draw.can_view(current_user):
        abort(403, description=_("该抽查不在您的管辖范围"))
    return draw


def user_named(username: str | None, field: str) -> User | None:
    if not username:
        return None
    user = db.session.scalar(select(User).where(User.username == username, User.role == "inspector"))
    if user is None:
        raise DomainError(N_("未知执法人员"), {field: [N_("未知执法人员：%(name)s", name=username)]})
    return user


def _date_arg(name: str) -> date | None:
    value = request.values.get(name, "").strip()
    if not value:
        return None
    errors: dict = {}
    parsed = registry.parse_date(value, name, errors)
    if errors:
        raise DomainError(N_("日期格式错误"), errors, status=400)
    return parsed


def _days_arg() -> int:
    value = request.values.get("days", "30").strip() or "30"
    if not value.isdecimal() or not 0 <= int(value) <= planning.MAX_DAYS:  # isdigit() admits "²"
        raise DomainError(N_("天数超出范围"), {"days": [N_("应在 0–%(max)s 之间", max=planning.MAX_DAYS)]}, status=400)
    return int(value)


# -- presenters (the sections of the profile, the scan page and the dashboard) ----------------------


def nine_grid(user) -> dict:
    """Open shops per (static tier, dynamic grade) in `user`'s scope, with the cells in list order."""
    query = registry.scoped_shops(user).where(Shop.status == "open").subquery()
    counts = {(t, g): 0 for t in TIERS for g in GRADES}
    for tier, grade, n in db.session.execute(
        select(query.c.static_tier, query.c.dynamic_grade, func.count()).group_by(
            query.c.static_tier, query.c.dynamic_grade
        )
    ):
        if (tier, grade) in counts:
            counts[(tier, grade)] = n
    return {
        "counts": counts,
        "tiers": TIERS,
        "grades": GRADES,
        "total": sum(counts.values()),
        "max": max(counts.values()) or 1,
    }


def grading_panel(shop: Shop, user) -> dict:
    """The grading section of the profile, the supervision face and the grading page: the
    explanation for everyone in scope; credit class, penalties and repairs for regulators only;
    `can_record_penalty` for a regulator who may change the shop."""
    result = grading.explain(shop)
    panel = {"result": result, "reason_labels": REASON_LABELS, "credit": None, "penalties": [],
             "can_record_penalty": shop.can_regulate(user)}
    if user.is_authenticated and user.role == "regulator":
        panel["credit"] = credit.assess(shop)
        panel["penalties"] = penalties.shop_penalties(shop)
        panel["repairs"] = penalties.shop_repairs(shop)
        panel["severity_labels"] = SEVERITY_LABELS
        panel["in_publicity"] = penalties.in_publicity
        panel["is_public"] = penalties.is_public
        panel["kinds"] = penalties.PENALTY_KINDS
    return panel


def register(app, api) -> None:
    app.register_blueprint(bp)
    api.register_blueprint(blp)


# -- the 30-day list: pages ---------------------------------------------------------------------------


def _plan_args():
    return {
        "as_of": _date_arg("as_of") or today(),
        "days": _days_arg(),
        "street_ids": planning.scope_street_ids(
            current_user, request.values.get("street", "").strip() or None
        ),
    }


@bp.get("/plan")
def plan_page():
    """The list for day T with filters, tracking state and progress per street and inspector,
    a page at a time (a district's list is hundreds of thousands of items)."""
    filters = {k: v for k, v in request.args.items() if k in ("as_of", "days", "street", "status", "mine")}
    listing = read_listing(planning.SORT_KEYS, "priority", PER_PAGE, filters)
    page = listing.page
    status = request.args.get("status", "")
    try:
        args = _plan_args()
        error = None
        items, total = planning.plan_page(
            args["as_of"],
            args["days"],
            args["street_ids"],
            limit=PER_PAGE,
            offset=(page - 1) * PER_PAGE,
            status=status if status in PLAN_STATUS_LABELS else None,
            assignee_id=current_user.id if request.args.get("mine") else None,
            sort=listing.sort,
            descending=listing.descending,
        )
    except DomainError as exc:
        args, items, total, error = {"as_of": today(), "days": 30, "street_ids": current_user.street_ids()}, [], 0, exc
    streets = _scope_streets()
    pairs = {s.id: planning.street_pairs(s.id) for s in streets} if current_user.role == "regulator" else {}
    pairs_by_name = {s.name: pairs.get(s.id, []) for s in streets}
    names = {u.id: u.label for u in db.session.scalars(select(User).where(User.role == "inspector"))}
    return render_template(
        "grading/plan.html",
        rows=planning.present(items, args["as_of"]),
        total=total,
        page=page,
        per_page=PER_PAGE,
        args=args,
        error=error,
        streets=streets,
        pairs=pairs,
        pairs_by_name=pairs_by_name,
        names=names,
        progress=planning.progress(args["street_ids"], args["as_of"] - timedelta(days=args["days"])),
        status_labels=PLAN_STATUS_LABELS,
        filters=request.args,
        listing=listing,
    ), 400 if error else 200


def _plan_rows(args: dict) -> list[dict]:
    """The list for `_plan_args()` as the page, the exports and the API show it."""
    items = planning.plan_items(args["as_of"], args["days"], args["street_ids"])
    return planning.present(items, args["as_of"])


def _scope_streets() -> list[Street]:
    return list(db.session.scalars(scoped(select(Street).order_by(Street.position), current_user, Street.id)))


def _back_to_plan() -> str:
    keep = {k: v for k, v in request.form.items() if k in ("as_of", "days", "street", "status") and v}
    return url_for("grading.plan_page", **keep)


@bp.post("/plan/generate")
@roles_required("regulator")
def plan_generate():
    """Save the list as tracked items: a job (a whole district's list is long work), whose page
    says how many items it holds. Bad filters go back to the list with the message."""
    try:
        args = _plan_args()
    except DomainError as exc:
        flash(str(exc.message), "message")
        return redirect(_back_to_plan())
    street_ids = sorted(args["street_ids"]) if args["street_ids"] is not None else None
    return jobs_views.start_and_show("plan.generate", {
        "as_of": args["as_of"].isoformat(), "days": args["days"], "street_ids": street_ids})


@bp.post("/plan/auto-assign")
@roles_required("regulator")
def plan_auto_assign():

    def auto_assign():
        street_ids = planning.scope_street_ids(current_user, request.form.get("street", "").strip() or None)
        return planning.auto_assign(street_ids, actor=current_user)

    return handling.commit_or_flash(auto_assign, done=_back_to_plan(), category="message",
                                 message=lambda count: _("已自动分派 %(n)s 项（按街道内检查组工作量均衡）", n=count))


@bp.post("/plan/items/<int:item_id>/assign")
@roles_required("regulator")
def plan_assign(item_id):
    item = load_item(item_id)
    lead, co = request.form.get("pair", "").partition(",")[::2]
    return handling.commit_or_flash(
        lambda: planning.assign(
            item, int(lead) if lead.isdecimal() else -1, int(co) if co.isdecimal() else None, actor=current_user
        ),
        done=_back_to_plan(), message=_("已分派"), category="message", details=True,
    )


@bp.post("/plan/items/<int:item_id>/close")
def plan_close(item_id):
    item = load_item(item_id)
    return handling.commit_or_flash(
        lambda: planning.close_item(
            item, request.form.get("status", ""), request.form.get("note", ""), actor=current_user
        ),
        done=_back_to_plan(), category="message",
        message=lambda _result: _("已关闭：%(s)s", s=PLAN_STATUS_LABELS[item.status]),
    )


@bp.get("/plan/export.<fmt>")
def plan_export(fmt):
    if fmt not in planning.exports.FORMATS:
        abort(404)
    args = _plan_args()
    title = f"{args['days']}日内待检查单位清单（{args['as_of'].isoformat()}）"
    body = planning.export(_plan_rows(args), fmt, title)
    filename = f"inspection-plan-{args['as_of'].isoformat()}.{fmt}"
    return Response(
        body, mimetype=planning.exports.MIMETYPES[fmt],
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )


# -- nine-grid cells and the explanation ---------------------------------------------------------------


@bp.get("/grid/<tier>/<grade>")
def grid_cell(tier, grade):
    """The open shops of one cell of the nine-grid, in scope."""
    if tier not in TIERS or grade not in GRADES:
        abort(404)
    page = max(1, request.args.get("page", 1, type=int) or 1)
    query = registry.scoped_shops(current_user).where(
        Shop.status == "open", Shop.static_tier == tier, Shop.dynamic_grade == grade
    )
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    shops = db.session.scalars(
        query.order_by(Shop.next_due_on, Shop.id).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    ).all()
    return render_template(
        "grading/grid.html",
        tier=tier,
        grade=grade,
        shops=shops,
        total=total,
        page=page,
        per_page=PER_PAGE,
        reason_labels=REASON_LABELS,
    )


@bp.get("/grading/shops/<code>")
def shop_grading(code):
    shop = load_shop(code)
    try:
        as_of = _date_arg("as_of") or today()
    except DomainError:
        as_of = today()
    return render_template(
        "grading/shop.html", shop=shop, panel=grading_panel(shop, current_user), result=grading.explain(shop, as_of)
    )


@bp.get("/entities/<uscc>")
@roles_required("regulator")
def entity_page(uscc):
    """The chain view: a market entity's credit class (internal; its reasons name the shop that set
    them) and its shops' grades side by side. Regulators covering at least one of its shops."""
    entity = db.session.scalar(select(Entity).where(Entity.uscc == registry.uscc.normalise(uscc)))
    if entity is None:
        abort(404, description=_("市场主体不存在"))
    shops = sorted(entity.shops, key=lambda s: (s.status != "open", s.id))
    if not any(s.can_regulate(current_user) for s in shops):
        abort(403, description=_("该市场主体的门店均不在您的管辖范围"))
    return render_template("grading/entity.html", entity=entity, shops=shops, assessment=credit.assess(shops[0]))


# -- rules ----------------------------------------------------------------------------------------------


@bp.route("/rules", methods=["GET", "POST"])
@roles_required("regulator", methods=("POST",))
def rules_page():
    errors: dict = {}
    if request.method == "POST":
        data = _rules_from_form(request.form)
        done, failed = handling.commit_or_fail(
            lambda: grading.update_rules(data, actor=current_user),
            done=url_for("grading.rules_page"), category="message",
            message=lambda result: (
                _("规则已保存，全部商铺的分级已按新规则重新计算")
                if result["_refreshed"]
                else _(
                    "规则已保存；商铺较多，分级和清单将在今晚的定时重算（flask plan refresh）后按新规则生效"
                )
            ),
        )
        if failed is None:
            return done
        errors = failed.errors
    return render_template(
        "grading/rules.html",
        rules=grading.load_rules(),
        labels=grading.RULE_LABELS,
        field_labels=_rule_field_labels(),
        sources=grading.RULE_SOURCES,
        errors=errors,
        tiers=TIERS,
        grades=GRADES,
        form=request.form,
        classes=CREDIT_CLASSES,
    ), 422 if errors else 200


def _rule_field_labels() -> dict:
    """Each rule field's name on screen, so an error reads 检查间隔天数（高·良好）：…, never a key."""
    names = {key: _(label) for key, label in grading.RULE_LABELS.items()}
    for tier in TIERS:
        for grade in GRADES:
            names[f"intervals.{tier}.{grade}"] = f"{_(grading.RULE_LABELS['intervals'])}（{_(tier)}·{_(grade)}）"
    for cls in CREDIT_CLASSES:
        names[f"sampling_ratios.{cls}"] = f"{_(grading.RULE_LABELS['sampling_ratios'])}（{cls}）"
    return names


def _rules_from_form(form) -> dict:
    data = {
        "intervals": {t: {g: form.get(f"intervals.{t}.{g}", "") for g in GRADES} for t in TIERS},
        "tier_map": {k: form.get(f"tier_map.{k}", "") for k in "ABCD"},
        "sampling_ratios": {k: _percent(form.get(f"sampling_ratios.{k}", "")) for k in CREDIT_CLASSES},
    }
    for key, default in grading.RULE_DEFAULTS.items():
        if isinstance(default, bool):
            data[key] = form.get(key) == "on"
        elif isinstance(default, int):
            data[key] = form.get(key, "")
    return data


def _percent(value: str):
    try:
        return float(value) / 100
    except (TypeError, ValueError):
        return value


# -- penalties and credit repair ------------------------------------------------------------------------


@bp.route("/shops/<code>/penalties/new", methods=["GET", "POST"])
@roles_required("regulator")
def penalty_new(code):
    shop = load_shop(code)
    errors: dict = {}
    if request.method == "POST":
        done, failed = handling.commit_or_fail(
            lambda: penalties.record_penalty(shop, request.form.to_dict(), actor=current_user),
            done=url_for("grading.shop_grading", code=shop.code), message=_("处罚已登记"), category="message",
        )
        if failed is None:
            return done
        errors = failed.errors
    return render_template(
        "grading/penalty_form.html", shop=shop, errors=errors, form=request.form, severities=SEVERITY_LABELS,
        kinds=penalties.PENALTY_KINDS, publicity_labels=penalties.PUBLICITY_LABELS, order_45=penalties.ORDER_45,
    ), 422 if errors else 200


@bp.post("/penalties/<int:penalty_id>/publish")
@roles_required("regulator")
def penalty_publish(penalty_id):
    """公示: record the publication date; publicity runs from it (SAMR Order 45 Art. 13)."""
    penalty = load_penalty(penalty_id)
    return handling.commit_or_flash(
        lambda: penalties.mark_published(penalty, request.form.get("published_on"), actor=current_user),
        done=url_for("grading.shop_grading", code=db.session.get(Shop, penalty.shop_id).code),
        message=_("已登记公示日期"), category="message", details=True,
    )


@bp.post("/penalties/<int:penalty_id>/fulfil")
@roles_required("regulator")
def penalty_fulfil(penalty_id):
    penalty = load_penalty(penalty_id)
    return handling.commit_or_flash(
        lambda: penalties.mark_fulfilled(penalty, request.form.get("fulfilled_on"), actor=current_user),
        done=url_for("grading.shop_grading", code=db.session.get(Shop, penalty.shop_id).code),
        message=_("已登记履行完毕"), category="message", details=True,
    )


@bp.get("/credit-repairs")
@roles_required("regulator")
def repairs_page():
    query = (
        select(CreditRepair)
        .join(Shop, Shop.id == CreditRepair.shop_id)
        .order_by(CreditRepair.status != "pending", CreditRepair.id.desc())
        .limit(200)
    )
    query = scoped(query, current_user, Shop.street_id)
    return render_template(
        "grading/repairs.html", repairs=db.session.scalars(query).all(), severity_labels=SEVERITY_LABELS,
        conditions=penalties.conditions, condition_labels=penalties.REPAIR_CONDITIONS,
    )


@bp.post("/credit-repairs/<int:repair_id>/decide")
@roles_required("regulator")
def repair_decide(repair_id):
    repair = db.session.get(CreditRepair, repair_id)
    if repair is None:
        abort(404)
    if not repair.can_change(current_user):
        abort(403, description=_("该商铺不在您的管辖范围"))
    return handling.commit_or_flash(
        lambda: penalties.decide_repair(
            repair,
            request.form.get("decision") == "approve",
            request.form.get("reason", ""),
            actor=current_user,
            findings={key: request.form.get(key) == "1"
                      for key in ("harm_remedied", "not_abnormal_list", "not_serious_list")},
        ),
        done=url_for("grading.repairs_page"), message=_("已审核"), category="message",
    )


# -- random draws ---------------------------------------------------------------------------------------


@bp.get("/draws")
def draws_page():
    """The latest 100 draws the user may see, filtered in SQL (`RandomDraw.in_scope`) before the
    limit: one query for the draws and one for their targets, however many draws there are."""
    query = (select(RandomDraw).where(*RandomDraw.in_scope(current_user))
             .options(selectinload(RandomDraw.targets)).order_by(RandomDraw.id.desc()).limit(100))
    rows = db.session.scalars(query).all()
    return render_template("grading/draws.html", draws=rows, population_size=draws.population_size)


@bp.route("/draws/new", methods=["GET", "POST"])
@roles_required("regulator")
def draw_new():
    errors: dict = {}
    if request.method == "POST":
        form = request.form
        data = {
            "title": form.get("title", ""),
            "streets": form.getlist("streets"),
            "business_type": form.get("business_type") or None,
            "credit_classes": form.getlist("credit_classes") or None,
            "ratios": {k: _percent(form.get(f"ratio.{k}")) for k in CREDIT_CLASSES if form.get(f"ratio.{k}")},
            "seed": form.get("seed", ""),
            "window_ends_on": form.get("window_ends_on", ""),
            "exclusions": _exclusion_lines(form, errors),
        }
        done, failed = (None, None) if errors else handling.commit_or_fail(
            lambda: draws.create_draw(data, actor=current_user),
            done=lambda draw: url_for("grading.draw_detail", draw_id=draw.id), category="message",
            message=lambda draw: _("抽查完成：%(n)s 个对象", n=len(draw.targets)),
        )
        if failed is None and not errors:
            return done
        if failed is not None:
            errors = failed.errors or {"_": [failed.message]}

    types = db.session.scalars(
        select(BusinessType).where(BusinessType.static_risk.is_not(None)).order_by(BusinessType.position)
    ).all()
    return render_template(
        "grading/draw_form.html",
        errors=errors,
        form=request.form,
        streets=_scope_streets(),
        types=types,
        classes=CREDIT_CLASSES,
        ratios=grading.load_rules()["sampling_ratios"],
        inspectors=_scope_inspectors(),
        exclusion_rows=_exclusion_rows(request.form),
    ), 422 if errors else 200


EXCLUSION_BLANK_ROWS = 3


def _scope_inspectors() -> list[User]:
    """The active inspectors of the regulator's streets, by name: the list 回避 pairs are picked from."""
    street_ids = [s.id for s in _scope_streets()]
    return list(db.session.scalars(
        select(User).join(user_streets, user_streets.c.user_id == User.id)
        .where(User.role == "inspector", User.active.is_(True), user_streets.c.street_id.in_(street_ids))
        .distinct().order_by(User.display_name, User.username)))


def _exclusion_pairs(form):
    return zip_longest(form.getlist("exclusion_inspector"), form.getlist("exclusion_shop"), fillvalue="")


def _exclusion_rows(form) -> list[tuple[str, str]]:
    """The form's 回避 rows as (inspector username, shop code): those submitted, then blank ones."""
    rows = [(u, c) for u, c in _exclusion_pairs(form) if u or c.strip()]
    return rows + [("", "")] * EXCLUSION_BLANK_ROWS


def _exclusion_lines(form, errors: dict) -> str:
    """The picked 回避 pairs (an inspector chosen from the list, a shop code typed) as the service's
    lines "username shop_code"; a row with only one half is an error naming the row."""
    lines = []
    for n, (username, code) in enumerate(_exclusion_pairs(form), 1):
        code = code.strip()
        if not username and not code:
            continue
        if not username or not code:
            errors.setdefault("exclusions", []).append(
                N_("第%(n)s行：请同时选择执法人员并填写商铺码", n=n))
            continue
        lines.append(f"{username} {code}")
    return "\n".join(lines)


@bp.get("/draws/<int:draw_id>")
def draw_detail(draw_id):
    draw = load_draw(draw_id)
    rows, population, replay_ok = _draw_results(draw)
    return render_template(
        "grading/draw.html",
        draw=draw,
        rows=rows,
        population=population,
        replay_ok=replay_ok,
        public=draws.is_public(draw),
        source=draws.SOURCE,
        # Internal, as in the API: the ratios to regulators, each target's class to regulators
        # covering its street.
        show_ratios=current_user.role == "regulator",
        classes=[
            t.credit_class if t.shop.can_regulate(current_user) else None
            for t in draw.targets
        ],
    )


def _draw_results(draw: RandomDraw) -> tuple[list[dict], int, bool]:
    """What the draw page and the API show of a draw: its targets, the population it was drawn from
    and whether replaying the recorded inputs gives the recorded targets."""
    return draws.results(draw), draws.population_size(draw), draws.replay(draw) == draws.recorded(draw)


# -- API ------------------------------------------------------------------------------------------------


@blp.route("/inspection-plan")
class InspectionPlan(MethodView):
    @blp.arguments(PlanQuerySchema, location="query")
    @blp.response(200, PlanListSchema)
    def get(self, args):
        """The list for day `as_of` (default today): active shops due by T+days, in list order.

        Order: overdue first; then the cell (shorter interval first, the higher static tier at
        equal interval); then the due date. Scoped to the caller's streets."""
        as_of = args["as_of"] or today()
        street_ids = planning.scope_street_ids(current_user, args.get("street"))
        page, per_page = args.get("page"), args["per_page"]
        limit = per_page if page else None
        items, total = planning.plan_page(
            as_of, args["days"], street_ids, limit=limit, offset=(page - 1) * per_page if page else 0
        )
        return {
            "as_of": as_of,
            "days": args["days"],
            "count": total,
            "page": page,
            "per_page": per_page if page else None,
            "items": planning.present(items, as_of),
        }


@blp.route("/inspection-plan/generate", methods=["POST"])
@blp.arguments(GenerateSchema)
@blp.response(200, CountSchema)
@roles_required("regulator", message="只有监管者可以生成清单 (regulators only)")
def api_generate(args):
    """Save the list as tracked items (regulators); keeps earlier tracking."""
    street_ids = planning.scope_street_ids(current_user, args.get("street"))
    count = planning.generate(args["as_of"] or today(), args["days"], street_ids, actor=current_user)
    handling.commit()
    return {"count": count}


@blp.route("/inspection-plan/auto-assign", methods=["POST"])
@blp.arguments(AutoAssignSchema)
@blp.response(200, CountSchema)
@roles_required("regulator", message="只有监管者可以分派 (regulators only)")
def api_auto_assign(args):
    """Assign open unassigned items to inspector pairs, balanced by workload within each street."""
    count = planning.auto_assign(
        planning.scope_street_ids(current_user, args.get("street")), actor=current_user
    )
    handling.commit()
    return {"count": count}


def _item_view(item: PlanItem) -> dict:
    shop = db.session.get(Shop, item.shop_id)
    row = planning.Item(
        shop.id,
        shop.code,
        shop.sign_name,
        shop.address,
        item.street_id,
        item.static_tier,
        item.dynamic_grade,
        item.cycle,
        item.due_on,
        item.reason,
        item.id,
        item.status,
        item.inspector_id,
        item.co_inspector_id,
        item.closed_on,
    )
    return planning.present([row], today())[0]


@blp.route("/inspection-plan/items/<int:item_id>/assign", methods=["POST"])
@blp.arguments(AssignBodySchema)
@blp.response(200, PlanItemSchema)
@roles_required("regulator", message="只有监管者可以分派 (regulators only)")
def api_assign(body, item_id):
    """Reassign an item to an inspector pair of its street (regulators)."""
    item = load_item(item_id)
    lead = user_named(body["inspector"], "inspector")
    co = user_named(body.get("co_inspector"), "co_inspector")
    planning.assign(item, lead.id, co.id if co else None, actor=current_user)
    handling.commit()
    return _item_view(item)


@blp.route("/inspection-plan/items/<int:item_id>/close", methods=["POST"])
@blp.arguments(CloseItemSchema)
@blp.response(200, PlanItemSchema)
def api_close(body, item_id):
    """Close an item as not found (查无此店) or business closed."""
    item = load_item(item_id)
    planning.close_item(item, body["status"], body["note"], actor=current_user)
    handling.commit()
    return _item_view(item)


@blp.route("/shops/<code>/grading")
@blp.arguments(AsOfSchema, location="query")
@blp.response(200, GradingRegulatorSchema)
def api_shop_grading(args, code):
    """The shop's cell, interval, next due date and the reasons; the credit class for regulators."""
    shop = load_shop(code)
    as_of = args.get("as_of") or today()
    result = grading.explain(shop, as_of)
    data = {"shop_code": shop.code, "overdue": result.overdue, **vars(result)}
    if current_user.role != "regulator":
        return Variant(GradingSchema, data)
    assessment = credit.assess(shop, as_of)
    return dict(data, credit_class=assessment.credit_class,
                credit_reasons=[why for _k, why in assessment.reasons])


@blp.route("/shops/<code>/penalties")
class ShopPenalties(MethodView):
    @blp.response(200, PenaltyStaffSchema(many=True))
    @roles_required("regulator", message="只有监管者可以查看处罚 (regulators only)")
    def get(self, code):
        """The shop's penalties with internal notes (regulators)."""
        shop = load_shop(code)
        return penalties.shop_penalties(shop)

    @blp.arguments(PenaltyCreateSchema)
    @blp.response(201, PenaltyStaffSchema)
    @roles_required("regulator", message="只有监管者可以登记处罚 (regulators only)")
    def post(self, body, code):
        """Record a penalty decision (regulators); publicity ends 3 months / 3 years later."""
        shop = load_shop(code)
        penalty = penalties.record_penalty(shop, body, actor=current_user)
        handling.commit()
        return penalty


@blp.route("/penalties/<int:penalty_id>/published", methods=["POST"])
@blp.arguments(PenaltyPublishSchema)
@blp.response(200, PenaltyStaffSchema)
@roles_required("regulator", message="只有监管者可以登记公示 (regulators only)")
def api_penalty_published(body, penalty_id):
    """Record the penalty's publication date (regulators covering the shop); its publicity runs
    from that day (SAMR Order 45 Art. 13). 422 for a warning or other unpublished kind."""
    penalty = load_penalty(penalty_id)
    penalty = penalties.mark_published(penalty, body["published_on"], actor=current_user)
    handling.commit()
    return penalty


def _draw_view(draw: RandomDraw) -> dict:
    rows, population, replay_ok = _draw_results(draw)
    for row, target in zip(rows, draw.targets, strict=True):
        if target.shop.can_regulate(current_user):
            row["credit_class"] = target.credit_class  # internal: regulators in scope only
    regulator = current_user.role == "regulator"
    # The class filter and the per-class ratios tell which classes the targets are in: regulators only.
    filters = draw.filters if regulator else {k: v for k, v in draw.filters.items() if k != "credit_classes"}
    return {
        "id": draw.id,
        "token": draw.public_token,
        "title": draw.title,
        "drawn_on": draw.drawn_on,
        "window_ends_on": draw.window_ends_on,
        "published": draws.is_public(draw),
        "public_url": url_for("draws_public.draw_page", token=draw.public_token, _external=True)
        if draws.is_public(draw) else None,
        "seed": draw.seed,
        "population": population,
        "filters": filters,
        "ratios": draw.ratios if regulator else {},
        "exclusions": draw.exclusions,
        "replay_matches": replay_ok,
        "targets": rows,
    }


@blp.route("/draws", methods=["POST"])
@blp.arguments(DrawCreateSchema)
@blp.response(201, DrawStaffSchema)
@roles_required("regulator", message="只有监管者可以组织抽查 (regulators only)")
def api_draw_create(body):
    """Run and record a random draw (regulators). Give `seed` to replay an earlier draw's inputs."""
    draw = draws.create_draw(body, actor=current_user)
    handling.commit()
    return _draw_view(draw)


@blp.route("/draws/<int:draw_id>")
@blp.response(200, DrawStaffSchema)
def api_draw(draw_id):
    """A draw with its targets, pairs and replay check (staff in scope)."""
    draw = load_draw(draw_id)
    return _draw_view(draw)
