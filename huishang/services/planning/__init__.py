"""The 30-day inspection list (30天检查清单): the list for a day (the general query and the fast
path), its saved items and their assignment, progress, and the exports.

Others use: the submodule `exports` and the names re-exported below."""
from . import exports
from .exports import export
from .plan import (
    MAX_DAYS,
    Item,
    assign,
    auto_assign,
    close_item,
    fast_path_applies,
    fast_plan_items,
    fast_plan_query,
    generate,
    plan_items,
    plan_page,
    plan_query,
    present,
    progress,
    scope_street_ids,
    stale_ids,
    street_pairs,
)

__all__ = [
    "exports", "MAX_DAYS", "Item", "assign", "auto_assign", "close_item", "export", "fast_path_applies",
    "fast_plan_items", "fast_plan_query", "generate", "plan_items", "plan_page", "plan_query", "present",
    "progress", "scope_street_ids", "stale_ids", "street_pairs",
]
