"""The inspector's phone home (issue 17): after login the inspector lands on today's assigned
visits, nearest first once the phone shares its position (the list's own order without it),
overdue ones marked in words; the header's entries are at least 44 px tall and the menu never
wraps at 360 or 390 px."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from huishang.extensions import db
from huishang.models import Shop, User, today
from huishang.models.grading import PlanItem
from tests import factories
from tests.browser import PHONE, fits_the_phone, in_live, log_in, no_problems, pytestmark  # noqa: F401


def _assign(live):
    def work():
        done = db.session.scalar(select(Shop.code).where(Shop.sign_name == "近处包子铺"))
        if done:
            return done
        me = db.session.scalar(select(User).where(User.username == live["inspector"]))
        partner = db.session.scalar(select(User).where(User.username == live["partner"]))
        on = today()
        far = factories.make_shop(sign_name="远处面馆", lat=31.30, lng=121.43)
        near = factories.make_shop(sign_name="近处包子铺", lat=31.2001, lng=121.4301)
        later = factories.make_shop(sign_name="下周才到期", lat=31.2002, lng=121.4302)
        for shop, due in ((far, on - timedelta(days=4)), (near, on), (later, on + timedelta(days=7))):
            db.session.add(PlanItem(shop_id=shop.id, cycle=f"phones-{shop.id}", street_id=shop.street_id,
                                    due_on=due, reason="routine", static_tier="A", dynamic_grade="良好",
                                    generated_on=on, status="open", inspector_id=me.id,
                                    co_inspector_id=partner.id))
        db.session.commit()
        return db.session.scalar(select(Shop.code).where(Shop.id == near.id))
    return in_live(live, work)


def test_the_inspector_lands_on_todays_visits_nearest_first(live, browser):
    near_code = _assign(live)
    context = browser.new_context(**PHONE, geolocation={"latitude": 31.2, "longitude": 121.43},
                                  permissions=["geolocation"])
    page = context.new_page()
    page.problems = []
    page.on("console", lambda msg: msg.type == "error" and page.problems.append(msg.text))
    try:
        log_in(page, live, "inspector")
        assert page.url.endswith("/admin/patrol"), page.url
        page.wait_for_function("document.getElementById('visit-order').textContent.includes('距离')")
        names = page.locator("#visits li.visit strong").all_inner_texts()
        assert names == ["近处包子铺", "远处面馆"], names  # nearest first; the one due next week is not today's
        far = page.locator("#visits li.visit").nth(1).inner_text()
        assert "已逾期 4 天" in far and "公里" in far
        assert "今天到期" in page.locator("#visits li.visit").first.inner_text()
        assert "另有 1 家" in page.inner_text("main")
        start = page.locator("#visits li.visit").first.get_by_role("link", name="开始检查")
        assert near_code in start.get_attribute("href")
        assert page.get_by_role("button", name="扫码检查").is_visible()
        fits_the_phone(page)
        assert page.problems == []
    finally:
        context.close()


def test_without_position_the_list_keeps_its_own_order(live, phone):
    _assign(live)
    page = phone
    log_in(page, live, "inspector")
    names = page.locator("#visits li.visit strong").all_inner_texts()
    assert names[:2] == ["远处面馆", "近处包子铺"], names  # most overdue first
    assert "清单顺序" in page.inner_text("#visit-order")
    no_problems(page)


@pytest.mark.parametrize("width", [360, 390])
@pytest.mark.parametrize("who", ["regulator", "inspector", "merchant"])
def test_header_targets_are_44px_and_the_menu_never_wraps(live, browser, width, who):
    context = browser.new_context(**{**PHONE, "viewport": {"width": width, "height": 800}})
    page = context.new_page()
    try:
        log_in(page, live, who)
        sizes = page.evaluate("""() => Array.from(document.querySelectorAll('.bar nav a, .bar nav button'))
            .map(el => { const r = el.getBoundingClientRect();
                         return {text: el.textContent.trim(), h: r.height, w: r.width, top: r.top}; })""")
        assert sizes, "the header has entries"
        for s in sizes:
            assert s["h"] >= 44 and s["w"] >= 44, s
        assert len({round(s["top"]) for s in sizes}) == 1, f"the menu wraps at {width}px: {sizes}"
        width_now = page.evaluate("document.documentElement.scrollWidth")
        assert width_now <= width, f"the page scrolls sideways at {width}px"
        for field in page.locator("main input:visible, main select:visible, main button:visible").all():
            assert field.bounding_box()["height"] >= 44, field.evaluate("el => el.outerHTML")
    finally:
        context.close()
