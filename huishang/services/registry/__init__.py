"""The shop registry (商铺库): registering, changing and closing shops (`shops`), their codes and
USCCs, the registry import and export. Every face and command changes a shop through here.

Others use: the submodules `codes`, `uscc`, `importing`, `exporting` and the names re-exported below."""
from . import codes, exporting, importing, uscc
from .codes import ALPHABET, display, normalise
from .shops import (
    MERCHANT_OPEN_FIELDS,
    PHONE,
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
    "codes", "exporting", "importing", "uscc", "ALPHABET", "display", "normalise",
    "MERCHANT_OPEN_FIELDS", "PHONE", "Lookups", "after_shop_change", "clean_text", "close_shop",
    "filter_shops", "get_shop", "new_code", "parse_bool", "parse_date", "register_shop", "scoped_shops",
    "update_shop", "validate_shop",
]
