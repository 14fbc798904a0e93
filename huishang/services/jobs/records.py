"""The job rows: creating one, its live progress, its result file, and the cleanup of old files.

Progress is written beside the job's own work, never inside its transaction: the job's work (an
import, all or nothing) commits once at the end, while the progress figures and the heartbeat go
through a separate short connection (`_side_write`). On SQLite that connection may find the
database locked by the job's own writes: the write is then skipped, and the figures are kept in
this process as well (`LIVE`), which is where the embedded runner's status page reads them."""
from __future__ import annotations

import logging
import secrets
import shutil
import threading
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from huishang.extensions import db
from huishang.models import Job, utcnow

log = logging.getLogger(__name__)

# Live figures of the jobs running in this process: job id -> {"done", "total", "message"}.
LIVE: dict[str, dict] = {}
_LIVE_LOCK = threading.Lock()


def new_id() -> str:
    """A non-guessable id (192 random bits): the status URL is its own capability check's second key."""
    return secrets.token_urlsafe(24)


def create(kind: str, params: dict | None = None, owner=None, *, total: int | None = None,
           message: str = "排队中，等待后台处理") -> Job:
    """Add a queued job (flushed; the caller commits, then launches it)."""
    job = Job(id=new_id(), kind=kind, owner_id=getattr(owner, "id", None), params=dict(params or {}),
              status="queued", total=total, message=message, created_at=utcnow())
    db.session.add(job)
    db.session.flush()
    return job


def get(job_id: str) -> Job | None:
    if not job_id or len(job_id) > 40:
        return None
    return db.session.get(Job, job_id)


def recent_for(user, limit: int = 20) -> list[Job]:
    """The user's own jobs, newest first."""
    return list(db.session.scalars(select(Job).where(Job.owner_id == user.id)
                                   .order_by(Job.created_at.desc()).limit(limit)))


def files_dir() -> Path:
    return Path(current_app.config["JOB_FILES_DIR"])


def job_dir(job_id: str) -> Path:
    path = files_dir() / job_id
    path.mkdir(parents=True, exist_ok=True)
    return path


def result_file(job: Job) -> Path | None:
    """The finished job's file, when it has one and it has not expired."""
    if job.status != "done" or not job.result_path:
        return None
    path = Path(job.result_path)
    return path if path.is_file() else None


def live_figures(job: Job) -> dict:
    """done / total / message: the row's, or this process's fresher ones while the job runs here."""
    figures = {"done": job.done or 0, "total": job.total, "message": job.message or ""}
    if job.status == "running":
        with _LIVE_LOCK:
            live = LIVE.get(job.id)
        if live and live["done"] >= figures["done"]:
            figures.update(live)
    return figures


def _memory_sqlite() -> bool:
    url = db.engine.url
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def side_write(job_id: str, **values) -> bool:
    """Write progress figures in their own short transaction; False when it could not (kept live)."""
    if "done" in values or "message" in values:
        with _LIVE_LOCK:
            live = LIVE.setdefault(job_id, {"done": 0, "total": None, "message": ""})
            live.update({k: v for k, v in values.items() if k in ("done", "total", "message")})
    if _memory_sqlite():  # one shared connection: a commit here would commit the job's own work
        return False
    try:
        with db.engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA busy_timeout = 50")
            connection.execute(update(Job).where(Job.id == job_id, Job.status == "running")
                               .values(heartbeat_at=utcnow(), **values))
            connection.commit()
        return True
    except SQLAlchemyError:  # locked by the job's own writes (SQLite), or the database restarting
        return False


def forget_live(job_id: str) -> None:
    with _LIVE_LOCK:
        LIVE.pop(job_id, None)


def cleanup(days: int | None = None) -> int:
    """Remove finished jobs older than JOB_FILES_DAYS and their files; returns jobs removed.
    Idempotent: a second run finds nothing more to remove."""
    days = current_app.config["JOB_FILES_DAYS"] if days is None else days
    cutoff = utcnow() - timedelta(days=days)
    old = list(db.session.scalars(select(Job).where(Job.created_at < cutoff,
                                                    Job.status.in_(("done", "failed")))))
    for job in old:
        shutil.rmtree(files_dir() / job.id, ignore_errors=True)
        db.session.delete(job)
    db.session.flush()
    return len(old)
