"""A micro-cache in front of the app for the anonymous citizen face — what a CDN would do with
our own `Cache-Control: public, max-age=60` and `Vary: Cookie, Accept-Language`, done inside
each process so a district without a CDN gets the same effect.

Only GET /s/<code> requests with no cookie other than `lang` are eligible (anyone signed in
carries a session cookie and always reaches the app). A response is stored only when the scan
view marked it shareable (`environ["huishang.scan_shop"] = (shop id, version)`), its status is
200 and it sets no cookie. The background housekeeper revalidates every entry's version in one
query every few seconds (services/scan.py revalidate_cached), so entries of unchanged shops stay
fresh and changed ones are dropped within seconds in every worker. An entry not revalidated for
`citizen_pages.fresh` seconds (default 60, the max-age we announce anyway) or rendered more than
`citizen_pages.max_age` seconds ago is not served; a registry write drops the shop's entries at
once. Hits still count as citizen scans (the
background flusher writes them); should the buffer reach SCAN_FLUSH_HITS, the request goes
through the app, which writes it inline.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from werkzeug.http import parse_cookie

from huishang.services.scan import faces as scans

MARK = "huishang.scan_shop"
_instances: list[ScanMicroCache] = []


@dataclass
class Entry:
    status: str
    headers: list
    body: bytes
    shop_id: int
    version: str
    rendered_at: float
    checked_at: float


class ScanMicroCache:
    def __init__(self, wsgi_app, config, size: int = 4096):
        self.app, self.config, self.size = wsgi_app, config, size
        self._items: OrderedDict[tuple, Entry] = OrderedDict()
        self._lock = threading.Lock()
        _instances.append(self)
        scans.CACHES.append(self)

    @staticmethod
    def key(environ) -> tuple | None:
        if environ.get("REQUEST_METHOD") != "GET" or not environ.get("PATH_INFO", "").startswith("/s/"):
            return None
        cookies = parse_cookie(environ.get("HTTP_COOKIE", ""))
        if any(name != "lang" for name in cookies):
            return None
        return (environ["PATH_INFO"], environ.get("QUERY_STRING", ""), cookies.get("lang", ""),
                environ.get("HTTP_ACCEPT_LANGUAGE", ""))

    def __call__(self, environ, start_response):
        key = self.key(environ)
        if key is None:
            return self.app(environ, start_response)
        entry = self._get(key)
        if entry is not None and not scans.buffer.due(self.config.get("SCAN_FLUSH_HITS", 5000), float("inf")):
            scans.buffer.add(entry.shop_id, "citizen")
            start_response(entry.status, list(entry.headers))
            return [entry.body]
        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return start_response(status, headers, exc_info)

        body = self.app(environ, capture)
        mark = environ.get(MARK)
        if (mark is None or not captured.get("status", "").startswith("200")
                or any(name.lower() == "set-cookie" for name, _ in captured["headers"])):
            return body
        try:
            data = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        now = time.monotonic()
        self._put(key, Entry(captured["status"], captured["headers"], data, *mark, now, now))
        return [data]

    def _get(self, key) -> Entry | None:
        with self._lock:
            entry = self._items.get(key)
            if entry is None:
                return None
            now = time.monotonic()
            if (now - entry.checked_at >= scans.citizen_pages.fresh
                    or now - entry.rendered_at >= scans.citizen_pages.max_age):
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return entry

    def _put(self, key, entry: Entry) -> None:
        with self._lock:
            self._items[key] = entry
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def forget_shop(self, shop_id: int) -> None:
        with self._lock:
            for key in [k for k, e in self._items.items() if e.shop_id == shop_id]:
                del self._items[key]

    def cached_shop_ids(self) -> set[int]:
        with self._lock:
            return {e.shop_id for e in self._items.values()}

    def revalidate(self, versions: dict[int, str]) -> None:
        """Mark entries whose shop version is unchanged as fresh; drop the others."""
        now = time.monotonic()
        with self._lock:
            for key, entry in list(self._items.items()):
                if versions.get(entry.shop_id) == entry.version:
                    entry.checked_at = now
                else:
                    del self._items[key]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def forget_shop(shop) -> None:
    """Registry hook: drop the shop's cached responses in this process."""
    for cache in _instances:
        cache.forget_shop(shop.id)


def clear_all() -> None:
    for cache in _instances:
        cache.clear()
