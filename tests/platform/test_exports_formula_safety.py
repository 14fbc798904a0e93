"""Every CSV/XLSX export, fed a shop named =HYPERLINK(...) and addresses starting with + - @: each file
has the BOM once (CSV), shows the text as text (an apostrophe first), never holds a formula cell
(XLSX, opened with openpyxl), and the registry files still import back unchanged."""
import csv
import io
import zipfile
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from huishang.models import today
from tests.factories import add_inspection, job_download, make_complaint, make_regulator, make_shop

BOM = b"\xef\xbb\xbf"
NAME = '=HYPERLINK("http://x","y")'
ADDRESSES = ("+86 漕溪北路1号", "-1号 漕溪北路", "@漕溪北路3号")
PAYLOADS = (NAME, *ADDRESSES)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


@pytest.fixture
def shops():
    """Three shops on the 30-day list, one with a licence about to expire, each with a complaint."""
    made = []
    for n, address in enumerate(ADDRESSES):
        extra = {"licence_no": "JY123", "licence_expires": (today() + timedelta(days=10)).isoformat()} if n == 0 else {}
        shop = make_shop(sign_name=NAME if n == 0 else f"小馆{n}", address=address, **extra)
        add_inspection(shop, today() - timedelta(days=170 + n), "pass")
        make_complaint(shop, description=NAME)
        made.append(shop)
    return made


def csv_cells(data: bytes) -> list[str]:
    """The cells of a CSV export, after checking that the BOM is there exactly once."""
    assert data.startswith(BOM) and data.count(BOM) == 1
    return [cell for row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")) for cell in row]


def assert_csv_safe(data: bytes, payloads=PAYLOADS):
    cells = csv_cells(data)
    assert not [c for c in cells if c.startswith(FORMULA_STARTS)]
    for payload in payloads:
        assert "'" + payload in cells, payload


def assert_xlsx_safe(data: bytes, payloads=PAYLOADS, sheet_name=None):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in archive.read(name).decode(), name
    book = load_workbook(io.BytesIO(data))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c for c in cells if c.data_type == "f"]
    texts = [c for c in cells if isinstance(c.value, str)]
    assert all(c.data_type == "s" and not c.value.startswith(FORMULA_STARTS) for c in texts)
    sheet = book[sheet_name] if sheet_name else book.worksheets[0]
    values = [c.value for row in sheet.iter_rows() for c in row]
    for payload in payloads:
        assert "'" + payload in values, payload


def test_registry_export_pages(client, login_as, shops):
    login_as(make_regulator())
    assert_csv_safe(job_download(client, client.post("/admin/shops/export.csv"))[1].data)
    assert_xlsx_safe(job_download(client, client.post("/admin/shops/export.xlsx"))[1].data)


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_registry_export_command_is_safe_and_imports_back_unchanged(runner, tmp_path, shops, suffix):
    out = tmp_path / f"h5_shops.{suffix}"
    result = runner.invoke(args=["shops", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    (assert_csv_safe if suffix == "csv" else assert_xlsx_safe)(out.read_bytes())
    assert not (tmp_path / f"h5_shops.{suffix}.part").exists()
    result = runner.invoke(args=["shops", "import", str(out)])
    assert result.exit_code == 0, result.output
    assert "新增 0，更新 0，未变 3" in result.output  # the apostrophes come off again


def test_thirty_day_list_exports(client, login_as, shops):
    login_as(make_regulator())
    assert_csv_safe(client.get("/admin/plan/export.csv?days=30").data)
    assert_xlsx_safe(client.get("/admin/plan/export.xlsx?days=30").data)
    pdf = client.get("/admin/plan/export.pdf?days=30").data
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "HYPERLINK" in text and "'=" not in text  # a PDF runs no formulas: printed as typed


def test_plan_pdf_prints_markup_in_a_name_as_text(client, login_as):
    shop = make_shop(sign_name="A<B & <font size=40>C</font>")
    add_inspection(shop, today() - timedelta(days=170), "pass")
    login_as(make_regulator())
    r = client.get("/admin/plan/export.pdf?days=30")
    assert r.status_code == 200
    text = " ".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(r.data)).pages).split())
    assert "A<B & <font size=40>C</font>" in text  # the cell wraps: compare with spaces folded


def test_complaint_desk_exports(client, login_as, shops):
    login_as(make_regulator())
    payloads = (NAME,)  # the desk shows sign names and descriptions, not addresses
    assert_csv_safe(client.get("/admin/complaints/export.csv").data, payloads)
    assert_xlsx_safe(client.get("/admin/complaints/export.xlsx").data, payloads)


def test_dashboard_exports(client, login_as, shops):
    login_as(make_regulator())
    assert_csv_safe(client.get("/admin/dashboard/export.csv").data, (NAME,))
    assert_xlsx_safe(client.get("/admin/dashboard/export.xlsx").data, (NAME,), sheet_name="licences_expiring")


def test_open_data_feed(runner, tmp_path, shops):
    result = runner.invoke(args=["opendata", "export", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(tmp_path / "latest.zip") as archive:
        for name in archive.namelist():
            data = archive.read(name)
            if name == "businesses.csv":
                assert_csv_safe(data)
            else:
                assert not [c for c in csv_cells(data) if c.startswith(FORMULA_STARTS)]
