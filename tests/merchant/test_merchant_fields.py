"""A staff record's and a licence's fields (`services.merchant.fields`) at their boundaries."""
from datetime import date, timedelta

import pytest

from huishang.models import today
from huishang.services.core import Invalid
from huishang.services.merchant import fields, staff


def messages(check, value) -> list[str]:
    with pytest.raises(Invalid) as info:
        check(value)
    return [str(m) for m in info.value.messages]


def test_staff_fields():
    assert fields.person_name(" 王芳 ") == "王芳" and fields.person_name("名" * 40)
    assert messages(fields.person_name, "") == ["请填写姓名"] and messages(fields.person_name, None) == ["请填写姓名"]
    assert messages(fields.person_name, "名" * 41) == ["不能超过40个字符"]
    assert fields.staff_phone("１３９１２３４５６７８") == "13912345678" and fields.staff_phone(None) == ""
    assert messages(fields.staff_phone, "123456") == ["电话号码格式错误"]
    assert messages(fields.staff_phone, "1" * 31) == ["不能超过30个字符", "电话号码格式错误"]
    assert fields.vaccine_doses(None) == 0 and fields.vaccine_doses("6") == 6
    assert messages(fields.vaccine_doses, 7) == ["应在0–6之间"] and messages(fields.vaccine_doses, "两") == ["应为整数"]
    tomorrow = today() + timedelta(days=1)
    assert fields.vaccine_dates("2021-03-01，2021/4/1") == [date(2021, 3, 1), date(2021, 4, 1)]
    assert fields.vaccine_dates([today()]) == [today()]
    assert messages(fields.vaccine_dates, ["2021-03-01", "三月", tomorrow.isoformat()]) == [
        "日期格式错误（应为 YYYY-MM-DD）：三月", "接种日期不能晚于今天"]


def test_staff_record_rules():
    clean, errors = staff.validate({"name": "王芳", "health_cert_expires": "2030-01-01",
                                    "vaccine_dates": "2021-03-01 2021-04-01", "vaccine_doses": "1"})
    assert errors == {"health_cert_no": ["填写有效期时请填写健康证编号"]}
    assert clean["vaccine_doses"] == 2 and clean["vaccine_dates"] == ["2021-03-01", "2021-04-01"]
    assert clean["active"] is True and clean["phone"] == "" and clean["role"] == ""


def test_licence_fields():
    assert fields.licence_kind(" business ") == "business"
    assert messages(fields.licence_kind, "passport") == ["请选择证照类型"] and messages(fields.licence_kind, 3)
    assert fields.licence_number(" ＪＹ１２３ ") == "JY123" and fields.licence_number("号" * 60)
    assert messages(fields.licence_number, "") == ["请填写证照编号"]
    assert messages(fields.licence_number, "号" * 61) == ["不能超过60个字符"]
    assert fields.ISSUED_ON(today()) == today()
    assert messages(fields.ISSUED_ON, (today() + timedelta(days=1)).isoformat()) == ["发证日期不能晚于今天"]
    assert fields.EXPIRES_ON("2099-12-31") == date(2099, 12, 31)
