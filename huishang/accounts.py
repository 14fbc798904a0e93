"""Login pages (session) and the API token endpoint (bearer)."""
from urllib.parse import urlparse

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from marshmallow import Schema, fields, validate
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from huishang.services import DomainError

from .api import Blueprint as ApiBlueprint
from .extensions import limiter
from .handling import commit
from .security import issue_token, json_error
from .services.accounts import authenticate

bp = Blueprint("auth", __name__)
api_bp = ApiBlueprint("auth-api", __name__, url_prefix="/api/v1/auth",
                      description="Bearer tokens for the JSON API")

HOME_BY_ROLE = {"regulator": "admin.registry", "inspector": "admin.patrol_home",
                "merchant": "merchant.home", "property": "property.home"}


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired(), Length(max=60)])
    password = PasswordField("密码", validators=[DataRequired(), Length(max=200)])


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def home_for(user) -> str:
    return url_for(HOME_BY_ROLE.get(user.role, "citizen.home"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data)
        except DomainError as exc:
            commit()  # a refusal is written too: the failure count drives the lockout
            form.password.errors.append(exc.message)
            return render_template("auth/login.html", form=form), exc.status
        login_user(user)
        commit()
        return redirect(_safe_next(request.args.get("next")) or home_for(user))
    return render_template("auth/login.html", form=form), 400 if form.errors else 200


@bp.post("/logout")
def logout():
    logout_user()
    flash(_("已退出登录"), "info")
    return redirect(url_for("auth.login"))


class TokenRequest(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=60))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200),
                             load_only=True)


class TokenResponse(Schema):
    token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True)
    role = fields.String(required=True)
    username = fields.String(required=True)


@api_bp.post("/token")
@limiter.limit("20 per minute")  # outermost: malformed requests count against the limit too
@api_bp.arguments(TokenRequest)
@api_bp.response(200, TokenResponse)
@api_bp.alt_response(401, description="Wrong username or password")
@api_bp.alt_response(423, description="Account locked after repeated failures")
@api_bp.alt_response(429, description="Too many attempts from this address")
def token(args):
    """Exchange a username and password for a bearer token."""
    from flask import current_app

    try:
        user = authenticate(args["username"], args["password"])
    except DomainError as exc:
        commit()  # a refusal is written too: the failure count drives the lockout
        return json_error(exc.status, exc.message)
    commit()
    return {"token": issue_token(user), "token_type": "Bearer",
            "expires_in": current_app.config["TOKEN_MAX_AGE"], "role": user.role,
            "username": user.username}
