"""Registry import (`flask shops import FILE`): CSV or XLSX with a header row, all or nothing.

Two phases. `plan_import()` reads the file (`reading`), validates every row with
`registry.validate_shop`, checks duplicates inside the file and against the database, matches rows
to shops already registered (by `code`, else by USCC + sign name + address) and works out what would
change — without writing anything (`plan`); the complexes the file names and the registry does not
know are planned too, and reported (with a warning when a new name is close to another).
`apply_import()` writes a valid plan: the new complexes first, new shops in bulk (chunked `INSERT
... RETURNING` with codes minted beforehand), changed shops through `registry.update_shop` (one
`shop.update` audit event each), unchanged rows skipped, so importing a file twice changes nothing
the second time (`writing`).

Others use the names re-exported below (`importing.plan_import`, `importing.apply_import`, ...)."""
from .plan import (
    BIG,
    CHUNK,
    COMPARED,
    HEADERS,
    RAW_KEY,
    REQUIRED,
    SHOP_COLUMNS,
    DbIndex,
    ImportPlan,
    PlannedComplex,
    Row,
    RowError,
    cell_given,
    check_entity_name,
    check_row,
    check_scope,
    check_status_change,
    compare_existing,
    current_values,
    fold_header,
    map_header,
    plan_complexes,
    plan_import,
    plan_rows,
    plan_upload,
    same,
)
from .reading import cell_text, decode, read_rows
from .writing import (
    CANTEEN_KINDS,
    ShopImport,
    apply_import,
    bulk_insert,
    create_planned_complexes,
    insert_entities,
    insert_new_shops,
    mint_unused,
    refresh_derived,
    shop_values,
)

__all__ = [
    "BIG", "CANTEEN_KINDS", "CHUNK", "COMPARED", "HEADERS", "RAW_KEY", "REQUIRED", "SHOP_COLUMNS",
    "DbIndex", "ImportPlan", "PlannedComplex", "Row", "RowError", "ShopImport",
    "apply_import", "bulk_insert", "cell_given", "cell_text", "check_entity_name", "check_row", "check_scope",
    "check_status_change", "compare_existing", "create_planned_complexes", "current_values", "decode",
    "fold_header", "insert_entities", "insert_new_shops", "map_header", "mint_unused", "plan_complexes",
    "plan_import", "plan_rows", "plan_upload", "read_rows",
    "refresh_derived", "same", "shop_values",
]
