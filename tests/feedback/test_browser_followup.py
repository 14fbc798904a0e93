"""The citizen's follow-up on a phone (issues 15 and 17): file a 举报 anonymously and a 投诉 with
name and phone, keep the short ticket and 6-digit key (copy, save as picture), and track the
complaint on another phone, seeing the desk's note for the citizen but never its note for the
merchant."""
from sqlalchemy import select

from huishang.extensions import db
from huishang.models import Complaint
from tests import factories
from tests.browser import (
    PHONE,
    fits_the_phone,
    in_live,
    no_problems,
    pytestmark,  # noqa: F401  (skips without Chromium)
    tap_and_wait,
)

MERCHANT_NOTE = "请商户三日内核实后厨卫生并书面答复"
CITIZEN_NOTE = "已约谈商户，将在答复后告知您结果"


def _file(page, live, kind: str, description: str, name: str = "", phone: str = "", sms: bool = False):
    page.goto(f"{live['base']}/s/{live['shop']}")
    tap_and_wait(page, page.get_by_role("link", name="投诉举报").first)
    tap_and_wait(page, page.get_by_role("link", name="环境卫生"))
    assert "可以匿名" in page.inner_text("main") and "希望监管部门调解" in page.inner_text("main")
    page.check(f"input[name=kind][value={kind}]")
    page.fill("textarea[name=description]", description)
    if name:
        page.fill("input[name=name]", name)
    if phone:
        page.fill("input[name=phone]", phone)
    if sms:
        page.check("input[name=sms_consent]")
    fits_the_phone(page)
    tap_and_wait(page, page.get_by_role("button", name="提交"))
    ticket, key = page.inner_text("#fb-ticket").strip(), page.inner_text("#fb-key").strip()
    assert len(ticket) == 8 and len(key) == 6 and key.isdigit() and "key=" not in page.url
    return ticket, key


def test_report_anonymously_complain_with_name_then_track_on_another_phone(live, phone, browser, tmp_path):
    page = phone
    report_ticket, _report_key = _file(page, live, "report", "后厨地面积水，垃圾桶没有盖子，老鼠出没")
    fits_the_phone(page)
    for button in ("复制", "保存为图片"):
        box = page.get_by_role("button", name=button).first.bounding_box()
        assert box["height"] >= 44, f"{button} is {box['height']}px tall"
    with page.expect_download() as download:
        page.get_by_role("button", name="保存为图片").tap()
    saved = tmp_path / "ticket.png"
    download.value.save_as(saved)
    assert download.value.suggested_filename.endswith(".png") and saved.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page.screenshot(path=tmp_path / "confirmation-390.png", full_page=True)
    no_problems(page)

    ticket, key = _file(page, live, "complaint", "汤包里吃出头发，要求退款", name="陈女士", phone="13912345678",
                        sms=True)
    no_problems(page)

    def desk_moves_it():
        from huishang.services.feedback import complaints

        regulator = factories.make_regulator()
        complaint = db.session.scalar(select(Complaint).where(Complaint.short_code == ticket))
        report = db.session.scalar(select(Complaint).where(Complaint.short_code == report_ticket))
        complaints.transition(complaint, "accept", role="regulator", actor=regulator)
        complaints.transition(complaint, "forward", role="regulator", actor=regulator, note=MERCHANT_NOTE)
        complaints.add_note(complaint, CITIZEN_NOTE, "citizen", actor=regulator)
        db.session.commit()
        return (complaint.kind, complaint.name, complaint.sms_consent), (report.kind, report.name, report.phone)

    filed, reported = in_live(live, desk_moves_it)
    assert filed == ("complaint", "陈女士", True) and reported == ("report", None, None)

    # Later, on another phone: the home page leads to the tracking form.
    context = browser.new_context(**PHONE)
    later = context.new_page()
    later.goto(f"{live['base']}/home")
    tap_and_wait(later, later.get_by_role("link", name="查询我的投诉"))
    later.fill("input[name=ticket]", ticket.lower())
    later.fill("input[name=key]", key)
    tap_and_wait(later, later.get_by_role("button", name="查询"))
    text = later.inner_text("main")
    assert ticket in text and "已转商户" in text and CITIZEN_NOTE in text
    assert MERCHANT_NOTE not in later.content()  # the desk's note for the merchant never reaches the citizen
    assert "13912345678" not in later.content() and "陈女士" not in later.content()
    fits_the_phone(later)
    later.screenshot(path=tmp_path / "tracking-390.png", full_page=True)
    # A wrong key on the form learns nothing.
    later.goto(f"{live['base']}/complaints/track")
    later.fill("input[name=ticket]", report_ticket)
    later.fill("input[name=key]", "000000" if _report_key != "000000" else "111111")
    tap_and_wait(later, later.get_by_role("button", name="查询"))  # answers 404 with the form again
    assert "后厨地面积水" not in later.content() and "工单号或查询码不正确" in later.inner_text("main")
    context.close()
