"""表格导出 — the one writer for every CSV and XLSX file the platform hands out.

CSV is RFC 4180 as Python's `csv` module writes it (CRLF line ends, a field quoted when it holds
the separator, a quote or a line break), encoded UTF-8 with one byte-order mark at the start, which
Chinese Excel needs to open it without garbling. XLSX is written by openpyxl in write-only mode:
rows go to a temporary file as they come, so memory stays flat however long the file is.

Formula injection (OWASP "CSV Injection", CWE-1236): a text cell that begins with `=`, `+`, `-`,
`@`, tab, carriage return, line feed or a full-width `＝ ＋ － ＠` would be run by a spreadsheet as
a formula. Such a cell gets a leading apostrophe (`'=HYPERLINK(...)`), in both formats; in XLSX
it is a string cell, never a formula. Numbers, dates, booleans and empty cells are written as they
are. Because quoting is done by the `csv` module, a value cannot close its field and start a new
one, the other trick OWASP warns about. `restore()` undoes the apostrophe for imports, so an
exported registry file imports back unchanged. (OWASP notes that Excel may drop the apostrophe if a
user saves the file again as CSV: this is defence in depth, not a guarantee for re-saved files.)
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
BOM = "\ufeff"
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMATS = tuple(MIMETYPES)
CHUNK_CHARS = 64 * 1024
_AS_IS = (int, float, Decimal, date, datetime, time, timedelta)  # bool is an int
_WATCH = frozenset(FORMULA_STARTS) | {"'"}  # first characters that need a closer look


@dataclass
class Sheet:
    """One table: `rows` may be any iterable (a generator keeps memory flat).

    `caption` (a title line above the header), `bold_header`, `widths` (in characters, from
    column A) and `freeze` (a cell such as "A3") only affect XLSX."""

    title: str
    rows: Iterable[Sequence]
    header: Sequence[str] | None = None
    caption: str | None = None
    bold_header: bool = False
    widths: Sequence[float] = ()
    freeze: str | None = None


def _formula_like(text: str) -> bool:
    return text.lstrip("'").startswith(FORMULA_STARTS)


def safe_text(text: str) -> str:
    """`text` as a spreadsheet shows it as text: an apostrophe before a formula-like start.

    A text that already starts with apostrophes before such a character gets one more, so that
    `restore()` gives back exactly what was written."""
    return "'" + text if _formula_like(text) else text


def restore(text: str) -> str:
    """The value `safe_text` was given: the inverse, for reading our own files back in."""
    return text[1:] if text.startswith("'") and _formula_like(text[1:]) else text


def safe_cell(value):
    """A cell value ready for either format: numbers, dates and None unchanged, anything else as
    formula-safe text."""
    if value is None or isinstance(value, _AS_IS):
        return value
    return safe_text(value if isinstance(value, str) else str(value))


def _safe_row(row: Sequence) -> list:
    # Most cells are plain text with an ordinary first character: pass those without a call.
    return [v if v.__class__ is str and v[:1] not in _WATCH else safe_cell(v) for v in row]


# -- CSV --------------------------------------------------------------------------------------

class _Buffer(list):
    """What `csv.writer` writes into: a list of strings, cut into chunks by the caller."""

    size = 0

    def write(self, text: str) -> None:
        self.append(text)
        self.size += len(text)

    def take(self) -> bytes:
        data = "".join(self).encode("utf-8")
        self.clear()
        self.size = 0
        return data


def csv_chunks(rows: Iterable[Sequence], header: Sequence[str] | None = None) -> Iterator[bytes]:
    """The CSV file as UTF-8 byte chunks of about 64 KB: the BOM once, the header (if any), then
    the rows as they are read. Suits a streamed response; `write_csv` writes it to a file."""
    buffer = _Buffer()
    buffer.write(BOM)
    writer = csv.writer(buffer)  # the excel dialect: comma, CRLF, minimal quoting
    if header is not None:
        writer.writerow(_safe_row(header))
    for row in rows:
        writer.writerow(_safe_row(row))
        if buffer.size >= CHUNK_CHARS:
            yield buffer.take()
    yield buffer.take()


def write_csv(out: BinaryIO, rows: Iterable[Sequence], header: Sequence[str] | None = None) -> int:
    """Write the CSV file to the binary file `out`. Returns the number of rows (header excluded)."""
    count = 0

    def counted():
        nonlocal count
        for row in rows:
            count += 1
            yield row

    for chunk in csv_chunks(counted(), header):
        out.write(chunk)
    return count


# -- XLSX -------------------------------------------------------------------------------------

def write_xlsx(out: BinaryIO, *sheets: Sheet) -> int:
    """Write an XLSX workbook with one worksheet per sheet to the binary file `out` (streamed:
    openpyxl write-only). Returns the number of rows written (captions and headers excluded)."""
    book = Workbook(write_only=True)
    count = 0
    for sheet in sheets or (Sheet("Sheet1", ()),):
        ws = book.create_sheet(sheet.title[:31])  # Excel's limit on a sheet name
        for n, width in enumerate(sheet.widths, 1):
            ws.column_dimensions[get_column_letter(n)].width = width
        if sheet.freeze:
            ws.freeze_panes = sheet.freeze
        if sheet.caption is not None:
            ws.append([safe_cell(sheet.caption)])
        if sheet.header is not None:
            ws.append(_header_cells(ws, sheet) if sheet.bold_header else _safe_row(sheet.header))
        for row in sheet.rows:
            ws.append(_safe_row(row))  # a safe text never starts with "=": never a formula cell
            count += 1
    book.save(out)
    return count


def _header_cells(ws, sheet: Sheet) -> list:
    bold = Font(bold=True)
    cells = []
    for name in sheet.header:
        cell = WriteOnlyCell(ws, value=safe_cell(name))
        cell.font = bold
        cells.append(cell)
    return cells


# -- both -------------------------------------------------------------------------------------

def write(out: BinaryIO, fmt: str, sheet: Sheet) -> int:
    """Write `sheet` as `fmt` (csv or xlsx) to `out`; returns the number of rows. CSV ignores
    the XLSX-only settings. Raises ValueError for another format."""
    if fmt == "csv":
        return write_csv(out, sheet.rows, sheet.header)
    if fmt == "xlsx":
        return write_xlsx(out, sheet)
    raise ValueError(f"unknown tabular format {fmt!r}")


def to_bytes(fmt: str, sheet: Sheet) -> tuple[bytes, int]:
    """(file bytes, number of rows) of `sheet` as `fmt`. For a file too large to hold in memory,
    `write` to a file or stream `csv_chunks` instead. Raises ValueError for another format."""
    out = io.BytesIO()
    count = write(out, fmt, sheet)
    return out.getvalue(), count
