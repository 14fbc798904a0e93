"""Questions to the regulator (咨询) and the policy library (政策法规), merchant side."""
from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from huishang.services import DomainError
from huishang.services.merchant import policies
from huishang.services.merchant import questions as question_service

from ..extensions import db
from ..handling import commit_or_fail
from ..i18n import N_
from ..models import Policy, Question
from . import bp
from .common import own_object, own_shop, send_upload, upload_bytes


@bp.get("/questions")
def questions():
    items = question_service.for_shops([s.id for s in current_user.shops])
    return render_template("merchant/questions.html", items=items, time_left=question_service.time_left)


@bp.route("/questions/new", methods=["GET", "POST"])
def question_new():
    shops = [s for s in current_user.shops if s.status != "closed"]
    form, errors, status = {"shop": request.args.get("shop", "")}, {}, 200
    if request.method == "POST":
        form = {"shop": request.form.get("shop", ""), "body": request.form.get("body", "")}

        def ask():
            if not form["shop"]:
                raise DomainError(N_("请选择店铺"), {"shop": [N_("请选择店铺")]})
            return question_service.ask(own_shop(form["shop"]), form["body"], attachment=upload_bytes("attachment"),
                                        actor=current_user)

        done, failed = commit_or_fail(ask, done=lambda question: url_for("merchant.question", question_id=question.id),
                                      message=_("咨询已提交，监管部门将在2个工作日内答复"))
        if failed is None:
            return done
        errors, status = failed.errors, failed.status
    return render_template("merchant/question_form.html", shops=shops, form=form, errors=errors,
                           due=question_service.due_date), status


@bp.get("/questions/<int:question_id>")
def question(question_id):
    item = own_object(Question, question_id)
    return render_template("merchant/question.html", q=item, left=question_service.time_left(item))


@bp.get("/questions/<int:question_id>/attachment")
def question_attachment(question_id):
    return send_upload(own_object(Question, question_id).attachment)


@bp.get("/policies", endpoint="policies")
def policies_list():
    return render_template("merchant/policies.html", items=policies.for_merchant(current_user))



@bp.get("/policies/<int:policy_id>")
def policy(policy_id):
    item = db.session.get(Policy, policy_id)
    if item is None or not policies.visible_to(current_user, item):
        abort(404)
    return render_template("merchant/policy.html", p=item)
