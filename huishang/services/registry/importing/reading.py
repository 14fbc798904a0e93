"""Reading an import file: CSV (UTF-8 or GB18030) or the first sheet of an XLSX, as a header row
and numbered rows of cells, blank rows dropped. Nothing is checked here but the file itself."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from huishang.i18n import N_
from huishang.services import DomainError
from huishang.services.core import tabular


def decode(raw: bytes) -> str:
    """UTF-8 with or without BOM, else GB18030 (what Chinese Excel writes as "CSV")."""
    encodings = ("utf-8-sig",) if raw.startswith(b"\xef\xbb\xbf") else ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError as exc:
            problem = exc
    line = raw[:problem.start].count(b"\n") + 1
    raise DomainError(N_("无法识别文件编码（支持 UTF-8 与 GB18030）"),
                      {"file": [N_("第%(line)s行含有无法识别的字符", line=line)]}, status=400)


def cell_text(value):
    """Spreadsheet cells as the validator expects them: dates stay dates, numbers become text
    (a phone number stored as a number must not turn into 1.38e10), text loses the apostrophe our
    exports put before a formula-like start (`'=…` → `=…`)."""
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    return tabular.restore(str(value))


def read_rows(path: str | Path, content: bytes | None = None) -> tuple[list[str], list[tuple[int, list]]]:
    """Return (header, [(line number, cells)]) for a .csv or .xlsx file; blank rows dropped."""
    path = Path(path)
    raw = content if content is not None else path.read_bytes()
    if path.suffix.lower() == ".xlsx" or raw[:2] == b"PK":
        return _read_xlsx(raw)
    if path.suffix.lower() not in (".csv", ".txt", ""):
        raise DomainError(N_("只支持 CSV 或 XLSX 文件"),
                          {"file": [N_("不支持的文件类型：%(suffix)s", suffix=path.suffix)]},
                          status=400)
    reader = csv.reader(io.StringIO(decode(raw), newline=""))
    header: list[str] | None = None
    rows: list[tuple[int, list]] = []
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                header = cells
            else:
                rows.append((reader.line_num, [tabular.restore(c) for c in cells]))
    except csv.Error as exc:
        raise DomainError(N_("CSV 格式错误"),
                          {"file": [N_("第%(line)s行：%(error)s", line=reader.line_num, error=str(exc))]},
                          status=400) from None
    return header or [], rows


def _read_xlsx(raw: bytes):
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 — openpyxl raises many kinds on a damaged file
        raise DomainError(N_("无法读取 XLSX 文件"), {"file": [str(exc)[:200]]}, status=400) from None
    sheet = book.worksheets[0]
    header, rows = None, []
    for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = [cell_text(v) for v in values]
        if not any(c.strip() if isinstance(c, str) else c for c in cells):
            continue
        if header is None:
            header = [str(c) for c in cells]
        else:
            rows.append((line, cells))
    book.close()
    return header or [], rows
