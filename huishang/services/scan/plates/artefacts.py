"""A shop's QR and plate images as served: rendered only when a cache keyed by the ETag does not hold
them yet, so images are regenerated only when something drawn changes."""
from __future__ import annotations

import threading
from collections import OrderedDict

from huishang.models import Shop

from .. import qr
from .layout import PlateData, plate_data
from .render import render_pdf, render_png


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
        data = PlateData(data.code, 0, "", "", "", data.base_url)
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
