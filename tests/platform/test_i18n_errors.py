"""English mode for the domain layer's error messages and the templates' punctuation.

Services write their messages in Chinese with `N_()` (huishang/i18n.py): the Chinese text is unchanged,
and the JSON error body, the pages and the flashed messages show them in the reader's language.
"""
import copy
import pickle
import re

import pytest
from flask_babel import gettext, pgettext, refresh

from huishang.i18n import N_, Listing, describe, localize
from huishang.services import DomainError
from huishang.services.registry import uscc
from tests import factories as f
from tests.platform.test_i18n import page

CJK = re.compile(r"[\u3400-\u9fff]")
# English words right next to full-width punctuation: "Status：", "(internal)：", "Licences（", "：open". Lower
# case only: registered data such as "某公司（91310104MA1FL8XX1Q）" may well put a capital letter there.
MIXED = re.compile(r"[a-z)][：（）]|[：（）][a-z]")


def shop_body(**kw):
    data = {"uscc": uscc.generate(), "entity_name": "上海味道餐饮有限公司", "sign_name": "味道小馆",
            "address": "徐汇区天钥桥路100号", "street": "徐家汇街道", "business_type": "快餐",
            "lat": 31.19, "lng": 121.44}
    data.update(kw)
    return data


# -- the message object ----------------------------------------------------------------------------

def test_message_is_the_chinese_text_and_keeps_its_msgid():
    message = N_("未知街道：%(street)s", street="火星街道")
    assert message == "未知街道：火星街道" and isinstance(message, str)
    assert message.msgid == "未知街道：%(street)s" and message.params == {"street": "火星街道"}
    for twin in (copy.copy(message), pickle.loads(pickle.dumps(message))):  # noqa: S301 — our own object
        assert twin == message and twin.msgid == message.msgid and twin.params == message.params
    assert N_("100%") == "100%"  # no parameters: the text is not %-formatted
    listing = Listing(["食品安全", "价格"])
    assert listing == "食品安全、价格" and pickle.loads(pickle.dumps(listing)).items  # noqa: S301 == ["食品安全", "价格"]


def test_outside_a_request_messages_stay_chinese():
    error = DomainError(N_("商铺信息有误"), {"street": [N_("未知街道：%(street)s", street="火星街道")]})
    assert localize(error.errors) == {"street": ["未知街道：火星街道"]}
    assert error.translated() == "商铺信息有误"
    assert describe(error) == "商铺信息有误：未知街道：火星街道"


def test_translation_in_an_english_request(app):
    with app.test_request_context("/?lang=en"):
        refresh()
        message = N_("未知街道：%(street)s", street="火星街道")
        assert localize({"street": [message]}) == {"street": ["Unknown street: 火星街道"]}  # user data as typed
        # a plain-Chinese label as a parameter is translated too, and a Listing item by item
        assert N_("当前状态：%(status)s", status="已受理").translate() == "Current status: Accepted"
        categories = N_("请选择投诉类别：%(categories)s", categories=Listing(["食品安全", "价格"]))
        assert categories.translate() == "Choose a complaint category: Food safety, Prices"
        error = DomainError(N_("投诉内容有误"), {"description": [N_("请填写说明")], "_status": [413]})
        assert error.summary() == "The complaint is invalid: Enter a note"
    with app.test_request_context("/?lang=zh"):
        refresh()
        assert N_("未知街道：%(street)s", street="火星街道").translate() == "未知街道：火星街道"
        assert error.summary() == "投诉内容有误：请填写说明"
    refresh()


# -- API error bodies ------------------------------------------------------------------------------

def api_post(client, url, lang, **kw):
    refresh()  # the conftest's app context outlives requests: let each request choose its locale
    return client.post(url, headers={**kw.pop("headers", {}), "Accept-Language": lang}, **kw)


def test_api_422_body_in_english_and_unchanged_in_chinese(client, auth_header):
    reg = f.make_regulator()
    body = shop_body(street="火星街道", phone="abc")
    r = api_post(client, "/api/v1/shops", "en", json=body, headers=auth_header(reg))
    assert r.status_code == 422
    payload = r.get_json()
    assert payload["message"] == "The shop details are invalid"
    assert payload["errors"]["street"] == ["Unknown street: 火星街道"]
    assert payload["errors"]["phone"] == ["Invalid phone number: abc"]
    assert not CJK.search(payload["message"])

    r = api_post(client, "/api/v1/shops", "zh-CN", json=body, headers=auth_header(reg))
    payload = r.get_json()
    assert r.status_code == 422 and payload["message"] == "商铺信息有误"
    assert payload["errors"]["street"] == ["未知街道：火星街道"]
    assert payload["errors"]["phone"] == ["电话号码格式错误：abc"]


def test_api_409_body_in_english(client):
    complaint = f.make_complaint(f.make_shop())
    url = f"/api/v1/public/complaints/{complaint.ticket}/me-too"
    assert api_post(client, url, "en").status_code == 200
    r = api_post(client, url, "en")
    assert r.status_code == 409
    assert r.get_json()["message"] == "You have already seconded this complaint"
    assert r.get_json()["errors"] == {"ticket": ["Each person can second a complaint once"]}
    r = api_post(client, url, "zh")
    assert r.get_json()["message"] == "您已附议过这条投诉"


def test_wrong_password_api_message_in_english(client):
    reg = f.make_regulator()
    r = api_post(client, "/api/v1/auth/token?lang=en", "en", json={"username": reg.username, "password": "nope-nope"})
    assert r.status_code == 401 and r.get_json()["message"] == "Wrong username or password"


# -- pages -----------------------------------------------------------------------------------------

def test_flashed_domain_error_in_english_and_chinese(client):
    complaint = f.make_complaint(f.make_shop(), category="price")
    url = f"/complaints/{complaint.ticket}/me-too"
    client.set_cookie("lang", "en")
    refresh()
    assert client.post(url).status_code == 302
    refresh()
    r = client.post(url, follow_redirects=True)
    html = r.get_data(as_text=True)
    assert "You have already seconded this complaint" in html and "您已附议过这条投诉" not in html

    client.set_cookie("lang", "zh")
    refresh()
    html = client.post(url, follow_redirects=True).get_data(as_text=True)
    assert "您已附议过这条投诉" in html and "You have already seconded" not in html


def test_form_errors_on_a_page_in_english(client, login_as):
    login_as(f.make_regulator())
    good = uscc.generate()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    data = {"uscc": bad, "entity_name": "上海好味道餐饮有限公司", "sign_name": "好味道小笼",
            "address": "徐汇区天钥桥路88号", "street": "徐家汇街道", "business_type": "catering.snack",
            "lat": "39.9", "lng": "121.4371", "phone": "abc"}
    refresh()
    r = client.post("/admin/shops/new?lang=en", data=data)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert_english = ["Invalid check character in the unified social credit code",
                      "Outside Xuhui District (", "Invalid phone number: abc"]
    for text in assert_english:
        assert text in html, text
    assert "校验位错误" not in html and "超出徐汇区范围" not in html
    refresh()
    # ?lang=en persists (a cookie, issue 17): switch back the same way.
    html = client.post("/admin/shops/new?lang=zh", data=data).get_data(as_text=True)
    assert "统一社会信用代码校验位错误" in html and "电话号码格式错误：abc" in html


def test_domain_error_page_in_english(client, login_as):
    """An uncaught DomainError renders the error page: its message and field messages in English."""
    login_as(f.make_regulator())
    html = page_status(client, "/admin/dashboard?street=火星街道&lang=en", 400)
    assert "Unknown street" in html and "未知街道" not in html


def page_status(client, url, status):
    refresh()
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


# -- punctuation and contexts ----------------------------------------------------------------------

def test_english_pages_have_no_full_width_punctuation_next_to_english(client, login_as):
    shop = f.make_shop()
    complaint = f.make_complaint(shop, phone="13800138000")
    html = page(client, f"/complaints/{complaint.ticket}?key={complaint.tracking_key}&lang=en")
    assert "Status: " in html and "Ticket: " in html
    assert not MIXED.findall(html), MIXED.findall(html)
    assert "状态：" in page(client, f"/complaints/{complaint.ticket}?key={complaint.tracking_key}&lang=zh")

    login_as(f.make_regulator())
    for url in (f"/admin/shops/{shop.code}", f"/admin/complaints/{complaint.ticket}", "/admin/shops"):
        html = page(client, url + "?lang=en")
        assert not MIXED.findall(html), (url, MIXED.findall(html))


def test_ambiguous_labels_have_contexts(app):
    with app.test_request_context("/?lang=en"):
        refresh()
        assert gettext("一般") == "Fair"  # the dynamic grade
        assert pgettext("penalty severity", "一般") == "General"
        assert pgettext("satisfaction", "一般") == "Neutral"
        assert gettext("注销") == "Closed"  # the shop status
        assert pgettext("action", "注销") == "Close shop"
    refresh()


def test_close_button_and_status_read_differently(client, login_as):
    shop = f.make_shop()
    login_as(f.make_regulator())
    html = page(client, f"/admin/shops/{shop.code}?lang=en")
    assert "Close shop" in html


@pytest.mark.parametrize("template", ["feedback/track.html", "property/tenant.html", "merchant/staff.html",
                                      "feedback/desk_detail.html", "inspections/detail.html"])
def test_templates_keep_no_full_width_colon_outside_the_msgid(template):
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "huishang" / "templates" / template).read_text("utf-8")
    assert not re.search(r"\}\}[：（）]|[（）]\{\{", text), template


def test_grading_and_credit_explanations_in_english(client, login_as):
    """The shop's explanation (why it is due, what worsened it) and its credit reasons are computed
    in Chinese by the domain layer and shown in the reader's language."""
    shop = f.make_shop(registered_on="2026-01-05")
    f.db.session.commit()
    login_as(f.make_regulator())
    client.set_cookie("lang", "en")
    refresh()
    html = page_status(client, f"/admin/grading/shops/{shop.code}", 200)
    assert "Never inspected: registered 2026-01-05 + " in html and "No full inspection on record yet" in html
    assert "从未检查" not in html and "尚无全面检查记录" not in html
    client.set_cookie("lang", "zh")
    refresh()
    html = page_status(client, f"/admin/grading/shops/{shop.code}", 200)
    assert "从未检查：登记日 2026-01-05 + " in html and "尚无全面检查记录" in html
