"""A review holding personal data is held for moderation by the same patterns `mask_personal` masks
(one definition): grouped mobiles, spaced landlines and ID numbers and e-mail addresses too, which the
older, narrower patterns let through — while ordinary text with numbers (prices, dates, opening hours,
building numbers) stays visible."""

import pytest

from huishang.services.feedback import moderation
from tests.factories import make_shop


def post(client, code, text):
    r = client.post(f"/api/v1/public/shops/{code}/reviews", json={"stars": 4, "text": text})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["status"]


@pytest.mark.parametrize("text", [
    "有事打我 138 1234 5678",
    "老板电话138-1234-5678",
    "有问题发邮件 zhang.san@example.com",
    "店里座机 (021) 6487 1234",
    "身份证 110101 19900307 123X 丢在店里了",
])
def test_review_with_personal_data_is_held(client, text):
    shop = make_shop()
    assert post(client, shop.code, text) == "held"
    assert moderation.check(text).hold == ["个人信息"]


@pytest.mark.parametrize("text", [
    "牛肉面28元一碗，加蛋3元，2026-11-27去的",
    "在3号楼1203室旁边，营业时间0830-1730，排队10分钟",
    "价格128.50元，比上次便宜12元，评分4.5",
])
def test_ordinary_numbers_are_not_held(client, text):
    shop = make_shop()
    assert post(client, shop.code, text) == "visible"
    assert moderation.check(text).clean
