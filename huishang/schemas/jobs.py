"""A background job as its owner sees it at the status URL (GET /api/v1/jobs/<id>)."""
from marshmallow import Schema, fields, validate

from .base import Text, UtcDateTime

JOB_STATUSES = ("queued", "running", "done", "failed")


class JobSchema(Schema):
    id = fields.String(metadata={"description": "The job's id: a random token"})
    kind = fields.String(metadata={"description": "registry.export, registry.import, inspections.import, plates, "
                                                  "plan.generate or opendata.export"})
    kind_label = Text(metadata={"description": "What the job does, in words"})
    status = fields.String(validate=validate.OneOf(JOB_STATUSES))
    done = fields.Integer(metadata={"description": "Rows (or plates) done so far"})
    total = fields.Integer(allow_none=True, metadata={"description": "Rows in all, once known"})
    message = fields.String(metadata={"description": "Where the job stands, or why it failed, in words"})
    report = fields.List(fields.String(), metadata={"description": "Problems found (an import's bad rows)"})
    file_name = fields.String(allow_none=True, metadata={"description": "The result file, once ready"})
    file_url = fields.String(allow_none=True, metadata={"description": "Download (owner and district regulators)"})
    status_url = fields.String()
    page_url = fields.String()
    created_at = UtcDateTime()
    finished_at = UtcDateTime(allow_none=True)


class JobStartSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(
        ("registry.export", "plates", "plan.generate", "opendata.export")))
    fmt = fields.String(load_default="csv", validate=validate.OneOf(("csv", "xlsx")),
                        metadata={"description": "registry.export: csv or xlsx"})
    street = fields.String(load_default=None, validate=validate.Length(max=100),
                           metadata={"description": "registry.export, plates, plan.generate: street name or code "
                                                    "(default: all streets in your scope)"})
    days = fields.Integer(load_default=30, validate=validate.Range(0, 366),
                          metadata={"description": "plan.generate: the list's horizon in days"})
    include_closed = fields.Boolean(load_default=False, metadata={"description": "plates: closed shops too"})
