"""The role-aware scan (多码合一): which face a code shows to whom, plus scan statistics.

`resolve()` checks a code's shape and check character first, so a mistyped or forged code costs
no database query. `face_for()` is the routing rule. Scan counts are buffered in the process and
written as one upsert statement every few seconds by a background thread (or inline every N
scans), so no visitor waits for the write. The citizen face is rendered once per (path,
locale, day) and kept in a small LRU with its shop version, because it is the same for every
anonymous visitor.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from huishang.extensions import db
from huishang.models import PlateCode, Rectification, ScanCount, Shop, today
from huishang.services.registry import codes

FACES = ("citizen", "manage", "supervise")
FACE_LABELS = {"citizen": "公众", "manage": "经营管理", "supervise": "监管"}


@dataclass
class Resolution:
    """What a scanned code turned out to be.

    kind: `forged` (bad shape or check character), `unknown` (genuine-looking, not issued),
    `replaced` (an old code; `current_code` is the shop's code now), or `shop`.
    """

    kind: str
    code: str
    shop_id: int | None = None
    version: str | None = None  # changes whenever the shop row changes
    current_code: str | None = None


def resolve(raw: str) -> Resolution:
    code = codes.normalise(raw)[:32]
    if not codes.is_genuine(code):
        return Resolution("forged", code)
    row = db.session.execute(
        select(Shop.id, Shop.updated_at, Shop.plate_version).where(Shop.code == code)).first()
    if row is not None:
        return Resolution("shop", code, row.id, f"{row.updated_at.isoformat()}/{row.plate_version}")
    old = db.session.execute(
        select(PlateCode.shop_id, PlateCode.replaced_at, Shop.code)
        .join(Shop, Shop.id == PlateCode.shop_id).where(PlateCode.code == code)).first()
    if old is None:
        return Resolution("unknown", code)
    return Resolution("replaced", code, old.shop_id, current_code=old.code)


def _with_face_data(query):
    return query.options(joinedload(Shop.business_type), joinedload(Shop.street),
                         joinedload(Shop.complex), selectinload(Shop.licences))


def load_shop(shop_id: int) -> Shop:
    """The shop with what every face shows, in one round of queries (no lazy loads in templates)."""
    return db.session.scalar(_with_face_data(select(Shop).where(Shop.id == shop_id)))


def version_of(shop: Shop) -> str:
    return f"{shop.updated_at.isoformat()}/{shop.plate_version}"


def load_current(raw: str) -> Shop | None:
    """The shop whose current code is `raw`, with its face data — the cache-miss path, which
    skips the separate resolve() read. None when the code is not a current shop code."""
    code = codes.normalise(raw)[:32]
    if not codes.is_genuine(code):
        return None
    return db.session.scalar(_with_face_data(select(Shop).where(Shop.code == code)))


def face_for(user, shop: Shop) -> tuple[str, str | None]:
    """(face, note). Anonymous → citizen; the shop's merchant or its complex's property manager →
    manage; staff whose streets cover the shop → supervise; staff out of scope → citizen with the
    note `out_of_scope`; any other account → citizen."""
    if user is None or not getattr(user, "is_authenticated", False):
        return "citizen", None
    if user.owns_shop(shop) or user.manages_shop(shop):
        return "manage", None
    if user.is_staff:
        return ("supervise", None) if user.can_supervise(shop) else ("citizen", "out_of_scope")
    return "citizen", None


def licence_state(shop: Shop, on: date | None = None) -> str:
    """`valid`, `expired` or `none` — the public sees only this, never numbers."""
    if not shop.licences:
        return "none"
    return "valid" if shop.licences_valid(on) else "expired"


# -- scan statistics -------------------------------------------------------------------------

class ScanBuffer:
    """Scans counted in memory and written as one upsert per flush. No personal data: only the
    shop, the district date and the face."""

    def __init__(self):
        self._pending: dict[tuple[int, date, str], int] = {}
        self._hits = 0
        self._lock = threading.Lock()
        self._since = time.monotonic()

    def add(self, shop_id: int, face: str, day: date | None = None) -> None:
        key = (shop_id, day or today(), face)
        with self._lock:
            self._pending[key] = self._pending.get(key, 0) + 1
            self._hits += 1

    def due(self, every_hits: int, every_seconds: float) -> bool:
        hits = self._hits
        return hits > 0 and (hits >= every_hits or time.monotonic() - self._since >= every_seconds)

    def restore(self, pending: dict) -> None:
        """Put back counts whose write failed, to go out with the next flush."""
        with self._lock:
            for key, n in pending.items():
                self._pending[key] = self._pending.get(key, 0) + n
                self._hits += n

    def take(self) -> dict:
        with self._lock:
            pending, self._pending, self._hits = self._pending, {}, 0
            self._since = time.monotonic()
            return pending


buffer = ScanBuffer()


def _upsert():
    """One parametrised upsert, compiled once and run as an executemany (a thousand rows cost
    no more Python than one)."""
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = ScanCount.__table__
    stmt = insert(table)
    return stmt.on_conflict_do_update(index_elements=["shop_id", "day", "face"],
                                      set_={"count": table.c.count + stmt.excluded.count})


_PG_UPSERT = """
INSERT INTO scan_counts (shop_id, day, face, count)
SELECT * FROM unnest(CAST(:shop_ids AS integer[]), CAST(:days AS date[]),
                     CAST(:faces AS varchar[]), CAST(:counts AS integer[]))
ON CONFLICT (shop_id, day, face) DO UPDATE SET count = scan_counts.count + excluded.count
"""


def _write_counts(keys: list, pending: dict) -> None:
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy import text

        db.session.execute(text(_PG_UPSERT), {
            "shop_ids": [k[0] for k in keys], "days": [k[1] for k in keys],
            "faces": [k[2] for k in keys], "counts": [pending[k] for k in keys]})
    else:
        db.session.execute(_upsert(), [{"shop_id": s, "day": d, "face": f, "count": pending[(s, d, f)]}
                                       for s, d, f in keys])


def flush_scans() -> int:
    """Write the buffered counts (one statement) into the session; the caller commits.
    Rows go in key order, so concurrent flushes from several workers lock rows in the same order
    and cannot deadlock. On PostgreSQL the rows travel as four arrays (one small statement, no
    per-row SQL to build while holding the GIL). Returns the number of scans written; on a
    database error the counts go back into the buffer and the error propagates."""
    pending = buffer.take()
    if not pending:
        return 0
    try:
        _write_counts(sorted(pending), pending)
    except Exception:
        buffer.restore(pending)
        raise
    return sum(pending.values())


def count_scan(shop_id: int, face: str, *, every_hits: int = 5000) -> bool:
    """Count one scan. Returns True when the buffer reached `every_hits` and was flushed into
    the session (then the caller commits); otherwise the background flusher writes it within
    SCAN_FLUSH_SECONDS. A test config sets every_hits=1 to write through."""
    buffer.add(shop_id, face)
    if buffer.due(every_hits, float("inf")):
        return flush_scans() > 0
    return False


class Flusher:
    """One daemon thread per process that, every `seconds`, writes the buffered counts and
    revalidates every cached citizen face in one query, so no visitor's request waits for
    either. Started lazily in each (forked) worker."""

    def __init__(self):
        self._pid = None
        self._lock = threading.Lock()

    def ensure_started(self, app, seconds: float) -> None:
        import os

        if self._pid == os.getpid() or seconds <= 0:
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            threading.Thread(target=self._run, args=(app, seconds), name="scan-flusher", daemon=True).start()

    @staticmethod
    def _run(app, seconds: float) -> None:
        import logging

        while True:
            time.sleep(seconds)
            with app.app_context():
                try:
                    if flush_scans():
                        db.session.commit()
                    revalidate_cached()
                except Exception as exc:  # noqa: BLE001 — keep going; counts were put back
                    db.session.rollback()
                    logging.getLogger(__name__).warning("scan housekeeping failed: %s", type(exc).__name__)
                finally:
                    db.session.remove()


flusher = Flusher()


def flush_at_exit(app) -> None:
    """Write the counts still buffered when a worker stops (registered with atexit by the scan page)."""
    with app.app_context():
        try:
            if flush_scans():
                db.session.commit()
        except Exception:  # noqa: BLE001 — the database may already be gone at shutdown
            db.session.rollback()


def scan_stats(shop: Shop, days: int = 30) -> dict:
    """Scans of the last `days` district days: totals by face and a per-day table, newest first."""
    since = today() - timedelta(days=days - 1)
    rows = db.session.execute(
        select(ScanCount.day, ScanCount.face, func.sum(ScanCount.count))
        .where(ScanCount.shop_id == shop.id, ScanCount.day >= since)
        .group_by(ScanCount.day, ScanCount.face)).all()
    totals = dict.fromkeys(FACES, 0)
    by_day: dict[date, dict[str, int]] = {}
    for day, face, n in rows:
        totals[face] = totals.get(face, 0) + int(n)
        by_day.setdefault(day, dict.fromkeys(FACES, 0))[face] = int(n)
    return {"days": days, "since": since, "totals": totals, "total": sum(totals.values()),
            "by_day": sorted(by_day.items(), reverse=True)}


# -- citizen face cache ----------------------------------------------------------------------

@dataclass
class CachedPage:
    html: str
    version: str
    shop_id: int
    rendered_at: float
    checked_at: float


class PageCache:
    """A bounded LRU of rendered citizen faces.

    An entry checked against the database less than `fresh` seconds ago is served with no query
    at all; an older one is revalidated with one indexed read of the shop's version (its
    updated_at and plate version) and re-rendered if that changed. Nothing is kept longer than
    `max_age` seconds, which bounds what the version cannot see (licence rows, reviews). Writes
    through the registry drop the shop's entries at once (see forget_shop)."""

    def __init__(self, size: int = 4096, fresh: float = 60.0, max_age: float = 300.0):
        self.size, self.fresh, self.max_age = size, fresh, max_age
        self._items: OrderedDict[tuple, CachedPage] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> CachedPage | None:
        with self._lock:
            page = self._items.get(key)
            if page is None:
                return None
            if time.monotonic() - page.rendered_at > self.max_age:
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return page

    def is_fresh(self, page: CachedPage) -> bool:
        return time.monotonic() - page.checked_at < self.fresh

    def put(self, key: tuple, html: str, version: str, shop_id: int) -> None:
        now = time.monotonic()
        with self._lock:
            self._items[key] = CachedPage(html, version, shop_id, now, now)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def checked(self, page: CachedPage) -> None:
        page.checked_at = time.monotonic()

    def forget_shop(self, shop_id: int) -> None:
        with self._lock:
            for key in [k for k, page in self._items.items() if page.shop_id == shop_id]:
                del self._items[key]

    def cached_shop_ids(self) -> set[int]:
        with self._lock:
            return {page.shop_id for page in self._items.values()}

    def revalidate(self, versions: dict[int, str]) -> None:
        now = time.monotonic()
        with self._lock:
            for key, page in list(self._items.items()):
                if versions.get(page.shop_id) == page.version:
                    page.checked_at = now
                else:
                    del self._items[key]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


citizen_pages = PageCache()


def forget_shop(shop: Shop) -> None:
    """Registry hook: a changed shop's cached citizen face is dropped in this process."""
    citizen_pages.forget_shop(shop.id)


# Caches of rendered faces register here; each has cached_shop_ids() and revalidate(versions).
CACHES: list = []


def revalidate_cached(chunk: int = 1000) -> int:
    """Check every cached face's shop version in one query per `chunk` shops: unchanged entries
    are marked fresh, changed or vanished ones dropped. Returns the number of shops checked."""
    caches = [citizen_pages, *CACHES]
    ids = sorted(set().union(*(c.cached_shop_ids() for c in caches)))
    versions: dict[int, str] = {}
    postgres = db.engine.dialect.name == "postgresql"
    for i in range(0, len(ids), chunk):
        part = ids[i:i + chunk]
        if postgres:  # one array parameter: far cheaper than an IN list of a thousand binds
            from sqlalchemy import Integer, any_, bindparam
            from sqlalchemy.dialects.postgresql import ARRAY

            where = Shop.id == any_(bindparam("ids", part, type_=ARRAY(Integer)))
        else:
            where = Shop.id.in_(part)
        rows = db.session.execute(select(Shop.id, Shop.updated_at, Shop.plate_version).where(where))
        versions.update({r.id: f"{r.updated_at.isoformat()}/{r.plate_version}" for r in rows})
    for cache in caches:
        cache.revalidate(versions)
    return len(ids)


# -- what the signed-in faces show -----------------------------------------------------------

def open_rectifications(shop: Shop) -> list:
    return list(db.session.scalars(select(Rectification).where(
        Rectification.shop_id == shop.id, Rectification.closed_on.is_(None))
        .order_by(Rectification.deadline)))


def manage_context(shop: Shop) -> dict:
    """The management face: the shop's own record, licences in full, open rectifications."""
    return {"licence_state": licence_state(shop), "rectifications": open_rectifications(shop),
            "today": today()}


def supervise_context(shop: Shop) -> dict:
    """The supervision face's own facts: licences, open rectifications, today (for the next due
    date). Its grading, inspections and complaints sections come from their features' presenters
    (citizen.scan.present_supervise)."""
    return {"licence_state": licence_state(shop), "rectifications": open_rectifications(shop),
            "today": today()}
