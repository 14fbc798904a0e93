"""The role-aware scan (多码合一): which face a code shows to whom, plus scan statistics.

`routing` resolves a code and picks the face, `contexts` says what the signed-in faces show,
`counts` buffers and writes scan counts, `cache` keeps rendered citizen faces, `published` stores
each shop's citizen face for the day, rendered ahead (the submodule `faces.published`).

Others use the names re-exported below (`faces.resolve`, `faces.citizen_pages`, ...)."""
from . import published
from .cache import CACHES, citizen_pages, forget_shop, revalidate_cached
from .contexts import licence_state, manage_context, open_rectifications, supervise_context
from .counts import ScanBuffer, buffer, count_scan, flush_at_exit, flush_scans, flusher, scan_stats
from .routing import (
    FACE_LABELS,
    FACES,
    Resolution,
    face_for,
    load_current,
    load_shop,
    load_shops,
    resolve,
    version_of,
)

__all__ = [
    "CACHES", "FACES", "FACE_LABELS", "Resolution", "ScanBuffer",
    "buffer", "citizen_pages", "count_scan", "face_for", "flush_at_exit", "flush_scans", "flusher", "forget_shop",
    "licence_state", "load_current", "load_shop", "load_shops", "manage_context", "open_rectifications", "published",
    "resolve", "revalidate_cached", "scan_stats", "supervise_context", "version_of",
]
