"""The queue: Celery on Redis in a district, or in this process when there is no Redis.

`celery_init_app(app)` follows Flask's "Background Tasks with Celery" pattern: one Celery app per
Flask app, configured from the Flask config, whose tasks run inside the Flask app context. The
worker and beat load it from `worker.py` (`celery -A worker worker`, `celery -A worker beat`).

JOBS_RUNNER says where a job runs once its row is committed:
- "celery": sent to the broker; a worker runs it. Acknowledged late (`task_acks_late`,
  `task_reject_on_worker_lost`, prefetch 1): a worker killed mid-job leaves the message
  unacknowledged, and Redis hands it to another worker after the visibility timeout.
- "thread": a thread of this process (the embedded default for `make run`: no Redis needed; a
  job in flight is lost if the process stops — the requeue sweep or `jobs run` picks it up).
- "inline": at once, in the request that started it (tests).
"""
from __future__ import annotations

import logging
import threading
from datetime import timedelta

from celery import Celery, Task
from flask import Flask, current_app, has_app_context
from sqlalchemy import or_, select

from huishang.extensions import db
from huishang.models import Job, utcnow

from . import nightly, runner
from .kinds import FOLLOW_UPS

log = logging.getLogger(__name__)
RUN_TASK = "huishang.jobs.run"
FOLLOW_UP_TASK = "huishang.jobs.follow_up"
SCHEDULED_TASK = "huishang.jobs.scheduled"


def celery_settings(config) -> dict:
    broker = config.get("CELERY_BROKER_URL")
    visibility = int(config["JOB_VISIBILITY_TIMEOUT"])
    return {
        "broker_url": broker or "memory://",
        "result_backend": config.get("CELERY_RESULT_BACKEND") or (broker and broker) or None,
        "task_always_eager": not broker,
        "task_ignore_result": False,
        "result_expires": 24 * 3600,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "worker_hijack_root_logger": False,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {
            "visibility_timeout": visibility,
            "unacked_restore_interval": max(1, min(10, visibility // 4)),
            "unacked_restore_throttle": 1,
        },
        "result_backend_transport_options": {"retry_policy": {"timeout": 5.0}},
        "timezone": config["BABEL_DEFAULT_TIMEZONE"],
        "enable_utc": True,
        "beat_schedule": {
            name: {"task": SCHEDULED_TASK, "schedule": entry.schedule, "args": (name,)}
            for name, entry in scheduled(config).items()
        },
    }


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.import_name, task_cls=FlaskTask)
    celery_app.config_from_object(celery_settings(app.config))

    @celery_app.task(name=RUN_TASK, acks_late=True, reject_on_worker_lost=True)
    def run_job(job_id: str) -> str:
        return runner.run(job_id)

    @celery_app.task(name=FOLLOW_UP_TASK, acks_late=True, reject_on_worker_lost=True)
    def follow_up_task(name: str, *args) -> str:
        return run_follow_up(name, *args)

    @celery_app.task(name=SCHEDULED_TASK, acks_late=True, reject_on_worker_lost=True)
    def run_scheduled(name: str) -> str:
        return run_scheduled_job(name)

    app.extensions["celery"] = celery_app
    return celery_app


# -- starting a job -------------------------------------------------------------------------------

def launch(job: Job | str) -> None:
    """Hand a committed job to its runner (see JOBS_RUNNER). A broker that cannot be reached leaves
    the job queued: the requeue sweep sends it again once Redis is back."""
    job_id = job if isinstance(job, str) else job.id
    mode = current_app.config["JOBS_RUNNER"]
    if mode == "celery":
        try:
            current_app.extensions["celery"].send_task(RUN_TASK, args=[job_id], retry=True,
                                                      retry_policy={"max_retries": 2, "interval_start": 0.2})
        except Exception:  # noqa: BLE001 — kombu raises several kinds; the job stays queued
            log.warning("broker unreachable: job %s stays queued for the requeue sweep", job_id)
    elif mode == "thread":
        app = current_app._get_current_object()
        threading.Thread(target=_run_in_thread, args=(app, job_id), daemon=True,
                         name=f"job-{job_id[:6]}").start()
    else:
        runner.run(job_id, heartbeat=False)


def _run_in_thread(app: Flask, job_id: str) -> None:
    with app.app_context():
        try:
            runner.run(job_id)
        finally:
            db.session.remove()


def follow_up(name: str, *args) -> None:
    """After a write's commit: run the consequence `name` (kinds.FOLLOW_UPS) where JOBS_RUNNER says.
    With the broker unreachable it runs in a thread here, so nothing is lost to a Redis restart."""
    if name not in FOLLOW_UPS:
        raise KeyError(name)
    mode = current_app.config["JOBS_RUNNER"]
    if mode == "celery":
        try:
            current_app.extensions["celery"].send_task(FOLLOW_UP_TASK, args=[name, *args], retry=True,
                                                      retry_policy={"max_retries": 2, "interval_start": 0.2})
            return
        except Exception:  # noqa: BLE001 — kombu raises several kinds
            log.warning("broker unreachable: follow-up %s runs in this process", name)
            mode = "thread"
    if mode == "thread":
        app = current_app._get_current_object()
        threading.Thread(target=_follow_up_in_thread, args=(app, name, args), daemon=True).start()
    else:
        run_follow_up(name, *args)


def _follow_up_in_thread(app: Flask, name: str, args) -> None:
    with app.app_context():
        try:
            run_follow_up(name, *args)
        except Exception:  # noqa: BLE001 — logged; a follow-up never takes the process down
            log.exception("follow-up %s%r failed", name, args)
        finally:
            db.session.remove()


def run_follow_up(name: str, *args) -> str:
    try:
        result = FOLLOW_UPS[name](*args)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return f"{name}: {result}"


def requeue_lost() -> str:
    """Send again the jobs that no worker holds: queued for over JOB_REQUEUE_SECONDS (the broker was down, or
    Redis restarted and lost its queue), or running with a stopped heartbeat (their worker died).
    Harmless when run twice: the runner's claim lets only one runner take a job."""
    now = utcnow()
    stale = now - timedelta(seconds=current_app.config["JOB_STALE_SECONDS"])
    waiting = now - timedelta(seconds=current_app.config["JOB_REQUEUE_SECONDS"])
    lost = list(db.session.scalars(select(Job.id).where(or_(
        (Job.status == "queued") & (Job.created_at < waiting),
        (Job.status == "running") & (Job.heartbeat_at < stale)))))
    for job_id in lost:
        if current_app.config["JOBS_RUNNER"] == "celery":
            launch(job_id)
        else:  # by hand without a broker: run them here (a thread would die with the command)
            runner.run(job_id)
    return f"sent again {len(lost)} job(s)"


def scheduled(config=None) -> dict:
    if config is None:
        config = current_app.config if has_app_context() else {"JOB_REQUEUE_SECONDS": 60}
    seconds = float(config["JOB_REQUEUE_SECONDS"])
    entries = dict(nightly.NIGHTLY)
    entries["jobs-requeue"] = nightly.Scheduled(
        "jobs-requeue", "send again jobs no worker holds (after a Redis restart or a lost worker)",
        requeue_lost, seconds)
    return entries


def run_scheduled_job(name: str) -> str:
    entry = scheduled().get(name)
    if entry is None:
        raise KeyError(name)
    try:
        return entry.run()
    except Exception:
        db.session.rollback()
        raise
