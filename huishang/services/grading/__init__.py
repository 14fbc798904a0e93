"""Risk grading (风险分级): the nine-grid rules as data, each shop's facts and events, the
evaluation for a day, the stored grading and derived Shop columns, the tracking copy the 30-day list
reads, credit classes, penalties with credit repair, and random draws (双随机).

Layers inside (each imports only those above it): `rules` → `facts` → `history` → `tracking`
→ `credit` → `refresh` → `penalties`, `draws`.

Others use: the submodules `credit`, `penalties`, `draws` and the names re-exported below."""
from . import credit, draws, penalties
from .facts import add_months
from .penalties import SEVERITY_LABELS
from .refresh import (
    UNRANKED,
    cell_ranks,
    explain,
    prepare_new,
    refresh_all,
    refresh_imported,
    refresh_shop,
    update_rules,
)
from .rules import (
    MAX_INTERVAL_DAYS,
    RULE_DEFAULTS,
    RULE_LABELS,
    RULE_SOURCES,
    load_rules,
    mark_refreshed,
    refreshed_on,
    seed_rules,
)
from .tracking import LIVE, close_stale_items, sync_tracking

__all__ = [
    "credit", "draws", "penalties",
    "add_months", "UNRANKED", "cell_ranks", "explain", "prepare_new", "refresh_all", "refresh_imported", "refresh_shop",
    "update_rules", "RULE_DEFAULTS", "RULE_LABELS", "RULE_SOURCES", "MAX_INTERVAL_DAYS", "load_rules",
    "mark_refreshed", "refreshed_on",
    "seed_rules", "LIVE", "close_stale_items", "sync_tracking", "SEVERITY_LABELS",
]
