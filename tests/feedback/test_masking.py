"""Personal data typed into complaint text (phones, ID numbers, e-mail) is masked wherever the text is
shown to someone who does not handle the complaint: the supervision face of the scan page, the
merchant's view of a complaint against their shop, and the public "same complaint" excerpts."""

import pytest

from huishang.extensions import db
from huishang.services.feedback import complaints, mask_personal
from tests.factories import make_complaint, make_inspector, make_merchant, make_regulator, make_shop

MOBILE = "13987654321"
ID_NO = "11010119900307123X"
EMAIL = "wang.xiaoer@example.com"
LANDLINE = "021-64871234"
DESCRIPTION = f"菜里有虫，我电话{MOBILE}，座机{LANDLINE}，身份证{ID_NO}，邮箱{EMAIL}，请回电"
RAW = (MOBILE, "64871234", ID_NO, "19900307", "wang.xiaoer")


@pytest.mark.parametrize("text, partial, full", [
    # mobiles: 1[3-9] + 9 digits, exactly 11 digits, also grouped, with +86 / 0086, full-width
    ("电话13812345678。", "电话138****5678。", "电话***********。"),
    ("19912345678", "199****5678", "*" * 11),
    ("138-1234-5678", "138****5678", "*" * 13),
    ("138 1234 5678", "138****5678", "*" * 13),
    ("+86 13812345678", "+86 138****5678", "*" * 15),
    ("8613812345678", "86138****5678", "*" * 13),
    ("１３８１２３４５６７８，", "138****5678，", "*" * 11 + "，"),
    ("12812345678", "12812345678", "12812345678"),  # no mobile starts 12
    ("1381234567", "1381234567", "1381234567"),  # 10 digits
    ("138123456789", "138123456789", "138123456789"),  # 12 digits: not a phone
    # landlines with an area code
    ("021-64871234", "021-****1234", "*" * 12),
    ("02164871234", "021****1234", "*" * 11),
    ("(0755)1234567", "(0755)****4567", "*" * 13),
    ("010 6487 1234", "010 ****1234", "*" * 13),
    # 18-character ID numbers (check character X in either case); 17 or 19 digits are not
    ("11010119900307123X", "110***********123X", "*" * 18),
    ("11010119900307123x", "110***********123X", "*" * 18),
    ("110101 19900307 1234", "110***********1234", "*" * 20),
    ("11010119900307123", "11010119900307123", "11010119900307123"),
    ("1101011990030712345", "1101011990030712345", "1101011990030712345"),
    # e-mail, also when the local part is a phone number
    ("邮箱 zhang.san@example.com。", "邮箱 z***@example.com。", "邮箱 " + "*" * 21 + "。"),
    ("13812345678@163.com", "1***@163.com", "*" * 19),
    # nothing personal: left exactly as typed (Chinese punctuation too)
    ("营业时间0830-1730，工单TS20261127-000001，2026-11-27，收了128元（两份）", None, None),
    ("", "", ""),
])
def test_mask_personal_boundaries(text, partial, full):
    assert mask_personal(text, partial=True) == (text if partial is None else partial)
    assert mask_personal(text) == (text if full is None else full)


def test_mask_personal_of_nothing():
    assert mask_personal(None) == "" and mask_personal(None, partial=True) == ""


def test_supervision_face_masks_personal_data_in_open_complaints(client, login_as):
    shop = make_shop()
    complaint = make_complaint(shop, description=DESCRIPTION, phone="13700001111")
    login_as(make_inspector())
    html = client.get(f"/s/{shop.code}").get_data(as_text=True)
    assert "scan-supervise" in html and complaint.ticket in html and "菜里有虫" in html
    for raw in RAW:
        assert raw not in html, raw
    assert "139****4321" in html and "110***********123X" in html and "w***@example.com" in html
    assert "13700001111" not in html and "137****1111" not in html  # the phone field is never shown


def test_supervision_face_masks_for_regulators_too(client, login_as):
    shop = make_shop()
    make_complaint(shop, description=DESCRIPTION)
    login_as(make_regulator())
    html = client.get(f"/s/{shop.code}").get_data(as_text=True)
    assert "scan-supervise" in html and "菜里有虫" in html
    for raw in RAW:
        assert raw not in html, raw


def test_merchant_sees_no_digits_of_personal_data(client, login_as, auth_header):
    shop = make_shop()
    complaint = make_complaint(shop, description=DESCRIPTION)
    complaints.transition(complaint, "accept", role="regulator")
    complaints.transition(complaint, "forward", role="regulator", note="请说明情况")
    db.session.commit()
    merchant = make_merchant(shops=[shop])
    login_as(merchant)
    page = client.get(f"/merchant/complaints/{complaint.ticket}").get_data(as_text=True)
    api = str(client.get(f"/api/v1/complaints/{complaint.ticket}", headers=auth_header(merchant)).get_json())
    for shown in (page, api):
        assert "菜里有虫" in shown
        for raw in (*RAW, "4321", "123X", "example.com"):
            assert raw not in shown, raw


def test_public_suggestions_mask_personal_data(client):
    shop = make_shop()
    make_complaint(shop, category="price", description=f"多收钱 {MOBILE} {EMAIL}")
    items = client.get(f"/api/v1/public/shops/{shop.code}/complaints?category=price").get_json()
    assert len(items) == 1 and "多收钱" in items[0]["excerpt"]
    assert MOBILE not in str(items) and "wang.xiaoer" not in str(items)
    html = client.get(f"/s/{shop.code}/complain?category=price").get_data(as_text=True)
    assert "多收钱" in html and MOBILE not in html and "wang.xiaoer" not in html
