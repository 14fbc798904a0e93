"""Background jobs (后台任务): long work started from a page, the API or beat, with its progress.

The id is a random token (not a counter): the status URL /api/v1/jobs/<id> names no other job and
cannot be guessed. Only the job's owner and a district-wide regulator may see a job or its file."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow
from .users import User

JOB_STATUSES = ("queued", "running", "done", "failed")
STATUS_LABELS = {"queued": "排队中", "running": "进行中", "done": "已完成", "failed": "失败"}


class Job(db.Model):
    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="queued", server_default="queued")
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    total: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text, default="", server_default="")
    report: Mapped[list | None] = mapped_column(JSON)
    result_path: Mapped[str | None] = mapped_column(String(500))
    result_name: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)

    owner: Mapped[User | None] = relationship()

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    def can_view(self, user) -> bool:
        """The owner, or a district-wide regulator (the district's administrators)."""
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        return user.id == self.owner_id or bool(getattr(user, "district_wide", False))

    def can_change(self, user) -> bool:
        return False  # a job is changed only by its runner

    def __repr__(self) -> str:
        return f"<Job {self.kind} {self.status}>"
