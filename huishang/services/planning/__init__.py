"""The 30-day inspection list (30天检查清单): the list for a day (`query`: the general query and the
slow path; `fastpath`: today's list from the shop columns; `pages`: paging and scope), its saved
items and their assignment (`items`), progress (`progress`), and the exports (`exports`).

Others use: the submodule `exports` and the names re-exported below."""
from . import exports
from .exports import export
from .fastpath import fast_path_applies, fast_plan_items, fast_plan_query
from .items import assign, auto_assign, close_item, generate, street_pairs
from .pages import plan_items, plan_page, scope_street_ids
from .progress import progress
from .query import MAX_DAYS, SORT_KEYS, Item, plan_query, present, stale_ids

__all__ = [
    "exports", "MAX_DAYS", "SORT_KEYS", "Item", "assign", "auto_assign", "close_item", "export", "fast_path_applies",
    "fast_plan_items", "fast_plan_query", "generate", "plan_items", "plan_page", "plan_query", "present",
    "progress", "scope_street_ids", "stale_ids", "street_pairs",
]
