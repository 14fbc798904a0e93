"""/api/v1/users: accounts for the district administrator (bearer token). Anyone else: 403.

Street regulators manage their streets' accounts on the accounts page; the API is the
administrator's (issue 14). A password is accepted on create (write-only) and never sent; a reset
is a page action, whose temporary password is shown once.
"""
from flask import abort
from flask.views import MethodView
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from huishang.services import accounts as account_service

from ..api import Blueprint
from ..extensions import csrf, db
from ..handling import commit
from ..i18n import N_
from ..models import Street, User
from ..schemas.accounts import UserCreateSchema, UserPageSchema, UserQuerySchema, UserSchema, UserUpdateSchema
from ..security import api_gate, json_error

ADMINS_ONLY = "只有区管理员可以管理账户 (administrators only)"

blp = Blueprint("users", __name__, url_prefix="/api/v1", description="Accounts (district administrators)")
blp.before_request(api_gate("admin"))
csrf.exempt(blp)


@blp.route("/users")
class Users(MethodView):
    @blp.arguments(UserQuerySchema, location="query")
    @blp.response(200, UserPageSchema)
    @blp.alt_response(403, description=ADMINS_ONLY)
    def get(self, args):
        """Accounts, filtered (search, role, street, active), by username, a page at a time."""
        street_id = None
        if args["street"]:
            street = db.session.scalar(select(Street).where(or_(Street.name == args["street"],
                                                                 Street.code == args["street"])))
            if street is None:
                return json_error(422, "请求内容有误：street (invalid input: street)",
                                  {"street": [N_("未知街道：%(street)s", street=args["street"])]})
            street_id = street.id
        query = account_service.accounts_query(current_user, q=args["q"], role=args["role"],
                                               street_id=street_id, active=args["active"])
        total = db.session.scalar(select(func.count()).select_from(query.subquery()))
        page, per_page = args["page"], args["per_page"]
        users = db.session.scalars(query.options(selectinload(User.streets), selectinload(User.shops),
                                                 selectinload(User.complex))
                                   .limit(per_page).offset((page - 1) * per_page))
        return {"items": list(users), "page": page, "per_page": per_page, "total": total}

    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    @blp.alt_response(403, description=ADMINS_ONLY)
    @blp.alt_response(422, description="A field is refused (named in `errors`); nothing is written")
    def post(self, data):
        """Create an account of any role with its scope (streets, shops, complex by name)."""
        user = account_service.create_user(
            data["username"], data["role"], data["password"], streets=data.get("streets", ()),
            shops=data.get("shops", ()), complex_name=data.get("complex"),
            display_name=data.get("display_name", ""), phone=data.get("phone", ""),
            must_change_password=data["must_change_password"], actor=current_user)
        commit()
        return user


@blp.route("/users/<int:user_id>")
class UserResource(MethodView):
    @blp.response(200, UserSchema)
    @blp.alt_response(404, description="No such account")
    def get(self, user_id):
        """One account."""
        return db.session.get(User, user_id) or abort(404)

    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    @blp.alt_response(422, description="A field is refused (named in `errors`); nothing is written")
    def patch(self, data, user_id):
        """Change an account: names, role, scope, active (false deactivates: its sessions and tokens end)."""
        user = db.session.get(User, user_id) or abort(404)
        account_service.update_user(user, data, actor=current_user)
        commit()
        return user
