"""QR images decode with a real decoder to exactly PUBLIC_BASE_URL/s/<code>."""
import io
import re

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from huishang.services.scan import qr
from tests.factories import make_inspector, make_merchant, make_regulator, make_shop

BASE = "https://hs.example.gov.cn"


def decode(img) -> list[str]:
    return [b.text for b in zxingcpp.read_barcodes(img)]


def rasterise_svg(svg: str, scale: int = 8) -> Image.Image:
    """Draw our SVG's runs (M x y h n v1 h-n z) — enough to prove what the SVG encodes."""
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    img = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(img)
    for x, y, n in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", svg):
        x, y, n = int(x), int(y), int(n)
        draw.rectangle([x * scale, y * scale, (x + n) * scale - 1, (y + 1) * scale - 1], fill=0)
    return img


def test_qr_png_from_the_api_decodes_to_the_scan_url(client, auth_header):
    shop = make_shop()
    r = client.get(f"/api/v1/shops/{shop.code}/qr.png", headers=auth_header(make_regulator()))
    assert r.status_code == 200 and r.mimetype == "image/png"
    img = Image.open(io.BytesIO(r.data))
    assert decode(img) == [f"{BASE}/s/{shop.code}"]


def test_error_correction_is_q_with_a_four_module_quiet_zone(app):
    url = f"{BASE}/s/ABCDEFGHJ"
    result = zxingcpp.read_barcodes(qr.image(url, scale=6))[0]
    assert result.text == url and result.ec_level == "Q"
    modules = len(qr.matrix(url))
    img = qr.image(url, scale=1)
    assert img.width == modules + 2 * qr.QUIET_ZONE == modules + 8
    px = img.load()
    border = [px[x, y] for x in range(img.width) for y in range(img.height)
              if min(x, y, img.width - 1 - x, img.height - 1 - y) < 4]
    assert all(p == 1 for p in border)  # white
    assert px[4, 4] == 0  # the finder pattern starts right after the quiet zone


def test_qr_svg_encodes_the_same_url(client, auth_header):
    shop = make_shop()
    r = client.get(f"/api/v1/shops/{shop.code}/qr.svg", headers=auth_header(make_regulator()))
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    assert decode(rasterise_svg(r.get_data(as_text=True))) == [f"{BASE}/s/{shop.code}"]


def test_plate_png_qr_decodes(client, auth_header):
    shop = make_shop(sign_name="老上海生煎")
    r = client.get(f"/api/v1/shops/{shop.code}/plate.png", headers=auth_header(make_regulator()))
    assert r.status_code == 200
    assert decode(Image.open(io.BytesIO(r.data))) == [f"{BASE}/s/{shop.code}"]


@pytest.mark.parametrize("kind", ["qr.png", "qr.svg", "plate.png", "plate.pdf"])
def test_images_need_a_token_and_scope(client, auth_header, kind):
    shop = make_shop()
    assert client.get(f"/api/v1/shops/{shop.code}/{kind}").status_code == 401
    outsider = make_inspector(streets=("天平路街道",))
    assert client.get(f"/api/v1/shops/{shop.code}/{kind}", headers=auth_header(outsider)).status_code == 403
    stranger = make_merchant()
    assert client.get(f"/api/v1/shops/{shop.code}/{kind}", headers=auth_header(stranger)).status_code == 403
    owner = make_merchant(shops=[shop])
    assert client.get(f"/api/v1/shops/{shop.code}/{kind}", headers=auth_header(owner)).status_code == 200
    r = client.get(f"/api/v1/shops/ABCDEFGHJ/{kind}", headers=auth_header(owner))
    assert r.status_code == 404 and r.get_json()["code"] == 404


def test_mask_choice_is_exactly_qrcodes():
    """qr.matrix picks the mask faster than qrcode does, but must pick the same one: the
    matrices equal plain qrcode's for URLs of several versions and for odd data."""
    import random
    import string

    import qrcode
    from qrcode.constants import ERROR_CORRECT_Q

    rng = random.Random(16)
    samples = [f"{BASE}/s/{''.join(rng.choices(string.ascii_uppercase + string.digits, k=8))}"
               for _ in range(40)]
    samples += ["x" * n for n in (1, 60, 150, 300)]
    samples += ["".join(rng.choices(string.printable, k=rng.randint(1, 300))) for _ in range(20)]
    for text in samples:
        plain = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=0, box_size=1)
        plain.add_data(text)
        plain.make(fit=True)
        assert qr.matrix(text) == tuple(tuple(bool(c) for c in row) for row in plain.get_matrix()), text
