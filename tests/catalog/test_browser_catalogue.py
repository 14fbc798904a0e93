"""The catalogue pages and the 当场整改 / 移送立案 additions in Chromium: a regulator's pages at
390 px (phone) and 1440 px (desk), the inspector's checklist for a pharmacy on the phone; no
horizontal scroll, no console errors or CSP violations. Screenshots go to /tmp/catalogue-*.png."""
import tempfile
from pathlib import Path

from sqlalchemy import select

from huishang.extensions import db
from huishang.models import BusinessType, ChecklistTemplate
from huishang.services.catalog import checklists
from tests import factories
from tests.browser import fits_the_phone, in_live, log_in, no_problems, pytestmark, tap_and_wait  # noqa: F401

SHOTS = Path(tempfile.gettempdir())


def _pharmacy(live):
    def make():
        shop = factories.make_shop(business_type="non_food.pharmacy", sign_name="老街大药房",
                                   entity_name="上海老街大药房有限公司")
        form = [a.template for a in checklists.applicable_templates(shop, "inspection")][0]
        return shop.code, form.id
    return in_live(live, make)


def test_regulator_catalogue_pages_on_the_phone(live, phone):
    code, form_id = _pharmacy(live)
    log_in(phone, live, "regulator")
    for path, name in (("/admin/catalog", "types"), ("/admin/catalog/colours", "colours"),
                       (f"/admin/checklists/{form_id}", "pharmacy-form"), ("/admin/checklists", "library"),
                       ("/admin/checklists/new", "new")):
        phone.goto(f"{live['base']}{path}")
        fits_the_phone(phone)
        phone.screenshot(path=SHOTS / f"catalogue-phone-{name}.png", full_page=False)
    no_problems(phone)
    # edit a business type on the phone: a duplicate name is refused naming the field
    beauty = in_live(live, lambda: db.session.scalar(
        select(BusinessType.id).where(BusinessType.code == "non_food.beauty")))
    phone.goto(f"{live['base']}/admin/catalog/types/{beauty}/edit")
    phone.fill("input[name=name]", "药店")
    tap_and_wait(phone, phone.get_by_role("button", name="保存"))
    assert "已有同名业态" in phone.content()
    fits_the_phone(phone)
    phone.screenshot(path=SHOTS / "catalogue-phone-type-error.png")


def test_regulator_catalogue_on_the_desk(live, desktop):
    desktop.goto(f"{live['base']}/login")
    desktop.fill("input[name=username]", live["regulator"])
    desktop.fill("input[name=password]", factories.PASSWORD)
    with desktop.expect_navigation():
        desktop.get_by_role("button", name="登录").click()
    for path, name in (("/admin/catalog", "types"), ("/admin/catalog/colours", "colours"),
                       ("/admin/catalog?lang=en", "types-en")):
        desktop.goto(f"{live['base']}{path}")
        assert desktop.evaluate("document.documentElement.scrollWidth") <= 1440
        desktop.screenshot(path=SHOTS / f"catalogue-desk-{name}.png", full_page=True)
    assert "Pharmacy" in desktop.content()
    no_problems(desktop)


def test_inspector_pharmacy_checklist_with_on_the_spot_answer(live, phone):
    code, form_id = _pharmacy(live)
    log_in(phone, live, "inspector")
    phone.goto(f"{live['base']}/admin/shops/{code}/inspections/new")
    assert "零售药店日常监督检查表" in phone.content()
    assert phone.locator("input[value=fixed]").count() == in_live(
        live, lambda: len(db.session.get(ChecklistTemplate, form_id).items))
    fits_the_phone(phone)
    phone.screenshot(path=SHOTS / "catalogue-phone-pharmacy-inspection.png")
    no_problems(phone)
    assert in_live(live, lambda: db.session.scalar(
        select(ChecklistTemplate.topic).where(ChecklistTemplate.id == form_id))) == "market"
