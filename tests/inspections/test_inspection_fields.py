"""A checklist answer's fields (`services.inspections.fields`): boundaries, and the inspection page
and `POST /api/v1/inspections` giving the same message for the same bad answer."""
import html
from datetime import datetime, timedelta

import pytest
from openpyxl import Workbook

from huishang.models import today
from huishang.services.core import Invalid
from huishang.services.inspections import fields
from tests.factories import make_shop

from .test_inspections import body, form_data, team, template  # noqa: F401 — the fixture


def messages(check, *args) -> list[str]:
    with pytest.raises(Invalid) as info:
        check(*args)
    return [str(m) for m in info.value.messages]


def test_answer_checks():
    assert fields.item_id("12", 1) == 12 and fields.item_id(12, 1) == 12
    assert messages(fields.item_id, "x", 3) == ["第3个答案缺少有效的 item_id"]
    assert messages(fields.item_id, None, 1) == ["第1个答案缺少有效的 item_id"]
    assert [fields.result(word, 7) for word in ("符合", "不符合", "不适用", "当场整改", " pass ", "na", "fixed")] == [
        "pass", "fail", "na", "fixed", "pass", "na", "fixed"]
    assert messages(fields.result, "maybe", 7) == [
        "检查项 7 的结果应为 符合/不符合/不适用/当场整改 (pass/fail/na/fixed)"]
    assert messages(fields.result, None, 7) == messages(fields.result, "maybe", 7)
    assert fields.note(None, 7) == "" and fields.note(" 好 ", 7) == "好" and fields.note("字" * 1000, 7)
    assert messages(fields.note, "字" * 1001, 7) == ["检查项 7 的说明不能超过1000字"]


@pytest.mark.parametrize("key,value", [("result", "maybe"), ("note", "字" * 1001), ("result", "符合")])
def test_the_page_and_the_api_give_the_same_message(client, login_as, auth_header, team, key, value):  # noqa: F811
    shop, me, co = team
    tpl = template()
    item = tpl.items[0].id
    data = body(shop, co, inspected_on=today().isoformat())
    data["answers"][0][key] = value
    api = client.post("/api/v1/inspections", json=data, headers=auth_header(me))
    page_data = form_data(shop, co, tpl)
    page_data[f"{key}-{item}"] = value
    login_as(me)
    page = client.post(f"/admin/shops/{shop.code}/inspections/new", data=page_data)
    if value == "符合":  # the Chinese word is an answer on both faces
        assert api.status_code == 201 and page.status_code == 302
        return
    said = api.get_json()["errors"]["answers"]
    first = tpl.items[0].text[:24]
    assert api.status_code == 422 and len(said) == 1 and f"检查项 第1项“{first}”" in said[0]  # words, not an id
    assert f"检查项 {item} " not in said[0]
    assert page.status_code == 422 and said[0] in html.unescape(page.get_data(as_text=True))


def test_a_future_date_is_refused_in_an_xlsx_cell_as_in_a_csv(runner, tmp_path):
    """openpyxl reads a date cell as a datetime, which skipped the not-after-today check before."""
    shop = make_shop()
    later = datetime.combine(today() + timedelta(days=3), datetime.min.time())
    book = Workbook()
    book.active.append(["商铺码", "检查日期", "检查结果"])
    book.active.append([shop.code, later, "符合"])
    book.save(tmp_path / "h6_future.xlsx")
    csv_path = tmp_path / "h6_future.csv"
    csv_path.write_text(f"商铺码,检查日期,检查结果\n{shop.code},{later.date().isoformat()},符合\n", encoding="utf-8")
    for path in (tmp_path / "h6_future.xlsx", csv_path):
        result = runner.invoke(args=["inspections", "import", str(path), "--dry-run"])
        assert result.exit_code != 0 and "第2行 检查日期：日期不能晚于今天" in result.output, path
