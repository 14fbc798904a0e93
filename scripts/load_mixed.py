#!/usr/bin/env python3
"""Mixed load against gunicorn on PostgreSQL: scans, reviews, complaints and inspections together.

    .venv/bin/python scripts/load_mixed.py --duration 60

What it does (loopback only, bounded):
1. (unless --no-setup) rebuilds the scratch database (default huishang_load) from the models,
   seeds the reference data and generates --shops shops, two inspectors and a regulator;
2. (unless --url is given) starts gunicorn with deploy/gunicorn.conf.py on a free loopback port,
   TRUST_PROXY=1 so that each simulated citizen has its own X-Forwarded-For address;
3. runs --threads clients for --duration seconds, each picking a request by weight:
   scan page 45 %, public shop JSON 15 %, review 15 %, complaint 15 %, inspection 10 %;
4. afterwards GETs the tracking endpoint of every acknowledged complaint, and checks in the
   database that every acknowledged review and inspection is stored.

With --anchor (the default when it starts its own server) a Flask hello-world (scripts/bench_hello.py)
is first served by the same gunicorn settings and loaded by the same clients for --anchor-seconds;
the mixed throughput is reported as a ratio to it (issue 16: ≥ 0.1 × hello-world).

Exit status 0 only when there was no error other than intended 429s and nothing acknowledged was
lost. Figures (requests/s, latency percentiles per kind) go to stdout and, with --json, to a file.
The fault script (scripts/fault_db_restart.sh) runs this with --url against its own server.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DB = "postgresql://postgres@127.0.0.1:5432/huishang_load"
WEIGHTS = {"scan": 45, "shop_json": 15, "review": 15, "complaint": 15, "inspection": 10}
OK = {"scan": {200}, "shop_json": {200}, "review": {201}, "complaint": {201}, "inspection": {201, 200}}
PASSWORD = "load-test-pass-1"  # noqa: S105 — scratch accounts in a scratch database
COMPLAINT_TEXTS = ["后厨地面有积水，操作人员未戴口罩", "价格标签与结算价格不一致，多收了钱",
                   "餐具有油污，没有消毒柜", "冷藏柜温度显示12度，生熟混放"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- setup --------------------------------------------------------------------------------

def ensure_database(url: str) -> None:
    """Create the scratch database if missing (loopback PostgreSQL, user postgres)."""
    name = url.rsplit("/", 1)[1]
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name],
                   capture_output=True, check=False)


def build_fixture(url: str, shops: int) -> dict:
    """Rebuild the scratch database and generate shops and users through the real services."""
    os.environ["DATABASE_URL"] = url
    from huishang import create_app
    from huishang.extensions import db
    from huishang.services import registry
    from huishang.services.accounts import create_user
    from huishang.services.reference import seed_reference_data
    from huishang.services.registry import uscc

    app = create_app({"SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://"),
                      "RATELIMIT_ENABLED": False})
    rng = random.Random(20261128)
    types = ["catering.fast_food", "catering.dining", "catering.snack", "catering.breakfast"]
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed_reference_data()
        from huishang.models import Street

        streets = [s.name for s in db.session.scalars(db.select(Street).order_by(Street.position))][:4]
        codes = []
        for n in range(shops):
            shop = registry.register_shop({
                "uscc": uscc.generate(), "entity_name": f"上海压测餐饮有限公司{n}",
                "sign_name": f"压测小馆{n}",
                "address": f"徐汇区压测路{n}号", "street": streets[n % len(streets)],
                "business_type": types[n % len(types)],
                "lat": 31.15 + rng.random() * 0.05, "lng": 121.42 + rng.random() * 0.05,
                "contact": "王五", "phone": "13800001111", "registered_on": "2024-03-01"})
            codes.append(shop.code)
        create_user("load_inspector_a", "inspector", PASSWORD, streets=streets)
        create_user("load_inspector_b", "inspector", PASSWORD, streets=streets)
        create_user("load_regulator", "regulator", PASSWORD)
        db.session.commit()
        db.engine.dispose()
    return {"codes": codes}


def existing_codes(url: str, limit: int) -> list[str]:
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT code FROM shops WHERE status = 'open' ORDER BY id LIMIT %s", (limit,))
        return [r[0] for r in rows]


def start_gunicorn(url: str, port: int, workers: int, redis_url: str | None,
                   app: str = "wsgi:app") -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="load-test-secret-not-for-production",  # noqa: S106
               HUISHANG_ENV="production", SESSION_COOKIE_SECURE="0", TRUST_PROXY="1",
               RATELIMIT_ENABLED="1", GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS=str(workers),
               GUNICORN_ACCESSLOG="/dev/null", PUBLIC_BASE_URL=f"http://127.0.0.1:{port}")
    if redis_url:
        env["REDIS_URL"] = redis_url
    else:
        env.pop("REDIS_URL", None)
    chdir = ["--chdir", str(ROOT / "scripts")] if app != "wsgi:app" else []
    proc = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-c", str(ROOT / "deploy/gunicorn.conf.py"),
                             *chdir, app], cwd=ROOT, env=env)
    health = "/healthz" if app == "wsgi:app" else "/"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}{health}", timeout=1).status_code == 200:
                return proc
        except requests.RequestException:
            pass
        time.sleep(0.3)
    proc.terminate()
    raise SystemExit("gunicorn did not become healthy within 30 s")


# -- the load -------------------------------------------------------------------------------

class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.status: dict[str, Counter] = defaultdict(Counter)
        self.errors: list[str] = []
        self.complaints: list[tuple[str, str]] = []
        self.reviews: list[int] = []
        self.inspections: list[str] = []
        self.timeline: list[tuple[float, str, int]] = []  # (epoch, kind, status; -1 = transport error)

    def add(self, kind: str, status: int, seconds: float, detail: str = "") -> None:
        with self.lock:
            self.latency[kind].append(seconds)
            self.status[kind][status] += 1
            self.timeline.append((time.time() - seconds, kind, status))  # when it was sent
            if status != 429 and status not in OK[kind]:
                self.errors.append(f"{kind} {status} {detail[:200]}")


def token_for(base: str, username: str) -> str:
    r = requests.post(f"{base}/api/v1/auth/token", json={"username": username, "password": PASSWORD},
                      timeout=10, headers={"X-Forwarded-For": f"192.0.2.{random.randint(1, 250)}"})
    r.raise_for_status()
    return r.json()["token"]


def checklist_for(base: str, token: str, code: str) -> dict | None:
    r = requests.get(f"{base}/api/v1/shops/{code}/checklists", timeout=10,
                     headers={"Authorization": f"Bearer {token}"})
    if r.status_code != 200 or not r.json().get("inspection"):
        return None
    template = r.json()["inspection"][0]
    return {"template_id": template["id"], "items": [item["id"] for item in template["items"]]}


def worker(base: str, codes: list[str], checklists: dict, token: str, stop: float, rec: Recorder,
           seed: int, threads: int, citizens: int = 0) -> None:
    rng = random.Random(seed)
    session = requests.Session()
    # Each client is one inspector pair working through its own shops, as in the field: two pairs
    # never record the same shop in the same second. (Overlap is a separate concurrency case.)
    inspectable = sorted(checklists)
    own_shops = inspectable[seed::threads] or inspectable
    kinds, weights = zip(*WEIGHTS.items(), strict=True)
    while time.monotonic() < stop:
        kind = rng.choices(kinds, weights)[0]
        code = rng.choice(codes)
        if citizens:  # a small crowd: the per-address limits on reviews and complaints bite (429)
            citizen = f"10.0.0.{rng.randint(1, citizens)}"
        else:
            citizen = f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        headers = {"X-Forwarded-For": citizen}
        if kind != "inspection":
            session.cookies.clear()  # a different citizen each time, not one phone hammering
        started = time.monotonic()
        try:
            if kind == "scan":
                r = session.get(f"{base}/s/{code}", headers=headers, timeout=30)
            elif kind == "shop_json":
                r = session.get(f"{base}/api/v1/public/shops/{code}", headers=headers, timeout=30)
            elif kind == "review":
                r = session.post(f"{base}/api/v1/public/shops/{code}/reviews", headers=headers, timeout=30,
                                 json={"stars": rng.randint(1, 5), "text": "味道不错，环境干净",
                                       "tags": ["clean"]})
                if r.status_code == 201:
                    with rec.lock:
                        rec.reviews.append(r.json().get("id"))
            elif kind == "complaint":
                r = session.post(f"{base}/api/v1/public/shops/{code}/complaints", headers=headers, timeout=30,
                                 json={"category": rng.choice(["food_safety", "price", "hygiene"]),
                                       "description": rng.choice(COMPLAINT_TEXTS), "phone": "13912345678",
                                       "name": "张女士"})
                if r.status_code == 201:
                    body = r.json()
                    with rec.lock:
                        rec.complaints.append((body["ticket"], body["tracking_key"]))
            else:
                target = rng.choice(own_shops)
                sheet = checklists[target]
                client_id = uuid.uuid4().hex
                r = session.post(f"{base}/api/v1/inspections", timeout=30,
                                 headers={"Authorization": f"Bearer {token}",
                                          "X-Forwarded-For": "192.0.2.10"},
                                 json={"shop_code": target, "template_id": sheet["template_id"],
                                       "co_inspector": "load_inspector_b", "client_id": client_id,
                                       "answers": [{"item_id": i, "result": "pass"} for i in sheet["items"]]})
                if r.status_code in (200, 201):
                    with rec.lock:
                        rec.inspections.append(client_id)
            rec.add(kind, r.status_code, time.monotonic() - started, r.text if r.status_code >= 400 else "")
        except requests.RequestException as exc:
            rec.add(kind, -1, time.monotonic() - started, type(exc).__name__)


def run_load(base: str, codes: list[str], threads: int, duration: float, rec: Recorder,
             citizens: int = 0) -> float:
    token = token_for(base, "load_inspector_a")
    checklists = {}
    for code in codes[:max(40, threads * 3)]:
        sheet = checklist_for(base, token, code)
        if sheet:
            checklists[code] = sheet
    if not checklists:
        raise SystemExit("no inspection checklist applies to the generated shops")
    stop = time.monotonic() + duration
    pool = [threading.Thread(target=worker, daemon=True,
                             args=(base, codes, checklists, token, stop, rec, n, threads, citizens))
            for n in range(threads)]
    started = time.monotonic()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(duration + 60)
    return time.monotonic() - started


def hello_anchor(url: str, workers: int, threads: int, seconds: float) -> float:
    """Requests/s of the hello-world app on the same gunicorn settings, loaded by the same kind of
    clients (a requests.Session per thread, as the mixed load's) — the anchor of the run."""
    port = free_port()
    server = start_gunicorn(url, port, workers, None, app="bench_hello:app")
    counts = [0] * threads
    stop = time.monotonic() + seconds

    def hammer(n: int) -> None:
        session = requests.Session()
        while time.monotonic() < stop:
            if session.get(f"http://127.0.0.1:{port}/", timeout=30).status_code == 200:
                counts[n] += 1

    try:
        started = time.monotonic()
        pool = [threading.Thread(target=hammer, args=(n,), daemon=True) for n in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join(seconds + 60)
        return sum(counts) / (time.monotonic() - started)
    finally:
        server.terminate()
        server.wait(30)


# -- verification ---------------------------------------------------------------------------

def verify(base: str, url: str, rec: Recorder) -> list[str]:
    """Every acknowledged write must be there afterwards."""
    lost = []
    session = requests.Session()
    for n, (ticket, key) in enumerate(rec.complaints):
        headers = {"X-Forwarded-For": f"172.16.{n // 250 % 250}.{n % 250 + 1}"}  # not rate-limited
        for _attempt in range(3):
            r = session.get(f"{base}/api/v1/public/complaints/{ticket}", params={"key": key},
                            headers=headers, timeout=30)
            if r.status_code != 429:
                break
            time.sleep(1)
        if r.status_code != 200 or r.json().get("ticket") != ticket:
            lost.append(f"complaint {ticket}: {r.status_code}")
    import psycopg

    with psycopg.connect(url) as conn:
        if rec.inspections:
            found = {row[0] for row in conn.execute(
                "SELECT client_id FROM inspections WHERE client_id = ANY(%s)", (rec.inspections,))}
            lost += [f"inspection {c}: not stored" for c in rec.inspections if c not in found]
        ids = [i for i in rec.reviews if i is not None]
        if ids:
            found = {row[0] for row in conn.execute("SELECT id FROM reviews WHERE id = ANY(%s)", (ids,))}
            lost += [f"review {i}: not stored" for i in ids if i not in found]
    return lost


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def report(rec: Recorder, elapsed: float, lost: list[str]) -> dict:
    total = sum(sum(c.values()) for c in rec.status.values())
    summary = {"elapsed_s": round(elapsed, 1), "requests": total,
               "throughput_rps": round(total / elapsed, 1) if elapsed else 0, "kinds": {},
               "errors": len(rec.errors), "acknowledged": {"complaints": len(rec.complaints),
                                                           "reviews": len(rec.reviews),
                                                           "inspections": len(rec.inspections)},
               "lost": len(lost)}
    print(f"\n{total} requests in {elapsed:.1f} s = {summary['throughput_rps']} req/s")
    print(f"{'kind':<12}{'count':>7}{'429':>6}{'err':>5}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for kind in WEIGHTS:
        lat = rec.latency.get(kind, [])
        statuses = rec.status.get(kind, Counter())
        errors = sum(n for s, n in statuses.items() if s != 429 and s not in OK[kind])
        row = {"count": len(lat), "429": statuses.get(429, 0), "errors": errors,
               "p50_ms": ms(percentile(lat, .5)), "p95_ms": ms(percentile(lat, .95)),
               "p99_ms": ms(percentile(lat, .99)), "max_ms": ms(max(lat, default=0)),
               "mean_ms": ms(statistics.fmean(lat)) if lat else 0}
        summary["kinds"][kind] = row
        print(f"{kind:<12}{row['count']:>7}{row['429']:>6}{errors:>5}{row['p50_ms']:>9}{row['p95_ms']:>9}"
              f"{row['p99_ms']:>9}{row['max_ms']:>9}")
    print(f"acknowledged: {summary['acknowledged']}; lost after the run: {len(lost)}")
    for line in (rec.errors[:20] + lost[:20]):
        print("  !", line)
    return summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--shops", type=int, default=300)
    parser.add_argument("--database-url", default=os.environ.get("LOAD_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--url", help="use a running server instead of starting gunicorn")
    parser.add_argument("--gunicorn-workers", type=int, default=3)
    parser.add_argument("--redis-url", default=os.environ.get("LOAD_REDIS_URL"),
                        help="share rate limits between gunicorn workers (e.g. redis://127.0.0.1:6379/14)")
    parser.add_argument("--no-setup", action="store_true", help="keep the database as it is")
    parser.add_argument("--citizens", type=int, default=0,
                        help="distinct citizen addresses (default 0: a new one per request); "
                             "a small number makes the per-address rate limits answer 429")
    parser.add_argument("--json", help="write the summary (and the failures' timeline) to this file")
    parser.add_argument("--setup-only", action="store_true", help="build the database and stop")
    parser.add_argument("--anchor", action=argparse.BooleanOptionalAction, default=None,
                        help="measure the hello-world anchor first (default: when starting its own server)")
    parser.add_argument("--anchor-seconds", type=float, default=20.0)
    parser.add_argument("--tolerate-errors", action="store_true",
                        help="fault drills: failed requests during an outage do not fail the run; "
                             "losing an acknowledged write still does")
    args = parser.parse_args(argv)
    if args.duration > 600 or args.threads > 64:
        parser.error("bounded: --duration ≤ 600 and --threads ≤ 64")

    ensure_database(args.database_url)
    if args.no_setup:
        codes = existing_codes(args.database_url, args.shops)
    else:
        print(f"building {args.shops} shops in {args.database_url} ...", flush=True)
        codes = build_fixture(args.database_url, args.shops)["codes"]
    if args.setup_only:
        return 0
    server = None
    base = args.url
    anchor = None
    if args.anchor if args.anchor is not None else base is None:
        anchor = hello_anchor(args.database_url, args.gunicorn_workers, args.threads, args.anchor_seconds)
        print(f"anchor: hello-world on the same gunicorn settings, {args.threads} clients, "
              f"{args.anchor_seconds:.0f} s: {anchor:.1f} req/s", flush=True)
    if base is None:
        port = free_port()
        server = start_gunicorn(args.database_url, port, args.gunicorn_workers, args.redis_url)
        base = f"http://127.0.0.1:{port}"
    try:
        rec = Recorder()
        print(f"load: {args.threads} clients for {args.duration:.0f} s against {base}", flush=True)
        elapsed = run_load(base, codes, args.threads, args.duration, rec, args.citizens)
        lost = verify(base, args.database_url, rec)
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
    summary = report(rec, elapsed, lost)
    if anchor:
        summary["anchor_hello_rps"] = round(anchor, 1)
        summary["ratio_to_hello"] = round(summary["throughput_rps"] / anchor, 3)
        print(f"throughput / hello-world: {summary['ratio_to_hello']:.3f} (issue 16 target ≥ 0.1); "
              f"load average {os.getloadavg()[0]:.1f}")
    if args.json:
        summary["failures_at"] = [[round(t, 3), kind, status] for t, kind, status in rec.timeline
                                  if status != 429 and status not in OK[kind]]
        summary["last_request_at"] = round(max((t for t, _k, _s in rec.timeline), default=0), 3)
        Path(args.json).write_text(json.dumps(summary, ensure_ascii=False, indent=2))
    if lost:
        return 1
    return 0 if args.tolerate_errors or not rec.errors else 1


if __name__ == "__main__":
    sys.exit(main())
