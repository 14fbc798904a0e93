"""The complaint desk's export (投诉工单导出): the desk's filtered queue as CSV or XLSX through the one
tabular writer (the BOM once, formula-safe cells, XLSX streamed).

The file leaves the system, so the complainant's phone and the personal data in descriptions are
masked for everyone, the assigned handler too."""
from __future__ import annotations

from datetime import date

from huishang.extensions import db
from huishang.services.core import tabular

from . import moderation
from .complaints import mask_phone

FORMATS = tabular.FORMATS
LIMIT = 50000  # rows; the desk's filters narrow a larger queue
COLUMNS = (
    ("工单号", lambda c: c.ticket), ("商铺码", lambda c: c.shop.code), ("店招", lambda c: c.shop.sign_name),
    ("街道", lambda c: c.shop.street.name), ("类别", lambda c: c.category_label),
    ("性质", lambda c: c.kind_label),
    ("状态", lambda c: c.status_label), ("提交日期", lambda c: c.submitted_on), ("期限", lambda c: c.due_on),
    ("已升级", lambda c: "是" if c.escalated else ""),
    ("经办人", lambda c: c.assignee.label if c.assignee else ""),
    ("联系电话（脱敏）", lambda c: mask_phone(c.phone) or ""), ("附议", lambda c: c.supporters),
    ("办结日期", lambda c: c.closed_on), ("属实", lambda c: "是" if c.substantiated else ""),
    ("满意度", lambda c: c.satisfaction or ""),
    ("描述", lambda c: moderation.mask_personal(c.description, partial=True)),  # the handler's file too
    ("办理结果", lambda c: c.resolution or ""),
)


def _value(value):
    """Dates as ISO text and no value as an empty cell, in both formats, as the desk always wrote them."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return value


def _rows(query):
    for complaint in db.session.scalars(query.limit(LIMIT)):
        yield [_value(get(complaint)) for _, get in COLUMNS]


def export(query, fmt: str) -> bytes:
    """The complaints of `query` (the desk's scoped, filtered queue), at most `LIMIT`, as `fmt`
    (csv or xlsx). Raises ValueError for another format."""
    sheet = tabular.Sheet("complaints", _rows(query), header=[name for name, _ in COLUMNS])
    return tabular.to_bytes(fmt, sheet)[0]
