"""信用修复 for merchants: their shops' penalties (without internal notes) and the application."""

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from huishang.services.grading import SEVERITY_LABELS, penalties

from ..extensions import db
from ..handling import commit_or_fail
from ..models import Penalty
from ..models.grading import CreditRepair
from . import bp


def load_own_penalty(penalty_id: int) -> Penalty:
    penalty = db.session.get(Penalty, penalty_id)
    if penalty is None:
        abort(404)
    if not penalty.can_view(current_user):
        abort(403)
    return penalty


@bp.get("/credit", endpoint="credit")
def credit_page():
    """信用修复"""
    shop_ids = [s.id for s in current_user.shops]
    rows = db.session.scalars(
        select(Penalty).where(Penalty.shop_id.in_(shop_ids or [-1])).order_by(Penalty.decided_on.desc())
    ).all()
    repairs = {}
    for r in db.session.scalars(
        select(CreditRepair).where(CreditRepair.shop_id.in_(shop_ids or [-1])).order_by(CreditRepair.id)
    ):
        repairs[r.penalty_id] = r
    shops = {s.id: s for s in current_user.shops}
    return render_template(
        "grading/merchant_credit.html",
        penalties=rows,
        repairs=repairs,
        shops=shops,
        blockers={p.id: penalties.repair_blockers(p) for p in rows},
        in_publicity=penalties.in_publicity,
        severity_labels=SEVERITY_LABELS,
    )


@bp.route("/credit/<int:penalty_id>/apply", methods=["GET", "POST"], endpoint="credit_apply")
def credit_apply(penalty_id):
    penalty = load_own_penalty(penalty_id)
    errors: dict = {}
    if request.method == "POST":
        done, failed = commit_or_fail(
            lambda: penalties.apply_repair(penalty, request.form.get("commitment", ""), actor=current_user,
                                           harm_statement=request.form.get("harm_statement", "")),
            done=url_for("merchant.credit"), message=_("信用修复申请已提交，监管部门审核后会通知您"),
            category="message")
        if failed is None:
            return done
        errors = failed.errors or {"_": [failed.message]}
    return render_template(
        "grading/merchant_apply.html",
        penalty=penalty,
        errors=errors,
        form=request.form,
        blockers=penalties.repair_blockers(penalty),
        severity_labels=SEVERITY_LABELS,
    ), 422 if errors else 200
