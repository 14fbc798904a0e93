"""Published citizen faces: each shop's citizen face rendered ahead for the district day, so that an
anonymous scan of any code — also the first scan of a code in a long while, which is what most
scans in a district are — is one indexed read instead of a render.

`publish()` (the nightly `scan-faces` job, after the list refresh; `flask jobs run scan-faces` by
hand) renders the faces of the given shops (default: all) in each published language with the
citizen blueprint's renderer (`RENDERER`, set when the blueprint is registered: the templates are
the blueprint's) and stores them as `PublishedFace` rows: the status, headers and body a live
render answers with.

`lookup()` is what the citizen micro-cache asks on a miss (huishang/citizen/scan_cache.py), before
the request reaches Flask. A stored face is served only when all hold:
- it was published for today (a penalty summary ends with its publicity, SAMR Order 45; a licence
  expires on a date), and
- the shop's version — `updated_at` and `plate_version` — is the one it was rendered from (any
  write to the shop row), and
- it still exists: every write that changes what the face shows sends `shop_changed`, whose
  receiver `forget()` deletes the shop's faces in the same transaction (licences, reviews,
  penalties and inspections included).
Otherwise the request renders as before. The faces hold public content only, the same bytes any
passer-by gets from the page.
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import date

import psycopg
from sqlalchemy import JSON, DateTime, Integer, LargeBinary, delete, select, text

from huishang.extensions import db
from huishang.models import PublishedFace, Shop, today

from .routing import load_shops

LOCALES = ("zh", "en")
# (shop, locale) → (status line, headers, body): the citizen blueprint's renderer, or None when a
# stored face must not be published (it would set a cookie, or did not answer 200).
RENDERER: Callable[[Shop, str], tuple[str, list, bytes] | None] | None = None

# The one read of a published face (psycopg's named parameters; `_LOOKUP` is the same for SQLAlchemy).
LOOKUP_SQL = (
    "SELECT f.shop_id, f.headers, f.body, s.updated_at, s.plate_version FROM published_faces f "
    "JOIN shops s ON s.id = f.shop_id AND s.updated_at = f.shop_updated_at "
    "AND s.plate_version = f.plate_version "
    "WHERE f.code = %(code)s AND f.locale = %(locale)s AND f.day = %(day)s"
)
_LOOKUP = text(LOOKUP_SQL.replace("%(", ":").replace(")s", "")).columns(
    shop_id=Integer, headers=JSON, body=LargeBinary, updated_at=DateTime, plate_version=Integer)


def publish(shop_ids: list[int] | None = None, locales: tuple[str, ...] = LOCALES, *, batch: int = 500,
            after_batch: Callable[[int], None] | None = None) -> int:
    """Render and store today's citizen faces of `shop_ids` (None: every shop) in `locales`,
    replacing what was stored for them. Flushes; `after_batch(n)` runs after each batch (the
    nightly job commits there, so a long run holds no long transaction). Returns faces stored."""
    if RENDERER is None:
        raise RuntimeError("the citizen blueprint is not registered: no renderer for the faces")
    ids = list(shop_ids) if shop_ids is not None else list(db.session.scalars(select(Shop.id).order_by(Shop.id)))
    on, stored = today(), 0
    for start in range(0, len(ids), batch):
        part = ids[start:start + batch]
        # Share-lock the batch's shops until it is stored: a change to one of them meanwhile waits
        # (grading's row lock) and its `forget()` then deletes what this batch rendered before it.
        db.session.execute(select(Shop.id).where(Shop.id.in_(part)).with_for_update(read=True))
        rows = []
        for shop in load_shops(part):
            updated_at, plate_version = shop.updated_at, shop.plate_version
            for locale in locales:
                rendered = RENDERER(shop, locale)
                if rendered is None:
                    continue
                status, headers, body = rendered
                rows.append({"code": shop.code, "locale": locale, "shop_id": shop.id, "day": on,
                             "shop_updated_at": updated_at, "plate_version": plate_version,
                             "headers": [[status]] + [list(h) for h in headers], "body": body})
        db.session.execute(delete(PublishedFace).where(PublishedFace.shop_id.in_(part)))
        if rows:
            db.session.execute(PublishedFace.__table__.insert(), rows)
        db.session.flush()  # the batch's shops are referenced no more: the identity map lets them go
        stored += len(rows)
        if after_batch:
            after_batch(len(part))
    return stored


def forget(shop: Shop) -> None:
    """`shop_changed` receiver: the shop's published faces are gone with the change (same
    transaction); its next scans render until the next publication."""
    if shop.id is not None:
        db.session.execute(delete(PublishedFace).where(PublishedFace.shop_id == shop.id))


def purge_before(day: date) -> int:
    """Drop faces published before `day` (the nightly job, before publishing the new day's)."""
    return db.session.execute(delete(PublishedFace).where(PublishedFace.day < day)).rowcount or 0


class DirectReader:
    """The micro-cache's reads on PostgreSQL: one autocommit psycopg connection per thread, opened
    on its first lookup (after the worker forked), a server-side prepared statement, no ORM or
    Core layer — a lookup is one round trip and a fraction of a millisecond. A broken connection
    is dropped (that request goes on to the app) and lookups pause for `PAUSE` seconds, so a
    database that is down costs no connection attempt per scan; then a lookup connects again."""

    CONNECT_TIMEOUT = 2  # seconds: an unreachable server must not hold a scan for the OS's minutes
    PAUSE = 5.0  # seconds without lookups after a failure: the app answers (rendering, or 503)

    def __init__(self, url: str):
        self.url = url
        self.local = threading.local()
        self.paused_until = 0.0

    def lookup(self, code: str, locale: str) -> tuple[int, str, str, list, bytes] | None:
        if time.monotonic() < self.paused_until:
            return None
        connection = getattr(self.local, "connection", None)
        try:
            if connection is None or connection.closed:
                connection = self.local.connection = psycopg.connect(
                    self.url, autocommit=True, prepare_threshold=0, connect_timeout=self.CONNECT_TIMEOUT)
            row = connection.execute(LOOKUP_SQL, {"code": code, "locale": locale, "day": today()}).fetchone()
        except psycopg.Error:
            if connection is not None:
                connection.close()
            self.local.connection = None
            self.paused_until = time.monotonic() + self.PAUSE
            return None
        return _found(row)


def lookup_engine() -> DirectReader | None:
    """What the micro-cache reads faces with, in an app context: on PostgreSQL a `DirectReader` on
    the app's database; elsewhere None — read with the app context's session (an in-memory SQLite
    database has one connection, shared with it)."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        return DirectReader(engine.url.set(drivername="postgresql").render_as_string(hide_password=False))
    return None


def lookup(connection, code: str, locale: str) -> tuple[int, str, str, list, bytes] | None:
    """The stored face of `code` in `locale` if it may be served now: (shop id, version, status,
    headers, body), else None. One indexed read on `connection` (a Core connection or a session)."""
    return _found(connection.execute(_LOOKUP, {"code": code, "locale": locale, "day": today()}).first())


def _found(row) -> tuple[int, str, str, list, bytes] | None:
    if row is None:
        return None
    shop_id, headers, body, updated_at, plate_version = row
    if isinstance(headers, str):
        headers = json.loads(headers)
    return (shop_id, f"{updated_at.isoformat()}/{plate_version}", headers[0][0],
            [tuple(h) for h in headers[1:]], bytes(body))


__all__ = ["LOCALES", "RENDERER", "DirectReader", "forget", "lookup", "lookup_engine", "publish", "purge_before"]
