"""City systems (市级系统): inspections and penalties pushed in from the city's mobile supervision
system, idempotent by `external_id` (`pushes`), and the changes feed it pulls (`feed`).

Others use the names re-exported below (`citysync.push_inspection`, `citysync.changes`, ...)."""
from .feed import (
    INSPECTION_FEED_COLUMNS,
    MAX_ID,
    SHOP_FEED_COLUMNS,
    STREAMS,
    changes,
    decode_cursor,
    encode_cursor,
    inspection_change,
    shop_change,
)
from .pushes import OUTCOME_ALIASES, push_inspection, push_penalty

__all__ = [
    "INSPECTION_FEED_COLUMNS", "MAX_ID", "OUTCOME_ALIASES", "SHOP_FEED_COLUMNS", "STREAMS", "changes",
    "decode_cursor", "encode_cursor", "inspection_change", "push_inspection", "push_penalty", "shop_change",
]
