"""Shared column helpers. Times are stored as naive UTC; dates are local calendar dates."""
from datetime import UTC, date, datetime

from sqlalchemy import DateTime
from sqlalchemy.orm import Mapped, mapped_column

from .. import localtime


def utcnow() -> datetime:
    """The current time as naive UTC, the form every timestamp column stores."""
    return datetime.now(UTC).replace(tzinfo=None)


def today() -> date:
    """Today's calendar date in the district (Asia/Shanghai, UTC+8, no DST)."""
    return localtime.today()


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime, default=utcnow, onupdate=utcnow, nullable=False
    )
