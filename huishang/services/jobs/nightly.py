"""The scheduled jobs: what cron ran before (docs/deploy.md §9), now run by Celery beat on a
district's Redis, or by hand with `flask --app huishang jobs run NAME` without it.

Every job is idempotent: running it twice, or late, gives the same result as running it once (the
refresh recomputes from the facts; the sweep escalates only what is not yet escalated; a reminder
is recorded as sent and never sent again; the open-data zip is rebuilt and replaced atomically; the
scan counts go out once; the cleanup finds nothing the second time). Each returns its result in
words and commits its own transaction."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from celery.schedules import crontab
from flask import current_app

from huishang.extensions import db
from huishang.models import today
from huishang.services import grading, messages
from huishang.services.feedback import complaints
from huishang.services.integration import opendata
from huishang.services.merchant import send_reminders
from huishang.services.scan import faces as scan_faces
from huishang.services.scan import flush_scans

from . import records


@dataclass(frozen=True)
class Scheduled:
    name: str
    help: str
    run: Callable[[], str]
    schedule: object  # a celery schedule: crontab(...) or seconds


def plan_refresh() -> str:
    """Every shop's cell, due date and credit class for the new day; closes items of shops
    inspected since; vacuums shops and plan_items on PostgreSQL (`flask plan refresh`)."""
    count = grading.refresh_all()
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM (ANALYZE) shops, plan_items")
    return f"refreshed {count} shops"


def complaints_sweep() -> str:
    count = complaints.sweep_overdue()
    db.session.commit()
    return f"escalated {count} complaint(s) not answered by the merchant in time"


def reminders() -> str:
    sent = send_reminders()
    db.session.commit()
    return (f"licence reminders: {sent['licence']}, health-certificate reminders: {sent['health_cert']}, "
            f"rectification reminders: {sent['rectification']}")


def opendata_export() -> str:
    path, counts = opendata.export(current_app.config["OPENDATA_DIR"])
    return f"wrote {path.name}: " + ", ".join(f"{k} {v}" for k, v in counts.items())


def scan_faces_publish() -> str:
    """Every shop's citizen face for the new day, rendered ahead (services/scan/faces/published.py):
    yesterday's are dropped first; each batch of 500 shops is committed as it is done."""
    if not current_app.config.get("SCAN_PUBLISHED_FACES", True):
        return "published faces are off (SCAN_PUBLISHED_FACES=0)"
    dropped = scan_faces.published.purge_before(today())
    db.session.commit()
    locales = tuple(current_app.config.get("SCAN_PUBLISHED_LOCALES", scan_faces.published.LOCALES))
    stored = scan_faces.published.publish(locales=locales, after_batch=lambda _n: db.session.commit())
    db.session.commit()
    if db.engine.dialect.name == "postgresql":  # a whole new day's rows: the planner's statistics follow
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE published_faces")
    return f"published {stored} citizen faces for today (dropped {dropped} of earlier days)"


def scan_counts() -> str:
    """Writes this process's buffered scan counts. The web processes write their own every few
    seconds (SCAN_FLUSH_SECONDS) and at exit; this entry is the same flush for a worker process
    (and by hand, for the process that runs it)."""
    written = flush_scans()
    db.session.commit()
    return f"{written} scans written"


def messages_deliver() -> str:
    """Send the e-mail and SMS messages that are due (`flask messages deliver`); retries back off."""
    counts = messages.deliver_due(limit=500)
    db.session.commit()
    return f"sent {counts['sent']}, to retry {counts['retry']}, failed {counts['failed']}"


def cleanup() -> str:
    removed = records.cleanup()
    db.session.commit()
    return f"removed {removed} finished job(s) and their files"


# The same times as the cron lines they replace (district time, beat's timezone).
NIGHTLY = {
    s.name: s
    for s in (
        Scheduled("plan-refresh", "the 30-day list's nightly refresh (was `flask plan refresh`)", plan_refresh,
                  crontab(hour=1, minute=0)),
        Scheduled("scan-faces", "every shop's citizen face for the new day, rendered ahead of the first scan",
                  scan_faces_publish, crontab(hour=1, minute=20)),
        Scheduled("complaints-sweep", "escalate forwarded complaints not answered in time", complaints_sweep,
                  crontab(hour=1, minute=30)),
        Scheduled("opendata-export", "the open-data zip at /open-data/latest.zip", opendata_export,
                  crontab(hour=2, minute=45)),
        Scheduled("reminders", "licence, health-certificate and rectification reminders", reminders,
                  crontab(hour=7, minute=0)),
        Scheduled("scan-counts", "write buffered scan counts", scan_counts, 300.0),
        Scheduled("messages-deliver", "send the e-mail and SMS messages that are due", messages_deliver, 60.0),
        Scheduled("jobs-cleanup", "remove finished jobs and their files after JOB_FILES_DAYS", cleanup,
                  crontab(hour=3, minute=15)),
    )
}
