"""The citizen face cache: the citizen face is rendered once per (path, locale, day) and kept in a
small LRU (the shared `LruCache`) with its shop version, because it is the same for every
anonymous visitor. Other caches of rendered faces register in `CACHES` and are revalidated with it."""
from __future__ import annotations

from sqlalchemy import select

from huishang.extensions import db
from huishang.models import Shop
from huishang.services.core import Limits, LruCache

# A bounded LRU of rendered citizen faces (the entry's value is the HTML).
#
# An entry checked against the database less than `fresh` seconds ago is served with no query at
# all; an older one is revalidated with one indexed read of the shop's version (its updated_at and
# plate version) and re-rendered if that changed. Nothing is kept longer than `max_age` seconds,
# which bounds what the version cannot see (licence rows, reviews). Writes through the registry
# drop the shop's entries at once (see forget_shop).
citizen_pages = LruCache(4096, Limits(fresh=60.0, max_age=300.0))


def forget_shop(shop: Shop) -> None:
    """Registry hook: a changed shop's cached citizen face is dropped in this process."""
    citizen_pages.forget_shop(shop.id)


# Further caches of rendered faces (the citizen micro-cache) register here.
CACHES: list[LruCache] = []


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
