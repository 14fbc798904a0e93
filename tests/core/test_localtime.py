"""The district's clock: stored naive UTC ↔ Asia/Shanghai wall time, at the UTC day boundary."""
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from huishang import localtime
from huishang.models import today
from huishang.services import core


@pytest.mark.parametrize(("utc", "local"), [
    (datetime(2026, 3, 1, 15, 59), datetime(2026, 3, 1, 23, 59)),
    (datetime(2026, 3, 1, 16, 0), datetime(2026, 3, 2, 0, 0)),
    (datetime(2026, 12, 31, 16, 0), datetime(2027, 1, 1, 0, 0)),
    (datetime(2026, 7, 1, 4, 30), datetime(2026, 7, 1, 12, 30)),  # summer: no daylight saving
])
def test_to_local_shifts_stored_utc_by_eight_hours(utc, local):
    assert localtime.to_local(utc) == local
    assert localtime.to_local(utc.replace(tzinfo=UTC)) == local  # aware input is converted too
    assert localtime.local_date(utc) == local.date()


def test_the_district_day_turns_at_16_00_utc():
    assert localtime.local_date(datetime(2026, 3, 1, 15, 59, 59)) == date(2026, 3, 1)
    assert localtime.local_date(datetime(2026, 3, 1, 16, 0)) == date(2026, 3, 2)
    assert localtime.format_local(datetime(2026, 3, 1, 15, 59)) == "2026-03-01 23:59"
    assert localtime.format_local(datetime(2026, 3, 1, 16, 0), "%Y-%m-%d") == "2026-03-02"


def test_day_start_utc_is_the_previous_utc_day_at_16_00():
    assert localtime.day_start_utc(date(2026, 3, 2)) == datetime(2026, 3, 1, 16, 0)
    start = localtime.day_start_utc(date(2026, 3, 2))
    assert localtime.local_date(start) == date(2026, 3, 2)
    assert localtime.local_date(start - timedelta(microseconds=1)) == date(2026, 3, 1)


def test_an_aware_time_in_another_zone_is_converted():
    new_york = timezone(timedelta(hours=-5))
    assert localtime.to_local(datetime(2026, 3, 1, 11, 0, tzinfo=new_york)) == datetime(2026, 3, 2, 0, 0)


def test_none_stays_none():
    assert localtime.to_local(None) is None and localtime.local_date(None) is None
    assert localtime.format_local(None) == ""


@pytest.mark.parametrize(("utc_now", "expected"), [
    (datetime(2026, 3, 1, 15, 59, tzinfo=UTC), date(2026, 3, 1)),
    (datetime(2026, 3, 1, 16, 0, tzinfo=UTC), date(2026, 3, 2)),
])
def test_today_and_now_at_the_boundary(monkeypatch, utc_now, expected):
    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return utc_now.astimezone(tz) if tz else utc_now.replace(tzinfo=None)

    monkeypatch.setattr(localtime, "datetime", Clock)
    assert localtime.today() == expected and today() == expected  # models.today delegates
    assert localtime.district_now() == (utc_now + timedelta(hours=8)).replace(tzinfo=None)


def test_the_core_and_the_config_use_the_same_clock(app):
    assert core.to_local is localtime.to_local and core.district_now is localtime.district_now
    assert app.config["BABEL_DEFAULT_TIMEZONE"] == localtime.DISTRICT_ZONE_NAME == "Asia/Shanghai"
