"""The accounts page in Chromium (issue 14): at 1440 × 900 the district administrator creates an
inspector for 徐家汇街道 and resets its password; the inspector signs in on a phone with the
temporary password and is made to change it before anything else. Screenshots at 1440 and 390 px,
in Chinese and English: /tmp/golive-accounts-*.png."""
import re

from tests import factories
from tests.browser import fits_the_phone, in_live, log_in, no_problems, pytestmark, tap_and_wait  # noqa: F401

SHOTS = "/tmp/golive-accounts-{}.png"  # noqa: S108 — screenshots for the note, looked at by hand


def fits_the_desk(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1440, f"{page.url} is {width}px wide on a 1440px desk"


def desk_log_in(page, live, username) -> None:
    """`log_in` taps, which a desk (no touch) cannot: the same with a click."""
    page.goto(f"{live['base']}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", factories.PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert "/login" not in page.url, page.content()[:2000]


def english(page, live) -> None:
    path = page.evaluate("location.pathname + location.search")
    page.goto(f"{live['base']}/lang/en?next={path}")


def test_admin_creates_an_inspector_resets_its_password_and_it_must_change_it(live, desktop, phone, browser):
    admin = in_live(live, lambda: factories.make_admin(username="district-admin").username)
    people = {**live, "admin": admin}
    page = desktop
    desk_log_in(page, live, admin)
    page.goto(f"{live['base']}/admin/accounts")
    assert page.get_by_role("link", name="账户管理").count() == 1

    # create an inspector for 徐家汇街道, the street picked by name
    with page.expect_navigation():
        page.get_by_role("link", name="新建账户").click()
    page.fill("input[name=username]", "xjh-chen")
    page.fill("input[name=display_name]", "执法人员 陈磊")
    page.select_option("select[name=role]", label="执法人员")
    page.get_by_label("徐家汇街道").check()
    page.fill("input[name=password]", "first-pass-1")
    page.fill("input[name=password_confirm]", "first-pass-1")
    page.screenshot(path=SHOTS.format("new-1440-zh"), full_page=True)
    with page.expect_navigation():
        page.get_by_role("button", name="创建账户").click()
    assert page.url.endswith("/admin/accounts"), page.url
    row = page.locator("tr", has_text="xjh-chen")
    assert "执法人员" in row.inner_text() and "徐家汇街道" in row.inner_text()
    assert "inspector" not in row.inner_text()
    fits_the_desk(page)
    no_problems(page)
    page.screenshot(path=SHOTS.format("list-1440-zh"), full_page=True)

    # reset its password: the temporary one is shown once
    with page.expect_navigation():
        row.get_by_role("button", name="重置密码").click()
    temp = page.locator(".temp-password code").inner_text().strip()
    assert re.fullmatch(r"[A-Za-z0-9]{12}", temp), temp
    page.screenshot(path=SHOTS.format("reset-1440-zh"), full_page=True)
    page.goto(f"{live['base']}/admin/accounts")
    english(page, live)
    assert "Accounts" in page.content() and "Inspector" in page.locator("tr", has_text="xjh-chen").inner_text()
    fits_the_desk(page)
    page.screenshot(path=SHOTS.format("list-1440-en"), full_page=True)
    no_problems(page)

    # the inspector, on a phone: signed in with the temporary password, every page leads to the change
    phone.goto(f"{live['base']}/login")
    phone.fill("input[name=username]", "xjh-chen")
    phone.fill("input[name=password]", temp)
    tap_and_wait(phone, phone.get_by_role("button", name="登录"))
    assert phone.url.endswith("/account/password"), phone.url
    phone.goto(f"{live['base']}/admin/shops")
    assert phone.url.endswith("/account/password"), phone.url
    fits_the_phone(phone)
    phone.screenshot(path=SHOTS.format("password-390-zh"), full_page=True)
    phone.fill("input[name=current_password]", temp)
    phone.fill("input[name=password]", "my-own-pass-1")
    phone.fill("input[name=password_confirm]", "my-own-pass-1")
    tap_and_wait(phone, phone.get_by_role("button", name="保存新密码"))
    assert "/account/password" not in phone.url
    phone.goto(f"{live['base']}/admin/shops")
    assert phone.url.endswith("/admin/shops")
    no_problems(phone)

    # the administrator's list on a phone: one card per account, no sideways scrolling
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2, locale="zh-CN")
    admin_phone = context.new_page()
    admin_phone.problems = []
    log_in(admin_phone, people, "admin")
    admin_phone.goto(f"{live['base']}/admin/accounts")
    fits_the_phone(admin_phone)
    admin_phone.screenshot(path=SHOTS.format("list-390-zh"), full_page=True)
    english(admin_phone, live)
    fits_the_phone(admin_phone)
    admin_phone.screenshot(path=SHOTS.format("list-390-en"), full_page=True)
    admin_phone.goto(f"{live['base']}/account/password")
    admin_phone.screenshot(path=SHOTS.format("password-390-en"), full_page=True)
    context.close()
