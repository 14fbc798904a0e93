"""Views assemble what a page shows: no template global queries or decides a permission, no
feature guard, and every section of the shop profile and the scan faces is on the page."""
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask_babel import refresh

from huishang.extensions import db
from huishang.models import today
from huishang.services.merchant import staff as staff_service
from tests.factories import (
    add_inspection,
    add_penalty,
    make_complaint,
    make_inspector,
    make_regulator,
    make_review,
    make_shop,
)


def english(client, url):
    refresh()  # requests share the test's app context: let Babel choose the locale again (test_i18n)
    return client.get(url + "?lang=en").get_data(as_text=True)


PACKAGE = Path(__file__).resolve().parents[2] / "huishang"
REMOVED_GLOBALS = {
    "nine_grid", "grading_panel", "feedback_shop_complaints", "feedback_shop_reviews",
    "feedback_closed_statuses", "feedback_reviews", "feedback_review_tags", "inspection_summary",
    "staff_summary", "plate_panel", "shop_audit_events", "merchant_menu", "unread_notifications",
    "property_unread_messages", "has_endpoint",
}


def test_no_template_includes_ignore_missing_or_falls_back():
    """A missing partial is an error, never a silently shorter page."""
    offenders = [str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.html")
                 if re.search(r"ignore\s+missing|{%-?\s*include\s*\[", path.read_text(encoding="utf-8"))]
    assert offenders == []


def test_jinja_globals_hold_no_query_globals(app):
    assert not REMOVED_GLOBALS & set(app.jinja_env.globals)
    ours = [proc for procs in app.template_context_processors.values() for proc in procs
            if proc.__module__.startswith("huishang")]
    assert [proc.__module__ for proc in ours] == ["huishang.hooks"]  # the one that calls nav()


def test_no_feature_guards_in_the_code():
    """Every feature is always present: no checks whether an endpoint or module exists."""
    guards = re.compile(r"view_functions|has_endpoint|except (ImportError|ModuleNotFoundError)|TemplateNotFound")
    offenders = [str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
                 if guards.search(path.read_text(encoding="utf-8"))]
    assert offenders == []


@pytest.fixture
def full_shop():
    """A shop with something in every profile section."""
    shop = make_shop(serves_breakfast=True, breakfast_offer="豆浆、油条、小笼包", breakfast_hours="06:30-09:30")
    add_inspection(shop, today() - timedelta(days=3), "partial", deadline=today() + timedelta(days=10))
    complaint = make_complaint(shop)
    make_review(shop, stars=5, text="小笼包很好吃", status="visible")
    add_penalty(shop, today() - timedelta(days=10), decision_no="徐市监案〔2026〕777号")
    staff_service.add(shop, {"name": "韩梅梅", "role": "厨师", "vaccine_doses": "2"})
    db.session.commit()
    return shop, complaint


SECTIONS_ZH = ("铭牌", "近 30 天扫码", "风险分级与应检", "分级详情", "监督检查", "下次自查到期",
               "投诉举报", "顾客点评", "1 条公开评价", "小笼包很好吃", "从业人员", "韩梅梅", "变更记录")
SECTIONS_EN = ("Plate", "Scans in the last 30 days", "Risk grading & due inspections", "Inspections",
               "Complaints & reports", "Customer reviews", "Staff", "Change history")
REGULATOR_ONLY = ("补发铭牌（生成新编号）", "信用风险分类（内部）", "行政处罚（内部）", "罚款 5000.00 元",
                  "登记处罚", "点评审核", "认领与告知书")


def test_profile_shows_every_section_to_a_regulator(client, login_as, full_shop):
    shop, complaint = full_shop
    login_as(make_regulator())
    page = client.get(f"/admin/shops/{shop.code}").get_data(as_text=True)
    for words in SECTIONS_ZH + REGULATOR_ONLY + ("开始检查", complaint.ticket):
        assert words in page, words
    assert f'href="/admin/complaints/{complaint.ticket}"' in page  # the ticket opens on the desk
    page = english(client, f"/admin/shops/{shop.code}")
    for words in SECTIONS_EN + ("Credit class (internal)", "Penalties (internal)"):
        assert words in page, words


def test_profile_shows_the_inspector_every_section_but_the_regulators_parts(client, login_as, full_shop):
    shop, complaint = full_shop
    login_as(make_inspector(streets=("徐家汇街道",)))
    page = client.get(f"/admin/shops/{shop.code}").get_data(as_text=True)
    for words in SECTIONS_ZH + ("开始检查", complaint.ticket):
        assert words in page, words
    for words in REGULATOR_ONLY:
        assert words not in page, words
    assert f'href="/admin/complaints/{complaint.ticket}"' not in page
    page = english(client, f"/admin/shops/{shop.code}")
    for words in SECTIONS_EN:
        assert words in page, words


def test_citizen_face_shows_reviews_breakfast_and_actions(client, full_shop):
    shop, _complaint = full_shop
    page = client.get(f"/s/{shop.code}").get_data(as_text=True)
    for words in ("顾客评价", "1 条评价", "小笼包很好吃", "早餐供应", "豆浆、油条、小笼包", "06:30-09:30",
                  f'href="/s/{shop.code}/review"', f'href="/s/{shop.code}/complain"', "查询我的投诉"):
        assert words in page, words
    page = english(client, f"/s/{shop.code}")
    assert "Breakfast" in page and "Customer reviews" in page and "小笼包很好吃" in page


def test_citizen_face_of_a_shop_without_breakfast_has_no_breakfast_section(client):
    shop = make_shop()
    page = client.get(f"/s/{shop.code}").get_data(as_text=True)
    assert "早餐供应" not in page
    assert "还没有评价" in page and "查询我的投诉" in page


def test_supervision_face_shows_grading_inspections_and_open_complaints(app, client, login_as, full_shop):
    shop, complaint = full_shop
    login_as(make_regulator())
    page = client.get(f"/s/{shop.code}").get_data(as_text=True)
    for words in ("监管页面", "开始检查", "风险分级", "分级详情", "最近检查", "全部检查与自查记录",
                  "未办结投诉举报", complaint.ticket, "信用风险分类（内部，不公开）"):
        assert words in page, words
    inspector = app.test_client()
    inspector.post("/login", data={"username": make_inspector(streets=("徐家汇街道",)).username,
                                   "password": "password123"})
    page = inspector.get(f"/s/{shop.code}").get_data(as_text=True)
    assert "监管页面" in page and complaint.ticket in page and "信用风险分类" not in page
