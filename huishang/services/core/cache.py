"""A bounded, thread-safe LRU of things rendered for one shop at one version: the citizen face's
HTML (`scan.faces.citizen_pages`) and whole responses (`citizen.scan_cache`).

An entry remembers when it was rendered and when its shop version was last checked against the
database. It is *fresh* for `fresh` seconds after a check (served with no query at all) and is
never served more than `max_age` seconds after rendering, which bounds what the version cannot
see. Two caches may share their limits (`Limits`), so that one setting governs both layers.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from time import monotonic
from typing import Any


@dataclass
class Limits:
    fresh: float = 60.0  # seconds after a check during which an entry is served unchecked
    max_age: float = 300.0  # seconds after rendering after which an entry is never served


@dataclass
class Entry:
    value: Any
    shop_id: int
    version: str
    rendered_at: float
    checked_at: float


class LruCache:
    """At most `size` entries; the least recently used goes first. Every method is thread-safe."""

    def __init__(self, size: int = 4096, limits: Limits | None = None):
        self.size = size
        self.limits = limits or Limits()
        self._items: OrderedDict[Hashable, Entry] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def fresh(self) -> float:
        return self.limits.fresh

    @fresh.setter
    def fresh(self, seconds: float) -> None:
        self.limits.fresh = seconds

    @property
    def max_age(self) -> float:
        return self.limits.max_age

    @max_age.setter
    def max_age(self, seconds: float) -> None:
        self.limits.max_age = seconds

    def get(self, key: Hashable, *, fresh_only: bool = False) -> Entry | None:
        """The entry for `key`, or None when there is none or it is older than `max_age` (or, with
        `fresh_only`, not fresh); an entry too old to serve is dropped."""
        with self._lock:
            entry = self._items.get(key)
            if entry is None:
                return None
            now = monotonic()
            if now - entry.rendered_at > self.max_age or (fresh_only and not self._fresh(entry, now)):
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return entry

    def is_fresh(self, entry: Entry) -> bool:
        """Checked against the database less than `fresh` seconds ago."""
        return self._fresh(entry, monotonic())

    def _fresh(self, entry: Entry, now: float) -> bool:
        return now - entry.checked_at < self.fresh

    def put(self, key: Hashable, value, *, shop_id: int, version: str) -> Entry:
        """Store `value`, rendered now for the shop at `version`; the oldest entries go beyond `size`."""
        now = monotonic()
        entry = Entry(value, shop_id, version, now, now)
        with self._lock:
            self._items[key] = entry
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return entry

    def checked(self, entry: Entry) -> None:
        """The entry's shop version was just found unchanged: it is fresh again."""
        entry.checked_at = monotonic()

    def forget_shop(self, shop_id: int) -> None:
        with self._lock:
            for key in [k for k, entry in self._items.items() if entry.shop_id == shop_id]:
                del self._items[key]

    def cached_shop_ids(self) -> set[int]:
        with self._lock:
            return {entry.shop_id for entry in self._items.values()}

    def revalidate(self, versions: dict[int, str]) -> None:
        """Mark entries whose shop is still at their version fresh; drop the others."""
        now = monotonic()
        with self._lock:
            for key, entry in list(self._items.items()):
                if versions.get(entry.shop_id) == entry.version:
                    entry.checked_at = now
                else:
                    del self._items[key]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
