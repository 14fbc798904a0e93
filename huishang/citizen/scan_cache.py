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

On a miss, a request for the bare scan URL (no query string) asks the published faces
(services/scan/faces/published.py: each shop's face rendered ahead for the day) with one indexed
read, and serves the stored face when it is valid — the first scan of a code costs no render.
The locale is chosen as the app chooses it (the `lang` cookie, else Accept-Language).
"""
from __future__ import annotations

from typing import NamedTuple

from flask import has_app_context
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header, parse_cookie

from huishang.extensions import db
from huishang.services.core import LruCache
from huishang.services.registry import codes
from huishang.services.scan import faces as scans

MARK = "huishang.scan_shop"
_instances: list[ScanMicroCache] = []


class Response(NamedTuple):
    status: str
    headers: list
    body: bytes


class ScanMicroCache:
    """WSGI middleware. Its entries live in an `LruCache` that shares the citizen face cache's
    limits (`citizen_pages.fresh` / `max_age`), so one setting governs both layers."""

    def __init__(self, wsgi_app, config, size: int = 4096, app=None):
        self.app, self.config, self.flask_app = wsgi_app, config, app
        self.published = app is not None and config.get("SCAN_PUBLISHED_FACES", True)
        self.engine = None
        self.entries = LruCache(size, scans.citizen_pages.limits)
        _instances.append(self)
        scans.CACHES.append(self.entries)

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
        entry = self.entries.get(key)
        if entry is None and self.published and not key[1]:
            entry = self.from_published(key)  # a face this process has not served lately
        elif entry is not None and not self.entries.is_fresh(entry):
            entry = None  # the app revalidates it with one read of the shop's version
        if entry is not None and not scans.buffer.due(self.config.get("SCAN_FLUSH_HITS", 5000), float("inf")):
            scans.buffer.add(entry.shop_id, "citizen")
            start_response(entry.value.status, list(entry.value.headers))
            return [entry.value.body]
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
        shop_id, version = mark
        self.entries.put(key, Response(captured["status"], captured["headers"], data),
                         shop_id=shop_id, version=version)
        return [data]

    def locale(self, key: tuple) -> str:
        """The app's choice (`select_locale`) for a request with no ?lang=: the cookie, else the
        browser's languages, else the first language."""
        languages = self.config.get("LANGUAGES", ("zh", "en"))
        if key[2] in languages:
            return key[2]
        return parse_accept_header(key[3], LanguageAccept).best_match(languages, default=languages[0])

    def from_published(self, key: tuple):
        """The published face for this request, kept as a micro-cache entry; None when there is
        none valid (or the database cannot answer: the app renders, as on any miss)."""
        code = codes.normalise(key[0][3:])[:32]
        if not codes.is_genuine(code):
            return None
        try:
            found = self.lookup(code, self.locale(key))
        except SQLAlchemyError:
            return None
        if found is None:
            return None
        shop_id, version, status, headers, body = found
        return self.entries.put(key, Response(status, headers, body), shop_id=shop_id, version=version)

    def lookup(self, code: str, locale: str):
        if self.engine is None:
            with self.flask_app.app_context():
                self.engine = scans.published.lookup_engine() or False
        if self.engine:
            return self.engine.lookup(code, locale)
        if has_app_context():  # the tests' context: read in its session, as the request would
            return scans.published.lookup(db.session, code, locale)
        with self.flask_app.app_context():  # its session is removed when the context ends
            return scans.published.lookup(db.session, code, locale)

    def forget_shop(self, shop_id: int) -> None:
        self.entries.forget_shop(shop_id)

    def clear(self) -> None:
        self.entries.clear()


def forget_shop(shop) -> None:
    """Registry hook: drop the shop's cached responses in this process."""
    for cache in _instances:
        cache.forget_shop(shop.id)


def clear_all() -> None:
    for cache in _instances:
        cache.clear()
