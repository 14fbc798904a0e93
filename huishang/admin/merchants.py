"""Regulators' side of the merchant and property ends: the review queue of regulated changes,
welcome letters and ownership resets, the question queue and FAQ, the policy library, property
reports (move-in / move-out) and message threads; plus the staff partial on the shop profile.

Mounted under /admin/merchants inside the admin blueprint (so the admin gate applies) with its
own gate: regulators only. The staff partial is shown to inspectors in scope too.
"""
from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from huishang.services import property as property_service
from huishang.services.merchant import changes, claims, policies
from huishang.services.merchant import questions as question_service
from huishang.services.merchant import staff as staff_service

from ..extensions import db
from ..handling import PLAIN_SCOPE, commit, commit_or_fail, error_text, load_shop
from ..merchant.common import send_upload
from ..models import BusinessType, ChangeRequest, Complex, PropertyReport, Question, today, utcnow
from ..security import page_gate

bp = Blueprint("merchants", __name__, url_prefix="/merchants")
bp.before_request(page_gate("regulator"))


def _shop(code):
    """A shop in the regulator's streets (404 / 403)."""
    return load_shop(code, "can_view", PLAIN_SCOPE)


def _scoped(model, object_id):
    """A change request, question or property report the regulator may see (GET) or decide (any
    other method): 404 / 403."""
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    allowed = obj.can_view if request.method == "GET" else obj.can_change
    if not allowed(current_user):
        abort(403)
    return obj


def _send(relative):
    return send_upload(relative)


def staff_summary(shop, user):
    """For admin/profile/_staff.html: coverage, the staff list and the claiming merchants, or None
    when `user` may not see staff data (only the shop's merchants and staff in scope may);
    `can_manage_owners` for regulators (the claims and welcome-letter page)."""
    if shop is None or not staff_service.may_see_personal(user, shop):
        return None
    return {"coverage": staff_service.coverage(shop), "people": staff_service.for_shop(shop),
            "owners": claims.owners(shop), "today": today(), "can_manage_owners": user.role == "regulator"}


@bp.get("/")
def index():
    def count(query):
        return db.session.scalar(select(func.count()).select_from(query.subquery()))

    counts = {
        "changes": count(changes.queue_query(current_user)),
        "questions": count(question_service.queue_query(current_user)),
        "reports": len(property_service.reports(user=current_user, status="pending")),
        "messages": sum(t["unread"] for t in property_service.threads_for(current_user)),
    }
    return render_template("admin/merchants/index.html", counts=counts)


# -- review queue -------------------------------------------------------------------------------
@bp.get("/changes")
def change_queue():
    status = request.args.get("status", "pending")
    if status not in ("pending", "approved", "rejected"):
        status = "pending"
    return render_template("admin/merchants/changes.html", items=changes.queue(current_user, status),
                           status=status, labels=changes.FIELD_LABELS)


@bp.get("/changes/<int:change_id>")
def change_detail(change_id):
    cr = _scoped(ChangeRequest, change_id)
    return render_template("admin/merchants/change.html", cr=cr, labels=changes.FIELD_LABELS, errors={})


@bp.get("/changes/<int:change_id>/image")
def change_image(change_id):
    return _send(_scoped(ChangeRequest, change_id).changes.get("image_path"))


@bp.post("/changes/<int:change_id>/approve")
def change_approve(change_id):
    cr = _scoped(ChangeRequest, change_id)
    return _decide_change(cr, lambda: changes.approve(cr, actor=current_user), _("已通过并生效"))


@bp.post("/changes/<int:change_id>/reject")
def change_reject(change_id):
    cr = _scoped(ChangeRequest, change_id)
    return _decide_change(cr, lambda: changes.reject(cr, request.form.get("reason", ""), actor=current_user),
                          _("已驳回"))


def _decide_change(cr, decide, message):
    done, failed = commit_or_fail(decide, done=url_for("admin.merchants.change_queue"), message=message)
    if failed is None:
        return done
    return render_template("admin/merchants/change.html", cr=cr, labels=changes.FIELD_LABELS,
                           errors=failed.errors, message=failed.message), failed.status


# -- claiming -----------------------------------------------------------------------------------
def _letter(shop, code):
    """The letter for a code issued in the open transaction, built before the caller commits: if
    building fails, the transaction is rolled back (the previous code stays the valid one) → 503."""
    shop_code = shop.code
    try:
        pdf = claims.welcome_letter_pdf(shop, code)
    except Exception:
        db.session.rollback()
        current_app.logger.exception("welcome letter for %s not built; claim code unchanged", shop_code)
        abort(503, description=_("请稍后再试"))
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="welcome-{shop_code}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/shops/<code>")
def shop_owners(code):
    shop = _shop(code)
    return render_template("admin/merchants/shop.html", shop=shop, owners=claims.owners(shop),
                           latest=claims.latest(shop), now=utcnow(), staff=staff_summary(shop, current_user))


@bp.post("/shops/<code>/welcome-letter")
def welcome_letter(code):
    """A new claim code (earlier unused ones are revoked) on a printable letter."""
    shop = _shop(code)
    if shop.status == "closed":
        abort(409)
    response = _letter(shop, claims.issue(shop, actor=current_user))
    commit()
    return response


@bp.post("/shops/<code>/reset-ownership")
def reset_ownership(code):
    shop = _shop(code)
    response = _letter(shop, claims.reset_ownership(shop, actor=current_user))
    commit()
    return response


# -- questions and FAQ --------------------------------------------------------------------------
@bp.get("/questions")
def question_queue():
    answered = request.args.get("answered") == "1"
    return render_template("admin/merchants/questions.html", answered=answered,
                           items=question_service.queue(current_user, answered=answered),
                           time_left=question_service.time_left)


@bp.route("/questions/<int:question_id>", methods=["GET", "POST"])
def question(question_id):
    q = _scoped(Question, question_id)
    errors, status = {}, 200
    if request.method == "POST":

        def save():
            if request.form.get("action") == "faq":
                question_service.publish_faq(q, request.form.get("faq_question", ""),
                                             request.form.get("faq_answer", ""), actor=current_user)
            elif request.form.get("action") == "unfaq":
                question_service.unpublish_faq(q, actor=current_user)
            else:
                question_service.answer(q, request.form.get("answer", ""), actor=current_user)

        done, failed = commit_or_fail(save, done=url_for("admin.merchants.question", question_id=q.id),
                                      message=_("已保存"))
        if failed is None:
            return done
        errors, status = failed.errors, failed.status
    return render_template("admin/merchants/question.html", q=q, left=question_service.time_left(q),
                           errors=errors), status


@bp.get("/questions/<int:question_id>/attachment")
def question_attachment(question_id):
    return _send(_scoped(Question, question_id).attachment)


# -- policies -----------------------------------------------------------------------------------
@bp.route("/policies", methods=["GET", "POST"])
def policy_library():
    errors, form, status = {}, {}, 200
    if request.method == "POST":
        form = {"title": request.form.get("title", ""), "body": request.form.get("body", ""),
                "source": request.form.get("source", ""), "types": request.form.getlist("types")}
        done, failed = commit_or_fail(
            lambda: policies.publish(form["title"], form["body"], form["types"], source=form["source"],
                                     actor=current_user),
            done=url_for("admin.merchants.policy_library"),
            message=lambda policy: _("已发布，已通知 %(n)s 位相关经营者", n=len(policies.audience(policy))))
        if failed is None:
            return done
        errors, status = failed.errors, failed.status
    types = list(db.session.scalars(select(BusinessType).order_by(BusinessType.position)))
    return render_template("admin/merchants/policies.html", items=policies.all_policies(), types=types,
                           form=form, errors=errors), status


# -- property end -------------------------------------------------------------------------------
@bp.get("/reports")
def report_queue():
    status = request.args.get("status", "pending")
    return render_template("admin/merchants/reports.html", status=status,
                           items=property_service.reports(user=current_user,
                                                          status=status if status != "all" else None))


@bp.post("/reports/<int:report_id>/<action>")
def report_decide(report_id, action):
    report = _scoped(PropertyReport, report_id)

    def decide():
        if action == "confirm":
            property_service.confirm(report, actor=current_user)
        elif action == "reject":
            property_service.reject(report, request.form.get("reason", ""), actor=current_user)
        else:
            abort(404)

    queue = url_for("admin.merchants.report_queue")
    done, failed = commit_or_fail(decide, done=queue, message=_("已处理"))
    if failed is None:
        return done
    flash(error_text(failed, details=True), "error")
    return redirect(queue), 303


@bp.get("/messages")
def message_threads():
    return render_template("admin/merchants/threads.html", threads=property_service.threads_for(current_user))


@bp.route("/messages/<int:complex_id>", methods=["GET", "POST"])
def message_thread(complex_id):
    cx = db.session.get(Complex, complex_id)
    if cx is None:
        abort(404)
    if not cx.can_view(current_user):
        abort(403)
    errors, status = {}, 200
    if request.method == "POST":
        done, failed = commit_or_fail(
            lambda: property_service.post_message(cx, current_user, request.form.get("body", "")),
            done=url_for("admin.merchants.message_thread", complex_id=cx.id))
        if failed is None:
            return done
        errors, status = failed.errors, failed.status
    messages = property_service.thread(cx.id, reader=current_user)
    # Opening the thread is reading it: the property manager's messages are marked read here, which
    # clears both ends' unread counts. A separate "mark read" POST would leave them unread until a
    # button is pressed, a change users would see.
    commit(on_get="read marks: opening a message thread reads it")
    return render_template("admin/merchants/thread.html", complex=cx, messages=messages,
                           errors=errors), status

