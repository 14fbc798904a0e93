"""Background jobs: long work started from a page, the API or the command line runs as a job
with its progress (`records`, `runner`, `kinds`), on Celery with Redis in a district or in this
process without it (`queue`), and the scheduled nightly jobs (`nightly`).

A view starts a job in three steps: `job = jobs.create(kind, params, owner)` (flushed),
`handling.commit()`, `jobs.launch(job)`. Its page is /admin/jobs/<id>, its status
/api/v1/jobs/<id>.

Others use: `create`, `launch`, `follow_up`, `get`, `result_file`, `live_figures`, `status_of`, `KINDS`,
`celery_init_app`, `scheduled`, `run_scheduled_job`, `run`, `cleanup`."""
from .kinds import KINDS
from .queue import celery_init_app, follow_up, launch, requeue_lost, run_scheduled_job, scheduled
from .records import cleanup, create, files_dir, get, job_dir, live_figures, recent_for, result_file
from .runner import run


def status_of(job) -> dict:
    """The job as the status URL and the page show it: figures, words, and its file's name."""
    figures = live_figures(job)
    kind = KINDS.get(job.kind)
    return {
        "id": job.id,
        "kind": job.kind,
        "kind_label": kind.label if kind else job.kind,
        "status": job.status,
        "done": figures["done"],
        "total": figures["total"],
        "message": figures["message"],
        "report": job.report or [],
        "file_name": job.result_name if result_file(job) else None,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


__all__ = [
    "KINDS", "celery_init_app", "cleanup", "create", "files_dir", "follow_up", "get", "job_dir", "launch",
    "live_figures", "recent_for", "requeue_lost", "result_file", "run", "run_scheduled_job", "scheduled", "status_of",
]
