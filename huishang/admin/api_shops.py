"""/api/v1/shops and /api/v1/business-types."""
from flask.views import MethodView
from flask_login import current_user
from marshmallow import fields, validate
from sqlalchemy import func, select

from huishang.services import registry

from ..api import Blueprint
from ..extensions import csrf, db
from ..handling import commit, load_shop
from ..models import BusinessType, Shop
from ..schemas.base import Variant
from ..schemas.shops import (
    PAGE_OF,
    BusinessTypeSchema,
    ShopCloseSchema,
    ShopCreateSchema,
    ShopOwnerSchema,
    ShopPage,
    ShopQuerySchema,
    ShopRegulatorSchema,
    ShopStaffSchema,
    ShopWriteSchema,
)
from ..security import api_gate, json_error, roles_required

blp = Blueprint("shops", __name__, url_prefix="/api/v1", description="The shop registry")
blp.before_request(api_gate())
csrf.exempt(blp)

MAX_PER_PAGE = 200


class PageArgs(ShopQuerySchema):
    page = fields.Integer(load_default=1, validate=validate.Range(1, 100000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(1, MAX_PER_PAGE))


def shop_schema() -> type[ShopOwnerSchema]:
    """The shop schema of the caller's audience (owner, staff or regulator variant)."""
    if current_user.role == "regulator":
        return ShopRegulatorSchema
    return ShopStaffSchema if current_user.is_staff else ShopOwnerSchema


@blp.route("/shops")
class Shops(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, ShopPage)
    def get(self, args):
        """List shops in the caller's scope, with filters and pagination."""
        page, per_page = args.pop("page"), args.pop("per_page")
        query = registry.filter_shops(registry.scoped_shops(current_user), **args)
        total = db.session.scalar(select(func.count()).select_from(query.subquery()))
        shops = db.session.scalars(query.order_by(Shop.id).limit(per_page).offset((page - 1) * per_page))
        return Variant(PAGE_OF[shop_schema()],
                       {"items": shops, "page": page, "per_page": per_page, "total": total})

    @blp.arguments(ShopCreateSchema)
    @blp.response(201, ShopRegulatorSchema)
    @roles_required("regulator", message="只有监管者可以登记商铺 (regulators only)")
    def post(self, data):
        """Register a shop (regulators). Its public code is minted unless a plate code is given."""
        street = registry.Lookups.load().street(data.get("street", ""))
        if street is not None and not current_user.covers_street(street.id):
            return json_error(403, "该街道不在您的管辖范围 (street out of scope)", {"street": ["不在管辖范围"]})
        shop = registry.register_shop(data, actor=current_user)
        commit()
        return shop


@blp.route("/shops/<code>")
class ShopResource(MethodView):
    @blp.response(200, ShopRegulatorSchema)
    def get(self, code):
        """One shop, in the caller's view (owner or staff)."""
        return Variant(shop_schema(), load_shop(code))

    @blp.arguments(ShopWriteSchema(partial=True))
    @blp.response(200, ShopRegulatorSchema)
    def patch(self, data, code):
        """Update a shop. Merchants may change only their shop's open fields."""
        shop = load_shop(code, "can_edit")
        if current_user.role == "merchant":
            regulated = sorted(set(data) - registry.MERCHANT_OPEN_FIELDS)
            if regulated:
                return json_error(403, "这些字段需经监管部门审核后变更 (regulated fields)",
                                  {f: ["需经审核"] for f in regulated})
        if "street" in data:
            street = registry.Lookups.load().street(data["street"])
            if street is not None and not current_user.covers_street(street.id):
                return json_error(403, "该街道不在您的管辖范围 (street out of scope)", {"street": ["不在管辖范围"]})
        registry.update_shop(shop, data, actor=current_user)
        commit()
        return Variant(shop_schema(), shop)


@blp.route("/shops/<code>/close", methods=["POST"])
@blp.arguments(ShopCloseSchema)
@blp.response(200, ShopRegulatorSchema)
@roles_required("regulator", message="只有监管者可以注销商铺 (regulators only)")
def close(data, code):
    """注销 a shop (regulators in scope)."""
    shop = load_shop(code, "can_edit")
    registry.close_shop(shop, actor=current_user, reason=data["reason"])
    commit()
    return shop


@blp.route("/business-types")
@blp.response(200, BusinessTypeSchema(many=True))
def business_types():
    """The business-type catalogue (families and their types)."""
    return db.session.scalars(select(BusinessType).order_by(BusinessType.position)).all()
