"""QR codes for plates: the symbol that encodes `{PUBLIC_BASE_URL}/s/{code}`.

Error correction level Q (about 25 % of the symbol may be lost: plates get dirty and scratched)
and the standard 4-module quiet zone. The module matrix is computed once per URL (LRU) and then
drawn as PNG, SVG, or as rectangles on a PDF page by the plate renderer.
"""
from __future__ import annotations

import io
from functools import lru_cache

QUIET_ZONE = 4  # modules, as ISO/IEC 18004 requires


def scan_url(code: str, base_url: str | None = None) -> str:
    """The URL a plate's QR encodes. `base_url` defaults to the app's PUBLIC_BASE_URL."""
    if base_url is None:
        from flask import current_app

        base_url = current_app.config["PUBLIC_BASE_URL"]
    return f"{base_url.rstrip('/')}/s/{code}"


@lru_cache(maxsize=4096)
def matrix(data: str) -> tuple[tuple[bool, ...], ...]:
    """The module matrix of `data` at level Q, WITHOUT quiet zone (row-major, True = dark)."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_Q

    symbol = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=0, box_size=1)
    symbol.add_data(data)
    symbol.make(fit=True)
    return tuple(tuple(bool(cell) for cell in row) for row in symbol.get_matrix())


def runs(data: str) -> list[tuple[int, int, int]]:
    """Dark runs per row as (row, first column, length): one rectangle per run, not per module,
    which keeps vector output small and fast to draw."""
    out = []
    for y, row in enumerate(matrix(data)):
        x, width = 0, len(row)
        while x < width:
            if row[x]:
                start = x
                while x < width and row[x]:
                    x += 1
                out.append((y, start, x - start))
            else:
                x += 1
    return out


def image(data: str, scale: int = 10):
    """A Pillow 1-bit image of the symbol with its quiet zone, `scale` pixels per module."""
    from PIL import Image

    rows = matrix(data)
    size = len(rows) + 2 * QUIET_ZONE
    img = Image.new("1", (size, size), 1)
    pixels = img.load()
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            if dark:
                pixels[x + QUIET_ZONE, y + QUIET_ZONE] = 0
    if scale > 1:
        img = img.resize((size * scale, size * scale), Image.NEAREST)
    return img


def png(data: str, scale: int = 10) -> bytes:
    buffer = io.BytesIO()
    image(data, scale).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def svg(data: str, module_px: int = 10) -> str:
    """A standalone SVG: one path of dark runs on a white square including the quiet zone."""
    size = len(matrix(data)) + 2 * QUIET_ZONE
    path = "".join(f"M{x + QUIET_ZONE} {y + QUIET_ZONE}h{n}v1h-{n}z" for y, x, n in runs(data))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
            f'width="{size * module_px}" height="{size * module_px}" shape-rendering="crispEdges">'
            f'<rect width="{size}" height="{size}" fill="#fff"/>'
            f'<path d="{path}" fill="#000"/></svg>')
