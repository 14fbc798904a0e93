"""Peak memory of the registry import and export jobs (issue 16): each job runs alone in a fresh
process, as a worker runs it, and reports its peak resident set size (RSS).

    .venv/bin/python scripts/bench_job_memory.py [--rows 100000 20000] [--database-url postgresql://...]

For each row count: a scratch PostgreSQL database (default huishang_bench_mem, dropped and created
again) gets the file of `bench_import.py` through the `registry.import` job, then the whole registry
goes out through the `registry.export` job as CSV and as XLSX. Each job runs in its own process;
the figures are that process's peak RSS (`ru_maxrss`), the anchor — the same process's RSS with the
app loaded, before the job — and the peak of its forked helpers (the import's validators).
Several row counts show whether a job's memory grows with the file.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/huishang_bench_mem"


def rss_now_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def child(kind: str, url: str, params: dict) -> None:
    """Run one job in this process and print its figures as JSON."""
    from huishang import create_app
    from huishang.config import _database_url
    from huishang.extensions import db
    from huishang.models import User
    from huishang.services import jobs

    app = create_app({"SQLALCHEMY_DATABASE_URI": _database_url(url), "RATELIMIT_ENABLED": False,
                      "JOB_FILES_DIR": params.pop("files_dir")})
    with app.app_context():
        owner = db.session.query(User).filter_by(username="bench-admin").one()
        anchor = rss_now_mb()
        job = jobs.create(kind, params, owner)
        db.session.commit()
        start = time.perf_counter()
        status = jobs.run(job.id, heartbeat=False)
        elapsed = time.perf_counter() - start
        job = jobs.get(job.id)
        print(json.dumps({
            "kind": kind, "status": status, "seconds": round(elapsed, 1), "message": job.message,
            "anchor_mb": round(anchor, 1),
            "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "helpers_peak_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
            "file_mb": round(sum(p.stat().st_size for p in jobs.job_dir(job.id).glob("*")) / 2**20, 1),
        }), flush=True)


def prepare(url: str, rows: int, folder: Path) -> Path:
    """A scratch database with the reference data and a district administrator, and the CSV."""
    import bench_import

    from huishang import create_app
    from huishang.config import _database_url
    from huishang.extensions import db
    from huishang.services.accounts import create_user
    from huishang.services.reference import seed_reference_data

    bench_import.ensure_database(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": _database_url(url), "RATELIMIT_ENABLED": False})
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed_reference_data()
        admin = create_user("bench-admin", "regulator", "bench-password-1")
        admin.is_admin = True
        db.session.commit()
        db.session.remove()
    path = folder / f"shops-{rows}.csv"
    bench_import.generate(path, rows)
    return path


def run_child(kind: str, url: str, params: dict) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, "--database-url", url,
                          "--params", json.dumps(params)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 20_000])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_URL)
    parser.add_argument("--child")
    parser.add_argument("--params")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.database_url, json.loads(args.params))
        return
    print(f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'rows':>8} {'job':<22} {'status':<7} {'s':>6} {'anchor MB':>10} {'peak MB':>8} "
          f"{'peak - anchor':>13} {'helpers MB':>10} {'file MB':>8}")
    with tempfile.TemporaryDirectory(prefix="bench-job-memory-") as tmp:
        folder = Path(tmp)
        for rows in args.rows:
            path = prepare(args.database_url, rows, folder)
            runs = [("registry.import", {"path": str(path), "filename": path.name})]
            runs += [("registry.export", {"fmt": fmt, "filters": {}}) for fmt in ("csv", "xlsx")]
            for kind, params in runs:
                result = run_child(kind, args.database_url, {**params, "files_dir": str(folder / "jobs")})
                label = kind + (f" ({params['fmt']})" if "fmt" in params else "")
                print(f"{rows:>8,} {label:<22} {result['status']:<7} {result['seconds']:>6} "
                      f"{result['anchor_mb']:>10} {result['peak_mb']:>8} "
                      f"{result['peak_mb'] - result['anchor_mb']:>13.1f} {result['helpers_peak_mb']:>10} "
                      f"{result['file_mb']:>8}", flush=True)
                if result["status"] != "done":
                    print(f"    {result['message']}")


if __name__ == "__main__":
    main()
