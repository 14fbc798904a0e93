"""The accounts page (issue 14): administrators manage every account; a street regulator manages the
inspector and merchant accounts of its streets (the rule is `services.accounts`' module docstring).

List with search and filters (role, street, active) and last login; create an account of any role
the manager may create, with its scope picked by name (streets, the complex; a merchant's shops by
their plate code); edit; deactivate / reactivate; reset a password (the temporary password is shown
once, on the answer to the reset, and must be changed at the next login). Every change is audited
by the service.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from huishang.services import accounts as account_service

from ..extensions import db
from ..handling import commit_or_flash, commit_or_rollback
from ..models import Complex, Street, User
from ..models.users import ACCOUNT_ROLE_LABELS
from ..security import roles_required
from . import bp

PER_PAGE = 50


class CsrfForm(FlaskForm):
    """CSRF only: the accounts service reads and checks every field (one check per field)."""


def _manager():
    """The signed-in account manager (administrator or street regulator), else 403."""
    if not account_service.may_manage_accounts(current_user):
        abort(403, description=_("只有区管理员和街道监管者可以管理账户"))
    return current_user._get_current_object()


def _account(user_id: int) -> User:
    """An account the manager may manage; any other answers 404 (an id does not confirm it exists)."""
    user = db.session.get(User, user_id)
    if user is None or not account_service.manages_account(current_user, user):
        abort(404)
    return user


def _streets_for(manager):
    query = select(Street).order_by(Street.code)
    ids = manager.street_ids()
    if ids is not None:
        query = query.where(Street.id.in_(sorted(ids)))
    return list(db.session.scalars(query))


def _choices(manager) -> dict:
    roles = [(r, ACCOUNT_ROLE_LABELS[r]) for r in account_service.manageable_roles(manager)]
    complexes = list(db.session.scalars(select(Complex).order_by(Complex.name))) if manager.administers else []
    return {"roles": roles, "streets": _streets_for(manager), "complexes": complexes}


def _form_data() -> dict:
    form = request.form
    codes = form.get("shops", "").replace("，", ",").replace("、", ",").replace(",", " ").split()
    return {"display_name": form.get("display_name", ""), "phone": form.get("phone", ""),
            "role": form.get("role", ""), "streets": form.getlist("streets"), "shops": codes,
            "complex": form.get("complex", "")}


def _scope_for_role(data: dict) -> dict:
    """The form sends every scope control; keep the ones the chosen role uses."""
    role = data["role"]
    return {**data,
            "streets": data["streets"] if role in ("regulator", "inspector") else [],
            "shops": data["shops"] if role == "merchant" else [],
            "complex": data["complex"] if role == "property" else ""}


@bp.get("/accounts")
@roles_required("regulator")
def accounts():
    manager = _manager()
    args = request.args
    role = args.get("role", "")
    street = db.session.scalar(select(Street).where(Street.name == args.get("street", ""))) \
        if args.get("street") else None
    active = {"1": True, "0": False}.get(args.get("active", ""))
    query = account_service.accounts_query(manager, q=args.get("q", ""), role=role,
                                           street_id=street.id if street else None, active=active)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(args.get("page", 1, type=int) or 1, 1), pages)
    users = list(db.session.scalars(query.options(selectinload(User.streets), selectinload(User.shops),
                                                  selectinload(User.complex))
                                     .limit(PER_PAGE).offset((page - 1) * PER_PAGE)))
    filters = {k: args.get(k, "") for k in ("q", "role", "street", "active") if args.get(k)}
    return render_template("admin/accounts/list.html", users=users, total=total, page=page, pages=pages,
                           filters=filters, manager=manager, **_choices(manager))


@bp.route("/accounts/new", methods=["GET", "POST"])
@roles_required("regulator")
def account_new():
    manager = _manager()
    form = CsrfForm()
    values = {"role": request.args.get("role", "inspector"), "streets": [], "shops": [], "complex": ""}
    if request.method == "POST":
        data = _scope_for_role(_form_data())
        values = {**data, "username": request.form.get("username", "")}
        if not form.validate_on_submit():
            return _show_form(form, values, None, {"csrf_token": [_("表单已过期，请重新提交")]}, 400)
        user, failed = commit_or_rollback(lambda: account_service.create_user(
            request.form.get("username", ""), data["role"], request.form.get("password", ""),
            streets=data["streets"], shops=data["shops"], complex_name=data["complex"] or None,
            display_name=data["display_name"], phone=data["phone"],
            must_change_password=bool(request.form.get("temporary")),
            password_confirm=request.form.get("password_confirm", ""), actor=manager))
        if failed is not None:
            return _show_form(form, values, None, failed.errors, failed.status, failed.message)
        flash(_("已创建账户：%(name)s", name=user.username), "info")
        return redirect(url_for("admin.accounts"))
    return _show_form(form, values, None, {}, 200)


def _show_form(form, values, user, errors, status, message=None):
    return render_template("admin/accounts/form.html", form=form, values=values, account=user,
                           errors=errors, message=message, manager=current_user,
                           **_choices(current_user)), status


@bp.route("/accounts/<int:user_id>", methods=["GET", "POST"])
@roles_required("regulator")
def account_edit(user_id):
    manager = _manager()
    user = _account(user_id)
    form = CsrfForm()
    values = {**account_service.snapshot(user)}
    if request.method == "POST":
        data = _scope_for_role(_form_data())
        values = {**values, **data}
        if not form.validate_on_submit():
            return _show_form(form, values, user, {"csrf_token": [_("表单已过期，请重新提交")]}, 400)
        _done, failed = commit_or_rollback(lambda: account_service.update_user(user, data, actor=manager))
        if failed is not None:
            return _show_form(form, values, user, failed.errors, failed.status, failed.message)
        flash(_("已保存账户：%(name)s", name=user.username), "info")
        return redirect(url_for("admin.accounts"))
    return _show_form(form, values, user, {}, 200)


@bp.post("/accounts/<int:user_id>/active")
@roles_required("regulator")
def account_active(user_id):
    manager = _manager()
    user = _account(user_id)
    CsrfForm().validate_on_submit() or abort(400)
    active = request.form.get("active") == "1"
    message = _("已重新启用：%(name)s", name=user.username) if active else _("已停用：%(name)s", name=user.username)
    return commit_or_flash(lambda: account_service.update_user(user, {"active": active}, actor=manager),
                           done=url_for("admin.accounts", **request.args), message=message, details=True)


@bp.post("/accounts/<int:user_id>/password")
@roles_required("regulator")
def account_reset(user_id):
    """Reset a password: the answer (not a redirect, so it is kept nowhere) shows the temporary password once."""
    manager = _manager()
    user = _account(user_id)
    CsrfForm().validate_on_submit() or abort(400)
    password, failed = commit_or_rollback(lambda: account_service.reset_password(user, actor=manager))
    if failed is not None:
        abort(failed.status)
    response = render_template("admin/accounts/reset.html", account=user, password=password)
    return response, 200, {"Cache-Control": "no-store"}
