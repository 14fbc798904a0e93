"""Integration endpoints: thin views over services/citysync.py."""

from flask import g

from huishang.services.integration import apikeys, citysync, opendata

from ..extensions import db
from ..handling import commit
from ..models import Shop
from ..schemas.integration import (
    ChangesPageSchema,
    ChangesQuerySchema,
    InspectionPushSchema,
    InspectionRecordSchema,
    PenaltyPushSchema,
    PenaltyRecordSchema,
)
from . import SECURITY, blp

ERRORS = {
    401: "missing, unknown or revoked key",
    403: "the key lacks the scope",
    404: "unknown shop_code",
    409: "external_id already used with different content",
}


def _document(view):
    for status, text in ERRORS.items():
        view = blp.alt_response(status, description=text, success=False)(view)
    return view


def _code(record) -> str:
    return db.session.get(Shop, record.shop_id).code


@blp.route("/inspections", methods=["POST"])
@blp.doc(security=SECURITY)
@blp.arguments(InspectionPushSchema)
@blp.response(201, InspectionRecordSchema, description="stored")
@blp.alt_response(200, schema=InspectionRecordSchema, description="already stored with the same content")
@_document
def push_inspection(data):
    """Push an inspection (scope `inspections:write`). Idempotent by `external_id`."""
    inspection, created = citysync.push_inspection(data, actor=apikeys.actor_for(g.api_key))
    body = citysync.inspection_change(inspection, _code(inspection))  # before commit expires the objects
    commit()
    return body, 201 if created else 200


@blp.route("/penalties", methods=["POST"])
@blp.doc(security=SECURITY)
@blp.arguments(PenaltyPushSchema)
@blp.response(201, PenaltyRecordSchema, description="stored")
@blp.alt_response(200, schema=PenaltyRecordSchema, description="already stored with the same content")
@_document
def push_penalty(data):
    """Push a penalty decision (scope `penalties:write`). Idempotent by `external_id`."""
    penalty, created = citysync.push_penalty(data, actor=apikeys.actor_for(g.api_key))
    commit()
    return penalty, 201 if created else 200


@blp.route("/changes")
@blp.doc(security=SECURITY)
@blp.arguments(ChangesQuerySchema, location="query")
@blp.response(200, ChangesPageSchema)
@blp.alt_response(400, description="no since and no cursor, or a cursor not issued here", success=False)
@_document
def list_changes(args):
    """Registry and inspection changes since a time (scope `registry:read`), oldest first.
    Pass `next_cursor` back as `cursor` until `has_more` is false."""
    since = args.get("since")
    since = opendata.naive_utc(since)
    return citysync.changes(since, args.get("cursor"), args["limit"])
