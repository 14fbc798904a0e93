"""Sorting and paging of the regulator's desk lists (the registry, the 30-day list, the complaint
desk): `?sort=<key>&dir=asc|desc&page=N` next to each list's own filters.

Sort keys are whitelisted per list; an unknown key or direction is ignored (the list's default
order), never an error, and a page number that is not a number is page 1. The views turn the key
into an ORDER BY (sorting happens in SQL, with the row id last so the order is stable across pages);
the template macros in `_listing.html` draw the sortable headers and the pager, keeping the filters.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from flask import request

DIRECTIONS = ("asc", "desc")
MAX_PAGE = 10**12  # past the end of any list, yet an OFFSET every database takes


@dataclass(frozen=True)
class Listing:
    """What the request asked for, already checked: `sort` is one of the list's keys (or the
    default), `direction` is asc or desc, `page` ≥ 1. `args` are the list's filters as given (kept
    in every link the page draws)."""

    sort: str
    direction: str
    page: int
    per_page: int
    args: dict = field(default_factory=dict)
    default: str = ""
    default_dir: str = "asc"

    @property
    def descending(self) -> bool:
        return self.direction == "desc"

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def link_args(self, **changes) -> dict:
        """Query arguments for a link on this list: the filters, the sort (unless default) and
        `changes` (page=…, sort=…, dir=…)."""
        out = dict(self.args)
        if self.sort != self.default or self.direction != self.default_dir:
            out.update(sort=self.sort, dir=self.direction)
        out.update({k: v for k, v in changes.items() if v is not None})
        if out.get("page") == 1:
            out.pop("page")
        return out

    def sort_args(self, key: str, default_dir: str = "asc") -> dict:
        """The link of a column header: sorting by `key`, or flipping the direction when the list
        is already sorted by it; back to page 1."""
        if key == self.sort:
            direction = "asc" if self.descending else "desc"
        else:
            direction = default_dir
        out = dict(self.args)
        out.update(sort=key, dir=direction)
        return out

    def pages(self, total: int) -> int:
        return max(1, -(-total // self.per_page))

    def clamp(self, total: int) -> Listing:
        """The same listing with the page brought within 1..pages(total)."""
        page = min(self.page, self.pages(total))
        return self if page == self.page else replace(self, page=page)


def read_listing(keys, default: str, per_page: int, filters: dict | None = None,
                 default_dir: str = "asc") -> Listing:
    """The sort, direction and page of the current request for a list sorted by one of `keys`."""
    sort = request.args.get("sort", "").strip()
    direction = request.args.get("dir", "").strip().lower()
    if sort and sort not in keys:  # an unknown key: the default order, as if no sort had been asked
        sort, direction = default, default_dir
    sort = sort or default
    if direction not in DIRECTIONS:
        direction = default_dir
    raw_page = request.args.get("page", "1").strip()
    page = min(int(raw_page), MAX_PAGE) if raw_page.isdecimal() else 1  # isdigit() admits "²"
    args = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
    return Listing(sort, direction, max(1, page), per_page, args, default, default_dir)
