"""QR codes for plates: the symbol that encodes `{PUBLIC_BASE_URL}/s/{code}`.

Error correction level Q (about 25 % of the symbol may be lost: plates get dirty and scratched)
and the standard 4-module quiet zone. The module matrix is computed once per URL (LRU) and then
drawn as PNG, SVG, or as rectangles on a PDF page by the plate renderer.
"""
from __future__ import annotations

import io
import re
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
    """The module matrix of `data` at level Q, WITHOUT quiet zone (row-major, True = dark).

    The symbol is exactly qrcode's (same version, same mask): only the mask choice is computed
    faster (`_FastMaskQR`)."""
    from qrcode.constants import ERROR_CORRECT_Q

    symbol = _fast_qr_class()(error_correction=ERROR_CORRECT_Q, border=0, box_size=1)
    symbol.add_data(data)
    symbol.make(fit=True)
    return tuple(tuple(bool(cell) for cell in row) for row in symbol.get_matrix())


# -- mask selection ------------------------------------------------------------------------
# qrcode picks the mask (ISO/IEC 18004 § 7.8.3) by building the whole symbol eight times and
# scoring each with a pure-Python penalty (`util.lost_point`): about 80 % of a plate's CPU time.
# The eight candidates differ only in the data modules, so below the symbol is built once, the
# candidates are derived with integer XORs (one int per row) and scored with the same four
# penalty rules over bit strings. The scores equal `util.lost_point`'s (tests/scan/test_qr.py
# checks the chosen mask and the matrix against plain qrcode), so the output is unchanged.

_LEVEL1 = re.compile(r"0{5,}|1{5,}")
_LEVEL3 = re.compile(r"(?=10111010000|00001011101)")


@lru_cache(maxsize=64)
def _layout(count: int, version: int) -> tuple[tuple[int, ...], tuple[tuple[int, ...], ...]]:
    """Per row: the data modules as an int, and the eight mask patterns restricted to them
    (bit `count - 1 - col` is column `col`)."""
    from qrcode import util
    from qrcode.main import QRCode

    probe = QRCode(version=version, border=0)
    probe.modules_count = count
    probe.modules = [[None] * count for _ in range(count)]
    probe.setup_position_probe_pattern(0, 0)
    probe.setup_position_probe_pattern(count - 7, 0)
    probe.setup_position_probe_pattern(0, count - 7)
    probe.setup_position_adjust_pattern()
    probe.setup_timing_pattern()
    probe.setup_type_info(True, 0)
    if version >= 7:
        probe.setup_type_number(True)
    data_rows = tuple(sum(1 << (count - 1 - c) for c in range(count) if probe.modules[r][c] is None)
                      for r in range(count))
    masks = []
    for pattern in range(8):
        func = util.mask_func(pattern)
        masks.append(tuple(sum(1 << (count - 1 - c) for c in range(count) if func(r, c)) & data_rows[r]
                           for r in range(count)))
    return data_rows, tuple(masks)


def _penalty(rows: list[int], count: int) -> int:
    """`qrcode.util.lost_point` of the symbol whose rows are the ints `rows`."""
    lines = [format(row, f"0{count}b") for row in rows]
    lines += ["".join(column) for column in zip(*lines, strict=True)]
    text = "2".join(lines)  # "2" ends a run and breaks every pattern: one search for all lines
    points = sum(len(run) - 2 for run in _LEVEL1.findall(text)) + 40 * len(_LEVEL3.findall(text))
    inner = (1 << (count - 1)) - 1
    for top, bottom in zip(rows, rows[1:], strict=False):
        same = ~(top ^ bottom)
        points += 3 * (same & (same >> 1) & ~(top ^ (top >> 1)) & inner).bit_count()
    percent = float(sum(row.bit_count() for row in rows)) / (count ** 2)
    return points + int(abs(percent * 100 - 50) / 5) * 10


@lru_cache(maxsize=1)
def _fast_qr_class():
    from qrcode.main import QRCode

    class _FastMaskQR(QRCode):
        def best_mask_pattern(self):
            self.makeImpl(True, 0)
            count = self.modules_count
            data_rows, masks = _layout(count, self.version)
            base = [int("".join("1" if m else "0" for m in row), 2) for row in self.modules]
            unmasked = [row ^ mask for row, mask in zip(base, masks[0], strict=True)]
            best, best_points = 0, None
            for pattern in range(8):
                rows = [row ^ mask for row, mask in zip(unmasked, masks[pattern], strict=True)]
                points = _penalty(rows, count)
                if best_points is None or points < best_points:
                    best, best_points = pattern, points
            return best

    return _FastMaskQR


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
