"""Scale-out drill: two gunicorn instances and two Celery workers (and beat) on one PostgreSQL and
one Redis, and three faults, each checked to recover by itself.

  createdb -h 127.0.0.1 -U postgres huishang_drill        # a scratch database (dropped and rebuilt)
  DATABASE_URL=postgresql://postgres@127.0.0.1:5432/huishang_drill .venv/bin/python scripts/drill_scale_out.py

1. Kill a worker mid-job: a plates job is started through instance A's API; once the job runs,
   the worker that holds it (the one using the CPU) gets SIGKILL. The job must complete on the
   other worker (acks_late + reject_on_worker_lost: the unacknowledged message comes back after
   JOB_VISIBILITY_TIMEOUT; the heartbeat tells the second worker the first is gone).
2. Kill an app instance under load: client threads record inspections through A and B in turn,
   as a load balancer would, retrying a refused connection on the other instance. Instance A's
   whole process group gets SIGKILL mid-run. Every write the client saw acknowledged (201) must be
   in the database: acknowledged - stored = lost = 0.
3. Restart Redis: the drill's own Redis (a private redis-server on a free loopback port, never the
   machine's shared one) is stopped and started again. A job started while Redis is down must be
   done afterwards without anyone's hand (beat's jobs-requeue sends it again; the workers
   reconnect), and the login rate limit must count in Redis again.

Prints each figure and exits 0 only when all three hold. Loopback only; every loop is bounded.
"""
from __future__ import annotations

import argparse
import itertools
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PASSWORD = "drill-password-1"  # noqa: S105 — the scratch users of a scratch database


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """The processes of the drill, each in its own process group so it can be killed whole."""

    def __init__(self, out: Path, env: dict):
        self.out, self.env, self.procs = out, env, {}
        self.procs_argv: dict[str, list[str]] = {}

    def start(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = (self.out / f"{name}.log").open("ab")
        proc = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,  # noqa: S603
                                start_new_session=True)
        log.close()
        self.procs[name] = proc
        return proc

    def kill(self, name: str, sig=signal.SIGKILL) -> None:
        proc = self.procs[name]
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)

    def stop_all(self) -> None:
        for name, proc in list(self.procs.items()):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(timeout=15)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    try:
                        os.killpg(proc.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            self.procs.pop(name, None)


def wait_until(check, timeout: float, every: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(f"{what} not reached in {timeout:.0f} s")


def healthy(base: str) -> bool:
    try:
        return requests.get(base + "/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children (from /proc)."""
    total = 0.0
    for task in Path("/proc").iterdir():
        if not task.name.isdigit():
            continue
        try:
            stat = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(task.name) == pid or int(stat[1]) == pid:
            total += (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
    return total


def setup(database_url: str, shops: int) -> None:
    from huishang import create_app
    from huishang.config import TestingConfig, _database_url
    from huishang.extensions import db
    from huishang.services import registry
    from huishang.services.accounts import create_user
    from huishang.services.reference import seed_reference_data
    from huishang.services.registry import uscc

    class Setup(TestingConfig):
        SQLALCHEMY_DATABASE_URI = _database_url(database_url)

    app = create_app(Setup)
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed_reference_data()
        for n in range(shops):
            registry.register_shop({"uscc": uscc.generate(), "entity_name": f"演练公司{n}", "sign_name": f"演练小店{n}",
                                    "address": f"徐汇区田林路{n}号", "street": "田林街道",
                                    "business_type": "catering.fast_food", "registered_on": "2024-01-15"})
        create_user("drill_reg", "regulator", PASSWORD)
        create_user("drill_lead", "inspector", PASSWORD, streets=["田林街道"])
        create_user("drill_co", "inspector", PASSWORD, streets=["田林街道"])
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def token(base: str, username: str) -> str:
    r = requests.post(base + "/api/v1/auth/token", json={"username": username, "password": PASSWORD}, timeout=10)
    r.raise_for_status()
    return r.json()["token"]


def job_status(base: str, headers: dict, job_id: str) -> dict:
    return requests.get(f"{base}/api/v1/jobs/{job_id}", headers=headers, timeout=10).json()


def drill_worker_kill(cluster: Cluster, base: str, headers: dict, results: dict) -> None:
    r = requests.post(base + "/api/v1/jobs", json={"kind": "plates"}, headers=headers, timeout=30)
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    wait_until(lambda: job_status(base, headers, job_id)["status"] == "running", 60, what="job running")
    before = {name: cpu_seconds(cluster.procs[name].pid) for name in ("worker1", "worker2")}
    time.sleep(1.5)
    used = {name: cpu_seconds(cluster.procs[name].pid) - before[name] for name in before}
    busy = max(used, key=used.get)
    status = job_status(base, headers, job_id)
    killed_at = time.monotonic()
    cluster.kill(busy)
    print(f"  killed {busy} (CPU {used[busy]:.2f} s in 1.5 s vs {min(used.values()):.2f} s) "
          f"at {status['done']}/{status['total']} plates")
    final = wait_until(lambda: (s := job_status(base, headers, job_id))["status"] in ("done", "failed") and s,
                       240, 0.5, "job finished on the other worker")
    recovered = time.monotonic() - killed_at
    ok = final["status"] == "done" and final["done"] == final["total"] and final["file_name"]
    results["worker kill"] = bool(ok)
    print(f"  job {final['status']}: {final['message']}; finished {recovered:.1f} s after the kill "
          f"(visibility timeout {cluster.env['JOB_VISIBILITY_TIMEOUT']} s)")
    # the killed worker comes back, as systemd's Restart=always would
    cluster.start(busy, cluster.procs_argv[busy])


def drill_instance_kill(cluster: Cluster, bases: list[str], template: dict, codes: list[str], lead: str,
                        seconds: float, threads: int, results: dict, database_url: str) -> None:
    acknowledged: set[str] = set()
    errors: list[str] = []
    retried = [0]
    lock = threading.Lock()
    counter = itertools.count()
    stop = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {lead}"}

    def client(n: int) -> None:
        order = itertools.cycle(bases if n % 2 == 0 else list(reversed(bases)))
        while time.monotonic() < stop:
            client_id = f"drill-{secrets.token_hex(8)}"
            body = {**template, "client_id": client_id, "shop_code": random.choice(codes)}  # noqa: S311
            for attempt in range(4):  # a refused connection goes to the other instance, as nginx does
                base = next(order)
                try:
                    r = requests.post(base + "/api/v1/inspections", json=body, headers=headers, timeout=20)
                except requests.RequestException:
                    with lock:
                        retried[0] += 1
                    continue
                if r.status_code in (200, 201):
                    with lock:
                        acknowledged.add(client_id)
                elif r.status_code >= 500 and attempt < 3:
                    with lock:
                        retried[0] += 1
                    continue
                else:
                    with lock:
                        errors.append(f"{r.status_code} {r.text[:100]}")
                break
            next(counter)

    workers = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    time.sleep(seconds / 3)
    cluster.kill("app1")
    killed_after = len(acknowledged)
    for w in workers:
        w.join(timeout=seconds + 60)

    import psycopg

    with psycopg.connect(database_url) as connection:
        stored = {row[0] for row in connection.execute(
            "SELECT client_id FROM inspections WHERE client_id LIKE 'drill-%%'")}
    lost = acknowledged - stored
    results["instance kill"] = not lost and not errors
    print(f"  {len(acknowledged)} writes acknowledged ({killed_after} before the kill), {len(stored)} in the "
          f"database, lost {len(lost)}, client errors {len(errors)}, retried on the other instance {retried[0]}")
    for line in errors[:5]:
        print("   ", line)


def drill_redis_restart(cluster: Cluster, base: str, headers: dict, redis_port: int, redis_dir: Path,
                        results: dict) -> None:
    cluster.kill("redis", signal.SIGTERM)
    down_at = time.monotonic()
    r = requests.post(base + "/api/v1/jobs", json={"kind": "registry.export", "fmt": "csv"}, headers=headers,
                      timeout=60)
    accepted_down = r.status_code
    job_id = r.json().get("id") if r.status_code == 202 else None
    login_down = wrong_login(base)
    time.sleep(2)
    start_redis(cluster, redis_port, redis_dir)
    up_at = time.monotonic()
    print(f"  Redis down {up_at - down_at:.1f} s: job start answered {accepted_down}, a login {login_down}")
    if job_id is None:
        results["redis restart"] = False
        print("  the job could not be started while Redis was down:", r.text[:200])
        return
    final = wait_until(lambda: (s := job_status(base, headers, job_id))["status"] in ("done", "failed") and s,
                       180, 0.5, "job sent again after Redis came back")
    job_after = time.monotonic() - up_at
    statuses = []
    for _ in range(3):
        statuses.append(wrong_login(base))
    import redis

    client = redis.Redis(host="127.0.0.1", port=redis_port)
    limiter_keys = sum(1 for _ in client.scan_iter("LIMITS*"))
    results["redis restart"] = (final["status"] == "done" and limiter_keys > 0 and statuses == [401] * 3
                                and login_down == 401)
    print(f"  job {final['status']} {job_after:.1f} s after Redis came back ({final['message']}); "
          f"logins after: {statuses}; rate-limit counters in Redis again: {limiter_keys}")


def wrong_login(base: str) -> int:
    """A failed sign-in at the token endpoint (rate-limited, 20 a minute per address): 401 expected."""
    return requests.post(base + "/api/v1/auth/token", json={"username": "nobody", "password": "wrong"},
                         timeout=30).status_code


def start_redis(cluster: Cluster, port: int, directory: Path) -> None:
    cluster.start("redis", ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                            "--appendonly", "no", "--dir", str(directory)])
    import redis

    wait_until(lambda: _ping(redis.Redis(host="127.0.0.1", port=port)), 20, what="redis up")


def _ping(client) -> bool:
    try:
        return bool(client.ping())
    except Exception:  # noqa: BLE001 — not up yet
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shops", type=int, default=800)
    parser.add_argument("--load-seconds", type=float, default=15.0)
    parser.add_argument("--threads", type=int, default=6)
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL")
    if not database_url or not database_url.startswith("postgres"):
        print("set DATABASE_URL to a scratch PostgreSQL database (it is dropped and rebuilt)")
        return 2
    out = Path(tempfile.mkdtemp(prefix="huishang-drill-"))
    redis_port = free_port()
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    print(f"== scale-out drill: {args.shops} shops, output in {out}, private Redis on port {redis_port}")
    setup(database_url, args.shops)
    env = dict(os.environ, DATABASE_URL=database_url, REDIS_URL=redis_url, HUISHANG_ENV="production",
               SECRET_KEY="drill-shared-secret-" + secrets.token_hex(8), SESSION_COOKIE_SECURE="0",
               RATELIMIT_KEY_PREFIX="drill", GUNICORN_WORKERS="2", GUNICORN_THREADS="4",
               GUNICORN_ACCESSLOG="/dev/null", JOB_FILES_DIR=str(out / "files"), UPLOAD_DIR=str(out / "uploads"),
               OPENDATA_DIR=str(out / "opendata"), JOB_VISIBILITY_TIMEOUT="15", JOB_STALE_SECONDS="6",
               JOB_REQUEUE_SECONDS="5", JOB_PLATE_WORKERS="1", PYTHONPATH=str(ROOT))
    env.pop("TEST_DATABASE_URL", None)
    cluster = Cluster(out, env)
    python = sys.executable
    results: dict[str, bool] = {}
    try:
        start_redis(cluster, redis_port, out)
        bases = []
        for n in (1, 2):
            port = free_port()
            cluster.start(f"app{n}", [str(ROOT / ".venv/bin/gunicorn"), "-c", "deploy/gunicorn.conf.py",
                                      "--bind", f"127.0.0.1:{port}", "wsgi:app"])
            bases.append(f"http://127.0.0.1:{port}")
        cluster.procs_argv = {
            f"worker{n}": [python, "-m", "celery", "-A", "worker", "worker", "--pool=solo", "-n", f"drill{n}@%h",
                           "--without-gossip", "--without-mingle", "--loglevel=INFO"] for n in (1, 2)}
        for n in (1, 2):
            cluster.start(f"worker{n}", cluster.procs_argv[f"worker{n}"])
        cluster.start("beat", [python, "-m", "celery", "-A", "worker", "beat", "--loglevel=INFO",
                               "-s", str(out / "beat-schedule")])
        for base in bases:
            wait_until(lambda base=base: healthy(base), 60, what=f"{base} healthy")
        time.sleep(3)  # the workers connect
        regulator = {"Authorization": f"Bearer {token(bases[0], 'drill_reg')}"}
        lead = token(bases[0], "drill_lead")

        print("1. kill a worker mid-job")
        drill_worker_kill(cluster, bases[0], regulator, results)

        print("2. kill an app instance under load")
        codes = [shop["code"] for shop in requests.get(bases[1] + "/api/v1/shops?per_page=200", headers=regulator,
                                                        timeout=10).json()["items"]]
        code = codes[0]
        listed = requests.get(f"{bases[1]}/api/v1/shops/{code}/checklists",
                              headers={"Authorization": f"Bearer {lead}"}, timeout=10).json()
        template = listed["inspection"][0]
        body = {"shop_code": code, "template_id": template["id"], "co_inspector": "drill_co",
                "answers": [{"item_id": i["id"], "result": "pass"} for i in template["items"]]}
        drill_instance_kill(cluster, bases, body, codes, lead, args.load_seconds, args.threads, results,
                            database_url.replace("postgresql+psycopg://", "postgresql://"))

        print("3. restart Redis")
        drill_redis_restart(cluster, bases[1], regulator, redis_port, out, results)
    finally:
        cluster.stop_all()
    print("== " + ", ".join(f"{name}: {'ok' if ok else 'FAILED'}" for name, ok in results.items()))
    return 0 if results and all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
