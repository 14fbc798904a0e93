"""Scan statistics: counts buffered in the process and written as one upsert statement every few
seconds by a background thread (or inline every N scans), so no visitor waits for the write; the
same thread revalidates the cached citizen faces. `scan_stats` reads them back for a shop."""
from __future__ import annotations

import threading
import time
from datetime import date, timedelta

from sqlalchemy import func, select

from huishang.extensions import db
from huishang.models import ScanCount, Shop, today

from .cache import revalidate_cached
from .routing import FACES


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
        # A shop deleted since its scans were counted (a rolled-back registration, a test's
        # truncation) must not make every later flush fail on its foreign key: its counts are dropped.
        known = set(db.session.scalars(select(Shop.id).where(Shop.id.in_({key[0] for key in pending}))))
        pending = {key: n for key, n in pending.items() if key[0] in known}
        if not pending:
            return 0
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
