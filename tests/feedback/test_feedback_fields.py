"""A complaint's fields (`services.feedback.fields`): boundaries, and the page and the public API
giving the same message for the same bad value."""
import html
import re

import pytest

from huishang.services.core import Invalid
from huishang.services.feedback import fields
from tests.factories import make_shop


def messages(check, value) -> list[str]:
    with pytest.raises(Invalid) as info:
        check(value)
    return [str(m) for m in info.value.messages]


def test_description_length():
    assert fields.description(" 标价不符 \n多收钱 ") == "标价不符 \n多收钱"  # trimmed, line breaks kept
    assert fields.description("五个字正好") == "五个字正好"
    assert messages(fields.description, " 四个字啊 ")[0] == "请描述发生了什么（至少5个字）"
    assert messages(fields.description, None) == ["请描述发生了什么（至少5个字）"]
    assert fields.description("字" * 1000) == "字" * 1000
    assert messages(fields.description, "字" * 1001) == ["描述不能超过1000字（现为1001字）"]


def test_category_kind_and_phone():
    assert fields.category(" price ") == "price"
    assert messages(fields.category, "weather")[0].startswith("请选择投诉类别：食品安全")
    assert fields.kind(None) is None and fields.kind("report") == "report"  # None: submit decides by contact details
    assert messages(fields.kind, "praise") == ["请选择 投诉（要求解决）或 举报（要求查处）"]
    assert fields.complainant_phone("139 1234 5678") == "13912345678"
    assert fields.complainant_phone("021-64870000") == "021-64870000"
    assert fields.complainant_phone("") is None and fields.complainant_phone(None) is None
    assert messages(fields.complainant_phone, "1391234567") == ["电话号码格式错误（手机11位，或带区号的固定电话）"]


def test_notes():
    assert fields.note(None) == "" and fields.note(" 好 ") == "好" and fields.note("字" * 1000)
    assert messages(fields.note, "字" * 1001) == ["不能超过1000字"]
    assert messages(fields.note, 5) == ["格式错误"]
    assert messages(fields.required_note, " ") == ["请填写说明"]


@pytest.mark.parametrize("field,value,expected", [
    ("description", "短", "请描述发生了什么（至少5个字）"),
    ("phone", "12345", "电话号码格式错误（手机11位，或带区号的固定电话）"),
    ("category", "weather", None),
])
def test_the_page_and_the_api_give_the_same_message(client, field, value, expected):
    shop = make_shop()
    data = {"category": "price", "kind": "complaint", "description": "标价18元结账收28元", field: value}
    api = client.post(f"/api/v1/public/shops/{shop.code}/complaints", json=data)
    assert api.status_code == 422
    said = api.get_json()["errors"][field]
    assert expected is None or said == [expected]
    page = client.post(f"/s/{shop.code}/complain", data=data)
    assert page.status_code == 422
    shown = [html.unescape(m) for m in re.findall(r"<li>(.*?)</li>", page.get_data(as_text=True))]
    assert set(said) <= set(shown), shown
