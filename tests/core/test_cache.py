"""The one cache class (LruCache) behind the citizen face cache and the scan micro-cache."""
import threading

import pytest

from huishang.citizen import scan_cache
from huishang.services.core import Limits, LruCache
from huishang.services.core import cache as cache_module
from huishang.services.scan import faces as scans


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(cache_module, "monotonic", clock)
    return clock


def test_put_get_and_least_recently_used_eviction(clock):
    cache = LruCache(size=2)
    cache.put("a", "A", shop_id=1, version="v1")
    cache.put("b", "B", shop_id=2, version="v1")
    assert cache.get("a").value == "A"  # "a" is now the most recent
    cache.put("c", "C", shop_id=3, version="v1")
    assert cache.get("b") is None and cache.get("a").value == "A" and cache.get("c").value == "C"
    assert len(cache) == 2 and cache.cached_shop_ids() == {1, 3}
    assert cache.get("missing") is None


def test_fresh_after_a_check_and_never_served_past_max_age(clock):
    cache = LruCache(limits=Limits(fresh=60, max_age=300))
    entry = cache.put("k", "html", shop_id=1, version="v1")
    assert cache.is_fresh(entry)
    clock.now += 60
    assert not cache.is_fresh(entry) and cache.get("k") is entry  # stale but still servable
    assert cache.get("k", fresh_only=True) is None and cache.get("k") is None  # fresh_only drops it
    entry = cache.put("k", "html", shop_id=1, version="v1")
    clock.now += 250
    cache.checked(entry)
    assert cache.is_fresh(entry)
    clock.now += 50.5
    assert cache.get("k") is None  # rendered more than max_age ago, however recently checked


def test_forget_shop_revalidate_and_clear(clock):
    cache = LruCache()
    cache.put(("a", "zh"), "A", shop_id=1, version="v1")
    cache.put(("a", "en"), "A", shop_id=1, version="v1")
    old = cache.put("b", "B", shop_id=2, version="v1")
    cache.put("c", "C", shop_id=3, version="v1")
    cache.forget_shop(1)
    assert cache.cached_shop_ids() == {2, 3}
    clock.now += 100
    cache.revalidate({2: "v1", 3: "v2"})  # shop 3 changed elsewhere
    assert cache.cached_shop_ids() == {2} and cache.is_fresh(old)
    cache.clear()
    assert len(cache) == 0 and cache.cached_shop_ids() == set()


def test_caches_sharing_limits_follow_one_setting():
    limits = Limits(fresh=60, max_age=300)
    pages, responses = LruCache(limits=limits), LruCache(limits=limits)
    pages.fresh = 5
    assert responses.fresh == 5 and responses.max_age == 300


def test_both_scan_caches_are_the_one_class(app):
    assert isinstance(scans.citizen_pages, LruCache)
    micro = [c for c in scan_cache._instances if isinstance(c, scan_cache.ScanMicroCache)]
    assert micro and all(isinstance(c.entries, LruCache) for c in micro)
    assert all(c.entries.limits is scans.citizen_pages.limits for c in micro)
    assert all(c.entries in scans.CACHES for c in micro)


def test_concurrent_puts_stay_within_size():
    cache = LruCache(size=50)

    def work(offset):
        for n in range(500):
            cache.put((offset, n), n, shop_id=n % 7, version="v")
            cache.get((offset, n - 1))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(cache) == 50
