"""Running one job: claim it, do its work with progress, keep its file, or say why it failed.

Safe to run twice (a redelivered message, `jobs run` by hand, two workers): the claim is one
conditional UPDATE, so only one runner holds a job; a job already done or failed is left as it is;
a job "running" whose heartbeat stopped (its worker was killed) is taken over and done again from
the start. Its work is all or nothing: the work's own transaction commits once at the end, and its
file is written under a temporary name and renamed only when complete, so nothing half-written is
ever kept or offered."""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import or_, update

from huishang.extensions import db
from huishang.models import Job, User, utcnow
from huishang.services import DomainError
from huishang.services.core import audit

from . import records
from .kinds import KINDS

log = logging.getLogger(__name__)
PROGRESS_EVERY = 0.5  # seconds between progress writes
HEARTBEAT_EVERY = 10  # seconds


@dataclass
class Work:
    """What a job's body gets: its parameters, its owner, progress, and where to write its file."""

    job_id: str
    params: dict
    owner: User | None
    total: int | None = None
    done: int = 0
    message: str = ""
    report: list[str] | None = None
    outputs: list[tuple[Path, Path]] = field(default_factory=list)
    _last: float = 0.0

    def progress(self, done: int | None = None, *, total: int | None = None, message: str | None = None,
                 force: bool = False) -> None:
        if total is not None:
            self.total = total
        if done is not None:
            self.done = done
        if message is not None:
            self.message = str(message)
        now = time.monotonic()
        if force or now - self._last >= PROGRESS_EVERY or (self.total and self.done >= self.total):
            self._last = now
            records.side_write(self.job_id, done=self.done, total=self.total, message=self.message)

    def advance(self, n: int = 1) -> None:
        self.progress(self.done + n)

    def output(self, name: str) -> Path:
        """A temporary path for the result file `name`; it takes its name once the job succeeds."""
        final = records.job_dir(self.job_id) / name
        partial = final.with_name(final.name + ".part")
        self.outputs.append((partial, final))
        return partial


def stale_before():
    return utcnow() - timedelta(seconds=current_app.config["JOB_STALE_SECONDS"])


def claim(job_id: str) -> bool:
    """Mark the job running for this runner; False when it is done, failed, or alive elsewhere."""
    now = utcnow()
    result = db.session.execute(
        update(Job)
        .where(Job.id == job_id,
               or_(Job.status == "queued",
                   (Job.status == "running") & or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < stale_before())))
        .values(status="running", attempts=Job.attempts + 1, started_at=now, heartbeat_at=now, done=0,
                message="正在处理")
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


class _Heartbeat(threading.Thread):
    """Says "still alive" every few seconds while a long step (one big query) gives no progress."""

    def __init__(self, app, job_id: str):
        super().__init__(daemon=True, name=f"job-heartbeat-{job_id[:6]}")
        self.app, self.job_id, self.stopped = app, job_id, threading.Event()

    def run(self) -> None:
        with self.app.app_context():
            while not self.stopped.wait(HEARTBEAT_EVERY):
                records.side_write(self.job_id)


def run(job_id: str, *, heartbeat: bool = True) -> str:
    """Run the job if nobody else is: returns its status afterwards ("done", "failed", or
    "running" when another runner holds it)."""
    job = records.get(job_id)
    if job is None:
        return "missing"
    if job.finished:
        return job.status
    if not claim(job_id):
        db.session.expire_all()
        return records.get(job_id).status
    job = records.get(job_id)
    db.session.refresh(job)
    owner = db.session.get(User, job.owner_id) if job.owner_id else None
    work = Work(job_id=job.id, params=dict(job.params or {}), owner=owner, total=job.total)
    kind = KINDS.get(job.kind)
    beat = _Heartbeat(current_app._get_current_object(), job_id) if heartbeat else None
    if beat:
        beat.start()
    token = audit.bind(audit.Origin(label=f"job:{job.kind}"))
    try:
        if kind is None:
            raise DomainError("未知的任务类型 (unknown job kind)")
        message = kind.body(work)
        for partial, final in work.outputs:
            if partial.exists():
                partial.replace(final)
        db.session.commit()  # the work's one transaction
        job = records.get(job_id)
        finals = [final for _partial, final in work.outputs if final.exists()]
        job.status, job.finished_at, job.message = "done", utcnow(), str(message or "已完成")
        job.done = work.total if work.total is not None else work.done
        job.total = work.total if work.total is not None else work.done
        job.report = work.report
        if finals:
            job.result_path, job.result_name = str(finals[0]), finals[0].name
        db.session.commit()
        return "done"
    except DomainError as exc:
        _fail(job_id, work, exc.message, exc.errors)
        return "failed"
    except Exception as exc:  # noqa: BLE001 — a job must end in words, whatever went wrong
        log.exception("job %s (%s) failed", job_id, getattr(job, "kind", "?"))
        _fail(job_id, work, f"处理时出错，未保存任何结果 (internal error: {type(exc).__name__})", {})
        return "failed"
    finally:
        audit.unbind(token)
        if beat:
            beat.stopped.set()
        records.forget_live(job_id)


def _fail(job_id: str, work: Work, message, errors: dict) -> None:
    db.session.rollback()  # nothing of the work is kept
    for partial, final in work.outputs:
        partial.unlink(missing_ok=True)
        final.unlink(missing_ok=True)
    lines = list(work.report or [])
    for name, messages in (errors or {}).items():
        lines += [f"{name}: {m}" if name not in ("_", "_schema") else str(m) for m in messages]
    job = records.get(job_id)
    job.status, job.finished_at, job.message = "failed", utcnow(), str(message)
    job.report = lines[:200] or None
    db.session.commit()
