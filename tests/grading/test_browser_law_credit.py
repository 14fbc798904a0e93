"""The public pages of issue 15 in Chromium: a draw's results (after its window) and a shop's
penalty summary on the scan page fit the 390 px phone and the 1440 px desk, zh and en, with no
console errors or CSP violations; the chain view fits the desk. Screenshots: /tmp/law-credit-*.png."""
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest

from tests import factories
from tests.browser import fits_the_phone, in_live, no_problems, pytestmark  # noqa: F401

SHOTS = Path(tempfile.gettempdir())


@pytest.fixture(scope="module")
def published(live):
    def build():
        from huishang.extensions import db
        from huishang.models import today
        from huishang.services.grading import draws

        on = today()
        head = factories.make_shop(sign_name="阿娘面馆总店")
        branch = factories.make_shop(uscc=head.entity.uscc, sign_name="阿娘面馆漕溪店")
        factories.make_inspector()
        factories.add_penalty(head, on - timedelta(days=10), "general", published_on=on - timedelta(days=5),
                              basis="《中华人民共和国食品安全法》第一百二十六条第一款第五项",
                              violation="未按规定对餐具、饮具进行清洗消毒")
        draw = draws.create_draw({"title": "2026年第四季度餐饮双随机抽查", "ratios": {k: 1.0 for k in "ABCD"}},
                                 actor=factories.make_regulator())
        draw.window_ends_on = on - timedelta(days=1)
        draws.publish_due()
        db.session.commit()
        return {"token": draw.public_token, "head": head.code, "uscc": head.entity.uscc, "branch": branch.code}
    return {**live, **in_live(live, build)}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_public_draw_and_penalty_fit_phone_and_desk(phone, desktop, published, lang):
    for name, page in (("phone", phone), ("desk", desktop)):
        for what, path in (("draw", f"/draws/{published['token']}"), ("penalty", f"/s/{published['head']}")):
            response = page.goto(f"{published['base']}{path}?lang={lang}")
            assert response.status == 200, path
            text = page.inner_text("main")
            assert ("阿娘面馆" in text) and ("第一百二十六条" in text if what == "penalty" else True)
            if name == "phone":
                fits_the_phone(page)
            else:
                assert page.evaluate("document.documentElement.scrollWidth") <= 1440
            page.screenshot(path=str(SHOTS / f"law-credit-{what}-{name}-{lang}.png"), full_page=True)
            no_problems(page)


def test_chain_view_fits_the_desk(desktop, published):
    desktop.goto(f"{published['base']}/login")  # the harness's log_in taps (a phone); a desk clicks
    desktop.fill("input[name=username]", published["regulator"])
    desktop.fill("input[name=password]", factories.PASSWORD)
    with desktop.expect_navigation():
        desktop.get_by_role("button", name="登录").click()
    desktop.goto(f"{published['base']}/admin/entities/{published['uscc']}")
    assert "阿娘面馆漕溪店" in desktop.inner_text("main")
    assert desktop.evaluate("document.documentElement.scrollWidth") <= 1440
    desktop.screenshot(path=str(SHOTS / "law-credit-chain-desk-zh.png"), full_page=True)
    no_problems(desktop)
