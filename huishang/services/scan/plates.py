"""Plates (铭牌): print-ready PNG (300 dpi) and vector PDF, batch PDFs, caching, reissue.

One layout (in millimetres, from the top-left corner) is drawn by two backends: Pillow for the
PNG and reportlab for the PDF, where the QR is drawn as rectangles and Chinese text uses the
embedded font the project ships (services/fonts.py), so a fresh machine prints no empty boxes.

What a plate shows is `PlateData`; its ETag is a hash of exactly those fields, so images are
regenerated only when something drawn changes (a cache keyed by the ETag holds the bytes).
"""
from __future__ import annotations

import hashlib
import io
import threading
from collections import OrderedDict
from dataclasses import astuple, dataclass
from datetime import date

from sqlalchemy import select

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import PlateCode, Shop, utcnow
from huishang.models.inspections import OUTCOME_FACES
from huishang.services import Conflict, DomainError
from huishang.services.core import audit, fonts
from huishang.services.registry import clean_text, codes, new_code

from . import qr

RENDER_VERSION = "3"  # bump when the layout changes: every ETag changes with it
WIDTH_MM, HEIGHT_MM = 100.0, 140.0
DPI = 300
HINT = "扫码查看商户信息 · 评价 · 投诉"
FOOTER = "投诉举报电话 12315"
BRAND_RED = (179, 38, 30)
INK = (28, 36, 48)
MUTED = (91, 102, 117)
FACE_COLOURS = {"pass": (30, 123, 52), "partial": (161, 92, 0), "fail": (179, 38, 30)}
REASON_MAX = 300


@dataclass(frozen=True)
class PlateData:
    """Everything a plate draws, and nothing else."""

    code: str
    plate_version: int
    sign_name: str
    address: str
    district: str
    base_url: str
    latest_outcome: str | None
    latest_inspected_on: date | None

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
                     config.get("DISTRICT_NAME", "徐汇区"), config["PUBLIC_BASE_URL"],
                     shop.latest_outcome if shop.latest_inspected_on else None, shop.latest_inspected_on)


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
    rgb), ("qr", x, y, side, url), ("face", cx, cy, r, outcome)."""
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
    if data.latest_outcome in OUTCOME_FACES and data.latest_inspected_on:
        label = OUTCOME_FACES[data.latest_outcome][0]
        ops.append(("face", 17, 131.5, 5, data.latest_outcome))
        ops.append(("text", 58, 130.6, 4.2, f"最近检查：{label}", FACE_COLOURS[data.latest_outcome]))
        ops.append(("text", 58, 135.8, 3.2, f"{data.latest_inspected_on.isoformat()} · {FOOTER}", MUTED))
    else:
        ops.append(("text", 50, 133, 3.4, FOOTER, MUTED))
    return ops


# -- PNG backend -----------------------------------------------------------------------------

def _px(mm: float) -> int:
    return round(mm / 25.4 * DPI)


def _draw_face_png(draw, cx, cy, r, outcome):
    colour = FACE_COLOURS[outcome]
    w = max(2, _px(r * 0.16))
    draw.ellipse([_px(cx - r), _px(cy - r), _px(cx + r), _px(cy + r)], outline=colour, width=w)
    for ex in (cx - r * 0.36, cx + r * 0.36):
        e = r * 0.12
        draw.ellipse([_px(ex - e), _px(cy - r * 0.3 - e), _px(ex + e), _px(cy - r * 0.3 + e)], fill=colour)
    box = [_px(cx - r * 0.5), _px(cy - r * 0.1), _px(cx + r * 0.5), _px(cy + r * 0.6)]
    if outcome == "pass":
        draw.arc(box, 20, 160, fill=colour, width=w)
    elif outcome == "fail":
        box = [_px(cx - r * 0.5), _px(cy + r * 0.25), _px(cx + r * 0.5), _px(cy + r * 0.95)]
        draw.arc(box, 200, 340, fill=colour, width=w)
    else:
        draw.line([_px(cx - r * 0.45), _px(cy + r * 0.38), _px(cx + r * 0.45), _px(cy + r * 0.38)],
                  fill=colour, width=w)


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
        elif kind == "face":
            _draw_face_png(draw, *op[1:])
    out = io.BytesIO()
    img.save(out, format="PNG", dpi=(DPI, DPI), compress_level=6)
    return out.getvalue()


# -- PDF backend -----------------------------------------------------------------------------

def _draw_face_pdf(c, cx, cy, r, outcome, y):
    from reportlab.lib.units import mm

    c.setStrokeColorRGB(*(v / 255 for v in FACE_COLOURS[outcome]))
    c.setFillColorRGB(*(v / 255 for v in FACE_COLOURS[outcome]))
    c.setLineWidth(r * 0.16 * mm)
    c.setLineCap(1)
    c.circle(cx * mm, y(cy), r * mm, stroke=1, fill=0)
    for ex in (cx - r * 0.36, cx + r * 0.36):
        c.circle(ex * mm, y(cy - r * 0.3), r * 0.12 * mm, stroke=0, fill=1)
    if outcome == "pass":
        c.arc((cx - r * 0.5) * mm, y(cy + r * 0.6), (cx + r * 0.5) * mm, y(cy - r * 0.1), 200, 140)
    elif outcome == "fail":
        c.arc((cx - r * 0.5) * mm, y(cy + r * 0.95), (cx + r * 0.5) * mm, y(cy + r * 0.25), 20, 140)
    else:
        c.line((cx - r * 0.45) * mm, y(cy + r * 0.38), (cx + r * 0.45) * mm, y(cy + r * 0.38))


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
        elif kind == "face":
            _draw_face_pdf(c, *op[1:], y)


def render_pdf(plates: list[PlateData]) -> bytes:
    """A PDF with one 100 × 140 mm page per plate."""
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    out = io.BytesIO()
    c = Canvas(out, pagesize=(WIDTH_MM * mm, HEIGHT_MM * mm), pageCompression=1)
    c.setTitle("汇商码铭牌")
    c.setCreator("huishang")
    for data in plates:
        draw_pdf_page(c, data)
        c.showPage()
    c.save()
    return out.getvalue()


# -- cache -----------------------------------------------------------------------------------

class ImageCache:
    """Rendered bytes by ETag: Redis when REDIS_URL is set (shared by every process), else an
    in-process LRU. An ETag changes whenever what is drawn changes, so entries never go stale."""

    def __init__(self, size: int = 256):
        self.size = size
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._redis = None
        self._redis_url = None

    def _redis_client(self, url):
        if url != self._redis_url:
            import redis

            self._redis, self._redis_url = redis.Redis.from_url(url), url
        return self._redis

    def get_or_render(self, key: str, render, redis_url: str | None = None) -> bytes:
        if redis_url:
            client = self._redis_client(redis_url)
            try:
                cached = client.get(f"hs:plate:{key}")
                if cached is not None:
                    return cached
                value = render()
                client.set(f"hs:plate:{key}", value, ex=7 * 86400)
                return value
            except Exception:  # noqa: BLE001 — Redis down: render, never fail the request
                return render()
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = render()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


cache = ImageCache()
RENDERERS = {
    "qr.png": (lambda d: qr.png(d.url), "image/png"),
    "qr.svg": (lambda d: qr.svg(d.url).encode(), "image/svg+xml"),
    "plate.png": (render_png, "image/png"),
    "plate.pdf": (lambda d: render_pdf([d]), "application/pdf"),
}


def artefact_data(shop: Shop, kind: str) -> PlateData:
    data = plate_data(shop)
    if kind.startswith("qr."):  # the bare QR shows only the URL
        data = PlateData(data.code, 0, "", "", "", data.base_url, None, None)
    return data


def etag(shop: Shop, kind: str) -> str:
    """The ETag of `kind` for `shop`: cheap (no rendering), changes iff the drawing changes."""
    return artefact_data(shop, kind).etag(kind)


def artefact(shop: Shop, kind: str) -> tuple[bytes, str, str]:
    """(bytes, mimetype, etag) of `kind` (qr.png | qr.svg | plate.png | plate.pdf) for `shop`,
    rendered only when the cache does not hold this ETag yet."""
    from flask import current_app

    data = artefact_data(shop, kind)
    render, mimetype = RENDERERS[kind]
    tag = data.etag(kind)
    body = cache.get_or_render(tag, lambda: render(data), current_app.config.get("REDIS_URL"))
    return body, mimetype, tag


# -- reissue ---------------------------------------------------------------------------------

def reissue(shop: Shop, reason: str, *, actor=None) -> Shop:
    """补发铭牌: mint a new code, mark the old one replaced (with reason and time), bump the
    plate version. Raises DomainError when the reason is missing or too long, Conflict for a
    closed shop. Flushes; the caller commits."""
    reason = clean_text(reason)
    if not reason:
        raise DomainError(N_("请填写补发原因"), {"reason": [N_("必填项不能为空")]})
    if len(reason) > REASON_MAX:
        raise DomainError(N_("补发原因过长"), {"reason": [N_("不能超过%(max)s个字符", max=REASON_MAX)]})
    if shop.status == "closed":
        raise Conflict(N_("商铺已注销，不能补发铭牌"), {"status": [N_("商铺已注销")]})
    old_code, now = shop.code, utcnow()
    current = db.session.scalar(select(PlateCode).where(PlateCode.code == old_code))
    if current is None:  # a shop registered before codes were tracked
        current = PlateCode(code=old_code, shop_id=shop.id, issued_at=shop.created_at)
        db.session.add(current)
    current.replaced_at, current.replaced_reason = now, reason
    shop.code = new_code()
    shop.plate_version = (shop.plate_version or 1) + 1
    db.session.add(PlateCode(code=shop.code, shop_id=shop.id, issued_at=now))
    db.session.flush()
    audit.record("plate.reissue", shop, actor=actor,
                 before={"code": old_code, "plate_version": shop.plate_version - 1},
                 after={"code": shop.code, "plate_version": shop.plate_version, "reason": reason})
    return shop


def history(shop: Shop) -> list[PlateCode]:
    """Every code the shop's plate has carried, newest first."""
    return list(db.session.scalars(select(PlateCode).where(PlateCode.shop_id == shop.id)
                                   .order_by(PlateCode.issued_at.desc(), PlateCode.id.desc())))


# -- batch -----------------------------------------------------------------------------------

CHUNK = 250


def _render_chunk(chunk: list[PlateData]) -> bytes:
    return render_pdf(chunk)


def _warm_worker() -> None:
    fonts.pdf_font()


def render_batch(plates: list[PlateData], out, *, workers: int | None = None, progress=None) -> int:
    """Render `plates` into one PDF written to the binary file `out`, one page per plate.

    Chunks are drawn in worker processes (one per core by default) and merged with pypdf in
    order. `progress(n)` is called with the number of plates finished after each chunk.
    Returns the page count.
    """
    import multiprocessing
    import os

    from pypdf import PdfWriter

    chunks = [plates[i:i + CHUNK] for i in range(0, len(plates), CHUNK)]
    workers = max(1, min(workers or os.cpu_count() or 1, len(chunks) or 1))
    writer = PdfWriter()
    fonts.pdf_font()  # parse the font once; forked workers inherit it

    def merge(pdf_bytes: bytes, n: int) -> None:
        from pypdf import PdfReader

        writer.append(PdfReader(io.BytesIO(pdf_bytes)))
        if progress:
            progress(n)

    if workers == 1 or len(chunks) <= 1:
        for chunk in chunks:
            merge(_render_chunk(chunk), len(chunk))
    else:
        context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
        with context.Pool(workers, initializer=_warm_worker) as pool:
            for chunk, pdf_bytes in zip(chunks, pool.imap(_render_chunk, chunks), strict=True):
                merge(pdf_bytes, len(chunk))
    writer.add_metadata({"/Title": "汇商码铭牌", "/Creator": "huishang"})
    writer.write(out)
    return len(writer.pages)
