"""The regulators' complaint desk (pages), review moderation, the working-day calendar and the
staff/merchant complaints API under /api/v1/complaints. The overdue sweep is the nightly
`flask complaints sweep` (huishang/commands/complaints.py).

Scope: a regulator sees the complaints of shops in their streets (all for a district-wide
regulator). The complainant's phone, and the numbers and e-mail addresses in the description, are
shown in full only to the assigned handler; everyone else, and every export, gets them masked.
"""
from dataclasses import dataclass
from datetime import date

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from huishang.services import DomainError
from huishang.services.core import calendar_file, tabular
from huishang.services.feedback import complaints as service
from huishang.services.feedback import exports, moderation
from huishang.services.registry import parse_date

from ..api import Blueprint as ApiBlueprint
from ..extensions import csrf, db
from ..handling import commit, commit_or_fail, commit_or_flash
from ..models import CalendarDay, Complaint, ReplyTemplate, Review, Shop, Street, User, today
from ..models.feedback import CATEGORY_LABELS, OPEN_STATUSES, STATUS_LABELS
from ..models.users import user_shops
from ..schemas.base import Variant
from ..schemas.feedback import (
    AssignSchema,
    ComplaintHandlerSchema,
    ComplaintOwnerSchema,
    ComplaintPageSchema,
    ComplaintQuerySchema,
    ComplaintSchema,
    ComplaintStaffSchema,
    ReviewStaffSchema,
    TransitionSchema,
)
from ..security import api_gate, page_gate, roles_required
from .listing import read_listing

bp = Blueprint("desk", __name__, url_prefix="/admin")
bp.before_request(page_gate("regulator"))
blp = ApiBlueprint("complaints", __name__, url_prefix="/api/v1",
                   description="The complaint desk (regulators) and answers (merchants)")
blp.before_request(api_gate("regulator", "merchant"))
csrf.exempt(blp)
PER_PAGE = 30
MAX_CALENDAR_BYTES = 1_000_000
# The desk warns when these many days ahead hold no holiday or make-up day at all: the time limits
# then count Monday to Friday only, which is wrong in any year with a Spring Festival or a National
# Day (the State Council's yearly notice must be imported, see docs/feedback.md).
CALENDAR_WARNING_DAYS = 60
FILTERS = ("street", "status", "due", "category", "assigned", "q")


def load_complaint(ticket: str) -> Complaint:
    """Load (404) and authorise (403): a regulator covering the shop's street."""
    complaint = service.get(ticket)
    if complaint is None:
        abort(404, description=_("工单不存在"))
    if not complaint.can_view(current_user):
        abort(403, description=_("该工单不在您的管辖范围"))
    return complaint


def staff_view(complaint: Complaint) -> Variant:
    """The complaint for staff: in full for its assigned handler, masked for anyone else."""
    handler = service.is_handler(complaint, current_user)
    return Variant(ComplaintHandlerSchema if handler else ComplaintStaffSchema, complaint)


# -- the queue ----------------------------------------------------------------------------------

def _filters() -> dict:
    return {k: (request.args.get(k) or "").strip() or None for k in FILTERS}


DESK_SORT_KEYS = ("due", "ticket", "shop", "street", "category", "status", "created")


def _desk_order(sort: str, descending: bool) -> list:
    """ORDER BY for the desk's table headers (whitelisted keys; `due` is the desk's own order:
    the nearest time limit first, none last). The complaint id breaks ties: a stable order across
    pages whatever the service query joined."""
    shop_name = select(Shop.sign_name).where(Shop.id == Complaint.shop_id).scalar_subquery()
    street = (select(Street.position).join(Shop, Shop.street_id == Street.id)
              .where(Shop.id == Complaint.shop_id).scalar_subquery())
    columns = {"due": Complaint.due_on, "ticket": Complaint.ticket, "shop": shop_name, "street": street,
               "category": Complaint.category, "status": Complaint.status, "created": Complaint.created_at}
    column = columns[sort]
    lead = [Complaint.due_on.is_(None)] if sort == "due" else []  # no time limit: last either way
    return [*lead, column.desc() if descending else column.asc(), Complaint.id.desc() if descending
            else Complaint.id.asc()]


@bp.get("/complaints", endpoint="complaints")
def queue():
    """The desk's queue: cards on a phone, a table on a desk (≥ 1024 px), sorted by `sort` / `dir`
    in SQL and paged. A GET never writes: forwards the merchant did not answer in time are
    escalated by the nightly `flask complaints sweep` (huishang/commands/complaints.py, run from cron
    as docs/deploy.md shows), not by loading this page."""
    filters = _filters()
    listing = read_listing(DESK_SORT_KEYS, "due", PER_PAGE, filters)
    error = None
    try:
        query = service.desk_query(current_user, **filters)
    except DomainError as exc:
        query, error = service.desk_query(current_user).where(False), exc.message
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    listing = listing.clamp(total)
    ordered = query.order_by(None).order_by(*_desk_order(listing.sort, listing.descending))
    items = db.session.scalars(ordered.limit(PER_PAGE).offset(listing.offset)).all()
    counts = _counts()
    streets = db.session.scalars(select(Street).order_by(Street.position)).all()
    claimed = _claimed_shop_ids({c.shop_id for c in items})
    return render_template("feedback/desk_list.html", items=items, claimed=claimed, total=total,
                           page=listing.page, per_page=PER_PAGE,
                           listing=listing, filters=filters, error=error, counts=counts, streets=streets,
                           statuses=STATUS_LABELS, categories=CATEGORY_LABELS, today=today(),
                           mask=service.mask_phone,
                           calendar_empty=calendar_file.next_entries(today(), CALENDAR_WARNING_DAYS) == 0,
                           ), 400 if error else 200


def _claimed_shop_ids(shop_ids) -> set[int]:
    """Of `shop_ids`, the shops an active merchant account has claimed: only they can answer a
    forwarded complaint on the merchant end."""
    if not shop_ids:
        return set()
    return set(db.session.scalars(
        select(user_shops.c.shop_id).join(User, User.id == user_shops.c.user_id)
        .where(user_shops.c.shop_id.in_(set(shop_ids)), User.role == "merchant", User.active.is_(True))))


def _counts() -> dict:
    return service.desk_counts(current_user)


@bp.get("/complaints/export.<fmt>")
def export(fmt: str):
    """The filtered queue as CSV (UTF-8 with BOM, opens in Excel) or XLSX. Phones and the personal data in
    descriptions are masked for everyone, the handler too: the file leaves the system."""
    if fmt not in exports.FORMATS:
        abort(404)
    body = exports.export(service.desk_query(current_user, **_filters()), fmt)
    stamp = today().strftime("%Y%m%d")
    response = current_app.response_class(body, mimetype=tabular.MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f"attachment; filename=complaints-{stamp}.{fmt}"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# -- one complaint ------------------------------------------------------------------------------

def _detail(complaint: Complaint, status: int = 200, errors=None, form=None, message=None):
    return render_template("feedback/desk_detail.html", c=complaint,
                           phone=service.phone_for(complaint, current_user),
                           description=service.description_for(complaint, current_user),
                           actions=service.allowed_actions(complaint, "regulator"), steps=service.TRANSITIONS,
                           templates=service.templates(), handlers=service.handlers_for(complaint),
                           errors=errors or {}, form=form or {}, closing=service.CLOSING,
                           message=message, action_labels=service.ACTION_LABELS,
                           role_labels=service.ROLE_LABELS, status_labels=STATUS_LABELS,
                           unclaimed=complaint.shop_id not in _claimed_shop_ids({complaint.shop_id})), status


@bp.get("/complaints/<ticket>", endpoint="complaint")
def detail(ticket: str):
    return _detail(load_complaint(ticket))


@bp.post("/complaints/<ticket>/transition")
def transition(ticket: str):
    complaint = load_complaint(ticket)
    form = request.form
    substantiated = {"yes": True, "no": False}.get(form.get("substantiated", ""))
    done, failed = commit_or_fail(
        lambda: service.transition(complaint, form.get("action", ""), role="regulator", actor=current_user,
                                   note=service.note_from(form), substantiated=substantiated,
                                   duplicate_of=form.get("duplicate_of")),
        done=url_for("desk.complaint", ticket=complaint.ticket), category="ok",
        message=lambda _result: _("已%(action)s", action=_(service.TRANSITIONS[form["action"]].label)))
    if failed is None:
        return done
    return _detail(service.get(ticket), failed.status, failed.errors or {"action": [failed.message]}, form,
                   failed.message)


@bp.post("/complaints/<ticket>/assign")
def assign(ticket: str):
    complaint = load_complaint(ticket)
    handler = db.session.scalar(select(User).where(User.username == (request.form.get("handler") or "")))
    done, failed = commit_or_fail(lambda: service.assign(complaint, handler, actor=current_user),
                                  done=url_for("desk.complaint", ticket=complaint.ticket),
                                  message=_("已指派经办人"), category="ok")
    if failed is None:
        return done
    return _detail(service.get(ticket), failed.status, failed.errors, message=failed.message)


@bp.get("/complaints/<ticket>/photos/<int:n>")
def photo(ticket: str, n: int):
    complaint = load_complaint(ticket)
    if not 1 <= n <= len(complaint.photos):
        abort(404)
    response = send_from_directory(current_app.config["UPLOAD_DIR"], complaint.photos[n - 1].path)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# -- reply templates ----------------------------------------------------------------------------

@bp.route("/complaints/templates", methods=["GET", "POST"], endpoint="templates")
def reply_templates():
    errors, status = {}, 200
    if request.method == "POST":
        template = None
        if (request.form.get("id") or "").isdecimal():  # isdigit() admits "²", which int() refuses
            template = db.session.get(ReplyTemplate, int(request.form["id"])) or abort(404)
        done, failed = commit_or_fail(
            lambda: service.save_template(request.form, actor=current_user, template=template),
            done=url_for("desk.templates"), message=_("模板已保存"), category="ok")
        if failed is None:
            return done
        errors, status = failed.errors, failed.status
    return render_template("feedback/templates.html", templates=service.templates(), errors=errors,
                           form=request.form), status


@bp.post("/complaints/templates/<int:template_id>/delete")
def delete_template(template_id: int):
    template = db.session.get(ReplyTemplate, template_id) or abort(404)
    service.delete_template(template, actor=current_user)
    commit()
    flash(_("模板已删除"), "ok")
    return redirect(url_for("desk.templates"))


# -- the working-day calendar -------------------------------------------------------------------

@bp.route("/calendar", methods=["GET", "POST"], endpoint="calendar")
def calendar():
    """Holidays and make-up working days (调休) that the time limits count with."""
    errors, status = {}, 200
    if request.method == "POST":
        parse_errors: dict = {}
        day = parse_date(request.form.get("day"), "day", parse_errors)

        def set_day():
            if parse_errors:
                raise DomainError("日期格式错误", parse_errors)
            service.set_calendar_day(day, request.form.get("is_workday") == "1", request.form.get("name", ""),
                                     actor=current_user)

        done, failed = commit_or_fail(set_day, done=lambda _result: url_for("desk.calendar", year=day.year),
                                      message=_("日历已更新"), category="ok")
        if failed is None:
            return done
        errors, status = failed.errors, failed.status
    return _calendar_page(request.args.get("year", today().year, type=int), errors=errors, form=request.form,
                          status=status)


def _calendar_page(year, *, errors=None, form=None, plan=None, file_error=None, status=200):
    year = year or today().year
    if not 1 <= year <= 9999:  # date() refuses other years
        year = today().year
    days = db.session.scalars(select(CalendarDay).where(
        CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31))).order_by(CalendarDay.day)).all()
    return render_template("feedback/calendar.html", days=days, year=year, errors=errors or {},
                           form=form or {}, plan=plan, file_error=file_error), status


@bp.post("/calendar/import", endpoint="calendar_import")
def calendar_import():
    """Upload a .csv or .ics of holidays and make-up working days: 只检查 reports by line; 检查并导入
    writes all lines or none (`services.core.calendar_file`)."""
    upload = request.files.get("file")
    year = request.form.get("year", today().year, type=int)
    if upload is None or not upload.filename:
        return _calendar_page(year, file_error=_("请选择文件"), status=422)
    raw = upload.read(MAX_CALENDAR_BYTES + 1)
    if len(raw) > MAX_CALENDAR_BYTES:
        return _calendar_page(year, file_error=_("文件过大（最大 1 MB）"), status=422)
    try:
        plan = calendar_file.plan_calendar(upload.filename, raw)
    except DomainError as exc:
        return _calendar_page(year, file_error=" ".join([str(exc.message)] + [
            str(m) for msgs in exc.errors.values() for m in msgs]), status=422)
    if plan.ok and request.form.get("action") == "import":
        calendar_file.apply_calendar(plan, actor=current_user)
        commit()
        flash(_("日历已导入：%(s)s", s=plan.summary), "ok")
        return redirect(url_for("desk.calendar", year=plan.years[0]))
    db.session.rollback()
    return _calendar_page(plan.years[0] if plan.ok and plan.years else year, plan=plan,
                          status=200 if plan.ok else 422)


@bp.post("/calendar/<day>/delete")
def delete_calendar_day(day: str):
    errors: dict = {}
    parsed = parse_date(day, "day", errors)
    if errors or parsed is None:
        abort(404)
    service.delete_calendar_day(parsed, actor=current_user)
    commit()
    flash(_("已删除"), "ok")
    return redirect(url_for("desk.calendar", year=parsed.year))


# -- review moderation --------------------------------------------------------------------------

@bp.get("/reviews", endpoint="reviews")
def review_queue():
    status = request.args.get("status", "held")
    if status not in ("held", "hidden", "visible"):
        status = "held"
    return render_template("feedback/moderation.html", reviews=moderation.queue(current_user, status=status),
                           status=status)


@bp.post("/reviews/<int:review_id>/moderate")
def moderate(review_id: int):
    review = db.session.get(Review, review_id) or abort(404)
    if not review.can_change(current_user):
        abort(403)
    back = request.form.get("back") or ""
    return commit_or_flash(
        lambda: moderation.moderate(review, request.form.get("action", ""), request.form.get("reason", ""),
                                    actor=current_user),
        done=back if back.startswith("/admin/") else url_for("desk.reviews"), message=_("已处理"),
        category="ok", details=True)


# -- API ----------------------------------------------------------------------------------------


def api_load(ticket: str) -> Complaint:
    complaint = service.get(ticket)
    if complaint is None:
        abort(404, description="工单不存在 (no such ticket)")
    if not complaint.can_view(current_user):
        # A merchant sees only complaints forwarded about their own shops; others look absent.
        if current_user.role == "merchant":
            abort(404, description="工单不存在 (no such ticket)")
        abort(403, description="该工单不在您的管辖范围 (out of scope)")
    return complaint


def api_view(complaint: Complaint) -> Variant:
    if current_user.role == "merchant":
        return Variant(ComplaintOwnerSchema, complaint)
    return staff_view(complaint)


@blp.route("/complaints", methods=["GET"])
@blp.arguments(ComplaintQuerySchema, location="query")
@blp.response(200, ComplaintPageSchema)
def api_list(args):
    """Regulators: the desk queue in scope, filtered. Merchants: complaints forwarded to their shops."""
    page, per_page = args.pop("page"), args.pop("per_page")
    if current_user.role == "merchant":
        query = service.for_merchant(current_user.shops)
    else:
        query = service.desk_query(current_user, **args)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    items = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page))
    return {"items": [api_view(c) for c in items], "page": page, "per_page": per_page, "total": total}


@blp.route("/complaints/<ticket>", methods=["GET"])
@blp.response(200, ComplaintSchema)
def api_get(ticket: str):
    """One complaint in the caller's view (staff, or the merchant's without complainant data)."""
    return api_view(api_load(ticket))


@blp.route("/complaints/<ticket>/transitions", methods=["POST"])
@blp.arguments(TransitionSchema)
@blp.response(200, ComplaintSchema)
def api_transition(data, ticket: str):
    """Take a workflow action. Illegal for the current status → 409; not this role's → 403."""
    complaint = api_load(ticket)
    role = "merchant" if current_user.role == "merchant" else "regulator"
    service.transition(complaint, data["action"], role=role, actor=current_user, note=service.note_from(data),
                       substantiated=data.get("substantiated"), duplicate_of=data.get("duplicate_of"))
    commit()
    return api_view(complaint)


@blp.route("/complaints/<ticket>/assign", methods=["POST"])
@blp.arguments(AssignSchema)
@blp.response(200, ComplaintSchema)
@roles_required("regulator", message="只有监管者可以指派 (regulators only)")
def api_assign(data, ticket: str):
    """Give the complaint to a handler (regulators)."""
    complaint = api_load(ticket)
    handler = db.session.scalar(select(User).where(User.username == data["handler"]))
    service.assign(complaint, handler, actor=current_user)
    commit()
    return staff_view(complaint)


@blp.route("/reviews/moderation", methods=["GET"])
@blp.response(200, ReviewStaffSchema(many=True))
@roles_required("regulator", message="只有监管者可以审核点评 (regulators only)")
def api_review_queue():
    """Regulators: held reviews waiting for moderation in their streets."""
    return moderation.queue(current_user)


# -- presenters of the complaints and reviews sections (profile and supervision face) ---------------

def shop_complaints(shop, open_only: bool = False, limit: int = 20) -> list[Complaint]:
    query = select(Complaint).where(Complaint.shop_id == shop.id)
    if open_only:
        query = query.where(Complaint.status.in_(OPEN_STATUSES))
    return list(db.session.scalars(query.order_by(Complaint.created_at.desc()).limit(limit)))


@dataclass(frozen=True)
class ComplaintsSection:
    """What admin/profile/_complaints.html and scan/_supervise_complaints.html show."""

    rows: list[Complaint]  # newest first, at most 20
    links_to_desk: bool  # a regulator opens the ticket on the desk; an inspector sees its number


def complaints_section(shop, user, *, open_only: bool = False) -> ComplaintsSection:
    """The shop's latest complaints (only the open ones on the supervision face)."""
    return ComplaintsSection(rows=shop_complaints(shop, open_only=open_only),
                             links_to_desk=user.role == "regulator")


def shop_review_overview(shop, user) -> dict:
    """The reviews section of the profile: rating, held and hidden counts, the latest ten reviews
    in any status, and whether `user` may open the moderation queue (regulators)."""
    held = db.session.scalar(select(func.count(Review.id)).where(Review.shop_id == shop.id,
                                                                Review.status == "held"))
    hidden = db.session.scalar(select(func.count(Review.id)).where(Review.shop_id == shop.id,
                                                                  Review.status == "hidden"))
    recent = db.session.scalars(select(Review).where(Review.shop_id == shop.id)
                                .order_by(Review.created_at.desc()).limit(10)).all()
    return {"average": shop.rating_average, "count": shop.rating_count or 0, "held": held, "hidden": hidden,
            "recent": recent, "can_moderate": user.role == "regulator"}


def register(app, api) -> None:
    """Called from huishang.admin.register()."""
    app.register_blueprint(bp)
    api.register_blueprint(blp)
