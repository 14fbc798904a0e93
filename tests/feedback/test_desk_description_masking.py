"""The complaint desk applies the phone rule to the description too: the numbers and e-mail addresses a
complainant types into it are shown as typed only to the assigned handler (on the detail page and in the
staff API); every other regulator sees them partly masked (138****5678), and the CSV/XLSX export — a bulk
file that leaves the system — masks them for everyone, the handler included."""

import csv
import io

from openpyxl import load_workbook

from tests.factories import make_complaint, make_regulator, make_shop

MOBILE = "13812345678"
EMAIL = "wang.xiaoer@example.com"
DESCRIPTION = f"菜里有虫，请回电{MOBILE}或发邮件到{EMAIL}"


def setup_case():
    shop = make_shop(street="徐家汇街道")
    handler = make_regulator(streets=("徐家汇街道",))
    colleague = make_regulator(streets=("徐家汇街道",))
    complaint = make_complaint(shop, description=DESCRIPTION, assignee_id=handler.id)
    return complaint, handler, colleague


def exported(client):
    r = client.get("/admin/complaints/export.csv")
    assert r.status_code == 200
    text = r.get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    csv_description = rows[1][rows[0].index("描述")]
    r = client.get("/admin/complaints/export.xlsx")
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.data)).active
    header = [c.value for c in sheet[1]]
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    xlsx_description = [c.value for c in sheet[2]][header.index("描述")]
    return text, csv_description, cells, xlsx_description


def test_description_in_full_only_for_the_handler_on_the_page_and_in_the_api(client, login_as, auth_header):
    complaint, handler, colleague = setup_case()
    login_as(colleague)
    html = client.get(f"/admin/complaints/{complaint.ticket}").get_data(as_text=True)
    assert "菜里有虫" in html and "138****5678" in html and "w***@example.com" in html
    assert MOBILE not in html and "wang.xiaoer" not in html
    data = client.get(f"/api/v1/complaints/{complaint.ticket}", headers=auth_header(colleague)).get_json()
    assert data["description"] == "菜里有虫，请回电138****5678或发邮件到w***@example.com"
    client.post("/logout")
    login_as(handler)
    html = client.get(f"/admin/complaints/{complaint.ticket}").get_data(as_text=True)
    assert MOBILE in html and EMAIL in html and "138****5678" not in html
    data = client.get(f"/api/v1/complaints/{complaint.ticket}", headers=auth_header(handler)).get_json()
    assert data["description"] == DESCRIPTION


def test_export_masks_the_description_for_a_regulator_who_is_not_the_handler(client, login_as):
    _, _, colleague = setup_case()
    login_as(colleague)
    text, csv_description, cells, xlsx_description = exported(client)
    assert csv_description == "菜里有虫，请回电138****5678或发邮件到w***@example.com"
    assert MOBILE not in text and "wang.xiaoer" not in text
    assert xlsx_description == csv_description
    assert not [c for c in cells if MOBILE in c or "wang.xiaoer" in c]


def test_export_masks_the_description_for_the_handler_too(client, login_as):
    _, handler, _ = setup_case()
    login_as(handler)
    text, csv_description, _, xlsx_description = exported(client)
    assert "138****5678" in csv_description and MOBILE not in text
    assert xlsx_description == csv_description
