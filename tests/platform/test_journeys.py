"""Browser journeys: Debian's Chromium driven by Playwright, on a phone (390×844, touch), against
a live server with CSRF on, exactly as people use the platform:

- a citizen scans a plate, files a complaint and later tracks it with the ticket and key;
- a merchant logs in, updates the store's opening hours and answers a forwarded complaint;
- an inspector scans the plate, starts an inspection, runs the checklist and submits it;
- a regulator generates the 30-day inspection list and exports it as a spreadsheet.

Each page must load without CSP violations or script errors, and the pages a citizen sees must
fit the phone's width. The live server has its own app and a temporary SQLite database; the
journeys check their effects in that database. They skip with a message when Chromium is not
installed (`.ci/run` installs Debian's package; never `playwright install`).
"""
import io
from pathlib import Path

from sqlalchemy import select

from huishang.extensions import db
from tests import factories
from tests.browser import (
    PHONE,
    fits_the_phone,
    in_live,
    log_in,
    no_problems,
    pytestmark,  # noqa: F401  (skips without Chromium)
    tap_and_wait,
)


def test_citizen_scans_complains_and_tracks(live, phone, browser):
    page = phone
    page.goto(f"{live['base']}/s/{live['shop']}")
    assert "老弄堂生煎" in page.inner_text("main")
    fits_the_phone(page)
    tap_and_wait(page, page.get_by_role("link", name="投诉举报").first)
    tap_and_wait(page, page.get_by_role("link", name="食品安全"))
    page.check("input[name=kind][value=complaint]")  # 投诉: the citizen's own dispute, name and phone
    page.fill("textarea[name=description]", "汤包里吃出了头发，后厨操作人员没有戴帽子")
    page.fill("input[name=name]", "陈女士")
    page.fill("input[name=phone]", "13912345678")
    submit = page.get_by_role("button", name="提交")
    box = submit.bounding_box()
    assert box["height"] >= 44, f"the submit button is {box['height']}px tall (touch target ≥ 44px)"
    fits_the_phone(page)
    tap_and_wait(page, submit)
    assert "/complaints/" in page.url and "key=" not in page.url
    ticket, key = page.inner_text("#fb-ticket").strip(), page.inner_text("#fb-key").strip()
    assert len(ticket) == 8 and len(key) == 6 and key.isdigit()  # the short ticket and 6-digit key
    assert "已提交" in page.inner_text("main")
    no_problems(page)

    # Later, on another phone: the ticket and key are all a citizen has.
    context = browser.new_context(**PHONE)
    later = context.new_page()
    later.goto(f"{live['base']}/complaints/track")
    later.fill("input[name=ticket]", ticket.lower())  # any case
    later.fill("input[name=key]", key)
    tap_and_wait(later, later.get_by_role("button", name="查询"))
    text = later.inner_text("main")
    assert ticket in text and "已提交" in text
    assert "13912345678" not in later.content()  # the complainant's phone is never echoed back
    fits_the_phone(later)
    # A wrong key learns nothing.
    later.goto(f"{live['base']}/complaints/{ticket}?key=wrong-key-0000000")
    assert "汤包" not in later.content()
    context.close()

    from huishang.models.feedback import Complaint

    stored = in_live(live, lambda: db.session.scalar(select(Complaint).where(Complaint.short_code == ticket)))
    assert stored is not None and stored.status == "submitted" and stored.category == "food_safety"


def test_merchant_updates_the_store_and_answers_a_complaint(live, phone):
    from huishang.models import Shop
    from huishang.services import registry
    from huishang.services.feedback import complaints

    def forwarded_complaint():
        shop = registry.get_shop(live["shop"])
        regulator = factories.make_regulator()
        complaint, _key = complaints.submit(shop, {"category": "price", "kind": "complaint", "name": "陈女士",
                                                   "phone": "13912345678", "description": "标价18元的生煎结账收了22元"})
        complaints.transition(complaint, "accept", role="regulator", actor=regulator)
        complaints.transition(complaint, "forward", role="regulator", actor=regulator,
                              note="请商户核实价格并答复消费者")
        db.session.commit()
        return complaint.ticket

    ticket = in_live(live, forwarded_complaint)
    page = phone
    log_in(page, live, "merchant")
    page.goto(f"{live['base']}/merchant/shops/{live['shop']}")
    form = page.locator(f"form[action$='/merchant/shops/{live['shop']}/info']")
    form.locator("input[name=opening_hours]").fill("06:30-20:30")
    tap_and_wait(page, form.get_by_role("button", name="保存"))
    assert "店铺信息已更新" in page.inner_text("main")
    no_problems(page)

    page.goto(f"{live['base']}/merchant/complaints")
    tap_and_wait(page, page.get_by_role("link", name=ticket))
    page.fill("textarea[name=note]", "已核实：价签未及时更新，已向顾客退还差价4元并更换价签。")
    tap_and_wait(page, page.get_by_role("button", name="提交答复"))
    no_problems(page)

    from huishang.models.feedback import Complaint

    def state():
        shop = db.session.scalar(select(Shop).where(Shop.code == live["shop"]))
        complaint = db.session.scalar(select(Complaint).where(Complaint.ticket == ticket))
        return shop.opening_hours, complaint.status
    assert in_live(live, state) == ("06:30-20:30", "answered")


def test_inspector_scans_runs_the_checklist_and_submits(live, phone):
    from huishang.models import Inspection

    page = phone
    log_in(page, live, "inspector")
    page.goto(f"{live['base']}/s/{live['shop']}")
    start = page.get_by_role("link", name="开始检查")
    assert start.bounding_box()["height"] >= 44
    tap_and_wait(page, start)
    assert "/inspections/new" in page.url
    page.select_option("select[name=co_inspector]", live["partner"])
    answers = page.locator("fieldset.answer")
    count = answers.count()
    assert count >= 5, "the matched checklist has items"
    for n in range(count):
        answers.nth(n).locator("label.choice-pass").tap()
    tap_and_wait(page, page.get_by_role("button", name="提交检查结果"))
    assert "/admin/inspections/" in page.url, page.inner_text("main")[:1500]
    assert "检查结果已保存" in page.inner_text("main")
    no_problems(page)

    def stored():
        from huishang.models import Shop

        shop = db.session.scalar(select(Shop).where(Shop.code == live["shop"]))
        rows = db.session.scalars(select(Inspection).where(Inspection.shop_id == shop.id)).all()
        return [(r.outcome, len(r.answers)) for r in rows]
    assert ("pass", count) in in_live(live, stored)


def test_regulator_generates_the_30_day_list_and_exports_it(live, phone):
    from openpyxl import load_workbook

    from huishang.services import registry

    def another_shop():
        shop = factories.make_shop(sign_name="弄堂早餐铺", registered_on="2024-02-01")
        return shop.code
    due_code = in_live(live, another_shop)  # never inspected: due 30 days after registration
    page = phone
    log_in(page, live, "regulator")
    page.goto(f"{live['base']}/admin/plan")
    tap_and_wait(page, page.get_by_role("button", name="生成/更新清单"))  # a background job
    assert "清单已生成" in page.inner_text("main")
    tap_and_wait(page, page.get_by_role("link", name="查看清单"))
    assert due_code in page.inner_text("main")
    no_problems(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="导出 XLSX").tap()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(Path(download.path()).read_bytes()), read_only=True)
    cells = {str(cell) for row in workbook.active.iter_rows(values_only=True) for cell in row if cell}
    assert due_code in cells
    assert in_live(live, lambda: registry.get_shop(due_code) is not None)
