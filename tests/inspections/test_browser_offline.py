"""Offline patrol on a phone (issue 17): the checklist page is kept by the service worker, an
inspection with a photo submitted without a connection waits in IndexedDB ("1 条待上传"), and is
sent once when the connection returns — a second send of the same queued entry (a retry) does not
make a second inspection, because the client id makes the write idempotent. Also the all-compliant
path with the merchant's signature, and the failures-first result page."""
import io
import time

from PIL import Image
from sqlalchemy import select

from huishang.extensions import db
from tests.browser import in_live, log_in, no_problems, pytestmark, tap_and_wait  # noqa: F401


def _photo_bytes(width=2400, height=1200) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def _inspections(live):
    from huishang.models import Inspection, Shop

    def read():
        shop = db.session.scalar(select(Shop).where(Shop.code == live["shop"]))
        rows = db.session.scalars(select(Inspection).where(Inspection.shop_id == shop.id)
                                  .order_by(Inspection.id)).all()
        return [{"id": r.id, "client_id": r.client_id, "outcome": r.outcome, "signature": r.signature,
                 "photos": [p for a in r.answers for p in a.photo_list],
                 "failed": [a.result for a in r.answers if a.result == "fail"]} for r in rows]
    return in_live(live, read)


def _wait_for(predicate, seconds=20.0):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    return predicate()


def _queued(page) -> int:
    return page.evaluate("""() => new Promise((resolve) => {
        const req = indexedDB.open("huishang-patrol", 1);
        req.onupgradeneeded = () => req.result.createObjectStore("queue", {keyPath: "id"});
        req.onsuccess = () => { const all = req.result.transaction("queue").objectStore("queue").getAll();
                               all.onsuccess = () => { req.result.close(); resolve(all.result.length); }; };
    })""")


def test_an_inspection_made_offline_is_sent_once_when_the_connection_returns(live, phone, tmp_path):
    page = phone
    before = len(_inspections(live))
    log_in(page, live, "inspector")
    form_url = f"{live['base']}/admin/shops/{live['shop']}/inspections/new"
    page.goto(form_url)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now under the worker's control: this visit is kept for offline use
    page.wait_for_function("navigator.serviceWorker.controller !== null")

    page.context.set_offline(True)
    page.reload()  # offline: the checklist comes from the worker's cache
    assert page.locator("#inspection-form").count() == 1, page.content()[:800]
    assert page.evaluate("navigator.onLine") is False

    page.select_option("select[name=co_inspector]", label=live["partner"])
    page.get_by_role("button", name="全部符合").tap()
    first = page.locator("fieldset.answer").first
    assert first.locator(".evidence").is_hidden(), "a compliant item asks for no note or photo"
    first.locator("label.choice-fail").tap()
    assert first.locator(".evidence").is_visible(), "不符合 opens the note and the photo"
    first.locator("textarea").fill("冷藏柜温度 9℃")
    photo = tmp_path / "phones-photo.jpg"
    photo.write_bytes(_photo_bytes())
    first.locator("input[type=file]").set_input_files(str(photo))
    page.get_by_role("button", name="提交检查结果").tap()

    queue = page.locator("#patrol-queue-text")
    queue.wait_for(state="visible")
    page.wait_for_function("document.getElementById('patrol-queue-text').textContent.includes('1 条待上传')")
    assert _queued(page) == 1
    assert len(_inspections(live)) == before, "nothing reached the server while offline"
    # keep a copy of the queued entry, to send it again after it went through (a retry)
    page.evaluate("""() => new Promise((resolve) => {
        const req = indexedDB.open("huishang-patrol", 1);
        req.onsuccess = () => {
            const all = req.result.transaction("queue").objectStore("queue").getAll();
            all.onsuccess = () => { window.__copy = all.result[0]; req.result.close(); resolve(); };
        };
    })""")

    page.context.set_offline(False)  # the "online" event sends the queue
    rows = _wait_for(lambda: len(_inspections(live)) > before and _queued(page) == 0 and _inspections(live))
    new = rows[before:]
    assert len(new) == 1, new
    assert new[0]["outcome"] in ("partial", "fail") and new[0]["failed"] == ["fail"]
    assert len(new[0]["photos"]) == 1
    stored = in_live(live, lambda: live["app"].config["UPLOAD_DIR"]) + "/" + new[0]["photos"][0]
    with Image.open(stored) as image:
        assert max(image.size) <= 1600, image.size  # resized on the phone before it was kept
    page.wait_for_function("document.getElementById('patrol-queue-text').textContent.includes('已上传')")

    # the same queued entry sent again (a retry after a lost answer): still one inspection
    page.evaluate("""() => new Promise((resolve) => {
        const req = indexedDB.open("huishang-patrol", 1);
        req.onsuccess = () => { const t = req.result.transaction("queue", "readwrite");
                               t.objectStore("queue").put(window.__copy);
                               t.oncomplete = () => { req.result.close(); resolve(); }; };
    })""")
    page.get_by_role("button", name="重试上传").tap()
    _wait_for(lambda: _queued(page) == 0)
    assert _queued(page) == 0
    again = _inspections(live)[before:]
    assert [r["id"] for r in again] == [new[0]["id"]], again
    no_problems(page)


def test_all_compliant_then_one_exception_signed_on_the_phone(live, phone):
    page = phone
    before = len(_inspections(live))
    log_in(page, live, "inspector")
    page.goto(f"{live['base']}/admin/shops/{live['shop']}/inspections/new")
    options = page.locator("select[name=co_inspector] option").all_inner_texts()
    assert live["partner"] in options and all("（" not in o for o in options), options
    answers = page.locator("fieldset.answer")
    assert answers.count() >= 5
    assert page.locator(".evidence:visible").count() == 0, "no note or photo field before an exception"
    page.get_by_role("button", name="全部符合").tap()
    assert page.locator("fieldset.answer input[value=pass]:checked").count() == answers.count()
    assert "符合" in page.inner_text("#outcome-preview")
    last = answers.nth(answers.count() - 1)
    last.locator("label.choice-fail").tap()
    assert last.locator(".evidence").is_visible() and page.locator(".evidence:visible").count() == 1
    assert "基本符合" in page.inner_text("#outcome-preview") or "不符合" in page.inner_text("#outcome-preview")
    page.select_option("select[name=co_inspector]", label=live["partner"])
    pad = page.locator("#signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 20)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 20, box["y"] + 20 + (step % 3) * 15)
    page.mouse.up()
    assert page.input_value("#signature").startswith("data:image/png;base64,")
    tap_and_wait(page, page.get_by_role("button", name="提交检查结果"))
    assert "/admin/inspections/" in page.url, page.inner_text("main")[:1500]
    main = page.inner_text("main")
    assert main.index("不符合项") < main.index("全部检查项"), "failures come first on the result page"
    assert page.locator("img.signature-img").count() == 1
    new = _inspections(live)[before:]
    assert len(new) == 1 and new[0]["signature"] and new[0]["failed"] == ["fail"]
    sheet = page.request.get(page.url.split("?")[0] + "/sheet.pdf")
    assert sheet.ok and b"/Subtype /Image" in sheet.body(), "the signature is drawn on the result sheet"
    no_problems(page)
