"""One check per field: the boundaries of each shared check, and the same bad value giving the same
message in the admin form, `POST /api/v1/shops` and `flask shops import --dry-run`."""
import csv
import html
import io
import re
from datetime import date, datetime, timedelta

import pytest

import huishang.schemas.feedback as feedback_schemas
import huishang.schemas.shops as shop_schemas
from huishang.models import today
from huishang.services import registry
from huishang.services.core import NOTHING, REQUIRED, Invalid, Report, day, number, text, yes_no
from huishang.services.registry import codes
from huishang.services.registry import fields as shop
from huishang.validation import Checked, missing_messages
from tests.factories import make_complex, make_regulator

GOOD_USCC = "91330100799655058B"
WIDE = {ord(c): ord(c) + 0xFEE0 for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.-"}


def wide(value: str) -> str:
    """The value typed with full-width characters, as Chinese input methods do."""
    return value.translate(WIDE)


def messages(check, value, *context) -> list[str]:
    with pytest.raises(Invalid) as info:
        check(value, *context)
    return [str(m) for m in info.value.messages]


# -- the shared checks, boundary by boundary ---------------------------------------------------------

def test_uscc():
    assert shop.uscc_code(GOOD_USCC) == GOOD_USCC
    assert shop.uscc_code(GOOD_USCC.lower()) == GOOD_USCC
    assert shop.uscc_code(wide(GOOD_USCC)) == GOOD_USCC
    assert shop.uscc_code(" 9133 0100 7996 5505 8B ") == GOOD_USCC
    assert messages(shop.uscc_code, GOOD_USCC[:17] + "C") == ["统一社会信用代码校验位错误"]
    assert messages(shop.uscc_code, GOOD_USCC[:17]) == ["统一社会信用代码应为18位"]
    assert messages(shop.uscc_code, GOOD_USCC + "0") == ["统一社会信用代码应为18位"]
    assert messages(shop.uscc_code, "9133010079965505IB") == ["统一社会信用代码含有非法字符：I"]
    assert shop.uscc_code("") is NOTHING and shop.uscc_code("　") is NOTHING and shop.uscc_code(None) is NOTHING


def test_plate_code():
    code = codes.mint()
    assert shop.plate_code(code) == code
    assert shop.plate_code(codes.display(code).lower()) == code
    assert shop.plate_code(wide(code)) == code
    wrong = code[:-1] + next(c for c in codes.ALPHABET if c != code[-1])
    assert messages(shop.plate_code, wrong) == [f"商铺码格式或校验位错误：{wrong}"]
    assert messages(shop.plate_code, code[:-1]) == [f"商铺码格式或校验位错误：{code[:-1]}"]
    assert shop.plate_code("") is NOTHING and shop.plate_code(None) is NOTHING


def test_phone():
    assert shop.phone("1234567") == "1234567"
    assert shop.phone("1" * 20) == "1" * 20
    assert shop.phone(wide("139 1234 5678")) == "139 1234 5678"
    assert shop.phone("021-6487(0000)") == "021-6487(0000)"
    assert shop.phone("") == "" and shop.phone(None) is NOTHING
    assert messages(shop.phone, "123456") == ["电话号码格式错误：123456"]
    assert messages(shop.phone, "1" * 21) == [f"电话号码格式错误：{'1' * 21}"]
    assert messages(shop.phone, "abc") == ["电话号码格式错误：abc"]
    assert messages(shop.phone, "1" * 31) == ["不能超过30个字符", f"电话号码格式错误：{'1' * 31}"]


@pytest.mark.parametrize("field", [shop.SIGN_NAME, shop.ADDRESS, shop.ENTITY_NAME, shop.LEGAL_REP, shop.CONTACT,
                                   shop.OPENING_HOURS, shop.LICENCE_NO, shop.BREAKFAST_OFFER, shop.BREAKFAST_HOURS])
def test_free_text_length(field):
    limit = shop.TEXT_LIMITS[field.name]
    assert field.max_length == limit
    assert field("字" * limit) == "字" * limit
    assert field(f"  {'字' * limit}　") == "字" * limit  # trimmed (full-width space too) before counting
    assert messages(field, "字" * (limit + 1)) == [f"不能超过{limit}个字符"]
    assert field("") == "" and field(None) is NOTHING
    assert field(wide("AB 12")) == "AB 12"


def test_text_keeps_an_over_long_value_for_the_other_checks():
    with pytest.raises(Invalid) as info:
        text(3)("abcd")
    assert info.value.value == "abcd"


@pytest.mark.parametrize("check,low,high", [(shop.latitude, 30.6, 31.6), (shop.longitude, 120.8, 122.2),
                                            (shop.breakfast_spend, 0, 500)])
def test_numbers_inside_their_range(check, low, high):
    assert check(low) == low and check(high) == high and check(str(high)) == high
    assert check(wide(str(high))) == high
    assert messages(check, high + 0.01) == [f"超出徐汇区范围（{low}–{high}）：{high + 0.01}"]
    assert messages(check, low - 0.01) == [f"超出徐汇区范围（{low}–{high}）：{low - 0.01}"]
    assert messages(check, "abc") == ["应为数字：abc"]
    assert messages(check, "nan") == ["应为有限数字"] and messages(check, float("inf")) == ["应为有限数字"]
    assert check("") is None and check(None) is None


def test_breakfast_wait_is_whole_minutes():
    assert shop.breakfast_wait("240") == 240 and shop.breakfast_wait("5.7") == 5 and shop.breakfast_wait(0) == 0
    assert messages(shop.breakfast_wait, 241) == ["超出徐汇区范围（0–240）：241"]
    assert shop.breakfast_wait("") is None


def test_dates():
    for typed in ("2024-03-05", "2024-3-5", "2024/3/5", "2024.03.05", "20240305", "2024年3月5日",
                  wide("2024-03-05"), date(2024, 3, 5), datetime(2024, 3, 5, 23, 59)):
        assert day(typed) == date(2024, 3, 5), typed
    assert messages(day, "2024-02-30") == ["日期格式错误（应为 YYYY-MM-DD）：2024-02-30"]
    assert messages(day, "明年") == ["日期格式错误（应为 YYYY-MM-DD）：明年"]
    assert day("") is None and day(None) is None
    assert shop.LICENCE_EXPIRES("2099-12-31") == date(2099, 12, 31)  # an expiry lies ahead


def test_registered_on_not_after_today():
    assert shop.registered_on(today()) == today()
    tomorrow = today() + timedelta(days=1)
    assert messages(shop.registered_on, tomorrow.isoformat()) == ["登记日期不能晚于今天"]
    assert messages(shop.registered_on, "2024-13-01") == ["日期格式错误（应为 YYYY-MM-DD）：2024-13-01"]


def test_yes_no():
    for word in ("是", "有", "供应", "√", "1", "yes", "Y", "TRUE", wide("yes"), True):
        assert yes_no(word) is True, word
    for word in ("否", "无", "不供应", "0", "no", "false", "", "　", False):
        assert yes_no(word) is False, word
    assert messages(yes_no, "也许") == ["无法识别的是/否值：也许"]
    assert yes_no(None) is NOTHING


def test_status():
    assert [shop.status(s) for s in ("营业", "停业", "注销", "OPEN", " suspended ")] == [
        "open", "suspended", "closed", "open", "suspended"]
    assert messages(shop.status, "歇业") == ["状态必须是 营业/停业/注销：歇业"]
    assert messages(shop.status, "") == ["状态必须是 营业/停业/注销："]
    assert shop.status(None) is NOTHING
    assert messages(shop.open_status, "注销") == ["注销请使用关闭商铺操作"]
    assert shop.open_status("停业") == "suspended"


def test_catalogue_fields_look_up_without_a_query():
    make_complex("美罗城")
    lookups = registry.Lookups.load()
    assert shop.street("徐家汇街道", lookups) == shop.street(wide("徐家汇街道"), lookups)
    assert messages(shop.street, "火星街道", lookups) == ["未知街道：火星街道"]
    assert shop.street("", lookups) is NOTHING
    assert shop.business_type("快餐", lookups) == shop.business_type("catering.fast_food", lookups)
    assert messages(shop.business_type, "catering", lookups) == ["未知业态：catering"]  # a family, not a type
    assert shop.complex_id("美罗城", lookups) and shop.complex_id("", lookups) is None
    assert messages(shop.complex_id, "无此城", lookups) == ["未知商业综合体：无此城"]


def test_report_takes_what_is_given_and_requires_what_must_be():
    report = Report({"lat": "abc", "lng": "121.4", "sign_name": " "})
    report.require("sign_name", "address")
    report.require("contact", when_given=True)
    assert report.take(shop.LAT) is NOTHING and report.take(shop.LNG) == 121.4
    assert report.take(shop.ADDRESS) is NOTHING  # not given: nothing recorded
    assert report.clean == {"lat": None, "lng": 121.4}
    assert report.errors == {"sign_name": [REQUIRED], "address": [REQUIRED], "lat": ["应为数字：abc"]}
    assert number(" 31 ") == 31.0


# -- the same message in the form, the API and the import ----------------------------------------------

ROW = {"uscc": GOOD_USCC, "entity_name": "上海味道餐饮有限公司", "sign_name": "味道小馆",
       "address": "徐汇区天钥桥路100号", "street": "徐家汇街道", "business_type": "catering.fast_food",
       "lat": "31.19", "lng": "121.44", "contact": "王芳", "phone": "13912345678", "licence_no": "JY1",
       "licence_expires": "2027-06-30", "registered_on": "2023-05-01"}
IMPORT_HEADER = {"sign_name": "shop_name"}  # the import's column for the sign name
TOMORROW = (today() + timedelta(days=1)).isoformat()
# (field, bad value, the messages every face gives, faces that have the field)
CASES = [
    ("uscc", GOOD_USCC[:17] + "C", ["统一社会信用代码校验位错误"], "form api import"),
    ("uscc", "9131000060721608", ["统一社会信用代码应为18位"], "form api import"),
    ("code", "ABCD", ["商铺码格式或校验位错误：ABCD"], "api import"),
    ("phone", "abc", ["电话号码格式错误：abc"], "form api import"),
    ("phone", "1" * 31, ["不能超过30个字符", f"电话号码格式错误：{'1' * 31}"], "form api import"),
    ("sign_name", "店" * 101, ["不能超过100个字符"], "form api import"),
    ("sign_name", "", ["必填项不能为空"], "form api import"),
    ("address", "址" * 201, ["不能超过200个字符"], "form api import"),
    ("entity_name", "", ["必填项不能为空"], "form api import"),
    ("street", "火星街道", ["未知街道：火星街道"], "form api import"),
    ("business_type", "火星餐饮", ["未知业态：火星餐饮"], "form api import"),
    ("lat", "39.9", ["超出徐汇区范围（30.6–31.6）：39.9"], "form api import"),
    ("lng", "abc", ["应为数字：abc"], "form api import"),
    ("licence_expires", "明年", ["日期格式错误（应为 YYYY-MM-DD）：明年"], "form api import"),
    ("registered_on", "2023-13-45", ["日期格式错误（应为 YYYY-MM-DD）：2023-13-45"], "form api import"),
    ("registered_on", TOMORROW, ["登记日期不能晚于今天"], "form api import"),
    ("cold_chain", "也许", ["无法识别的是/否值：也许"], "api import"),
    ("serves_breakfast", "也许", ["无法识别的是/否值：也许"], "api import"),
    ("complex", "无此城", ["未知商业综合体：无此城"], "form api"),  # the import creates it (issue 14)
]


def form_messages(client, field, value) -> list[str]:
    data = dict(ROW, **{field: value})
    r = client.post("/admin/shops/new", data=data)
    assert r.status_code == 422
    listed = re.findall(r'<li><a href="#(\w+)">[^<]*</a>：(.*?)</li>', r.get_data(as_text=True))
    return [html.unescape(m) for name, m in listed if name == field]


def api_messages(client, headers, field, value) -> list[str]:
    body = {**ROW, "lat": 31.19, "lng": 121.44, field: value}
    r = client.post("/api/v1/shops", json=body, headers=headers)
    assert r.status_code == 422, r.get_json()
    return r.get_json()["errors"][field]


def import_messages(runner, tmp_path, field, value) -> list[str]:
    row = dict(ROW, **{field: value})
    columns = [IMPORT_HEADER.get(name, name) for name in row]
    out = io.StringIO(newline="")
    csv.writer(out).writerows([columns, list(row.values())])
    path = tmp_path / "h6_fields.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    result = runner.invoke(args=["shops", "import", str(path), "--dry-run"])
    assert result.exit_code != 0
    prefix = f"第2行 {IMPORT_HEADER.get(field, field)}："
    return [line[len(prefix):] for line in result.output.splitlines() if line.startswith(prefix)]


@pytest.mark.parametrize("field,value,expected,faces", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_the_form_the_api_and_the_import_give_the_same_message(client, login_as, auth_header, runner, tmp_path,
                                                               field, value, expected, faces):
    make_complex("美罗城")
    regulator = make_regulator()
    got = {"import": import_messages(runner, tmp_path, field, value)} if "import" in faces else {}
    if "api" in faces:
        got["api"] = api_messages(client, auth_header(regulator), field, value)
    if "form" in faces:
        login_as(regulator)
        got["form"] = form_messages(client, field, value)
    assert got == dict.fromkeys(got, expected)


def test_the_messages_are_translated_on_every_face(client, login_as, auth_header):
    """The shared messages stay `N_()` messages through WTForms and marshmallow: English mode
    translates them on the form and in the API body alike."""
    regulator = make_regulator()
    headers = {**auth_header(regulator), "Accept-Language": "en"}
    body = dict(ROW, lat=31.19, lng=121.44, sign_name="店" * 101)
    del body["address"]
    r = client.post("/api/v1/shops", json=body, headers=headers)
    assert r.status_code == 422
    assert r.get_json()["errors"] == {"sign_name": ["At most 100 characters"], "address": ["Required"]}
    login_as(regulator)
    client.set_cookie("lang", "en")
    page = client.post("/admin/shops/new", data=dict(ROW, sign_name="店" * 101, address=""),
                       headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "At most 100 characters" in page and "Required" in page and "不能超过" not in page


def test_every_required_checked_api_field_can_say_what_is_missing():
    """A required field built on a domain check answers "nothing given" without its context
    (the catalogue checks look nothing up for a blank value)."""
    checked = [(schema.__name__, name, f) for module in (shop_schemas, feedback_schemas)
               for schema in vars(module).values() if isinstance(schema, type) and hasattr(schema, "_declared_fields")
               for name, f in schema._declared_fields.items() if isinstance(f, Checked) and f.required]
    assert len(checked) >= 8
    for schema, name, f in checked:
        assert missing_messages(f.domain), (schema, name)


def test_a_missing_street_is_required_in_the_api(client, auth_header):
    body = {**ROW, "lat": 31.19, "lng": 121.44}
    del body["street"]
    r = client.post("/api/v1/shops", json=body, headers=auth_header(make_regulator()))
    assert r.status_code == 422 and r.get_json()["errors"] == {"street": ["必填项不能为空"]}
