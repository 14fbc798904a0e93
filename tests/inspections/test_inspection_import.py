"""`flask inspections import FILE [--dry-run]`: all or nothing, a row report, idempotent."""

from datetime import timedelta

from openpyxl import Workbook
from sqlalchemy import func, select

from huishang.extensions import db
from huishang.models import AuditEvent, Inspection, Rectification, Shop, today
from tests.factories import make_shop


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def write_csv(path, rows, encoding="utf-8"):
    path.write_bytes("\n".join(",".join(r) for r in rows).encode(encoding) + b"\n")
    return str(path)


def test_import_chinese_headers_gb18030(runner, tmp_path):
    a, b = make_shop(), make_shop()
    rows = [
        ["商铺码", "检查日期", "检查结果", "整改期限", "整改完成日期"],
        [a.code, "2025-03-01", "基本符合", "2025-03-08", "2025-03-06"],
        [a.code, "2025/09/10", "符合", "", ""],
        [b.code, "2025年10月2日", "不符合", "", ""],
    ]
    path = write_csv(tmp_path / "history.csv", rows, encoding="gb18030")
    result = runner.invoke(args=["inspections", "import", path])
    assert result.exit_code == 0, result.output
    assert "新增 3" in result.output
    a, b = db.session.get(Shop, a.id), db.session.get(Shop, b.id)
    assert (a.latest_outcome, a.latest_inspected_on.isoformat()) == ("pass", "2025-09-10")
    assert b.latest_outcome == "fail"
    rects = {r.shop_id: r for r in db.session.scalars(select(Rectification))}
    assert (
        rects[a.id].closed_on.isoformat() == "2025-03-06" and rects[a.id].deadline.isoformat() == "2025-03-08"
    )
    assert b.id not in rects  # no deadline in the file: no rectification, none invented (issue 14)
    assert "1 条不符合/基本符合记录没有整改期限" in result.output
    assert all(i.source == "import" and i.full for i in db.session.scalars(select(Inspection)))
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "inspection.import")).after["added"]
        == 3
    )
    # the same file again adds nothing
    again = runner.invoke(args=["inspections", "import", path])
    assert again.exit_code == 0 and "新增 0" in again.output and "跳过已有 3" in again.output
    assert count(Inspection) == 3


def test_english_headers_bom_and_dry_run(runner, tmp_path):
    shop = make_shop()
    rows = [
        ["shop_code", "inspected_on", "outcome", "rectification_deadline", "rectified_on"],
        [shop.code, "2025-05-05", "partial", "2025-05-12", ""],
    ]
    path = tmp_path / "h.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\n".join(",".join(r) for r in rows).encode())
    result = runner.invoke(args=["inspections", "import", str(path), "--dry-run"])
    assert result.exit_code == 0 and "试运行" in result.output and "新增 1" in result.output
    assert count(Inspection) == 0
    assert runner.invoke(args=["inspections", "import", str(path)]).exit_code == 0
    assert count(Inspection) == 1 and count(Rectification) == 1


def test_bad_rows_import_nothing_and_are_all_reported(runner, tmp_path):
    shop = make_shop()
    future = (today() + timedelta(days=3)).isoformat()
    rows = [
        ["商铺码", "检查日期", "检查结果", "整改期限", "整改完成日期"],
        [shop.code, "2025-01-05", "符合", "", ""],  # good
        ["NOSUCHSHOP", "2025-01-05", "符合", "", ""],  # line 3
        [shop.code, "2025-13-40", "符合", "", ""],  # line 4
        [shop.code, "2025-02-01", "还行", "", ""],  # line 5
        [shop.code, future, "符合", "", ""],  # line 6
        [shop.code, "2025-02-01", "基本符合", "2025-01-01", ""],  # line 7
        [shop.code, "2025-02-01", "符合", "2025-02-08", ""],  # line 8
        ["", "", "", "", ""],  # blank: ignored
        [shop.code, "2025-03-01", "不符合", "", "2025-02-01"],
    ]  # line 10
    path = write_csv(tmp_path / "bad.csv", rows)
    result = runner.invoke(args=["inspections", "import", path])
    assert result.exit_code != 0
    output = result.output
    for line, column in (
        (3, "商铺码"),
        (4, "检查日期"),
        (5, "检查结果"),
        (6, "检查日期"),
        (7, "整改期限"),
        (8, "检查结果"),
        (10, "整改完成日期"),
    ):
        assert f"第{line}行 {column}" in output, (line, output)
    assert "第2行" not in output
    assert count(Inspection) == 0 and count(Rectification) == 0


def test_missing_columns_and_unknown_file_type(runner, tmp_path):
    path = write_csv(tmp_path / "x.csv", [["商铺码", "检查结果"], ["A", "符合"]])
    result = runner.invoke(args=["inspections", "import", path])
    assert result.exit_code != 0 and "inspected_on" in result.output
    other = tmp_path / "x.pdf"
    other.write_bytes(b"%PDF-1.4")
    assert runner.invoke(args=["inspections", "import", str(other)]).exit_code != 0


def test_xlsx(runner, tmp_path):
    from datetime import datetime

    shop = make_shop()
    book = Workbook()
    sheet = book.active
    sheet.append(["商铺码", "检查日期", "检查结果"])
    sheet.append([shop.code, datetime(2025, 6, 1), "不符合"])
    path = tmp_path / "h.xlsx"
    book.save(path)
    result = runner.invoke(args=["inspections", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert db.session.get(Shop, shop.id).latest_outcome == "fail"


def test_later_pass_closes_open_rectification(runner, tmp_path):
    shop = make_shop()
    rows = [
        ["shop_code", "inspected_on", "outcome", "rectification_deadline"],
        [shop.code, "2025-02-01", "符合", ""],
        [shop.code, "2025-01-01", "基本符合", "2025-01-08"],
        [shop.code, "2025-03-01", "基本符合", "2025-03-08"],
    ]
    result = runner.invoke(args=["inspections", "import", write_csv(tmp_path / "h.csv", rows)])
    assert result.exit_code == 0, result.output
    rects = db.session.scalars(select(Rectification).order_by(Rectification.deadline)).all()
    assert rects[0].closed_on.isoformat() == "2025-02-01" and rects[0].closed_by_inspection_id
    assert rects[1].is_open
    shop = db.session.get(Shop, shop.id)
    assert (shop.latest_outcome, shop.latest_inspected_on.isoformat()) == ("partial", "2025-03-01")
