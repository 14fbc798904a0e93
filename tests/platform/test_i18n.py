"""English UI (Flask-Babel): `?lang=en`, the `lang` cookie or Accept-Language switch the pages to English,
Chinese stays the default, and the shipped catalogue translates every string the code marks with `_()`.

The catalogue tests fail when someone adds a `_()` string without translating it: run `make translations`
(extract → update → compile), fill in the new msgstr entries in
huishang/translations/en/LC_MESSAGES/messages.po, compile again and commit the .pot, .po and .mo.
"""
import importlib
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask_babel import refresh

from tests import factories as f

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "huishang" / "translations"
PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
CJK = re.compile(r"[\u3400-\u9fff]")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%|%[sd]|\{\w*\}")


def page(client, url, **kw):
    # The conftest keeps one app context open for the whole test, and requests reuse it, so Flask-Babel's
    # per-context locale cache would outlive a request: forget it so that each request chooses again.
    refresh()
    response = client.get(url, **kw)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def assert_english(html, english, chinese):
    for text in english:
        assert text in html, f"missing English text {text!r}"
    for text in chinese:
        assert text not in html, f"Chinese source string {text!r} left on an English page"


# -- pages -----------------------------------------------------------------------------------------

def test_login_page_in_english_with_lang_parameter(client):
    html = page(client, "/login?lang=en")
    assert '<html lang="en">' in html
    assert_english(html, ["Sign in", "Username", "Password", "Huishang Code"],
                   ["登录", "用户名", "密码", "汇商码"])


def test_chinese_is_the_default(client):
    html = page(client, "/login")
    assert '<html lang="zh-CN">' in html
    assert "用户名" in html and "密码" in html
    assert "Username" not in html and "Password" not in html


def test_lang_cookie_set_by_the_switch_keeps_english(client):
    response = client.get("/lang/en?next=/home")
    assert response.status_code == 302 and response.headers["Location"] == "/home"
    html = page(client, "/home")
    assert_english(html, ["Breakfast nearby", "Open data", "Scan the Huishang Code plate"],
                   ["附近早餐", "开放数据", "扫描店铺门口的汇商码铭牌"])
    client.get("/lang/zh?next=/home")
    assert "附近早餐" in page(client, "/home")


def test_accept_language_picks_english(client):
    html = page(client, "/home", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "Breakfast nearby" in html and "附近早餐" not in html
    html = page(client, "/home", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert "附近早餐" in html


def test_public_scan_page_in_english(client):
    shop = f.make_shop()
    html = page(client, f"/s/{shop.code}?lang=en")
    assert_english(html, ["Address", "Latest inspection", "Plate number", "call 12315"],
                   ["地址", "最近一次监督检查", "铭牌编号", "请拨打 12315 举报"])
    # the shop's own registered data is not translated
    assert shop.sign_name in html
    assert "最近一次监督检查" in page(client, f"/s/{shop.code}?lang=zh")


def test_complaint_form_labels_in_english(client):
    """Category and kind labels are plain Chinese in the code and translated at render time."""
    shop = f.make_shop()
    html = page(client, f"/s/{shop.code}/complain?lang=en")
    assert_english(html, ["Food safety", "Hygiene"], ["食品安全", "环境卫生"])
    html = page(client, f"/s/{shop.code}/complain?lang=en&category=food_safety")
    assert_english(html, ["Complaint (I want it resolved)", "Report (I want it investigated)"],
                   ["投诉（要求解决）", "举报（要求查处）"])


def test_regulator_pages_in_english(client, login_as):
    shop = f.make_shop()
    login_as(f.make_regulator())
    html = page(client, "/admin/shops?lang=en")
    assert_english(html, ["Shop register", "Register a new shop", "Sign out", "Complaint desk"],
                   ["商铺登记", "登记新商铺", "退出", "投诉台"])
    html = page(client, f"/admin/shops/{shop.code}?lang=en")
    assert_english(html, ["Shop code", "Licences"], ["商铺码", "尚未登记证照"])


def test_merchant_home_in_english(client, login_as):
    shop = f.make_shop()
    login_as(f.make_merchant(shops=[shop]))
    html = page(client, "/lang/en?next=/merchant/", follow_redirects=True)
    assert_english(html, ["My shops", "Sign out"], ["我的店铺", "退出"])


# -- the catalogue ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def catalog():
    with PO.open("rb") as fh:
        return read_po(fh, locale="en")


def source_msgids():
    """Every msgid the code marks today, extracted the way babel.cfg says (paths relative to the root)."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = dict(DEFAULT_KEYWORDS, _l=None, lazy_gettext=None)
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def test_every_msgid_has_a_translation(catalog):
    bad = [m.id for m in catalog if m.id and (not m.string or "fuzzy" in m.flags)]
    assert not bad, f"{len(bad)} untranslated or fuzzy entries in {PO.name}, e.g. {bad[:5]}"
    assert len([m for m in catalog if m.id]) > 500


def test_every_marked_string_in_the_source_is_in_the_catalogue(catalog):
    missing = {msgid: where for msgid, where in source_msgids().items() if not (catalog.get(msgid) and
                                                                                  catalog.get(msgid).string)}
    assert not missing, (f"{len(missing)} strings marked for translation have no English yet "
                         f"(run `make translations` and translate them): {list(missing.items())[:5]}")


# Label maps whose plain-Chinese values templates pass to `_()` as variables. pybabel cannot see those
# values: they are marked in huishang/translations/dynamic_labels.py (or with `_l` where defined).
LABEL_MAPS = [
    ("huishang.models.registry", "STATUS_LABELS"),
    ("huishang.models.feedback", "CATEGORY_LABELS"), ("huishang.models.feedback", "KIND_LABELS"),
    ("huishang.models.feedback", "STATUS_LABELS"), ("huishang.models.feedback", "REVIEW_TAGS"),
    ("huishang.models.grading", "TIERS"), ("huishang.models.grading", "GRADES"),
    ("huishang.models.grading", "REASON_LABELS"), ("huishang.models.grading", "PLAN_STATUS_LABELS"),
    ("huishang.models.inspections", "OUTCOME_LABELS"),
    ("huishang.services.feedback.complaints", "ROLE_LABELS"),
    ("huishang.services.feedback.complaints", "ACTION_LABELS"),
    ("huishang.services.grading.penalties", "SEVERITY_LABELS"), ("huishang.models.integration", "SCOPE_LABELS"),
    ("huishang.admin.trail", "FIELD_LABELS"), ("huishang.admin.trail", "ACTORS"),
    ("huishang.admin.trail", "REVIEW_STATUS_LABELS"), ("huishang.admin.trail", "SOURCE_LABELS"),
    ("huishang.services.core.audit", "ACTION_LABELS"),
    ("huishang.services.grading.rules", "RULE_LABELS"), ("huishang.services.catalog.checklists", "COLOUR_LABELS"),
    ("huishang.services.catalog.checklists", "KIND_LABELS"), ("huishang.services.catalog.checklists", "TOPIC_LABELS"),
    ("huishang.services.merchant.changes", "FIELD_LABELS"), ("huishang.services.merchant.licences", "LICENCE_KINDS"),
]


@pytest.mark.parametrize(("module", "name"), LABEL_MAPS,
                         ids=[f"{m.rsplit('.', 1)[1]}.{n}" for m, n in LABEL_MAPS])
def test_labels_translated_at_render_time_are_in_the_catalogue(catalog, module, name):
    labels = getattr(importlib.import_module(module), name, None)
    assert labels is not None, f"{module}.{name} is gone: update LABEL_MAPS in tests/platform/test_i18n.py"
    values = labels.values() if isinstance(labels, dict) else labels
    missing = [str(v) for v in values if not (catalog.get(str(v)) and catalog.get(str(v)).string)]
    assert not missing, (f"{module}.{name}: no English for {missing}; add them to "
                         "huishang/translations/dynamic_labels.py and run `make translations`")


def test_translations_keep_placeholders_and_are_english(catalog):
    for m in catalog:
        if not m.id:
            continue
        assert sorted(PLACEHOLDER.findall(m.id)) == sorted(PLACEHOLDER.findall(m.string)), (m.id, m.string)
        assert not CJK.search(m.string), (m.id, m.string)


def test_compiled_catalogue_matches_the_po(catalog):
    with MO.open("rb") as fh:
        compiled = read_mo(fh)
    po = {(m.context, m.id): m.string for m in catalog if m.id}  # pgettext: one msgid, several contexts
    mo = {(m.context, m.id): m.string for m in compiled if m.id}
    assert mo == po, "messages.mo is stale: run `pybabel compile -d huishang/translations` and commit it"
