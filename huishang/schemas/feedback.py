"""Feedback schemas, a variant per audience.

- public (anyone): reviews with merchant replies, open-complaint suggestions — no client or IP
  hash, no phone, no photos, no actor names;
- complainant (tracking key holder): their own ticket, their phone masked, public events only;
- owner (the merchant): complaints forwarded to them — no phone, no photos, no client data, the
  description with numbers masked;
- staff (regulators): everything but the client and IP hashes; the phone, and numbers or e-mail
  addresses typed into the description, are masked;
- handler (the assigned regulator): the staff view with the phone and the description as given.

`ComplaintSchema` documents the desk API, whose callers get the owner, staff or handler variant.
"""
from marshmallow import Schema, fields, validate

from huishang.services.feedback import complaints as service
from huishang.services.feedback import fields as complaint_fields
from huishang.services.feedback import mask_personal
from huishang.validation import Choice, Text

from ..models.feedback import CLOSED_STATUSES, COMPLAINT_CATEGORIES, KINDS, REVIEW_TAGS
from .base import UnionSchema, UtcDateTime, VariantNested

# -- input --------------------------------------------------------------------------------------

class ReviewCreateSchema(Schema):
    stars = fields.Integer(required=True, validate=validate.Range(1, 5))
    text = fields.String(load_default="", validate=validate.Length(max=500))
    tags = fields.List(fields.String(validate=validate.OneOf(tuple(REVIEW_TAGS))), load_default=list,
                       validate=validate.Length(max=len(REVIEW_TAGS)),
                       metadata={"description": "tag codes: " + ", ".join(REVIEW_TAGS)})


class ComplaintCreateSchema(Schema):
    """Read with the complaint's field checks (`feedback.fields`): the page's messages."""

    category = Choice(complaint_fields.CATEGORY, COMPLAINT_CATEGORIES, required=True)
    kind = Choice(complaint_fields.KIND, KINDS, load_default=None, allow_none=True,
                  metadata={"description": "complaint (投诉: name and phone required) or report (举报: may be "
                                           "anonymous); left out: complaint when a phone is given (the name is "
                                           "then required), else report"})
    description = Text(complaint_fields.DESCRIPTION, required=True)
    phone = Text(complaint_fields.PHONE_NUMBER, load_default=None, allow_none=True, metadata={"maxLength": 30})
    name = Text(complaint_fields.NAME, load_default=None, allow_none=True)
    sms_consent = fields.Boolean(load_default=False,
                                 metadata={"description": "the citizen agrees to progress messages by SMS "
                                                          "(needs a mobile phone)"})


class TrackingArgs(Schema):
    key = fields.String(required=True, validate=validate.Length(1, 100))


class ReopenSchema(TrackingArgs):
    note = Text(complaint_fields.REQUIRED_NOTE, required=True)


class RateSchema(TrackingArgs):
    satisfaction = fields.Integer(required=True, validate=validate.Range(1, 5))
    note = Text(complaint_fields.NOTE, load_default="")


class SimilarArgs(Schema):
    category = Choice(complaint_fields.CATEGORY, COMPLAINT_CATEGORIES, required=True)


class TransitionSchema(Schema):
    action = fields.String(required=True, validate=validate.OneOf((
        "accept", "reject", "forward", "answer", "resolve", "close_unresolved", "duplicate",
        "not_our_jurisdiction")))
    note = Text(complaint_fields.NOTE, load_default="")
    template = fields.Integer(load_default=None, allow_none=True,
                              metadata={"description": "reply template id, used when note is empty"})
    substantiated = fields.Boolean(load_default=None, allow_none=True,
                                   metadata={"description": "required to resolve / close_unresolved"})
    duplicate_of = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20))


class AssignSchema(Schema):
    handler = fields.String(required=True, validate=validate.Length(1, 60),
                            metadata={"description": "username of a regulator covering the shop's street"})


class ComplaintQuerySchema(Schema):
    street = fields.String(load_default=None)
    status = fields.String(load_default=None)
    due = fields.String(load_default=None, validate=validate.OneOf(("today", "overdue", "escalated")))
    category = fields.String(load_default=None, validate=validate.OneOf(COMPLAINT_CATEGORIES))
    assigned = fields.String(load_default=None, validate=validate.OneOf(("me", "none")))
    q = fields.String(load_default=None, validate=validate.Length(max=60))
    page = fields.Integer(load_default=1, validate=validate.Range(1, 100000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(1, 200))


# -- output -------------------------------------------------------------------------------------

class ReviewPublicSchema(Schema):
    id = fields.Integer()
    stars = fields.Integer()
    text = fields.String()
    tags = fields.Function(lambda r: r.tag_list)
    tag_labels = fields.Function(lambda r: r.tag_labels)
    created_on = fields.Function(lambda r: r.created_at.date().isoformat())
    reply = fields.String(allow_none=True)
    reply_on = fields.Function(lambda r: r.reply_at.date().isoformat() if r.reply_at else None)


class ReviewStaffSchema(ReviewPublicSchema):
    shop_code = fields.Function(lambda r: r.shop.code)
    status = fields.String()
    flagged = fields.String()
    moderation_reason = fields.String(allow_none=True)


class ReviewCreatedSchema(ReviewPublicSchema):
    status = fields.String(metadata={"description": "visible, or held for moderation"})


class ComplaintSuggestionSchema(Schema):
    """An open complaint shown before filing, for "me too": no personal data at all."""

    ticket = fields.String()
    category = fields.String()
    category_label = fields.String()
    status = fields.String()
    status_label = fields.String()
    submitted_on = fields.Date(allow_none=True)
    excerpt = fields.Function(lambda c: service.excerpt(
        c.description))
    supporters = fields.Integer()


class EventPublicSchema(Schema):
    at = UtcDateTime()
    action = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    by = fields.Function(lambda e: {"regulator": "监管部门", "merchant": "商户", "citizen": "投诉人",
                                    "system": "系统"}.get(e.actor_role, e.actor_role))
    note = fields.Function(lambda e: e.note_for("citizen"),
                           metadata={"type": "string", "description": "only a note written for the citizen"})


class EventStaffSchema(EventPublicSchema):
    actor = fields.Function(lambda e: e.actor.username if e.actor else None, allow_none=True)
    public = fields.Boolean()
    audience = fields.String(metadata={"description": "citizen, merchant or internal"})
    note = fields.String()


class ClockSchema(Schema):
    code = fields.String()
    label = fields.String()
    source = fields.String()
    legal = fields.Boolean()
    due_on = fields.Date(allow_none=True)
    state = fields.String(metadata={"description": "waiting, running, met, late or overdue"})
    words = fields.String()


class ComplaintBaseSchema(Schema):
    ticket = fields.String()
    shop_code = fields.Function(lambda c: c.shop.code)
    shop_name = fields.Function(lambda c: c.shop.sign_name)
    kind = fields.String()
    category = fields.String()
    category_label = fields.String()
    status = fields.String()
    status_label = fields.String()
    submitted_on = fields.Date(allow_none=True)
    due_on = fields.Date(allow_none=True)
    closed_on = fields.Date(allow_none=True)
    resolution = fields.String(allow_none=True)
    merchant_answer = fields.String(allow_none=True)


class ComplaintTrackingSchema(ComplaintBaseSchema):
    """The complainant's own ticket (tracking key holder)."""

    code = fields.Function(lambda c: c.citizen_ticket, metadata={"type": "string"})
    sms_consent = fields.Boolean()
    description = fields.String()
    phone = fields.Function(lambda c: service.mask_phone(
        c.phone), allow_none=True)
    photos = fields.Function(lambda c: len(c.photos))
    supporters = fields.Integer()
    satisfaction = fields.Integer(allow_none=True)
    can_reopen = fields.Function(lambda c: service.can_reopen(c))
    can_rate = fields.Function(lambda c: c.status in CLOSED_STATUSES and c.satisfaction is None)
    events = fields.Function(lambda c: EventPublicSchema(many=True).dump([e for e in c.events if e.public]))


class ComplaintOwnerSchema(ComplaintBaseSchema):
    """The merchant's view: what happened and what to answer, nothing about who complained."""

    description = fields.Function(lambda c: mask_personal(
        c.description))
    forwarded_on = fields.Date(allow_none=True)
    merchant_due_on = fields.Date(allow_none=True)
    forward_note = fields.Function(
        lambda c: next((e.note for e in reversed(c.events) if e.action == "forward"), ""))
    notes = fields.Function(lambda c: [{"at": e.at.isoformat(timespec="seconds") + "Z", "note": e.note}
                                       for e in service.notes_for(c, "merchant")],
                            metadata={"description": "the desk's notes written for the merchant"})


class ComplaintStaffSchema(ComplaintBaseSchema):
    """Regulators: the whole case, with the complainant's phone and the numbers and e-mail
    addresses in the description partly masked (138****5678)."""

    id = fields.Integer()
    description = fields.Function(lambda c: mask_personal(c.description, partial=True),
                                  metadata={"type": "string"})
    legal_due_on = fields.Date(allow_none=True)
    accepted_on = fields.Date(allow_none=True)
    case_extended = fields.Boolean()
    clocks = fields.Function(lambda c: ClockSchema(many=True).dump(service.clocks(c)),
                             metadata={"description": "the service promise and the legal clocks, with sources"})
    named = fields.Boolean(metadata={"description": "real-name filing (name and phone given)"})
    sms_consent = fields.Boolean()
    forwarded_on = fields.Date(allow_none=True)
    merchant_due_on = fields.Date(allow_none=True)
    escalated = fields.Boolean()
    substantiated = fields.Boolean()
    substantiated_on = fields.Date(allow_none=True)
    assignee = fields.Function(lambda c: c.assignee.username if c.assignee else None, allow_none=True)
    street = fields.Function(lambda c: c.shop.street.name)
    duplicate_of = fields.Function(lambda c: c.duplicate_of.ticket if c.duplicate_of else None,
                                   allow_none=True)
    supporters = fields.Integer()
    satisfaction = fields.Integer(allow_none=True)
    reopen_count = fields.Integer()
    photos = fields.Function(lambda c: len(c.photos))
    phone = fields.Function(lambda c: service.mask_phone(c.phone), allow_none=True, metadata={"type": "string"})
    name = fields.Function(lambda c: service.mask_name(c.name), allow_none=True, metadata={"type": "string"})
    events = fields.Function(lambda c: EventStaffSchema(many=True).dump(c.events))


class ComplaintHandlerSchema(ComplaintStaffSchema):
    """The assigned handler (a regulator): the phone and the description as the complainant gave them."""

    description = fields.Function(lambda c: c.description or "", metadata={"type": "string"})
    phone = fields.String(allow_none=True)
    name = fields.String(allow_none=True)


class ComplaintSchema(UnionSchema, ComplaintStaffSchema, ComplaintOwnerSchema):
    """What the desk API documents: every field of the staff, handler and owner variants."""


class ComplaintCreatedSchema(Schema):
    ticket = fields.String(metadata={"description": "the desk's ticket (TS…)"})
    code = fields.String(metadata={"description": "the citizen's short ticket: 8 characters, any case"})
    key = fields.String(metadata={"description": "6 digits, shown once; keep it to follow the complaint"})
    tracking_key = fields.String(metadata={"description": "the same key (name kept for round-3 clients)"})
    kind = fields.String()
    tracking_url = fields.String()
    status = fields.String()
    due_on = fields.Date()


class ReviewPageSchema(Schema):
    average = fields.Float(allow_none=True, metadata={"description": "average stars of visible reviews"})
    count = fields.Integer()
    page = fields.Integer()
    items = fields.List(fields.Nested(ReviewPublicSchema))


class ComplaintPageSchema(Schema):
    items = fields.List(VariantNested(ComplaintSchema),
                        metadata={"description": "staff or handler variant; merchants get the owner variant"})
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
