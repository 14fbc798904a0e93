"""The working-day calendar from a file (`flask calendar import FILE [--dry-run]`, the calendar page's
upload): holidays (放假) and make-up working days (调休上班) as the State Council's yearly notice on
public holidays (国务院办公厅关于某年部分节假日安排的通知) sets them, typed once a year.

Two formats:

* CSV (UTF-8, UTF-8 with BOM or GB18030), one day per line: `date,kind,name`, e.g.
  `2027-02-06,休,春节`. `kind` is 休 / 假 / 放假 / holiday / off for a day off, 班 / 上班 / 补班 /
  workday / work for a make-up working day. A header row (日期 / date in the first cell) is optional.
* iCalendar (.ics): each VEVENT is a day or a range of days. `DTSTART` is the first day; `DTEND`, if
  given, the day after the last (RFC 5545: the end of an all-day event is exclusive). A VEVENT whose
  SUMMARY contains 班 (补班, 调休上班, 上班) or "workday" marks make-up working days; every other
  VEVENT marks days off. The name is the SUMMARY (at most 40 characters). Repeating events (RRULE)
  are refused: the notice names each day.

All or nothing: `plan_calendar()` checks every line and writes nothing; any bad line → the report
names each by its line number and nothing is written. `apply_calendar()` writes a plan: a day the
calendar already holds with the same kind and name is left alone (so importing a file twice changes
nothing), a day with another kind or name is changed. One `calendar.import` audit event names the
file, the counts and the days added or changed.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from huishang.extensions import db
from huishang.i18n import N_, Message
from huishang.models.calendar import CalendarDay
from huishang.services import DomainError

from . import audit
from .fields import Invalid, blank, clean_text, day

NAME_LIMIT = 40
MAX_RANGE_DAYS = 60  # a holiday range longer than this is a typing mistake
OFF_WORDS = ("休", "假", "放假", "休息", "holiday", "off", "rest")
WORK_WORDS = ("班", "上班", "补班", "调休上班", "workday", "work", "working")
WORK_MARK = re.compile(r"班|workday|make-?up", re.IGNORECASE)


@dataclass
class LineError:
    line: int
    message: Message | str

    @property
    def text(self) -> Message:
        return N_("第%(line)s行：%(message)s", line=self.line, message=self.message)

    def __str__(self) -> str:
        return str(self.text)


@dataclass
class CalendarEntry:
    line: int
    day: date
    is_workday: bool
    name: str


@dataclass
class CalendarPlan:
    filename: str
    entries: list[CalendarEntry] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    added: list[CalendarEntry] = field(default_factory=list)
    changed: list[CalendarEntry] = field(default_factory=list)
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def years(self) -> list[int]:
        return sorted({e.day.year for e in self.entries})

    @property
    def summary(self) -> str:
        return (f"新增 {len(self.added)}，修改 {len(self.changed)}，未变 {self.unchanged}"
                f" (added {len(self.added)}, changed {len(self.changed)}, unchanged {self.unchanged})")


class CalendarImport:
    """What the `calendar.import` audit event is about: one file."""

    def __init__(self, filename: str):
        self.id = Path(filename).name[:40]


def _decode(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError(N_("无法识别文件编码（支持 UTF-8 与 GB18030）"), {"file": [N_("无法识别的字符")]}, status=400)


def kind_of(value) -> bool:
    """休 / 班 (and their spellings, see OFF_WORDS / WORK_WORDS) → is a working day."""
    word = clean_text(value).lower()
    if word in OFF_WORDS:
        return False
    if word in WORK_WORDS:
        return True
    raise Invalid(N_("类型应为 休 或 班（holiday / workday）：%(value)s", value=value))


def _name(value) -> str:
    name = clean_text(value)
    if len(name) > NAME_LIMIT:
        raise Invalid(N_("名称不能超过%(n)s个字符", n=NAME_LIMIT))
    return name


def read_csv(text: str, plan: CalendarPlan) -> None:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            line = reader.line_num
            first = clean_text(cells[0]).lower()
            if not plan.entries and not plan.errors and first in ("日期", "date", "day"):
                continue  # the header row
            cells = [*cells, "", "", ""]
            try:
                if blank(cells[0]):
                    raise Invalid(N_("缺少日期"))
                when = day(cells[0])
                if blank(cells[1]):
                    raise Invalid(N_("缺少类型（休 或 班）"))
                is_workday = kind_of(cells[1])
                name = _name(cells[2])
            except Invalid as problem:
                plan.errors.append(LineError(line, problem.messages[-1]))
                continue
            plan.entries.append(CalendarEntry(line, when, is_workday, name))
    except csv.Error as exc:
        plan.errors.append(LineError(reader.line_num, str(exc)))


def _unfold(text: str) -> list[tuple[int, str]]:
    """iCalendar content lines with their first physical line number (folded lines joined)."""
    out: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw[:1] in (" ", "\t") and out:
            out[-1] = (out[-1][0], out[-1][1] + raw[1:])
        elif raw.strip():
            out.append((number, raw.rstrip()))
    return out


def _ics_date(value: str) -> date:
    match = re.match(r"^(\d{4})(\d{2})(\d{2})", value.strip())
    if not match:
        raise Invalid(N_("日期格式错误：%(value)s", value=value))
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise Invalid(N_("日期格式错误：%(value)s", value=value)) from None


def _ics_text(value: str) -> str:
    return value.replace("\\n", " ").replace("\\N", " ").replace("\\,", ",").replace("\\;", ";").replace("\\\\", "\\")


def read_ics(text: str, plan: CalendarPlan) -> None:
    lines = _unfold(text)
    if not lines or lines[0][1].upper() != "BEGIN:VCALENDAR":
        plan.errors.append(LineError(1, N_("不是 iCalendar 文件（应以 BEGIN:VCALENDAR 开头）")))
        return
    event: dict | None = None
    for number, content in lines:
        name, _, value = content.partition(":")
        key = name.split(";", 1)[0].upper()
        if key == "BEGIN" and value.upper() == "VEVENT":
            event = {"line": number}
        elif key == "END" and value.upper() == "VEVENT" and event is not None:
            _add_event(event, plan)
            event = None
        elif event is not None and key in ("DTSTART", "DTEND", "SUMMARY", "RRULE"):
            event[key] = (number, value)


def _add_event(event: dict, plan: CalendarPlan) -> None:
    line = event["line"]
    try:
        if "RRULE" in event:
            raise Invalid(N_("不支持重复事件（RRULE），请逐日列出"))
        if "DTSTART" not in event:
            raise Invalid(N_("缺少 DTSTART"))
        line = event["DTSTART"][0]
        first = _ics_date(event["DTSTART"][1])
        end = _ics_date(event["DTEND"][1]) if "DTEND" in event else first + timedelta(days=1)
        if end <= first:
            raise Invalid(N_("DTEND 应晚于 DTSTART"))
        if (end - first).days > MAX_RANGE_DAYS:
            raise Invalid(N_("一个事件最多 %(n)s 天", n=MAX_RANGE_DAYS))
        summary = _ics_text(event.get("SUMMARY", (line, ""))[1])
        name = _name(summary)
    except Invalid as problem:
        plan.errors.append(LineError(line, problem.messages[-1]))
        return
    is_workday = bool(WORK_MARK.search(summary))
    for n in range((end - first).days):
        plan.entries.append(CalendarEntry(line, first + timedelta(days=n), is_workday, name))


def plan_calendar(filename: str, raw: bytes) -> CalendarPlan:
    """Read and check a .csv or .ics calendar file; write nothing. Raises DomainError(400) for a file
    of another type or an unreadable encoding; line problems go to `plan.errors`."""
    plan = CalendarPlan(filename=Path(filename).name)
    suffix = Path(filename).suffix.lower()
    text = _decode(raw)
    if suffix == ".ics" or text.lstrip().upper().startswith("BEGIN:VCALENDAR"):
        read_ics(text, plan)
    elif suffix in (".csv", ".txt", ""):
        read_csv(text, plan)
    else:
        raise DomainError(N_("只支持 CSV 或 iCalendar（.ics）文件"),
                          {"file": [N_("不支持的文件类型：%(suffix)s", suffix=suffix)]}, status=400)
    seen: dict[date, CalendarEntry] = {}
    for entry in plan.entries:
        other = seen.get(entry.day)
        if other is not None and other.is_workday != entry.is_workday:
            plan.errors.append(LineError(entry.line, N_("%(day)s 与第%(line)s行矛盾（一处为放假，一处为上班）",
                                                        day=entry.day.isoformat(), line=other.line)))
        seen.setdefault(entry.day, entry)
    if not plan.entries and not plan.errors:
        plan.errors.append(LineError(1, N_("文件中没有任何日期")))
    plan.errors.sort(key=lambda e: e.line)
    if plan.ok:
        _compare(plan, list(seen.values()))
    return plan


def _compare(plan: CalendarPlan, entries: list[CalendarEntry]) -> None:
    days = [e.day for e in entries]
    stored = {row.day: row for row in db.session.scalars(
        select(CalendarDay).where(CalendarDay.day.between(min(days), max(days))))}
    for entry in entries:
        row = stored.get(entry.day)
        if row is None:
            plan.added.append(entry)
        elif row.is_workday != entry.is_workday or (row.name or "") != entry.name:
            plan.changed.append(entry)
        else:
            plan.unchanged += 1


def apply_calendar(plan: CalendarPlan, *, actor=None) -> None:
    """Write a checked plan (flush only; the caller commits). Raises DomainError if it has errors."""
    if not plan.ok:
        raise DomainError(N_("日历文件有误，未导入任何日期"), {"file": [e.text for e in plan.errors[:50]]})
    for entry in plan.added:
        db.session.add(CalendarDay(day=entry.day, is_workday=entry.is_workday, name=entry.name))
    for entry in plan.changed:
        row = db.session.get(CalendarDay, entry.day)
        row.is_workday, row.name = entry.is_workday, entry.name
    db.session.flush()
    if plan.added or plan.changed:
        audit.record("calendar.import", CalendarImport(plan.filename), actor=actor, after={
            "file": plan.filename, "added": len(plan.added), "changed": len(plan.changed),
            "unchanged": plan.unchanged,
            "days": [f"{e.day.isoformat()} {'班' if e.is_workday else '休'} {e.name}".strip()
                     for e in plan.added + plan.changed]})


def next_entries(start: date, days: int = 60) -> int:
    """How many calendar entries (holidays or make-up days) fall in the `days` days from `start`."""
    return len(db.session.scalars(select(CalendarDay.day).where(
        CalendarDay.day.between(start, start + timedelta(days=days)))).all())
