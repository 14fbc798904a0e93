"""The district's clock (区内时间): Asia/Shanghai, UTC+8 all year.

Timestamps are stored as naive UTC (`models.utcnow`); calendar dates (due dates, inspection days,
"today") are the district's. Every conversion between the two goes through here. The results are
naive district wall-clock times, the form the templates format and the code compares.

This module imports nothing from the package, so models, services and views may all use it;
`huishang.services.core` re-exports it for the domain layer.
"""
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

DISTRICT_ZONE_NAME = "Asia/Shanghai"
DISTRICT_ZONE = ZoneInfo(DISTRICT_ZONE_NAME)
MINUTE = "%Y-%m-%d %H:%M"


def to_local(moment: datetime | None) -> datetime | None:
    """`moment` as naive district wall-clock time; None stays None.

    A naive `moment` is read as UTC (how timestamps are stored); an aware one is converted."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(DISTRICT_ZONE).replace(tzinfo=None)


def district_now() -> datetime:
    """The wall-clock time in the district now (naive)."""
    return to_local(datetime.now(UTC))


def local_date(moment: datetime | None) -> date | None:
    """The district's calendar date of `moment` (naive = UTC); None stays None."""
    local = to_local(moment)
    return local.date() if local is not None else None


def today() -> date:
    """Today's calendar date in the district."""
    return district_now().date()


def day_start_utc(day: date) -> datetime:
    """The instant the district's `day` begins, as the naive UTC that timestamps are stored in
    (e.g. 2026-03-02 → 2026-03-01 16:00)."""
    start = datetime.combine(day, time(), tzinfo=DISTRICT_ZONE)
    return start.astimezone(UTC).replace(tzinfo=None)


def format_local(moment: datetime | None, fmt: str = MINUTE) -> str:
    """A stored timestamp as district time with `fmt` (to the minute by default); "" for none."""
    return to_local(moment).strftime(fmt) if moment else ""
