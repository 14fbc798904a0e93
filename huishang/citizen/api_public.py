"""GET /api/v1/public/shops/<code> — the citizen face as JSON (no account)."""
from flask import jsonify

from huishang.services.scan import faces as scans

from ..api import Blueprint
from ..extensions import csrf, limiter
from ..schemas.scan import ShopScanPublicSchema
from ..security import json_error

blp = Blueprint("public_shops", __name__, url_prefix="/api/v1/public",
                description="A shop's public face, by the code on its plate (no account)")
csrf.exempt(blp)


@blp.route("/shops/<code>")
@limiter.limit("120 per minute")
@blp.response(200, ShopScanPublicSchema)
@blp.alt_response(404, description="Not a genuine code, or no such shop")
@blp.alt_response(410, description="An old code of a reissued plate; `current_code` names the new one")
def public_shop(code):
    """The public profile: sign name, type, address, hours, licence validity, latest grade.

    A forged or mistyped code is rejected without a database lookup."""
    resolution = scans.resolve(code)
    if resolution.kind == "forged":
        return json_error(404, "不是有效的汇商码（格式或校验位错误） (not a genuine code)",
                          {"code": ["格式或校验位错误"]})
    if resolution.kind == "unknown":
        return json_error(404, "未找到该商铺 (no such shop)", {"code": ["未登记"]})
    if resolution.kind == "replaced":
        response = jsonify({"code": 410, "message": "该铭牌已更换 (this plate was replaced)",
                            "errors": {"code": ["已更换"]}, "current_code": resolution.current_code})
        response.status_code = 410
        return response
    return scans.load_shop(resolution.shop_id), {"Cache-Control": "public, max-age=60"}
