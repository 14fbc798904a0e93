"""The complexes page and the calendar upload in Chromium at 390 px (phone) and 1440 px (desk):
they fit, load without console errors or CSP violations, and a complex is registered through the
real form. Screenshots go to /tmp/golive-complexes-*.png."""
import tempfile
from pathlib import Path

from huishang.extensions import db
from tests import factories
from tests.browser import fits_the_phone, in_live, log_in, no_problems, pytestmark, tap_and_wait  # noqa: F401


def shot(name: str) -> str:
    return str(Path(tempfile.gettempdir()) / f"golive-complexes-{name}.png")


def _setup():
    factories.make_complex("港汇恒隆广场")
    factories.make_complex("日月光中心", "天平路街道")
    manager = factories.make_property("港汇恒隆广场", username="golive-wuye")
    manager.display_name = "李物业"
    db.session.commit()


def test_complexes_on_a_phone_and_a_desk(live, phone, desktop):
    in_live(live, _setup)
    log_in(phone, live, "regulator")
    phone.goto(f"{live['base']}/admin/complexes")
    assert "港汇恒隆广场" in phone.content() and "李物业" in phone.content()
    fits_the_phone(phone)
    phone.screenshot(path=shot("list-390"), full_page=True)
    tap_and_wait(phone, phone.get_by_role("link", name="登记商业综合体"))
    phone.fill("input[name=name]", "美罗城")
    phone.select_option("select[name=street]", "徐家汇街道")
    phone.fill("input[name=address]", "肇嘉浜路1111号")
    fits_the_phone(phone)
    phone.screenshot(path=shot("form-390"), full_page=True)
    tap_and_wait(phone, phone.get_by_role("button", name="保存"))
    assert "已登记商业综合体：美罗城" in phone.content()
    no_problems(phone)

    desktop.goto(f"{live['base']}/login")  # log_in taps; a desk clicks
    desktop.fill("input[name=username]", live["regulator"])
    desktop.fill("input[name=password]", factories.PASSWORD)
    with desktop.expect_navigation():
        desktop.get_by_role("button", name="登录").click()
    desktop.goto(f"{live['base']}/admin/complexes")
    assert "美罗城" in desktop.content()
    desktop.screenshot(path=shot("list-1440"), full_page=True)
    desktop.goto(f"{live['base']}/admin/complexes?lang=en")
    desktop.screenshot(path=shot("list-1440-en"), full_page=True)
    desktop.goto(f"{live['base']}/admin/calendar?lang=zh")
    content = "2030-10-01,休,国庆节\n2030-09-29,班,国庆节调休\n".encode()
    desktop.set_input_files("input[name=file]", files=[{"name": "2030.csv", "mimeType": "text/csv", "buffer": content}])
    with desktop.expect_navigation():
        desktop.get_by_role("button", name="只检查").click()
    assert "新增 2 天" in desktop.content()
    desktop.screenshot(path=shot("calendar-1440"), full_page=True)
    desktop.goto(f"{live['base']}/admin/complaints")
    assert "未来 60 天没有任何节假日或调休记录" in desktop.content()
    desktop.screenshot(path=shot("desk-1440"))
    no_problems(desktop)
