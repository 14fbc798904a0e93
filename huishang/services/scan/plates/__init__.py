"""Plates (铭牌): print-ready PNG (300 dpi) and vector PDF, batch PDFs, caching, reissue.

`layout` says what a plate shows and where, `render` draws it with two backends, `batch` renders
many into one PDF, `artefacts` serves a shop's images from a cache keyed by their ETag, `reissue`
replaces a plate's code.

Others use the names re-exported below (`plates.artefact`, `plates.reissue`, ...)."""
from .artefacts import RENDERERS, ImageCache, artefact, artefact_data, cache, etag
from .batch import CHUNK, render_batch
from .layout import (
    BRAND_RED,
    DPI,
    FOOTER,
    HEIGHT_MM,
    HINT,
    INK,
    MUTED,
    RENDER_VERSION,
    RESULT_HINT,
    WIDTH_MM,
    PlateData,
    layout,
    plate_data,
)
from .reissue import REASON_MAX, history, reissue
from .render import draw_pdf_page, render_pdf, render_png

__all__ = [
    "BRAND_RED", "CHUNK", "DPI", "FOOTER", "HEIGHT_MM", "HINT", "RESULT_HINT", "INK", "MUTED", "REASON_MAX",
    "RENDERERS", "RENDER_VERSION", "WIDTH_MM", "ImageCache", "PlateData", "artefact", "artefact_data", "cache",
    "draw_pdf_page", "etag", "history", "layout", "plate_data", "reissue", "render_batch", "render_pdf",
    "render_png",
]
