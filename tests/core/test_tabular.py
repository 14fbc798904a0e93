"""The one tabular writer: the BOM once, formula-safe text, numbers and dates kept, streaming."""
import csv
import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from huishang.services.core import tabular

BOM = b"\xef\xbb\xbf"
DANGEROUS = ['=HYPERLINK("http://x","y")', "+1+2", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)", "\t=1", "\r=1",
             "\n=1", "＝1+1", "＋1", "－1", "＠SUM(A1)", "'=already quoted", "''+twice"]
HARMLESS = ["普通小馆", "a=b", "1-2", "'apostrophe", "''", "#hash", "", "'"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_formula_like_text_gets_one_apostrophe_and_restores(text):
    safe = tabular.safe_text(text)
    assert safe == "'" + text and tabular.restore(safe) == text


@pytest.mark.parametrize("text", HARMLESS)
def test_other_text_is_written_as_is(text):
    assert tabular.safe_text(text) == text and tabular.restore(text) == text


def test_numbers_dates_and_none_are_not_text():
    values = [-5, 2.5, Decimal("-1.5"), True, date(2026, 3, 1), datetime(2026, 3, 1, 8, 0), None]
    assert [tabular.safe_cell(v) for v in values] == values


def _csv(data: bytes) -> list[list[str]]:
    assert data.startswith(BOM) and data.count(BOM) == 1
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_has_one_bom_and_quotes_like_owasp():
    data, count = tabular.to_bytes("csv", tabular.Sheet("t", [['=1+2";=1+2', "=1+2'\" ;,=1+2", -3]],
                                                        header=["a", "b", "c"]))
    assert count == 1
    # OWASP's two examples: the apostrophe inside the quoted field, embedded quotes doubled
    assert data.decode("utf-8-sig").splitlines()[1] == '"\'=1+2"";=1+2","\'=1+2\'"" ;,=1+2",-3'
    assert _csv(data) == [["a", "b", "c"], ["'=1+2\";=1+2", "'=1+2'\" ;,=1+2", "-3"]]


def test_csv_streams_in_chunks_with_the_bom_only_in_the_first():
    rows = ([n, f"店铺{n}", "=x"] for n in range(20000))
    chunks = list(tabular.csv_chunks(rows, header=["n", "name", "f"]))
    assert len(chunks) > 3 and chunks[0].startswith(BOM)
    assert not any(BOM in chunk for chunk in chunks[1:])
    parsed = _csv(b"".join(chunks))
    assert len(parsed) == 20001 and parsed[-1] == ["19999", "店铺19999", "'=x"]


def test_write_csv_reads_rows_lazily_and_counts_them():
    seen = []

    def rows():
        for n in range(3):
            seen.append(n)
            yield [n]

    out = io.BytesIO()
    assert tabular.write_csv(out, rows()) == 3 and seen == [0, 1, 2]
    assert _csv(out.getvalue()) == [["0"], ["1"], ["2"]]


def test_xlsx_text_is_never_a_formula_and_numbers_and_dates_stay():
    rows = [[text, 7, -2.5, date(2026, 3, 1), None] for text in DANGEROUS + HARMLESS[:-3]]
    out = io.BytesIO()
    count = tabular.write_xlsx(out, tabular.Sheet("t", iter(rows), header=["text", "n", "x", "day", "none"],
                                                  caption="标题", bold_header=True, widths=(30, 8), freeze="A3"))
    assert count == len(rows)
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()
    sheet = load_workbook(io.BytesIO(out.getvalue())).active
    assert sheet["A1"].value == "标题" and sheet["A2"].font.b and sheet.freeze_panes == "A3"
    assert sheet.column_dimensions["A"].width == 30
    for row, expected in zip(sheet.iter_rows(min_row=3), rows, strict=True):
        text, n, x, day, none = row
        written = tabular.safe_text(expected[0]).replace("\r", "\n")  # XML reads a bare CR as LF
        assert text.data_type == "s" and text.value == written
        assert not text.value.startswith(tabular.FORMULA_STARTS)
        assert (n.value, n.data_type, x.value) == (7, "n", -2.5)
        assert day.is_date and day.value.date() == date(2026, 3, 1) and none.value is None


def test_xlsx_several_sheets_and_an_unknown_format():
    out = io.BytesIO()
    tabular.write_xlsx(out, tabular.Sheet("一" * 40, [[1]]), tabular.Sheet("two", [["@x"]]))
    book = load_workbook(io.BytesIO(out.getvalue()))
    assert book.sheetnames == ["一" * 31, "two"] and book["two"]["A1"].value == "'@x"
    with pytest.raises(ValueError):
        tabular.to_bytes("pdf", tabular.Sheet("t", []))
