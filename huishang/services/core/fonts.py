"""The CJK font the project ships (WenQuanYi Micro Hei, Apache-2.0; see static/fonts/).

A fresh machine has no CJK font; Pillow and reportlab would draw empty boxes. Everything that
draws Chinese (plates, result sheets, plan PDFs) takes its font from here.
"""
from functools import lru_cache
from pathlib import Path

FONT_PATH = Path(__file__).resolve().parents[2] / "static" / "fonts" / "wqy-microhei.ttc"
PDF_FONT = "WQYMicroHei"


@lru_cache(maxsize=32)
def pil_font(size: int):
    """A Pillow font of `size` pixels."""
    from PIL import ImageFont

    return ImageFont.truetype(str(FONT_PATH), size=size, index=0)


@lru_cache(maxsize=1)
def pdf_font() -> str:
    """Register the font with reportlab once; returns its name for setFont()."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(PDF_FONT, str(FONT_PATH), subfontIndex=0))
    return PDF_FONT
