"""Scale-out: two gunicorn instances sharing one database and one Redis behave as one service.

Two real processes (not two app objects in this process: Flask-Limiter keeps one storage per
process, so an in-process pair would share counters even without Redis and prove nothing):
- a rate limit consumed through instance A holds on instance B (counters live in Redis);
- a session cookie made by A is accepted by B (signed cookies, same SECRET_KEY, no server state);
- a bearer token issued by A works on B.

Skips with a reason when Redis (TEST_REDIS_URL, default redis://127.0.0.1:6379/15) is not
reachable. Uses TEST_DATABASE_URL when set, otherwise a temporary SQLite file."""
import os
import re
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from huishang import create_app
from huishang.config import TestingConfig
from huishang.extensions import db, limiter

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PASSWORD = "scale-out-pass-1"


def _redis_reachable() -> str | None:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_timeout=1, socket_connect_timeout=1).ping()
    except Exception as exc:  # noqa: BLE001 — any failure means: no Redis here
        return f"Redis not reachable at {REDIS_URL} ({type(exc).__name__}); set TEST_REDIS_URL"
    return None


pytestmark = pytest.mark.skipif(_redis_reachable() is not None, reason=str(_redis_reachable()))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def shared_db(tmp_path_factory, app):
    """The database both instances use, with the schema, reference data and two users."""
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('scale') / 'hs.sqlite'}"

    class SharedConfig(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url.replace("postgresql://", "postgresql+psycopg://", 1)

    from huishang.services.reference import seed_reference_data

    helper = create_app(SharedConfig)
    with helper.app_context():
        db.create_all()
        seed_reference_data()
        db.session.commit()
        db.session.remove()
    return {"url": url, "app": helper}


@pytest.fixture
def users(shared_db):
    from huishang.services.accounts import create_user

    suffix = secrets.token_hex(3)
    with shared_db["app"].app_context():
        regulator = create_user(f"scale_reg_{suffix}", "regulator", PASSWORD)
        db.session.commit()
        names = {"regulator": regulator.username}
        db.session.remove()
    return names


@pytest.fixture(scope="module")
def instances(shared_db, app, tmp_path_factory):
    """Two gunicorn processes, same SECRET_KEY, same database, same Redis."""
    prefix = f"hs-test-{secrets.token_hex(4)}"
    env = dict(os.environ, DATABASE_URL=shared_db["url"], REDIS_URL=REDIS_URL, RATELIMIT_ENABLED="1",
               RATELIMIT_KEY_PREFIX=prefix, SECRET_KEY="scale-out-shared-secret", HUISHANG_ENV="production",
               SESSION_COOKIE_SECURE="0", TRUST_PROXY="1", GUNICORN_WORKERS="1", GUNICORN_THREADS="2",
               GUNICORN_ACCESSLOG="/dev/null")
    env.pop("TEST_DATABASE_URL", None)
    logs = tmp_path_factory.mktemp("gunicorn")
    procs, bases = [], []
    try:
        for n in range(2):
            port = _free_port()
            with open(logs / f"instance{n}.log", "wb") as log:
                procs.append(subprocess.Popen(  # noqa: S603 — our own gunicorn, fixed arguments
                    [str(ROOT / ".venv/bin/gunicorn"), "-c", str(ROOT / "deploy/gunicorn.conf.py"),
                     "--bind", f"127.0.0.1:{port}", "wsgi:app"],
                    cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log))
            bases.append(f"http://127.0.0.1:{port}")
        for n, (base, proc) in enumerate(zip(bases, procs, strict=True)):
            _wait_healthy(base, proc, logs / f"instance{n}.log")
        yield bases
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGINT)  # gunicorn: quick shutdown (TERM waits for keep-alives)
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        limiter.init_app(app)  # creating the helper app re-initialised the process-wide limiter


def _wait_healthy(base: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log.read_text()[-2000:]}")
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{base} did not become healthy")


def test_rate_limit_hit_on_a_holds_on_b(instances):
    a, b = instances
    client_ip = f"198.51.100.{secrets.randbelow(250) + 1}"  # its own counter, via the trusted proxy
    headers = {"X-Forwarded-For": client_ip}
    body = {"username": "no-such-user", "password": "wrong-password"}
    codes = []
    for n in range(20):  # the token endpoint allows 20 per minute per client address
        codes.append(requests.post(f"{(a, b)[n % 2]}/api/v1/auth/token", json=body, headers=headers,
                                   timeout=10).status_code)
    assert codes == [401] * 20  # ten through each instance: neither alone reached the limit
    assert requests.post(f"{a}/api/v1/auth/token", json=body, headers=headers, timeout=10).status_code == 429
    r = requests.post(f"{b}/api/v1/auth/token", json=body, headers=headers, timeout=10)
    assert r.status_code == 429 and r.json()["code"] == 429
    other = {"X-Forwarded-For": "203.0.113.77"}
    assert requests.post(f"{b}/api/v1/auth/token", json=body, headers=other, timeout=10).status_code == 401


def test_session_made_on_a_is_accepted_on_b(instances, users):
    a, b = instances
    session = requests.Session()
    page = session.get(f"{a}/login", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    r = session.post(f"{a}/login", data={"username": users["regulator"], "password": PASSWORD,
                                         "csrf_token": token}, allow_redirects=False, timeout=10)
    assert r.status_code == 302, r.text[:500]
    r = session.get(f"{b}/admin/shops", allow_redirects=False, timeout=10)
    assert r.status_code == 200
    stranger = requests.get(f"{b}/admin/shops", allow_redirects=False, timeout=10)
    assert stranger.status_code == 302 and "/login" in stranger.headers["Location"]


def test_bearer_token_from_a_works_on_b(instances, users):
    a, b = instances
    r = requests.post(f"{a}/api/v1/auth/token", json={"username": users["regulator"], "password": PASSWORD},
                      headers={"X-Forwarded-For": "192.0.2.200"}, timeout=10)
    assert r.status_code == 200
    header = {"Authorization": f"Bearer {r.json()['token']}"}
    assert requests.get(f"{b}/api/v1/shops", headers=header, timeout=10).status_code == 200
    assert requests.get(f"{b}/api/v1/shops", timeout=10).status_code == 401
