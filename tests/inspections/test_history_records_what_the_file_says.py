"""The history import records what the file says (issue 14): a 基本符合 / 不符合 row without a
rectification deadline records no rectification and no invented deadline, and every consequence
follows from that — the supervision face says 整改情况未录入, grading does not worsen the shop for an
overdue rectification, the 30-day list does not put it first as a rectification, the property end
counts nothing overdue. A row WITH a deadline still records its (overdue) rectification."""
from flask_babel import refresh
from sqlalchemy import select

from huishang.extensions import db
from huishang.models import Inspection, Rectification, Shop
from huishang.services import planning
from huishang.services import property as property_service
from huishang.services.grading import explain
from tests.factories import make_complex, make_inspector, make_shop


def import_history(runner, tmp_path, rows):
    lines = ["商铺码,检查日期,检查结果,整改期限,整改完成日期"] + [",".join(r) for r in rows]
    path = tmp_path / "history.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(args=["inspections", "import", str(path)])
    assert result.exit_code == 0, result.output
    return result.output


def two_shops(runner, tmp_path):
    """`silent`: a 2024 基本符合 without a deadline; `given`: the same with a 7-day deadline, never met."""
    make_complex("港汇恒隆广场")
    silent = make_shop(sign_name="未录入整改", complex="港汇恒隆广场")
    given = make_shop(sign_name="期限已过")
    output = import_history(runner, tmp_path, [[silent.code, "2024-03-01", "基本符合", "", ""],
                                               [given.code, "2024-03-01", "基本符合", "2024-03-08", ""]])
    return db.session.get(Shop, silent.id), db.session.get(Shop, given.id), output


def test_no_deadline_records_no_rectification(runner, tmp_path):
    silent, given, output = two_shops(runner, tmp_path)
    assert "1 条不符合/基本符合记录没有整改期限，不记录整改" in output
    rects = db.session.scalars(select(Rectification)).all()
    assert [r.shop_id for r in rects] == [given.id]
    assert rects[0].deadline.isoformat() == "2024-03-08"
    imported = db.session.scalar(select(Inspection).where(Inspection.shop_id == silent.id))
    assert imported.outcome == "partial" and imported.rectification_unrecorded
    other = db.session.scalar(select(Inspection).where(Inspection.shop_id == given.id))
    assert not other.rectification_unrecorded


def test_grading_does_not_worsen_without_a_recorded_rectification(runner, tmp_path):
    silent, given, _ = two_shops(runner, tmp_path)
    quiet, overdue = explain(silent), explain(given)
    assert [e.kind for e in quiet.worsened_by] == [] and quiet.dynamic_grade == quiet.base_grade
    assert quiet.reason != "rectification"
    assert "overdue" in [e.kind for e in overdue.worsened_by] and overdue.dynamic_grade != overdue.base_grade


def test_the_30_day_list_does_not_put_it_first_as_an_overdue_rectification(runner, tmp_path):
    silent, given, _ = two_shops(runner, tmp_path)
    items, _total = planning.plan_page()
    by_shop = {i.shop_id: i for i in items}
    assert by_shop[given.id].reason == "rectification"
    assert by_shop[silent.id].reason != "rectification"
    assert items[0].shop_id == given.id
    order = [i.shop_id for i in items]
    assert order.index(given.id) < order.index(silent.id)


def test_the_property_end_counts_nothing_overdue(runner, tmp_path):
    silent, _given, _ = two_shops(runner, tmp_path)
    row = next(r for r in property_service.tenants(silent.complex_id) if r["code"] == silent.code)
    assert row["open_rectifications"] == 0 and row["overdue_rectifications"] == 0


def test_the_supervision_face_says_rectification_not_recorded(runner, tmp_path, client, login_as):
    silent, given, _ = two_shops(runner, tmp_path)
    login_as(make_inspector())
    page = client.get(f"/s/{silent.code}").get_data(as_text=True)
    assert "整改情况未录入" in page and "整改逾期" not in page
    assert "整改情况未录入" not in client.get(f"/s/{given.code}").get_data(as_text=True)
    imported = db.session.scalar(select(Inspection).where(Inspection.shop_id == silent.id))
    assert "整改情况未录入" in client.get(f"/admin/inspections/{imported.id}").get_data(as_text=True)
    refresh()  # the test's app context outlives a request: forget the last request's locale
    english = client.get(f"/s/{silent.code}?lang=en").get_data(as_text=True)
    assert "Rectification not recorded" in english
