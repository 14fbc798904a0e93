"""Many plates into one PDF (`flask plates`): chunks drawn in worker processes, merged in order."""
from __future__ import annotations

import io
from collections import deque

from huishang.services.core import fonts

from .layout import PlateData
from .render import render_pdf

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
            # At most two chunks per worker in flight: the workers never wait for work, and
            # finished chunks never pile up in memory while the parent merges in order.
            pending: deque = deque()
            for chunk in chunks:
                pending.append((len(chunk), pool.apply_async(_render_chunk, (chunk,))))
                if len(pending) >= 2 * workers:
                    n, result = pending.popleft()
                    merge(result.get(), n)
            while pending:
                n, result = pending.popleft()
                merge(result.get(), n)
    writer.add_metadata({"/Title": "汇商码铭牌", "/Creator": "huishang"})
    writer.write(out)
    return len(writer.pages)
