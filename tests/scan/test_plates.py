"""Plates: print size, Chinese glyphs, vector PDF, ETag caching, batch PDFs, reissue."""
import io
from datetime import date

import pytest
import zxingcpp
from PIL import Image, ImageChops
from pypdf import PdfReader
from sqlalchemy import select

from huishang.extensions import db
from huishang.models import AuditEvent, PlateCode, Shop
from huishang.services import registry
from huishang.services.scan import plates
from huishang.services.scan.plates import batch as plate_batch
from tests.factories import add_inspection, make_complex, make_inspector, make_merchant, make_regulator, make_shop

BASE = "https://hs.example.gov.cn"


@pytest.fixture(autouse=True)
def _fresh_cache():
    plates.cache.clear()
    yield
    plates.cache.clear()


def data(sign_name="测试小馆", code="ABCDEFGHJ"):
    return plates.PlateData(code, 1, sign_name, "徐汇区漕溪北路1号", "徐汇区", BASE)


def sign_region(png: bytes) -> Image.Image:
    """The sign-name line of a plate PNG (24–34 mm from the top), in greyscale."""
    img = Image.open(io.BytesIO(png)).convert("L")
    px = lambda mm: round(mm / 25.4 * 300)  # noqa: E731
    return img.crop((0, px(24), img.width, px(34)))


def ink(img: Image.Image) -> int:
    return sum(img.point(lambda p: 255 if p < 128 else 0).histogram()[255:])


def test_plate_png_is_print_size_at_300_dpi():
    img = Image.open(io.BytesIO(plates.render_png(data())))
    assert img.size == (1181, 1654)  # 100 × 140 mm
    assert round(img.info["dpi"][0]) == 300


def test_cjk_glyphs_are_drawn_not_empty_boxes():
    han, shang = sign_region(plates.render_png(data("汇"))), sign_region(plates.render_png(data("商")))
    tofu = sign_region(plates.render_png(data("\U000F0000")))  # a code point the font lacks
    assert ink(han) > 200 and ink(shang) > 200
    assert ImageChops.difference(han, shang).getbbox() is not None
    assert ImageChops.difference(han, tofu).getbbox() is not None
    assert ImageChops.difference(shang, tofu).getbbox() is not None


def test_plate_prints_nothing_that_goes_stale(client, auth_header):
    """The grade changes with every inspection: it is on the scan page with its date, never on the
    plate — an inspected shop's plate is the same image as before its inspection."""
    shop = make_shop()
    headers = auth_header(make_regulator())
    before = client.get(f"/api/v1/shops/{shop.code}/plate.png", headers=headers).data
    text = PdfReader(io.BytesIO(client.get(f"/api/v1/shops/{shop.code}/plate.pdf", headers=headers).data)).pages[0]
    assert "最新检查结果与等级以扫码页面为准" in text.extract_text() and "最近检查" not in text.extract_text()
    add_inspection(shop, date(2026, 5, 1), "fail")
    after = client.get(f"/api/v1/shops/{shop.code}/plate.png", headers=headers).data
    assert after == before


def test_plate_pdf_is_vector_with_an_embedded_font():
    reader = PdfReader(io.BytesIO(plates.render_pdf([data("老上海生煎馒头")])))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert round(float(page.mediabox.width) / 72 * 25.4) == 100
    assert round(float(page.mediabox.height) / 72 * 25.4) == 140
    fonts = page["/Resources"]["/Font"]
    descriptors = [f.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
                   if "/DescendantFonts" in f.get_object() else f.get_object().get("/FontDescriptor")
                   for f in fonts.values()]
    assert any(d is not None and "/FontFile2" in d for d in descriptors)
    assert "/XObject" not in page["/Resources"]  # no raster images: the QR is rectangles
    text = page.extract_text()
    assert "老上海生煎馒头" in text and "ABCD EFGH J" in text and "扫码查看商户信息" in text


def test_api_plate_pdf_and_etag_304(client, auth_header):
    shop = make_shop()
    headers = auth_header(make_regulator())
    r = client.get(f"/api/v1/shops/{shop.code}/plate.pdf", headers=headers)
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert len(PdfReader(io.BytesIO(r.data)).pages) == 1
    etag = r.headers["ETag"]
    again = client.get(f"/api/v1/shops/{shop.code}/plate.pdf", headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


def test_etag_changes_only_when_what_is_drawn_changes(client, auth_header, monkeypatch):
    calls = []
    render, mimetype = plates.RENDERERS["plate.png"]
    monkeypatch.setitem(plates.RENDERERS, "plate.png",
                        (lambda d: calls.append(d.code) or render(d), mimetype))
    shop = make_shop()
    headers = auth_header(make_regulator())
    url = f"/api/v1/shops/{shop.code}/plate.png"
    first = client.get(url, headers=headers).headers["ETag"]
    assert client.get(url, headers=headers).headers["ETag"] == first
    assert len(calls) == 1  # served from the cache the second time
    registry.update_shop(shop, {"phone": "13900001111"})  # not drawn on the plate
    db.session.commit()
    assert client.get(url, headers=headers).headers["ETag"] == first and len(calls) == 1
    registry.update_shop(shop, {"sign_name": "新店名"})
    db.session.commit()
    changed = client.get(url, headers={**headers, "If-None-Match": first})
    assert changed.status_code == 200 and changed.headers["ETag"] != first and len(calls) == 2
    shop.latest_outcome, shop.latest_inspected_on = "pass", date(2026, 5, 1)  # not drawn on the plate
    db.session.commit()
    graded = client.get(url, headers={**headers, "If-None-Match": changed.headers["ETag"]})
    assert graded.status_code == 304 and len(calls) == 2


# -- batch -------------------------------------------------------------------------------------

def pages(path) -> int:
    return len(PdfReader(str(path)).pages)


def test_batch_command_one_page_per_shop(runner, tmp_path):
    make_complex("港汇恒隆广场")
    for _ in range(3):
        make_shop()
    make_shop(complex="港汇恒隆广场")
    make_shop(street="天平路街道")
    closed = make_shop()
    registry.close_shop(closed)
    db.session.commit()
    out = tmp_path / "street.pdf"
    result = runner.invoke(args=["plates", "--street", "徐家汇街道", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert pages(out) == 4 and "4 plates" in result.output
    result = runner.invoke(args=["plates", "--all", "--out", str(tmp_path / "all.pdf")])
    assert result.exit_code == 0 and pages(tmp_path / "all.pdf") == 5
    result = runner.invoke(args=["plates", "--complex", "港汇恒隆广场", "--out", str(tmp_path / "cx.pdf")])
    assert result.exit_code == 0 and pages(tmp_path / "cx.pdf") == 1
    result = runner.invoke(args=["plates", "--all", "--include-closed", "--out", str(tmp_path / "c.pdf")])
    assert result.exit_code == 0 and pages(tmp_path / "c.pdf") == 6


@pytest.mark.parametrize("args", [[], ["--street", "火星街道"], ["--all", "--street", "徐家汇街道"]])
def test_batch_command_rejects_bad_selection(runner, tmp_path, args):
    make_shop()
    out = tmp_path / "x.pdf"
    result = runner.invoke(args=["plates", *args, "--out", str(out)])
    assert result.exit_code != 0 and not out.exists()


def test_batch_over_worker_processes_keeps_order(monkeypatch, tmp_path):
    monkeypatch.setattr(plate_batch, "CHUNK", 2)
    batch = [data(f"店{i}", code=code) for i, code in enumerate(
        __import__("huishang.services.registry.codes", fromlist=["mint"]).mint() for _ in range(7))]
    done = []
    with open(tmp_path / "b.pdf", "wb") as fh:
        assert plates.render_batch(batch, fh, workers=2, progress=done.append) == 7
    assert sum(done) == 7
    reader = PdfReader(str(tmp_path / "b.pdf"))
    assert [p.extract_text().split("\n")[1].strip() for p in reader.pages] == [f"店{i}" for i in range(7)]


# -- reissue -----------------------------------------------------------------------------------

def test_regulator_reissues_a_plate_via_api(client, auth_header):
    shop = make_shop()
    old = shop.code
    reg = make_regulator(streets=("徐家汇街道",))
    r = client.post(f"/api/v1/shops/{old}/reissue", json={"reason": "铭牌被雨水损坏"},
                    headers=auth_header(reg))
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["previous_code"] == old and body["code"] != old and body["plate_version"] == 2
    assert body["scan_url"] == f"{BASE}/s/{body['code']}"
    db.session.expire_all()
    shop = db.session.get(Shop, shop.id)
    assert shop.code == body["code"] and shop.plate_version == 2
    previous = db.session.scalar(select(PlateCode).where(PlateCode.code == old))
    assert previous.replaced_at is not None and previous.replaced_reason == "铭牌被雨水损坏"
    assert db.session.scalar(select(PlateCode).where(PlateCode.code == shop.code)).replaced_at is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "plate.reissue"))
    assert event.actor_id == reg.id and event.shop_id == shop.id
    assert event.before["code"] == old and event.after["code"] == shop.code
    assert event.after["reason"] == "铭牌被雨水损坏"


@pytest.mark.parametrize("who,body,status", [
    ("inspector", {"reason": "遗失"}, 403),
    ("merchant", {"reason": "遗失"}, 403),
    ("regulator_out", {"reason": "遗失"}, 403),
    ("regulator", {}, 422),
    ("regulator", {"reason": "   "}, 422),
    ("regulator", {"reason": "长" * 301}, 422),
])
def test_reissue_refusals_change_nothing(client, auth_header, who, body, status):
    shop = make_shop()
    old = shop.code
    user = {"inspector": lambda: make_inspector(),
            "merchant": lambda: make_merchant(shops=[shop]),
            "regulator_out": lambda: make_regulator(streets=("天平路街道",)),
            "regulator": lambda: make_regulator()}[who]()
    r = client.post(f"/api/v1/shops/{old}/reissue", json=body, headers=auth_header(user))
    assert r.status_code == status and r.get_json()["code"] == status
    db.session.expire_all()
    assert db.session.get(Shop, shop.id).code == old
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "plate.reissue")) is None


def test_closed_shop_plate_is_not_reissued(client, auth_header):
    shop = make_shop()
    registry.close_shop(shop)
    db.session.commit()
    r = client.post(f"/api/v1/shops/{shop.code}/reissue", json={"reason": "遗失"},
                    headers=auth_header(make_regulator()))
    assert r.status_code == 409


def test_reissue_from_the_plate_page(client, login_as):
    shop = make_shop()
    old = shop.code
    login_as(make_regulator())
    page = client.get(f"/admin/shops/{old}/plate")
    assert page.status_code == 200 and "补发铭牌" in page.get_data(as_text=True)
    bad = client.post(f"/admin/shops/{old}/plate/reissue", data={"reason": ""})
    assert bad.status_code == 422 and "必填项不能为空" in bad.get_data(as_text=True)
    r = client.post(f"/admin/shops/{old}/plate/reissue", data={"reason": "铭牌遗失"})
    assert r.status_code == 302
    db.session.expire_all()
    new = db.session.get(Shop, shop.id).code
    assert new != old
    assert client.get(f"/s/{old}").status_code == 410
    assert client.get(f"/admin/shops/{new}/plate").status_code == 200


def test_inspector_sees_plate_page_without_reissue_form(client, login_as):
    shop = make_shop()
    login_as(make_inspector())
    page = client.get(f"/admin/shops/{shop.code}/plate").get_data(as_text=True)
    assert "下载铭牌 PDF" in page and 'name="reason"' not in page
    assert client.post(f"/admin/shops/{shop.code}/plate/reissue", data={"reason": "x"}).status_code == 403
    png = client.get(f"/admin/shops/{shop.code}/plate/plate.png")
    assert png.status_code == 200
    found = [b.text for b in zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))]
    assert found == [f"{BASE}/s/{shop.code}"]


def test_plate_panel_on_the_shop_profile(client, login_as, app):
    if "admin.shop_profile" not in app.view_functions:
        pytest.skip("the registry feature's profile page is not present")
    shop = make_shop()
    login_as(make_regulator())
    html = client.get(f"/admin/shops/{shop.code}").get_data(as_text=True)
    assert 'id="plate"' in html and "补发铭牌" in html and "近 30 天扫码" in html
    r = client.post(f"/admin/shops/{shop.code}/plate/reissue", data={"reason": "遗失"})
    assert r.status_code == 302 and r.headers["Location"].endswith("#plate")


def test_redis_image_cache_is_shared_and_keyed_by_etag():
    import os

    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.exceptions.RedisError:
        pytest.skip("no Redis to test against")
    cache = plates.ImageCache()
    key = "test-" + __import__("secrets").token_hex(8)
    calls = []
    first = cache.get_or_render(key, lambda: calls.append(1) or b"png-bytes", url)
    other_process = plates.ImageCache()
    again = other_process.get_or_render(key, lambda: calls.append(1) or b"other", url)
    assert first == again == b"png-bytes" and calls == [1]
    redis.Redis.from_url(url).delete(f"hs:plate:{key}")


def qr_texts_on_pages(path) -> list[str]:
    """Decode each page's QR with zxing-cpp: the symbol is drawn as one line of whole-module
    `x y n 1 re` runs (render._draw_qr_pdf); rasterise those runs and read them back."""
    import re

    import zxingcpp
    from PIL import Image, ImageDraw

    texts = []
    for page in PdfReader(str(path)).pages:
        stream = page.get_contents().get_data().decode("latin-1")
        line = next(ln for ln in stream.splitlines() if re.fullmatch(r"(\d+ \d+ \d+ 1 re )+f", ln))
        runs = [tuple(map(int, r)) for r in re.findall(r"(\d+) (\d+) (\d+) 1 re", line)]
        size = max(x + n for x, _, n in runs) + 4
        img = Image.new("L", (size * 6, size * 6), 255)
        draw = ImageDraw.Draw(img)
        for x, y, n in runs:
            draw.rectangle([x * 6, y * 6, (x + n) * 6 - 1, (y + 1) * 6 - 1], fill=0)
        texts.append(" ".join(b.text for b in zxingcpp.read_barcodes(img)))
    return texts


def test_batch_pages_decode_to_their_codes_in_order(monkeypatch, tmp_path):
    """Two worker processes, more chunks than are kept in flight: every page's QR decodes to
    its own shop's scan URL, in the order given, and the single-process batch is the same."""
    from huishang.services.registry import codes

    monkeypatch.setattr(plate_batch, "CHUNK", 2)
    batch = [data(f"店{i}", code=codes.mint()) for i in range(11)]
    for workers in (2, 1):
        out = tmp_path / f"b{workers}.pdf"
        with open(out, "wb") as fh:
            assert plates.render_batch(batch, fh, workers=workers) == 11
        assert qr_texts_on_pages(out) == [d.url for d in batch]
