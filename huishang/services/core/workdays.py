"""Working days for time limits (complaints, questions): weekends and configured holidays are
excluded; configured make-up days (调休) are included."""
from datetime import date, timedelta

from sqlalchemy import select

from huishang.extensions import db
from huishang.models.calendar import CalendarDay


def _overrides(start: date, end: date) -> dict[date, bool]:
    rows = db.session.execute(select(CalendarDay.day, CalendarDay.is_workday)
                              .where(CalendarDay.day.between(start, end)))
    return {day: is_workday for day, is_workday in rows}


def is_workday(day: date, overrides: dict[date, bool] | None = None) -> bool:
    if overrides is None:
        overrides = _overrides(day, day)
    if day in overrides:
        return overrides[day]
    return day.weekday() < 5


def add_workdays(start: date, days: int) -> date:
    """The date `days` working days after `start` (start itself does not count)."""
    overrides = _overrides(start, start + timedelta(days=days * 3 + 30))
    current, left = start, days
    while left > 0:
        current += timedelta(days=1)
        if is_workday(current, overrides):
            left -= 1
    return current


def workdays_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (negative when end < start)."""
    if end < start:
        return -workdays_between(end, start)
    overrides = _overrides(start, end)
    return sum(1 for n in range(1, (end - start).days + 1)
               if is_workday(start + timedelta(days=n), overrides))
