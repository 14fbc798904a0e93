"""The plate drawn by two backends: Pillow for the PNG (300 dpi) and reportlab for the PDF, where
the QR is drawn as rectangles and Chinese text uses the embedded font the project ships
(services/fonts.py), so a fresh machine prints no empty boxes."""
from __future__ import annotations

import io

from huishang.services.core import fonts

from .. import qr
from .layout import DPI, HEIGHT_MM, WIDTH_MM, PlateData, layout

# -- PNG backend -----------------------------------------------------------------------------

def _px(mm: float) -> int:
    return round(mm / 25.4 * DPI)


def render_png(data: PlateData) -> bytes:
    """The plate as a 300 dpi PNG (100 × 140 mm → 1181 × 1654 px)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (_px(WIDTH_MM), _px(HEIGHT_MM)), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    for op in layout(data):
        kind = op[0]
        if kind == "rect":
            _, x, y, w, h, rgb = op
            draw.rectangle([_px(x), _px(y), _px(x + w) - 1, max(_px(y), _px(y + h) - 1)], fill=rgb)
        elif kind == "text":
            _, cx, baseline, size, text, rgb = op
            draw.text((_px(cx), _px(baseline)), text, font=fonts.pil_font(_px(size)), fill=rgb, anchor="ms")
        elif kind == "qr":
            _, x, y, side, url = op
            symbol = qr.image(url, scale=1)
            scale = max(1, _px(side) // symbol.width)  # whole pixels per module: crisp edges
            symbol = symbol.resize((symbol.width * scale,) * 2, Image.NEAREST)
            offset = (_px(x) + (_px(side) - symbol.width) // 2, _px(y) + (_px(side) - symbol.width) // 2)
            img.paste(symbol.convert("RGB"), offset)
    out = io.BytesIO()
    img.save(out, format="PNG", dpi=(DPI, DPI), compress_level=6)
    return out.getvalue()


# -- PDF backend -----------------------------------------------------------------------------

def _draw_qr_pdf(c, url: str, left: float, top: float, side: float) -> None:
    """The symbol as filled rectangles, one per dark run, in whole-module coordinates (a
    transform maps modules to points), so adjacent runs meet exactly and the stream stays small."""
    q = qr.QUIET_ZONE
    m = side / (len(qr.matrix(url)) + 2 * q)
    c.saveState()
    c.transform(m, 0, 0, -m, left, top)  # origin at the symbol's top-left, y downwards
    c.setFillColorRGB(0, 0, 0)
    c.addLiteral(" ".join(f"{col + q} {row + q} {n} 1 re" for row, col, n in qr.runs(url)) + " f")
    c.restoreState()


def draw_pdf_page(c, data: PlateData) -> None:
    """Draw one plate on the current page of reportlab canvas `c` (page size 100 × 140 mm)."""
    from reportlab.lib.units import mm

    font = fonts.pdf_font()

    def y(v):  # layout measures from the top, PDF from the bottom
        return (HEIGHT_MM - v) * mm

    for op in layout(data):
        kind = op[0]
        if kind == "rect":
            _, x, top, w, h, rgb = op
            c.setFillColorRGB(*(v / 255 for v in rgb))
            c.rect(x * mm, y(top + h), w * mm, h * mm, stroke=0, fill=1)
        elif kind == "text":
            _, cx, baseline, size, text, rgb = op
            c.setFillColorRGB(*(v / 255 for v in rgb))
            c.setFont(font, size * mm)
            c.drawCentredString(cx * mm, y(baseline), text)
        elif kind == "qr":
            _, x, top, side, url = op
            _draw_qr_pdf(c, url, x * mm, y(top), side * mm)


def render_pdf(plates: list[PlateData]) -> bytes:
    """A PDF with one 100 × 140 mm page per plate."""
    from reportlab import rl_config
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    out = io.BytesIO()
    # Binary (Flate-only) streams: reportlab's default ASCII85 layer is pure Python here (~1 ms a
    # plate) and makes the file 25 % larger; every PDF reader takes binary streams.
    a85, rl_config.useA85 = rl_config.useA85, 0
    try:
        c = Canvas(out, pagesize=(WIDTH_MM * mm, HEIGHT_MM * mm), pageCompression=1)
        c.setTitle("汇商码铭牌")
        c.setCreator("huishang")
        for data in plates:
            draw_pdf_page(c, data)
            c.showPage()
        c.save()
    finally:
        rl_config.useA85 = a85
    return out.getvalue()
