"""Registry export: the (filtered, scoped) shop list as CSV or XLSX.

The columns are the import contract's, with Chinese headers, so an exported file imports back
unchanged (`flask shops import` reports every row as unchanged). Written by the one tabular
writer (`services.core.tabular`): CSV in UTF-8 with a BOM, which Chinese Excel needs, formula-safe
cells (the import takes the apostrophe off again), XLSX streamed.
"""
from __future__ import annotations

from typing import BinaryIO

from sqlalchemy.orm import selectinload

from huishang.extensions import db
from huishang.models import Shop
from huishang.models.registry import STATUS_LABELS
from huishang.services.core import tabular

COLUMNS = (
    ("code", "商铺码"), ("uscc", "统一社会信用代码"), ("entity_name", "主体名称"),
    ("shop_name", "店招名称"), ("address", "地址"), ("street", "街道"), ("business_type", "业态"),
    ("lat", "纬度"), ("lng", "经度"), ("contact", "联系人"), ("phone", "联系电话"),
    ("licence_no", "许可证号"), ("licence_expires", "许可证有效期"), ("serves_breakfast", "供应早餐"),
    ("cold_chain", "冷链"), ("complex", "商业综合体"), ("registered_on", "登记日期"),
    ("status", "状态"), ("opening_hours", "营业时间"),
)
FORMATS = tabular.FORMATS


def shop_row(shop: Shop) -> list:
    licence = next((lic for lic in shop.licences if lic.kind in ("food_business", "business")), None)
    values = {
        "code": shop.code, "uscc": shop.entity.uscc, "entity_name": shop.entity.name,
        "shop_name": shop.sign_name, "address": shop.address, "street": shop.street.name,
        "business_type": shop.business_type.name,
        "lat": "" if shop.lat is None else repr(shop.lat), "lng": "" if shop.lng is None else repr(shop.lng),
        "contact": shop.contact, "phone": shop.phone,
        "licence_no": licence.number if licence else "",
        "licence_expires": licence.expires_on.isoformat() if licence and licence.expires_on else "",
        "serves_breakfast": "是" if shop.serves_breakfast else "否",
        "cold_chain": "是" if shop.cold_chain else "否",
        "complex": shop.complex.name if shop.complex else "",
        "registered_on": shop.registered_on.isoformat() if shop.registered_on else "",
        "status": STATUS_LABELS.get(shop.status, shop.status), "opening_hours": shop.opening_hours,
    }
    return [values[key] for key, _ in COLUMNS]


def iter_rows(query):
    """Shops of a SELECT (already scoped and filtered), loaded in batches."""
    query = query.order_by(Shop.id).options(
        selectinload(Shop.entity), selectinload(Shop.street), selectinload(Shop.business_type),
        selectinload(Shop.complex), selectinload(Shop.licences)).execution_options(yield_per=1000)
    result = db.session.scalars(query)
    try:
        for shop in result:
            yield shop_row(shop)
    finally:  # a stream stopped early (a failed write, a closed download) closes its server-side cursor
        result.close()


def _sheet(query, progress=None) -> tabular.Sheet:
    rows = iter_rows(query)
    if progress is not None:
        rows = _counted(rows, progress)
    return tabular.Sheet("商铺登记", rows, header=[label for _, label in COLUMNS])


def _counted(rows, progress, every: int = 500):
    n = 0
    for n, row in enumerate(rows, 1):
        yield row
        if n % every == 0:
            progress(every)
    progress(n % every)


def write_shops(query, fmt: str, out: BinaryIO, progress=None) -> int:
    """Write the shops of `query` as `fmt` (csv or xlsx) to the binary file `out`, in constant
    memory. Returns the number of shops; raises ValueError for another format. `progress(n)` is
    called with the rows written since its last call (the export job's progress bar)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt}")
    return tabular.write(out, fmt, _sheet(query, progress))


def export_shops(query, fmt: str) -> tuple[bytes, int]:
    """Return (file bytes, number of shops). `fmt` is csv or xlsx; raises ValueError otherwise."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt}")
    return tabular.to_bytes(fmt, _sheet(query))
