"""Review (staffside): input paths of the staff pages that must answer 4xx, never 500."""

from .factories import make_regulator


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
