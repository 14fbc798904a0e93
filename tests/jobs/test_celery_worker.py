"""Jobs on a real Celery worker against Redis: the page starts a job, its progress moves, the file
is offered; a job sent twice runs once; a worker killed mid-job (kill -9) leaves the job to a
second worker, which completes it (acks_late + reject_on_worker_lost + the heartbeat; should the
broker not hand the message on within 45 s under a loaded machine, beat's `jobs-requeue` — run
once by the test — sends it again, as it does every minute in a district).

The broker is Redis db 11 of TEST_REDIS_URL's server (db 15 is the scale-out tests'); skips with
a reason when Redis is not reachable. The database is a temporary SQLite file shared by this process
and the workers (the drill, scripts/drill_scale_out.py, does the same on PostgreSQL)."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from huishang import create_app
from huishang.config import TestingConfig
from huishang.extensions import db, limiter
from huishang.models import Job

ROOT = Path(__file__).resolve().parents[2]
TEST_REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
BROKER = TEST_REDIS.rsplit("/", 1)[0] + "/11"
PASSWORD = "celery-pass-1"
SHOPS = 400  # plates report progress per chunk of 250: the bar moves once before the end


def _redis_problem() -> str | None:
    try:
        import redis

        redis.Redis.from_url(BROKER, socket_timeout=1, socket_connect_timeout=1).ping()
    except Exception as exc:  # noqa: BLE001 — any failure means: no Redis here
        return f"Redis not reachable at {BROKER} ({type(exc).__name__}); set TEST_REDIS_URL"
    return None


pytestmark = pytest.mark.skipif(_redis_problem() is not None, reason=str(_redis_problem()))


def _clear_queue() -> None:
    import redis

    client = redis.Redis.from_url(BROKER)
    for key in client.scan_iter("*"):  # db 11 is this test's own broker database
        if key.startswith((b"celery", b"unacked", b"_kombu", b"celery-task-meta")):
            client.delete(key)


@pytest.fixture(scope="module")
def world(tmp_path_factory, app):
    from huishang.services.accounts import create_user
    from huishang.services.reference import seed_reference_data

    tmp = tmp_path_factory.mktemp("celery")
    # Its own database file, even when the suite runs on PostgreSQL: the suite's tables are emptied
    # before every test, which would take the workers' data away between two polls.
    url = f"sqlite:///{tmp / 'hs.sqlite'}"

    class WorkerConfig(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url.replace("postgresql://", "postgresql+psycopg://", 1)
        CELERY_BROKER_URL = BROKER
        CELERY_RESULT_BACKEND = BROKER
        JOBS_RUNNER = "celery"
        JOB_FILES_DIR = str(tmp / "files")
        JOB_VISIBILITY_TIMEOUT = 4
        JOB_STALE_SECONDS = 3

    _clear_queue()
    suite_app = app
    app = create_app(WorkerConfig)
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed_reference_data()
        create_user("celery_reg", "regulator", PASSWORD)
        db.session.commit()
        db.session.remove()
    env = {**os.environ, "DATABASE_URL": url, "CELERY_BROKER_URL": BROKER, "HUISHANG_ENV": "development",
           "SECRET_KEY": "celery-test-secret", "JOB_FILES_DIR": WorkerConfig.JOB_FILES_DIR,
           "JOB_VISIBILITY_TIMEOUT": "4", "JOB_STALE_SECONDS": "3", "JOB_PLATE_WORKERS": "1",
           "PYTHONPATH": str(ROOT), "RATELIMIT_ENABLED": "0", "PUBLIC_BASE_URL": "https://hs.example.gov.cn"}
    env.pop("REDIS_URL", None)
    workers: list[subprocess.Popen] = []
    logs = []

    def start_worker(name: str) -> subprocess.Popen:
        log = (tmp / f"{name}.log").open("wb")
        logs.append(log)
        proc = subprocess.Popen(  # noqa: S603 — our own worker command
            [sys.executable, "-m", "celery", "-A", "worker", "worker", "--pool=solo", "-n", f"{name}@%h",
             "--without-gossip", "--without-mingle", "--loglevel=WARNING"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
        workers.append(proc)
        return proc

    yield {"app": app, "start_worker": start_worker, "tmp": tmp}
    for proc in workers:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    for log in logs:
        log.close()
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    _clear_queue()
    limiter.init_app(suite_app)  # creating the workers' app re-initialised the process-wide limiter


def _client(app):
    client = app.test_client()
    assert client.post("/login", data={"username": "celery_reg", "password": PASSWORD}).status_code == 302
    return client


def _shops(app, n: int) -> None:
    from tests.factories import make_shop

    with app.app_context():
        for _ in range(n):
            make_shop(street="田林街道")
        db.session.commit()
        db.session.remove()


def _watch(app, job_id: str, timeout: float = 90.0) -> tuple[Job, list[int]]:
    """Poll the job row until it finishes; returns it and the `done` figures seen while it ran."""
    seen: list[int] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            job = db.session.get(Job, job_id)
            status, done = job.status, job.done
            if status == "running" and (not seen or seen[-1] != done):
                seen.append(done)
            if status in ("done", "failed"):
                db.session.expunge(job)
                db.session.remove()
                return job, seen
            db.session.remove()
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s (last status {status})")


def _start_plates(client) -> str:
    r = client.post("/admin/jobs/plates", data={"street": "田林街道"})
    assert r.status_code == 302 and "/admin/jobs/" in r.headers["Location"]
    return r.headers["Location"].rsplit("/", 1)[1]


def test_a_real_worker_runs_the_page_s_job_with_progress_and_offers_the_file(world):
    app = world["app"]
    _shops(app, SHOPS)
    worker = world["start_worker"]("one")
    client = _client(app)
    job_id = _start_plates(client)
    job, seen = _watch(app, job_id)
    assert job.status == "done", job.message
    assert job.done == job.total == SHOPS and job.attempts == 1
    assert any(0 < done < SHOPS for done in seen), seen  # the bar moved while the worker rendered
    page = client.get(f"/admin/jobs/{job_id}").get_data(as_text=True)
    assert f"已生成 {SHOPS} 张铭牌" in page
    file = client.get(f"/admin/jobs/{job_id}/file")
    assert file.status_code == 200 and file.get_data().startswith(b"%PDF")
    file.close()
    # the same job sent again (a redelivered message): it does not run a second time
    app.extensions["celery"].send_task("huishang.jobs.run", args=[job_id])
    time.sleep(2)
    job, _seen = _watch(app, job_id)
    assert job.attempts == 1 and job.status == "done"
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=20)


def test_a_worker_killed_mid_job_leaves_the_job_to_another(world):
    app = world["app"]
    first = world["start_worker"]("doomed")
    client = _client(app)
    job_id = _start_plates(client)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until the first worker is well into the job
        with app.app_context():
            job = db.session.get(Job, job_id)
            running = job.status == "running" and job.done > 0
            db.session.remove()
        if running:
            break
        time.sleep(0.1)
    assert running, "the first worker never started the job"
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    with app.app_context():
        assert db.session.get(Job, job_id).status == "running"  # left half done, nothing offered
        db.session.remove()
    world["start_worker"]("rescuer")
    try:  # the broker hands the unacknowledged message to a live worker after its visibility timeout
        job, _seen = _watch(app, job_id, timeout=45)
    except AssertionError:  # else beat's `jobs-requeue` does (every minute in a district): run it once
        from huishang.services.jobs import requeue_lost

        with app.app_context():
            requeue_lost()  # nothing to do if a worker holds it meanwhile (a fresh heartbeat)
            db.session.remove()
        job, _seen = _watch(app, job_id, timeout=90)
    assert job.status == "done" and job.attempts == 2, (job.status, job.attempts, job.message)
    assert job.done == job.total == SHOPS
    files = list((Path(app.config["JOB_FILES_DIR"]) / job_id).iterdir())
    assert [f.suffix for f in files] == [".pdf"]  # one whole file; no .part left behind
