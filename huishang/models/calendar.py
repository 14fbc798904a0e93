"""The working-day calendar: weekends are off, plus configured holidays; a make-up working day
(调休) on a weekend counts as a working day."""
from datetime import date

from sqlalchemy import Boolean, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class CalendarDay(db.Model):
    __tablename__ = "calendar_days"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean, default=False)  # False = holiday
    name: Mapped[str] = mapped_column(String(40), default="")
