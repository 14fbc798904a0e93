"""The shop registry (商铺库): registering, changing and closing shops (`shops`), their codes and
USCCs, the checks of a shop record's fields (`fields`: one per field, shared by the forms, the API
and the imports), the registry import and export. Every face and command changes a shop through here.

Others use: the submodules `codes`, `complexes` (商业综合体), `uscc`, `fields`, `importing`, `exporting` and the names
re-exported below."""
from . import codes, complexes, exporting, fields, importing, uscc
from .codes import ALPHABET, display, normalise
from .fields import PHONE
from .shops import (
    MERCHANT_OPEN_FIELDS,
    Lookups,
    after_shop_change,
    clean_text,
    close_shop,
    filter_shops,
    get_shop,
    new_code,
    parse_bool,
    parse_date,
    register_shop,
    scoped_shops,
    update_shop,
    validate_shop,
)

__all__ = [
    "codes", "complexes", "exporting", "fields", "importing", "uscc", "ALPHABET", "display", "normalise",
    "MERCHANT_OPEN_FIELDS", "PHONE", "Lookups", "after_shop_change", "clean_text", "close_shop",
    "filter_shops", "get_shop", "new_code", "parse_bool", "parse_date", "register_shop", "scoped_shops",
    "update_shop", "validate_shop",
]
