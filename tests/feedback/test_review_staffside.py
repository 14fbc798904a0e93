"""Review (staffside): input paths of the staff pages that must answer 4xx, never 500."""

from huishang.models.base import today as district_today
from tests.factories import make_regulator


def test_calendar_year_out_of_range_is_not_a_server_error(client, login_as):
    login_as(make_regulator())
    for year in ("10000", "-3"):
        response = client.get(f"/admin/calendar?year={year}")
        assert response.status_code in (200, 400), (year, response.status_code)


def test_plan_days_with_a_non_ascii_digit_is_refused(client, login_as):
    login_as(make_regulator())
    response = client.get("/admin/plan?days=%C2%B2")  # "²": str.isdigit() is True, int() fails
    assert response.status_code == 400


def test_reply_template_id_with_a_non_ascii_digit_is_not_a_server_error(client, login_as):
    login_as(make_regulator())
    response = client.post("/admin/complaints/templates", data={"id": "²", "title": "标题", "body": "内容"})
    assert response.status_code < 500


def test_plan_assign_with_a_non_ascii_digit_is_not_a_server_error(client, login_as):
    from datetime import timedelta

    from sqlalchemy import select

    from huishang.extensions import db
    from huishang.models.grading import PlanItem
    from tests.factories import add_inspection, make_shop

    shop = make_shop()
    add_inspection(shop, district_today() - timedelta(days=170), "pass")
    login_as(make_regulator())
    assert client.post("/admin/plan/generate", data={"days": "30"}).status_code == 302
    item = db.session.scalar(select(PlanItem))
    assert item is not None
    response = client.post(f"/admin/plan/items/{item.id}/assign", data={"pair": "²,³"})
    assert response.status_code == 302
    assert db.session.get(PlanItem, item.id).inspector_id is None


def test_draw_api_does_not_tell_an_inspector_the_credit_classes(client, auth_header):
    from datetime import timedelta

    from tests.factories import add_inspection, make_inspector, make_shop

    for _ in range(2):
        add_inspection(make_shop(), district_today() - timedelta(days=30), "fail")  # class C
    inspectors = [make_inspector() for _ in range(2)]
    reg = make_regulator()
    body = {"title": "C类专项", "credit_classes": ["C"], "ratios": {"C": 1.0}, "seed": "abc"}
    r = client.post("/api/v1/draws", json=body, headers=auth_header(reg))
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["filters"]["credit_classes"] == ["C"]
    seen = client.get(f"/api/v1/draws/{r.get_json()['id']}", headers=auth_header(inspectors[0])).get_json()
    assert seen["targets"] and "credit_classes" not in seen["filters"] and seen["ratios"] == {}
    assert "credit_class" not in str(seen)
