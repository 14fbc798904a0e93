"""The working-day calendar from a file (issue 14): CSV and iCalendar, by command and by the page;
idempotent; bad lines reported by number with nothing written; audited; the desk warns when the
next 60 days hold no calendar entry at all."""
from datetime import date, timedelta
from io import BytesIO

import pytest
from flask_babel import refresh
from sqlalchemy import func, select

from huishang.extensions import db
from huishang.models import AuditEvent, CalendarDay, today
from huishang.services.core import calendar_file, workdays
from tests.factories import make_regulator

CSV = """日期,类型,名称
2027-02-06,休,春节
2027-02-07,休,春节
2027-02-20,班,春节调休
2027-10-01,holiday,国庆节
"""

ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//huishang test//CN\r
BEGIN:VEVENT\r
UID:1@test\r
DTSTART;VALUE=DATE:20270501\r
DTEND;VALUE=DATE:20270504\r
SUMMARY:劳动节\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:2@test\r
DTSTART;VALUE=DATE:20270425\r
SUMMARY:劳动节调休\r
 上班\r
END:VEVENT\r
END:VCALENDAR\r
"""


def calendar():
    return {d.day: (d.is_workday, d.name) for d in db.session.scalars(select(CalendarDay))}


def events(action="calendar.import"):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_csv_by_command_dry_run_then_import_then_again(runner, tmp_path):
    path = tmp_path / "2027.csv"
    path.write_text(CSV, encoding="utf-8")
    dry = runner.invoke(args=["calendar", "import", str(path), "--dry-run"])
    assert dry.exit_code == 0 and "新增 4" in dry.output and calendar() == {}
    result = runner.invoke(args=["calendar", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert calendar() == {date(2027, 2, 6): (False, "春节"), date(2027, 2, 7): (False, "春节"),
                          date(2027, 2, 20): (True, "春节调休"), date(2027, 10, 1): (False, "国庆节")}
    assert events()[0].after["added"] == 4 and "2027-02-20 班 春节调休" in events()[0].after["days"]
    again = runner.invoke(args=["calendar", "import", str(path)])
    assert again.exit_code == 0 and "新增 0，修改 0，未变 4" in again.output
    assert len(events()) == 1  # nothing changed, nothing recorded
    # the time limits count with it: Saturday 2027-02-20 is a working day
    assert workdays.is_workday(date(2027, 2, 20)) and not workdays.is_workday(date(2027, 10, 1))


def test_ics_ranges_folded_lines_and_make_up_days(runner, tmp_path):
    path = tmp_path / "2027.ics"
    path.write_text(ICS, encoding="utf-8")
    result = runner.invoke(args=["calendar", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert calendar() == {date(2027, 5, 1): (False, "劳动节"), date(2027, 5, 2): (False, "劳动节"),
                          date(2027, 5, 3): (False, "劳动节"), date(2027, 4, 25): (True, "劳动节调休上班")}


def test_a_changed_day_is_updated(runner, tmp_path):
    db.session.add(CalendarDay(day=date(2027, 2, 20), is_workday=False, name="错录"))
    db.session.commit()
    plan = calendar_file.plan_calendar("x.csv", CSV.encode())
    assert [e.day for e in plan.changed] == [date(2027, 2, 20)] and len(plan.added) == 3


@pytest.mark.parametrize("text,line,words", [
    ("2027-02-06,休,春节\n2027-13-01,休,春节\n", 2, "日期"),
    ("2027-02-06,放风,春节\n", 1, "类型应为 休 或 班"),
    ("2027-02-06,,春节\n", 1, "缺少类型"),
    ("2027-02-06,休,春节\n\n2027-02-06,班,春节\n", 3, "与第1行矛盾"),
    ("2027-02-06,休," + "节" * 41 + "\n", 1, "名称不能超过40个字符"),
])
def test_bad_csv_lines_are_reported_by_number_and_nothing_is_written(runner, tmp_path, text, line, words):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(args=["calendar", "import", str(path)])
    assert result.exit_code != 0
    assert f"第{line}行：" in result.output and words in result.output, result.output
    assert calendar() == {} and events() == []


def test_bad_ics_events_are_reported_by_line(runner, tmp_path):
    bad = ICS.replace("DTEND;VALUE=DATE:20270504", "DTEND;VALUE=DATE:20270430").replace(
        "SUMMARY:劳动节调休", "RRULE:FREQ=YEARLY\r\nSUMMARY:劳动节调休")
    path = tmp_path / "bad.ics"
    path.write_text(bad, encoding="utf-8")
    result = runner.invoke(args=["calendar", "import", str(path)])
    assert result.exit_code != 0
    assert "第6行：DTEND 应晚于 DTSTART" in result.output
    assert "第10行：不支持重复事件" in result.output
    assert calendar() == {}


def test_page_checks_then_imports_and_lists_by_year(client, login_as):
    login_as(make_regulator())
    page = client.post("/admin/calendar/import", data={"file": (BytesIO(CSV.encode()), "2027.csv"),
                                                       "action": "check"}, content_type="multipart/form-data")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "新增 4 天" in text and calendar() == {}
    bad = client.post("/admin/calendar/import", data={"file": (BytesIO("2027-02-31,休,x\n".encode()), "b.csv"),
                                                      "action": "import"}, content_type="multipart/form-data")
    assert bad.status_code == 422 and "<td>1</td>" in bad.get_data(as_text=True) and calendar() == {}
    done = client.post("/admin/calendar/import", data={"file": (BytesIO(CSV.encode()), "2027.csv"),
                                                       "action": "import"}, content_type="multipart/form-data")
    assert done.status_code == 302 and "year=2027" in done.headers["Location"]
    listed = client.get("/admin/calendar?year=2027").get_data(as_text=True)
    assert "2027-02-20" in listed and "春节调休" in listed
    assert events()[0].actor_label != "cli"
    none = client.post("/admin/calendar/import", data={"action": "check"}, content_type="multipart/form-data")
    assert none.status_code == 422


def test_the_desk_warns_when_the_next_60_days_hold_no_entry(client, login_as):
    login_as(make_regulator())
    warning = "未来 60 天没有任何节假日或调休记录"
    assert warning in client.get("/admin/complaints").get_data(as_text=True)
    db.session.add(CalendarDay(day=today() + timedelta(days=59), is_workday=False, name="节日"))
    db.session.commit()
    assert warning not in client.get("/admin/complaints").get_data(as_text=True)
    db.session.query(CalendarDay).delete()
    db.session.add(CalendarDay(day=today() + timedelta(days=61), is_workday=False, name="节日"))
    db.session.commit()
    assert warning in client.get("/admin/complaints").get_data(as_text=True)
    refresh()  # the test's app context outlives a request: forget the last request's locale
    assert "no holiday or make-up working day" in client.get("/admin/complaints?lang=en").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CalendarDay)) == 1
