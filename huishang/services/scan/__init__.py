"""One code, three faces: QR images (`qr`), printed plates (`plates`) and the role-aware scan
page's data, its caches and scan counts (`faces`).

Others use: the submodules `qr`, `plates`, `faces` and the names re-exported below."""
from . import faces, plates, qr
from .faces import (
    face_for,
    flush_scans,
    forget_shop,
    licence_state,
    load_current,
    manage_context,
    resolve,
    scan_stats,
    supervise_context,
)
from .qr import scan_url

__all__ = [
    "faces", "plates", "qr", "face_for", "flush_scans", "forget_shop", "licence_state", "load_current",
    "manage_context", "resolve", "scan_stats", "supervise_context", "scan_url",
]
