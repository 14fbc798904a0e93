"""What a scan shows through the public API: the citizen face as JSON. Built on the registry's
public shop schema and adding only public derivations — never credit class, phones, contacts,
licence numbers or the legal entity."""
from marshmallow import Schema, fields

from huishang.services.grading import penalties
from huishang.services.scan import licence_state, scan_url

from ..models.inspections import OUTCOME_FACES, OUTCOME_LABELS
from .grading import PenaltyPublicSchema
from .shops import ShopPublicSchema


class GradeSchema(Schema):
    outcome = fields.String(metadata={"description": "pass | partial | fail"})
    outcome_label = fields.String(metadata={"description": "符合 | 基本符合 | 不符合"})
    face = fields.String(metadata={"description": "良好 | 一般 | 较差"})
    inspected_on = fields.Date()


class ShopScanPublicSchema(ShopPublicSchema):
    """GET /api/v1/public/shops/<code>."""

    status_label = fields.String()
    licence_state = fields.Method("get_licence_state",
                                  metadata={"description": "valid | expired | none (no numbers)"})
    grade = fields.Method("get_grade", allow_none=True)
    rating_average = fields.Float(allow_none=True)
    rating_count = fields.Integer()
    breakfast_hours = fields.String()
    breakfast_offer = fields.String()
    breakfast_spend = fields.Float(allow_none=True)
    breakfast_wait = fields.Integer(allow_none=True)
    scan_url = fields.Method("get_scan_url")
    penalties = fields.Method("get_penalties", metadata={
        "description": "行政处罚信息摘要 while publicity runs (SAMR Order 45); never warnings"})

    def get_licence_state(self, shop) -> str:
        return licence_state(shop)

    def get_grade(self, shop):
        if shop.latest_outcome not in OUTCOME_FACES or shop.latest_inspected_on is None:
            return None
        return GradeSchema().dump({"outcome": shop.latest_outcome,
                                   "outcome_label": OUTCOME_LABELS[shop.latest_outcome],
                                   "face": OUTCOME_FACES[shop.latest_outcome][0],
                                   "inspected_on": shop.latest_inspected_on})

    def get_penalties(self, shop) -> list:
        return PenaltyPublicSchema(many=True).dump(penalties.public_penalties(shop))

    def get_scan_url(self, shop) -> str:
        return scan_url(shop.code)
