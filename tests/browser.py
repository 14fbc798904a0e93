"""The browser harness every browser test shares: Debian's Chromium driven by Playwright against a
live server (its own app on a temporary SQLite file, CSRF on), a phone (390x844, touch) and a
desk (1440x900), each collecting console errors and CSP violations.

The fixtures (`browser`, `live`, `phone`, `desktop`) reach every test through tests/conftest.py;
a test module takes the helpers with
    from tests.browser import pytestmark, log_in, in_live, fits_the_phone, no_problems, tap_and_wait
A test module needing more in the live database adds it with `in_live(live, fn)`.
Tests skip with a message when Chromium is not installed (`.ci/run` installs
Debian's package; never `playwright install`).
"""
import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from huishang import create_app
from huishang.config import TestingConfig
from huishang.extensions import db, limiter
from tests import factories

CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium") or "",
                             shutil.which("chromium-browser") or "") if p and os.path.exists(p)), None)
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2, "locale": "zh-CN"}

NO_CHROMIUM = "Chromium not installed (apt-get install chromium); browser journeys skipped"
pytestmark = [pytest.mark.browser, pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM)]


class LiveConfig(TestingConfig):
    WTF_CSRF_ENABLED = True  # the browser posts real forms with real tokens
    SERVER_NAME = None


@pytest.fixture(scope="module")
def live(tmp_path_factory, app):
    """A second app on its own SQLite file, served by werkzeug on a free loopback port."""
    from huishang.services.reference import seed_reference_data

    folder = tmp_path_factory.mktemp("journeys")

    class Config(LiveConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{folder / 'journeys.sqlite'}"
        UPLOAD_DIR = str(folder / "uploads")

    live_app = create_app(Config)
    with live_app.app_context():
        db.create_all()
        seed_reference_data()
        db.session.commit()
        shop = factories.make_shop(sign_name="老弄堂生煎", registered_on="2024-01-15")
        people = {
            "shop": shop.code,
            "regulator": factories.make_regulator().username,
            "inspector": factories.make_inspector().username,
            "partner": factories.make_inspector().username,
            "merchant": factories.make_merchant(shops=[shop]).username,
        }
        db.session.remove()
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"app": live_app, "base": f"http://127.0.0.1:{server.server_port}", **people}
    finally:
        server.shutdown()
        thread.join(10)
        with live_app.app_context():
            db.engine.dispose()
        limiter.init_app(app)  # the live app re-initialised the process-wide limiter


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


DESK = {"viewport": {"width": 1440, "height": 900}, "device_scale_factor": 1, "locale": "zh-CN"}


def _page(browser, options):
    context = browser.new_context(**options)
    context.set_default_timeout(15000)
    page = context.new_page()
    page.problems = []
    page.on("console", lambda msg: msg.type == "error" and page.problems.append(msg.text))
    page.on("pageerror", lambda exc: page.problems.append(str(exc)))
    return context, page


@pytest.fixture
def desktop(browser):
    """A fresh desk browser at 1440x900 (no cookies), problems collected like the phone's."""
    context, page = _page(browser, DESK)
    yield page
    context.close()


@pytest.fixture
def phone(browser):
    """A fresh phone (no cookies) whose console errors and CSP violations are collected."""
    context, page = _page(browser, PHONE)
    yield page
    context.close()


def in_live(live, fn):
    with live["app"].app_context():
        try:
            return fn()
        finally:
            db.session.remove()


def fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 392, f"{page.url} is {width}px wide on a 390px phone"


def no_problems(page) -> None:
    assert page.problems == [], f"console errors / CSP violations on {page.url}: {page.problems}"


def tap_and_wait(page, target) -> None:
    """Tap a link or submit button and wait for the page it leads to."""
    with page.expect_navigation():
        target.tap()


def log_in(page, live, who: str) -> None:
    page.goto(f"{live['base']}/login")
    page.fill("input[name=username]", live[who])
    page.fill("input[name=password]", factories.PASSWORD)
    tap_and_wait(page, page.get_by_role("button", name="登录"))
    assert "/login" not in page.url, page.content()[:2000]
