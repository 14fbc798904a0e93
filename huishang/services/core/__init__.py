"""The shared core every feature may use: the audit trail, anonymous clients, working days, uploads,
fonts, distances, in-app notifications and the shape of field checks (`fields`). It imports no
feature package.

Others use: `audit`, `clients`, `fields`, `workdays`, `uploads`, `fonts`, `geo`, `notifications` and
the names re-exported below."""
from . import audit, clients, fields, fonts, geo, notifications, uploads, workdays
from .fields import (
    NOTHING,
    REQUIRED,
    Field,
    Invalid,
    Report,
    blank,
    clean_text,
    day,
    not_after_today,
    number,
    report_into,
    text,
    text_field,
    yes_no,
)
from .fonts import pdf_font
from .geo import bounding_box, for_display, haversine_m
from .notifications import KINDS, mark_read, notify, unread_count
from .uploads import MAX_BYTES, read_image, store_image

__all__ = [
    "audit", "clients", "fields", "fonts", "geo", "notifications", "uploads", "workdays",
    "pdf_font", "bounding_box", "for_display", "haversine_m", "KINDS", "mark_read", "notify",
    "unread_count", "MAX_BYTES", "read_image", "store_image",
    "NOTHING", "REQUIRED", "Field", "Invalid", "Report", "blank", "clean_text", "day",
    "not_after_today", "number", "report_into", "text", "text_field", "yes_no",
]
