"""Benchmark `flask shops import`: generate N shops as a CSV and import them into PostgreSQL.

    .venv/bin/python scripts/bench_import.py [--rows 100000] [--complexes 40] [--database-url postgresql://...]

The database (default: huishang_bench on the local PostgreSQL, or DATABASE_URL) is a scratch
database: its schema is dropped and created again with `db.create_all()`. Prints the time of
each phase and rows per second; then imports the same file again (every row unchanged) to show
that a re-import writes nothing. Target: 100,000 rows in under 60 s.

`--complexes N` (issue 14): about a third of the rows name one of N commercial complexes the empty
registry does not know (each in one street), as the city's register file does; the import creates
them. The city's file: `--rows 15000 --complexes 40`.
"""
import argparse
import csv
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from huishang import create_app  # noqa: E402
from huishang.config import _database_url  # noqa: E402
from huishang.extensions import db  # noqa: E402
from huishang.services.reference import seed_reference_data  # noqa: E402
from huishang.services.registry import importing, uscc  # noqa: E402
from huishang.services.registry.importing import writing as import_writing  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/huishang_bench"
STREETS = ("天平路街道", "湖南路街道", "斜土路街道", "枫林路街道", "长桥街道", "田林街道", "虹梅路街道",
           "康健新村街道", "徐家汇街道", "凌云路街道", "龙华街道", "漕河泾街道", "华泾镇")
ROADS = ("漕溪北路", "天钥桥路", "肇嘉浜路", "衡山路", "宛平南路", "龙华中路", "田林路", "虹梅路", "钦州路",
         "宜山路", "桂林路", "漕宝路", "华泾路", "龙吴路")
TYPES = ("正餐", "快餐", "小吃", "饮品", "烘焙", "早餐", "超市", "便利店", "生鲜/农贸", "美容美发",
         "服装鞋帽", "药店", "其他零售")
HEADER = ("uscc", "entity_name", "shop_name", "address", "street", "business_type", "lat", "lng",
          "contact", "phone", "licence_no", "licence_expires", "serves_breakfast", "cold_chain",
          "registered_on", "complex")
BRANDS = ("美罗", "港汇", "汇金", "日月光", "绿地", "万科", "龙湖", "印象", "正大", "太平洋", "东方", "光启", "星游",
          "徐汇", "西岸", "滨江", "漕河泾", "田林", "龙华", "康健")
KINDS = ("城", "百货", "天地", "荟", "里", "坊")


def complex_names(count: int) -> list[str]:
    """`count` distinct complex names (brand + kind), in a fixed order."""
    names = [brand + kind for kind in KINDS for brand in BRANDS]
    if count > len(names):
        raise SystemExit(f"at most {len(names)} complexes")
    return names[:count]


def ensure_database(url: str) -> None:
    """Create the scratch database when it is missing (PostgreSQL only)."""
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def generate(path: Path, rows: int, seed: int = 1, complexes: int = 0) -> None:
    """A CSV of `rows` shops; with `complexes`, about a third of them in one of that many complexes,
    complex k in street k % 13 (a row names only a complex of its own street)."""
    rng = random.Random(seed)
    names = complex_names(complexes)
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        entity = None
        for n in range(rows):
            if n % 3 == 0:  # about three shops per market entity
                entity = (uscc.generate(rng), f"上海测试{n // 3}号商贸有限公司")
            writer.writerow((
                entity[0], entity[1], f"测试商铺{n}", f"徐汇区{rng.choice(ROADS)}{n}号", STREETS[n % 13],
                rng.choice(TYPES), f"{rng.uniform(31.13, 31.22):.6f}", f"{rng.uniform(121.40, 121.47):.6f}",
                "王芳", f"139{rng.randint(10000000, 99999999)}", f"JY{n:014d}",
                f"20{rng.randint(26, 30)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                rng.choice(("是", "否")), rng.choice(("是", "否")), "2023-05-01",
                _complex_of(rng, names, n % 13)))


def _complex_of(rng, names: list[str], street: int) -> str:
    mine = names[street::13]
    return rng.choice(mine) if mine and rng.random() < 0.34 else ""


def timed(label: str, fn):
    """Run fn; print wall-clock seconds and this process's CPU seconds (the gap is time spent
    waiting: for PostgreSQL, or for a CPU on a busy machine)."""
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    elapsed = time.perf_counter() - start
    print(f"  {label:<32} {elapsed:8.2f} s wall {time.process_time() - cpu:8.2f} s cpu")
    return result, elapsed


DERIVED = {"seconds": 0.0}


def timed_refresh(original):
    """Time the derived-column refresh (grading's hook) inside the write phase separately."""

    def wrapper(ids):
        start = time.perf_counter()
        original(ids)
        DERIVED["seconds"] += time.perf_counter() - start

    return wrapper


def copy_anchor(path: Path) -> float:
    """The anchor: PostgreSQL `COPY` of the same CSV rows into a plain (logged) table of text
    columns, committed — the floor for getting these bytes into the database."""
    raw = db.session.connection().connection.driver_connection
    start = time.perf_counter()
    with raw.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy_anchor")
        cursor.execute("CREATE TABLE bench_copy_anchor (" + ", ".join(f"{h} text" for h in HEADER) + ")")
        with path.open("rb") as fh, cursor.copy("COPY bench_copy_anchor FROM STDIN (FORMAT csv, HEADER true)") as copy:
            copy.write(fh.read())
    db.session.commit()
    elapsed = time.perf_counter() - start
    db.session.connection().exec_driver_sql("DROP TABLE bench_copy_anchor")
    db.session.commit()
    print(f"  anchor: COPY of the same rows {elapsed:8.2f} s wall")
    return elapsed


def run_import(path: Path):
    header, rows = timed("read file", lambda: importing.read_rows(path))[0]
    plan, t_check = timed("validate + match", lambda: importing.plan_rows(path.name, header, rows))
    if not plan.ok:
        raise SystemExit("\n".join(str(e) for e in plan.errors[:20]))
    DERIVED["seconds"] = 0.0
    _, t_write = timed("write (bulk insert + hooks)", lambda: importing.apply_import(plan))
    print(f"    of which derived columns (grading hook) {DERIVED['seconds']:8.2f} s")
    _, t_commit = timed("commit", db.session.commit)
    return plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--once", action="store_true", help="skip the re-import of the same file")
    parser.add_argument("--complexes", type=int, default=0, help="complexes the file names (issue 14: 40)")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_URL)
    args = parser.parse_args()
    url = args.database_url
    if url.startswith(("postgres://", "postgresql://", "postgresql+psycopg://")):
        ensure_database(url.replace("postgresql+psycopg://", "postgresql://"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": _database_url(url), "RATELIMIT_ENABLED": False})
    import_writing.refresh_derived = timed_refresh(import_writing.refresh_derived)  # apply_import calls it there
    with tempfile.TemporaryDirectory() as tmp, app.app_context():
        path = Path(tmp) / "bench_shops.csv"
        print(f"database: {db.engine.url.render_as_string(hide_password=True)}")
        timed(f"generate {args.rows:,} rows", lambda: generate(path, args.rows, complexes=args.complexes))
        db.drop_all()
        db.create_all()
        seed_reference_data()
        db.session.commit()
        anchor = copy_anchor(path) if db.engine.dialect.name == "postgresql" else None
        print("first import:")
        start, cpu = time.perf_counter(), time.process_time()
        plan = run_import(path)
        total = time.perf_counter() - start
        print(f"  => {len(plan.new_complexes)} complexes created, {len(plan.warnings)} close-name warnings")
        print(f"  => {len(plan.created):,} shops in {total:.1f} s = {len(plan.created) / total:,.0f} rows/s"
              f" (cpu {time.process_time() - cpu:.1f} s; load average {os.getloadavg()[0]:.1f})")
        if anchor:
            print(f"  => {total / anchor:.1f} x the COPY anchor ({anchor:.2f} s) in the same run")
        if args.once:
            db.session.remove()
            return
        print("same file again (idempotent):")
        start = time.perf_counter()
        again = run_import(path)
        total2 = time.perf_counter() - start
        print(f"  => created {len(again.created)}, updated {len(again.updated)}, "
              f"unchanged {again.unchanged:,} in {total2:.1f} s")
        db.session.remove()


if __name__ == "__main__":
    main()
