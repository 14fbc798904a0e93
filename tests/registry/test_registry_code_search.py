"""Registry search by plate code as people type it off a plate: grouped, hyphenated, lower case,
full-width. The code is matched exactly (in the caller's scope); a mistyped code finds nothing."""

from urllib.parse import quote

import pytest

from huishang.services.registry import codes
from tests.factories import make_regulator, make_shop


def typed_forms(code: str) -> list[str]:
    grouped = codes.display(code)  # ABCD EFGH J, as printed
    return [
        grouped,
        grouped.lower(),
        f"{code[:4]}-{code[4:8]}-{code[8:]}".lower(),
        f"  {code[:4]} - {code[4:8]} - {code[8]} ",
        f"{code[:4]}·{code[4:8]}·{code[8]}",
        "".join(chr(ord(c) + 0xFEE0) for c in grouped.replace(" ", "")),  # full-width ＡＢＣＤ…
    ]


def wrong_check(code: str) -> str:
    return code[:-1] + next(c for c in codes.ALPHABET if c != code[-1])


@pytest.fixture
def shops():
    wanted = make_shop(sign_name="老王面馆")
    other = make_shop(sign_name="阿芳美发")
    far = make_shop(sign_name="远处饭店", street="华泾镇")
    return wanted, other, far


def test_api_finds_a_shop_by_its_code_as_typed(client, auth_header, shops):
    wanted, other, far = shops
    h = auth_header(make_regulator(streets=("徐家汇街道",)))
    for typed in typed_forms(wanted.code):
        r = client.get(f"/api/v1/shops?q={quote(typed)}", headers=h)
        assert r.status_code == 200, typed
        assert [s["code"] for s in r.get_json()["items"]] == [wanted.code], typed
    # a mistyped code is not a code: nothing, and no error
    r = client.get(f"/api/v1/shops?q={quote(codes.display(wrong_check(wanted.code)))}", headers=h)
    assert r.status_code == 200 and r.get_json()["items"] == []
    # out of scope stays out of scope
    r = client.get(f"/api/v1/shops?q={quote(codes.display(far.code).lower())}", headers=h)
    assert r.status_code == 200 and r.get_json()["items"] == []


def test_registry_page_finds_a_shop_by_its_code_as_typed(client, login_as, shops):
    wanted, other, far = shops
    login_as(make_regulator(streets=("徐家汇街道",)))
    for typed in typed_forms(wanted.code):
        r = client.get(f"/admin/shops?q={quote(typed)}")
        html = r.get_data(as_text=True)
        assert r.status_code == 200 and "老王面馆" in html and "阿芳美发" not in html, typed
    html = client.get(f"/admin/shops?q={quote(codes.display(far.code))}").get_data(as_text=True)
    assert "远处饭店" not in html and "老王面馆" not in html


def test_text_search_is_unchanged(client, auth_header, shops):
    wanted, other, far = shops
    h = auth_header(make_regulator())
    assert [s["code"] for s in client.get("/api/v1/shops?q=面馆", headers=h).get_json()["items"]] == [wanted.code]
    r = client.get(f"/api/v1/shops?q={quote(wanted.entity.uscc.lower())}", headers=h)
    assert [s["code"] for s in r.get_json()["items"]] == [wanted.code]
