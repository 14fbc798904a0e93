"""The shared core every feature may use: the audit trail, anonymous clients, working days, uploads,
fonts, distances, in-app notifications, the district's clock, the one cache class and the one
CSV/XLSX writer. It imports no feature package.

Others use: `audit`, `clients`, `workdays`, `uploads`, `fonts`, `geo`, `notifications`, `cache`,
`tabular` and the names re-exported below (the clock's live in `huishang.localtime`, which models
may import too)."""
from huishang.localtime import day_start_utc, district_now, format_local, local_date, to_local

from . import audit, cache, clients, fonts, geo, notifications, tabular, uploads, workdays
from .cache import Limits, LruCache
from .fonts import pdf_font
from .geo import bounding_box, for_display, haversine_m
from .notifications import KINDS, mark_read, notify, unread_count
from .uploads import MAX_BYTES, read_image, store_image

__all__ = [
    "audit", "cache", "clients", "fonts", "geo", "notifications", "tabular", "uploads", "workdays",
    "day_start_utc", "district_now", "format_local", "local_date", "to_local", "Limits", "LruCache",
    "pdf_font", "bounding_box", "for_display", "haversine_m", "KINDS", "mark_read", "notify",
    "unread_count", "MAX_BYTES", "read_image", "store_image",
]
