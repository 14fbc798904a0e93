"""What a plate shows and where: `PlateData` (everything drawn, and its ETag, a hash of exactly
those fields) and one layout in millimetres, from the top-left corner, that both backends draw.

A plate carries only what does not go stale — the district, the shop's sign and address, its code
and the invitation to scan. The grade and the latest inspection result change with every
inspection, so they are on the scan page with their date, never printed (a printed face would
show a result the next inspection has already replaced)."""
from __future__ import annotations

import hashlib
from dataclasses import astuple, dataclass

from huishang.models import Shop
from huishang.services.core import fonts
from huishang.services.registry import codes

from .. import qr

RENDER_VERSION = "4"  # bump when the layout changes: every ETag changes with it
WIDTH_MM, HEIGHT_MM = 100.0, 140.0
DPI = 300
HINT = "扫码查看商户信息 · 评价 · 投诉"
RESULT_HINT = "最新检查结果与等级以扫码页面为准"
FOOTER = "投诉举报电话 12315"
BRAND_RED = (179, 38, 30)
INK = (28, 36, 48)
MUTED = (91, 102, 117)


@dataclass(frozen=True)
class PlateData:
    """Everything a plate draws, and nothing else."""

    code: str
    plate_version: int
    sign_name: str
    address: str
    district: str
    base_url: str

    @property
    def url(self) -> str:
        return qr.scan_url(self.code, self.base_url)

    def etag(self, kind: str = "plate") -> str:
        parts = (RENDER_VERSION, kind) + tuple("" if v is None else str(v) for v in astuple(self))
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def plate_data(shop: Shop, config=None) -> PlateData:
    if config is None:
        from flask import current_app

        config = current_app.config
    return PlateData(shop.code, shop.plate_version or 1, shop.sign_name, shop.address,
                     config.get("DISTRICT_NAME", "徐汇区"), config["PUBLIC_BASE_URL"])

# -- layout --------------------------------------------------------------------------------

def _width(text: str, size_mm: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(text, fonts.pdf_font(), size_mm)


def _fit(text: str, max_mm: float, size: float, min_size: float) -> tuple[str, float]:
    """Shrink to fit, then cut with an ellipsis at the smallest size."""
    while size > min_size and _width(text, size) > max_mm:
        size -= 0.25
    if _width(text, size) > max_mm:
        while text and _width(text + "…", size) > max_mm:
            text = text[:-1]
        text += "…"
    return text, size


def _wrap(text: str, max_mm: float, size: float, lines: int) -> list[str]:
    """Break `text` into at most `lines` lines; the last one ends in an ellipsis if cut."""
    out, line = [], ""
    for i, ch in enumerate(text):
        if _width(line + ch, size) <= max_mm:
            line += ch
            continue
        out.append(line)
        line = ch
        if len(out) == lines - 1:
            rest = text[i:]
            return out + [_fit(rest, max_mm, size, size)[0]]
    return out + [line] if line else out


def layout(data: PlateData) -> list[tuple]:
    """Drawing operations in mm: ("rect", x, y, w, h, rgb), ("text", cx, baseline_y, size, text,
    rgb), ("qr", x, y, side, url)."""
    ops: list[tuple] = [("rect", 0, 0, WIDTH_MM, 20, BRAND_RED),
                        ("text", 50, 13.2, 7.5, f"{data.district} · 汇商码", (255, 255, 255))]
    name, size = _fit(data.sign_name, 90, 9, 5)
    ops.append(("text", 50, 32, size, name, INK))
    for i, line in enumerate(_wrap(data.address, 88, 3.8, 2)):
        ops.append(("text", 50, 39 + i * 4.8, 3.8, line, MUTED))
    ops.append(("qr", 20, 47, 60, data.url))
    ops.append(("text", 50, 113, 6.2, codes.display(data.code), INK))
    ops.append(("text", 50, 120.5, 4.1, HINT, INK))
    ops.append(("rect", 5, 124, 90, 0.3, (221, 225, 230)))
    ops.append(("text", 50, 130.4, 3.4, RESULT_HINT, MUTED))
    ops.append(("text", 50, 135.6, 3.4, FOOTER, MUTED))
    return ops
