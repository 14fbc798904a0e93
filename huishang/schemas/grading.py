"""Schemas of the grading feature: the 30-day list, the shop's grading explanation, penalties,
credit repair and random draws. The credit class and penalties' internal notes exist only in
the staff variants; the public draw variant has neither."""

from marshmallow import Schema, fields, pre_dump, validate

from huishang.services.grading import penalties

from ..extensions import db
from ..models import Shop
from ..models.grading import CREDIT_CLASSES, PLAN_STATUSES, REASONS
from .base import DateText, Text

TIER = validate.OneOf(("高", "中", "低"))
GRADE = validate.OneOf(("良好", "一般", "较差"))


class PlanQuerySchema(Schema):
    days = fields.Integer(load_default=30, validate=validate.Range(0, 366))
    page = fields.Integer(
        load_default=None,
        validate=validate.Range(1, 100000),
        metadata={"description": "omit for the whole list"},
    )
    per_page = fields.Integer(load_default=200, validate=validate.Range(1, 1000))
    as_of = fields.Date(load_default=None, metadata={"description": "the list day T (default today)"})
    street = fields.String(validate=validate.Length(max=40), metadata={"description": "street name or code"})


class AsOfSchema(Schema):
    as_of = fields.Date(load_default=None, metadata={"description": "the day (default today)"})


class CellSchema(Schema):
    static = fields.String(metadata={"description": "高|中|低"})
    dynamic = fields.String(metadata={"description": "良好|一般|较差"})


class AssignmentSchema(Schema):
    inspector = fields.String(allow_none=True)
    co_inspector = fields.String(allow_none=True)


class PlanItemSchema(Schema):
    """One item of the 30-day list as `planning.present` gives it (dates already written)."""

    item_id = fields.Integer(allow_none=True, metadata={"description": "null until the list is generated"})
    shop_code = fields.String(required=True)
    sign_name = fields.String()
    address = fields.String()
    street = fields.String()
    due_on = DateText(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(REASONS))
    reason_label = fields.String()
    cell = fields.Nested(CellSchema, required=True)
    overdue = fields.Boolean()
    days_overdue = fields.Integer()
    status = fields.String(validate=validate.OneOf(PLAN_STATUSES))
    status_label = fields.String()
    assignment = fields.Nested(AssignmentSchema, allow_none=True)
    closed_on = DateText(allow_none=True)


class PlanListSchema(Schema):
    as_of = fields.Date()
    days = fields.Integer()
    count = fields.Integer(metadata={"description": "items on the whole list"})
    page = fields.Integer(allow_none=True)
    per_page = fields.Integer(allow_none=True)
    items = fields.List(fields.Nested(PlanItemSchema))


class GenerateSchema(Schema):
    days = fields.Integer(load_default=30, validate=validate.Range(0, 366))
    as_of = fields.Date(load_default=None)
    street = fields.String(validate=validate.Length(max=40))


class AutoAssignSchema(Schema):
    street = fields.String(validate=validate.Length(max=40))


class AssignBodySchema(Schema):
    inspector = fields.String(
        required=True, validate=validate.Length(min=1, max=60), metadata={"description": "username"}
    )
    co_inspector = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60))


class CloseItemSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(("not_found", "closed_business")))
    note = fields.String(load_default="", validate=validate.Length(max=300))


class CountSchema(Schema):
    count = fields.Integer()


class EventSchema(Schema):
    """A `grading.Event` that worsens the grade."""

    kind = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date(allow_none=True)
    note = Text()


class CandidateSchema(Schema):
    """One candidate due date, from the `(reason, due_on, why)` tuples of `grading.Grading`."""

    reason = fields.String()
    due_on = fields.Date()
    why = Text()

    @pre_dump
    def from_tuple(self, candidate, **_kwargs) -> dict:
        return dict(zip(("reason", "due_on", "why"), candidate, strict=True))


class GradingSchema(Schema):
    """A shop's grading on a day, with why (inspectors): a `grading.Grading` with `shop_code`
    and `overdue` beside its fields."""

    shop_code = fields.String()
    as_of = fields.Date()
    static_tier = fields.String()
    base_grade = fields.String()
    dynamic_grade = fields.String()
    worsened_by = fields.List(fields.Nested(EventSchema))
    interval = fields.Integer()
    due_on = fields.Date()
    reason = fields.String()
    overdue = fields.Boolean()
    candidates = fields.List(fields.Nested(CandidateSchema))


class GradingRegulatorSchema(GradingSchema):
    """Regulators: adds the internal credit class and its reasons."""

    credit_class = fields.String(allow_none=True, metadata={"description": "regulators only"})
    credit_reasons = fields.List(Text(), metadata={"description": "regulators only"})


class PenaltyCreateSchema(Schema):
    decision_no = fields.String(required=True, validate=validate.Length(min=1, max=60))
    decided_on = fields.Date(required=True)
    violation = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    severity = fields.String(load_default="general", validate=validate.OneOf(("minor", "general", "severe")))
    fine = fields.Decimal(
        load_default=None, allow_none=True, places=2, as_string=True, validate=validate.Range(0, 100000000)
    )
    kind = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(tuple(penalties.PENALTY_KINDS)),
                         metadata={"description": "penalty kind; decides publicity (SAMR Order 45 Art. 2, 13). "
                                                  "Default: fine_low for a minor case, else fine"})
    published_on = fields.Date(load_default=None, allow_none=True,
                               metadata={"description": "公示日期: publicity runs from here; never for warning"})
    basis = fields.String(load_default="", validate=validate.Length(max=2000), metadata={"description": "处罚依据"})
    content = fields.String(load_default="", validate=validate.Length(max=2000), metadata={"description": "处罚内容"})
    authority = fields.String(load_default="", validate=validate.Length(max=100),
                              metadata={"description": "作出决定的机关 (default: the district's bureau)"})
    restriction_ends_on = fields.Date(load_default=None, allow_none=True,
                                      metadata={"description": "end of a restriction (kind restriction)"})
    internal_note = fields.String(load_default="", validate=validate.Length(max=2000))


class PenaltyPublishSchema(Schema):
    published_on = fields.Date(required=True, metadata={"description": "公示日期 (not after today)"})


class PenaltyPublicSchema(Schema):
    """行政处罚信息摘要 (SAMR Order 45 Art. 4), public only while its publicity runs."""

    decision_no = fields.String(metadata={"description": "决定书文号"})
    party = fields.String(metadata={"description": "当事人 (the market entity)"})
    violation = fields.String()
    basis = fields.String(metadata={"description": "处罚依据"})
    content = fields.String(metadata={"description": "处罚内容"})
    authority = fields.String()
    decided_on = fields.Date()
    published_on = fields.Date()
    publicity_ends_on = fields.Date(metadata={"description": "first day it is no longer public"})


class PenaltyStaffSchema(Schema):
    """A penalty with its internal note (regulators)."""

    id = fields.Integer()
    shop_code = fields.Function(lambda p: db.session.get(Shop, p.shop_id).code, metadata={"type": "string"})
    decision_no = fields.String()
    decided_on = fields.Date()
    violation = fields.String()
    severity = fields.String()
    kind = fields.String()
    published_on = fields.Date(allow_none=True)
    basis = fields.String()
    content = fields.String()
    authority = fields.String()
    restriction_ends_on = fields.Date(allow_none=True)
    fine = fields.Decimal(as_string=True, allow_none=True)
    publicity_ends_on = fields.Date()
    in_publicity = fields.Function(penalties.in_publicity, metadata={"type": "boolean"})
    is_public = fields.Function(penalties.is_public, metadata={"type": "boolean"})
    fulfilled_on = fields.Date(allow_none=True)
    repaired_on = fields.Date(allow_none=True)
    internal_note = fields.String()


class DrawCreateSchema(Schema):
    title = fields.String(load_default="", validate=validate.Length(max=120))
    streets = fields.List(fields.String(validate=validate.Length(max=40)), load_default=list)
    business_type = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60))
    credit_classes = fields.List(fields.String(validate=validate.OneOf(CREDIT_CLASSES)), load_default=None)
    ratios = fields.Dict(
        keys=fields.String(validate=validate.OneOf(CREDIT_CLASSES)),
        values=fields.Float(validate=validate.Range(0, 1)),
        load_default=None,
    )
    seed = fields.String(load_default="", validate=validate.Length(max=64))
    window_ends_on = fields.Date(load_default=None, allow_none=True,
                                 metadata={"description": "last day of the inspection window (default +30 days)"})
    exclusions = fields.List(
        fields.Dict(),
        load_default=list,
        metadata={"description": '[{"inspector": username, "shop_code": code}]'},
    )


class DrawPublicTargetSchema(Schema):
    """A target's result as the public sees it once the draw is public: the shop, the date of the
    drawn pair's inspection and its outcome — never the inspectors, the USCC or the credit class."""

    position = fields.Integer()
    entity_name = fields.String()
    shop_code = fields.String()
    sign_name = fields.String()
    street = fields.String()
    inspected_on = DateText(allow_none=True)
    outcome = fields.String(allow_none=True)
    outcome_label = fields.String()


class DrawPublicSchema(Schema):
    """A public draw (`/api/v1/public/draws/<token>`): only after its inspection window closed or
    every target was inspected by its drawn pair (国办发〔2015〕58号)."""

    token = fields.String(metadata={"description": "the draw's random public id"})
    title = fields.String()
    drawn_on = fields.Date()
    window_ends_on = fields.Date()
    population = fields.Integer()
    targets = fields.List(fields.Nested(DrawPublicTargetSchema))


class DrawStaffTargetSchema(DrawPublicTargetSchema):
    uscc = fields.String()
    address = fields.String()
    inspectors = fields.List(fields.String())
    credit_class = fields.String(metadata={"description": "regulators covering the shop's street only"})


class DrawStaffSchema(DrawPublicSchema):
    id = fields.Integer()
    seed = fields.String()
    published = fields.Boolean()
    public_url = fields.String(allow_none=True, metadata={"description": "set once the draw is public"})
    filters = fields.Dict()
    ratios = fields.Dict()
    exclusions = fields.List(fields.List(fields.Integer()))
    replay_matches = fields.Boolean()
    targets = fields.List(fields.Nested(DrawStaffTargetSchema))
