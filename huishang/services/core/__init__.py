"""The shared core every feature may use: the audit trail, anonymous clients, working days, uploads,
fonts, distances, in-app notifications, the shape of field checks (`fields`), the district's clock,
the one cache class and the one CSV/XLSX writer. It imports no feature package.

Others use: `audit`, `calendar_file` (the working-day calendar from a file), `clients`, `fields`,
`workdays`, `uploads`, `fonts`, `geo`, `notifications`, `cache`, `tabular` and the names re-exported
below (the clock's live in `huishang.localtime`, which models may import too)."""
from huishang.localtime import day_start_utc, district_now, format_local, local_date, to_local

from . import audit, cache, calendar_file, clients, fields, fonts, geo, notifications, tabular, uploads, workdays
from .cache import Limits, LruCache
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
    "audit", "cache", "calendar_file", "clients", "fields", "fonts", "geo", "notifications", "tabular", "uploads",
    "workdays",
    "day_start_utc", "district_now", "format_local", "local_date", "to_local", "Limits", "LruCache",
    "pdf_font", "bounding_box", "for_display", "haversine_m", "KINDS", "mark_read", "notify",
    "unread_count", "MAX_BYTES", "read_image", "store_image",
    "NOTHING", "REQUIRED", "Field", "Invalid", "Report", "blank", "clean_text", "day",
    "not_after_today", "number", "report_into", "text", "text_field", "yes_no",
]
