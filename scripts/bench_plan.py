"""Benchmark the 30-day inspection list (issue 5).

Generates N shops with inspection histories (plus rectifications, substantiated complaints and
penalties) in a scratch database, computes the stored grading facts with the real nightly job
(`grading.refresh_all`), then times the list for day T: the set-based generation query plus
fetching every ordered item (`planning.plan_items`), district-wide and for one street, and
saving it as tracked items (`planning.generate`).

    # PostgreSQL, 1,000,000 shops (scratch database huishang_bench_plan, dropped and re-created)
    .venv/bin/python scripts/bench_plan.py pg --shops 1000000
    # SQLite, 100,000 shops (a file under /tmp)
    .venv/bin/python scripts/bench_plan.py sqlite --shops 100000

Options: --url to point elsewhere, --reuse to skip generation when the data is already there,
--repeat N timed runs (the minimum and median are reported). Targets: ≤ 2 s for 1,000,000 shops
on PostgreSQL, ≤ 10 s per 100,000 on SQLite.
"""

# ruff: noqa: S608, E501  -- the synthesis SQL is built from our own table names and constants
from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import and_, case, func, insert, select, text  # noqa: E402
from sqlalchemy.exc import DBAPIError  # noqa: E402

from huishang import create_app  # noqa: E402
from huishang.extensions import db  # noqa: E402
from huishang.models import BusinessType, Shop, Street, today  # noqa: E402
from huishang.models.grading import GRADES, TIERS, PlanItem  # noqa: E402
from huishang.services import (
    grading,  # noqa: E402
    planning,  # noqa: E402
)
from huishang.services.planning import fastpath  # noqa: E402
from huishang.services.reference import seed_reference_data  # noqa: E402

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/huishang_bench_plan"
SQLITE_URL = "sqlite:////tmp/huishang_bench_plan.sqlite"
T = today()  # the district's today: the fast path serves the list for today only
NOW = datetime(2026, 11, 28, 2, 0, 0)


def defaults(table) -> dict:
    """Python-side defaults of the table's NOT NULL columns (bulk loads skip the ORM)."""
    out = {}
    for col in table.columns:
        if col.primary_key or col.nullable:
            continue
        default = col.default.arg if col.default is not None else None
        if callable(default):
            default = NOW if "DateTime" in type(col.type).__name__ else T
        out[col.name] = default
    return out


def rows(n: int, street_ids: list[int], type_risks: dict[int, str], seed: int = 7):
    """Yield (table name, row) for n shops and their histories; deterministic for a seed.

    Inspections follow the schedule (the cell's interval after each result, give or take a few
    weeks), so at T most shops are due ahead and a few percent are overdue, as in a district
    that keeps up; a backlog would only make the list longer."""
    rng = random.Random(seed)
    rules = grading.RULE_DEFAULTS
    type_ids = list(type_risks)
    grade_of = {"pass": "良好", "partial": "一般", "fail": "较差"}
    insp_id = rect_id = 0
    for sid in range(1, n + 1):
        yield "entities", {"id": sid, "uscc": f"91310104{sid:010d}", "name": f"上海基准餐饮有限公司{sid}"}
        new_shop = rng.random() < 0.03
        registered = T - timedelta(days=rng.randint(5, 100) if new_shop else rng.randint(100, 3000))
        status = "open" if rng.random() < 0.97 else rng.choice(("suspended", "closed"))
        type_id = rng.choice(type_ids)
        tier = rules["tier_map"][type_risks[type_id]]
        yield (
            "shops",
            {
                "id": sid,
                "code": f"B{sid:08d}",
                "entity_id": sid,
                "sign_name": f"基准小店{sid}",
                "address": f"徐汇区基准路{sid}号",
                "street_id": rng.choice(street_ids),
                "business_type_id": type_id,
                "status": status,
                "registered_on": registered,
            },
        )
        if new_shop:
            continue  # never inspected yet
        day = registered + timedelta(days=rng.randint(10, 60))
        while day <= T:
            insp_id += 1
            outcome = rng.choices(("pass", "partial", "fail"), (0.65, 0.27, 0.08))[0]
            yield (
                "inspections",
                {
                    "id": insp_id,
                    "shop_id": sid,
                    "inspected_on": day,
                    "outcome": outcome,
                    "full": rng.random() < 0.9,
                    "source": "import",
                },
            )
            interval = rules["intervals"][tier][grade_of[outcome]]
            next_day = day + timedelta(days=max(interval, 90) + rng.randint(-20, 25))
            if outcome != "pass" and rng.random() < 0.5:
                rect_id += 1
                deadline = day + timedelta(days=rng.choice((7, 15, 30)))
                # a later inspection closes it; the latest one may still be open (or overdue)
                last = next_day > T
                closed = None if last and rng.random() < 0.3 else deadline - timedelta(days=rng.randint(0, 6))
                if closed is not None and closed > T:
                    closed = None
                yield (
                    "rectifications",
                    {
                        "id": rect_id,
                        "shop_id": sid,
                        "inspection_id": insp_id,
                        "deadline": deadline,
                        "closed_on": closed,
                    },
                )
            day = next_day
        if rng.random() < 0.03:
            for k in range(rng.randint(1, 3)):
                yield (
                    "complaints",
                    {
                        "ticket": f"BC{sid:08d}{k}",
                        "tracking_key_hash": "-",
                        "shop_id": sid,
                        "category": rng.choice(("food_safety", "price", "service")),
                        "description": "基准投诉",
                        "status": "closed",
                        "substantiated": True,
                        "substantiated_on": T - timedelta(days=rng.randint(0, 200)),
                    },
                )
        if rng.random() < 0.008:
            decided = T - timedelta(days=rng.randint(0, 1200))
            severity = rng.choice(("minor", "general", "severe"))
            yield (
                "penalties",
                {
                    "shop_id": sid,
                    "decision_no": f"徐市监基准〔{sid}〕",
                    "decided_on": decided,
                    "violation": "基准违法行为",
                    "severity": severity,
                    "publicity_ends_on": grading.add_months(decided, 3 if severity == "minor" else 36),
                },
            )


def _insert_select(table_name: str, exprs: dict[str, str], from_sql: str, params: dict) -> None:
    """INSERT … SELECT with `exprs` for the named columns and the python-side defaults for the
    table's other NOT NULL columns."""
    table = db.metadata.tables[table_name]
    cols, values = list(exprs), list(exprs.values())
    for name, value in defaults(table).items():
        if name not in exprs:
            cols.append(name)
            values.append(f":d_{name}")
            params[f"d_{name}"] = value
    quoted = ", ".join(f'"{c}"' for c in cols)
    db.session.execute(
        text(f"INSERT INTO {table_name} ({quoted}) SELECT {', '.join(values)} {from_sql}"),  # noqa: S608
        params,
    )


def synthesize_pg(n: int) -> None:
    """PostgreSQL only, server-side (generate_series): n shops, ~8 inspections each, and the stored
    grading facts and windowed events *as the nightly refresh would leave them*, drawn with the
    same distribution as the Python generator above (inspections on schedule; a few percent open
    rectifications, complaint triggers, complaint and penalty worsenings; ~1.4 closed historical
    windows per shop). The list query reads only these tables. Used for 1,000,000 shops because
    the Python generator plus `refresh_all` need ~30 CPU-minutes at that size; the real path is
    measured at 100,000 (`--facts refresh`)."""
    rules = grading.RULE_DEFAULTS
    ranks = grading.cell_ranks(rules)
    streets = list(db.session.scalars(select(Street.id)))
    types = list(db.session.scalars(select(BusinessType.id).where(BusinessType.static_risk.is_not(None))))
    p = {"n": n, "T": T, "streets": streets, "ns": len(streets), "types": types, "nt": len(types)}
    db.session.execute(text("SELECT setseed(0.42)"))
    _insert_select("entities", {"id": "g", "uscc": "'91310104' || lpad(g::text, 10, '0')",
                                "name": "'上海基准餐饮有限公司' || g"}, "FROM generate_series(1, :n) g", p)
    _insert_select("shops", {
        "id": "g", "code": "'B' || lpad(g::text, 8, '0')", "entity_id": "g", "sign_name": "'基准小店' || g",
        "address": "'徐汇区基准路' || g || '号'",
        "street_id": "(CAST(:streets AS int[]))[1 + floor(random() * :ns)::int]",
        "business_type_id": "(CAST(:types AS int[]))[1 + floor(random() * :nt)::int]",
        "status": "CASE WHEN random() < 0.97 THEN 'open' WHEN random() < 0.5 THEN 'suspended' ELSE 'closed' END",
        "registered_on": "CAST(:T AS date) - (CASE WHEN random() < 0.03 THEN 5 + floor(random() * 95) "
                         "ELSE 100 + floor(random() * 2900) END)::int",
    }, "FROM generate_series(1, :n) g", p)
    interval = " ".join(f"WHEN tier = '{t}' AND grade = '{g}' THEN {rules['intervals'][t][g]}"
                        for t in TIERS for g in GRADES)
    worse_sql = "CASE grade WHEN '良好' THEN '一般' ELSE '较差' END"
    rank_sql = " ".join(f"WHEN tier = '{t}' AND {{g}} = '{g}' THEN {r}" for (t, g), r in ranks.items())
    db.session.execute(text("""
        CREATE TEMP TABLE syn AS
        SELECT s.id, s.street_id, s.status, s.registered_on, x.tier, x.grade, x.new_shop, x.r
        FROM shops s JOIN business_types b ON b.id = s.business_type_id,
        LATERAL (SELECT CASE b.static_risk WHEN 'D' THEN '高' WHEN 'C' THEN '中' ELSE '低' END AS tier,
                        CASE WHEN random() < 0.65 THEN '良好' WHEN random() < 0.77 THEN '一般' ELSE '较差' END
                            AS grade,
                        s.registered_on > CAST(:T AS date) - 100 AS new_shop, random() AS r) x"""), p)
    db.session.execute(text(f"""
        CREATE TEMP TABLE syn2 AS
        SELECT *, CASE {interval} END AS iv, {worse_sql} AS worse,
               CASE WHEN new_shop THEN NULL
                    ELSE CAST(:T AS date) - floor(r * (GREATEST(CASE {interval} END, 90) + 25))::int END AS last
        FROM syn"""), p)
    db.session.execute(text(f"""
        INSERT INTO shop_gradings (shop_id, street_id, status, registered_on, static_tier, base_grade,
            worse_grade, rank_base, rank_worse, last_full_on, last_inspected_on, cycle, routine_reason,
            routine_due_base, routine_due_worse, floor_due, refreshed_at)
        SELECT id, street_id, status, registered_on, tier, grade, worse,
               CASE {rank_sql.format(g="grade")} END, CASE {rank_sql.format(g="worse")} END,
               last, last, COALESCE(to_char(last, 'YYYY-MM-DD'), 'new'),
               CASE WHEN last IS NULL THEN 'new' ELSE 'routine' END,
               COALESCE(GREATEST(last + iv, last + 90), registered_on + 30),
               COALESCE(GREATEST(last + (SELECT CASE {interval.replace("grade =", "worse =")} END), last + 90),
                        registered_on + 30),
               LEAST(COALESCE(GREATEST(last + iv, last + 90), registered_on + 30),
                     COALESCE(GREATEST(last + (SELECT CASE {interval.replace("grade =", "worse =")} END), last + 90),
                              registered_on + 30)),
               now()
        FROM syn2"""), p)
    _insert_select("inspections", {
        "shop_id": "id", "inspected_on": "last - k * 200",
        "outcome": "CASE WHEN k = 0 THEN CASE grade WHEN '良好' THEN 'pass' WHEN '一般' THEN 'partial' "
                   "ELSE 'fail' END ELSE 'pass' END", "full": "true", "source": "'import'",
    }, "FROM syn2, generate_series(0, 7) k WHERE last IS NOT NULL AND last - k * 200 >= registered_on", p)
    ev = "INSERT INTO grade_events (shop_id, effect, kind, starts_on, ends_on, due_on, note) "
    db.session.execute(text(ev + """
        SELECT shop_id, 'trigger', 'rectification', inspected_on, inspected_on + 12, inspected_on + 15, '历史整改'
        FROM inspections WHERE random() < 0.18 AND inspected_on < CAST(:T AS date) - 30"""), p)
    db.session.execute(text(ev + """
        SELECT id, 'trigger', 'rectification', last, NULL, last + 15, '整改' FROM syn2
        WHERE last IS NOT NULL AND random() < 0.04"""), p)
    db.session.execute(text(ev + """
        SELECT shop_id, 'worsen', 'overdue', due_on + 1, NULL, NULL, '整改逾期' FROM grade_events
        WHERE kind = 'rectification' AND ends_on IS NULL AND due_on < CAST(:T AS date)"""), p)
    db.session.execute(text(ev + """
        SELECT id, 'trigger', 'complaint', CAST(:T AS date) - floor(random() * 10)::int, NULL,
               CAST(:T AS date) + 7 - floor(random() * 10)::int, '投诉' FROM syn2 WHERE random() < 0.01"""), p)
    db.session.execute(text(ev + """
        SELECT id, 'worsen', 'complaints', CAST(:T AS date) - 20, CAST(:T AS date) + 70, NULL, '投诉'
        FROM syn2 WHERE random() < 0.005"""), p)
    db.session.execute(text(ev + """
        SELECT id, 'worsen', 'penalty', d, d + 1095, NULL, '处罚'
        FROM (SELECT id, CAST(:T AS date) - floor(random() * 1200)::int AS d FROM syn2 WHERE random() < 0.008) x"""), p)
    db.session.commit()


ORDER = ("entities", "shops", "inspections", "rectifications", "complaints", "penalties")


def load(n: int) -> None:
    street_ids = list(db.session.scalars(select(Street.id)))
    type_risks = dict(
        db.session.execute(
            select(BusinessType.id, BusinessType.static_risk).where(BusinessType.static_risk.is_not(None))
        ).all()
    )
    buffers: dict[str, list] = {name: [] for name in ORDER}
    tables = {name: db.metadata.tables[name] for name in ORDER}
    postgres = db.engine.dialect.name == "postgresql"

    base = {name: defaults(tables[name]) for name in ORDER}

    def flush(force=False):
        for name in ORDER:
            if buffers[name] and (force or len(buffers[name]) >= 50000):
                batch = [{**base[name], **r} for r in buffers[name]]
                if postgres:
                    copy_rows(tables[name], batch)
                else:
                    db.session.execute(insert(tables[name]), batch)
                buffers[name] = []

    for count, (name, row) in enumerate(rows(n, street_ids, type_risks)):
        buffers[name].append(row)
        if count % 200000 == 0:
            flush(force=True)
    flush(force=True)
    db.session.commit()
    if postgres:
        for name in ORDER:
            db.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608 (our table names)
                    f"(SELECT coalesce(max(id), 1) FROM {name}))"
                )
            )
        db.session.commit()


def copy_rows(table, batch: list[dict]) -> None:
    """COPY a batch through psycopg (several times faster than INSERT)."""
    columns = list(batch[0])
    raw = db.session.connection().connection.dbapi_connection
    with raw.cursor() as cur:
        quoted = ", ".join(f'"{c}"' for c in columns)
        with cur.copy(f"COPY {table.name} ({quoted}) FROM STDIN") as copy:
            for row in batch:
                copy.write_row([row[c] for c in columns])


def timed(label: str, fn, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        db.session.expire_all()
        result = None  # the previous run's result is freed here, not inside the timed call
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
        db.session.rollback()
    print(
        f"  {label}: min {min(times):.3f} s, median {statistics.median(times):.3f} s over {repeat} runs",
        flush=True,
    )
    return result, min(times), statistics.median(times)


def _fill_shop_columns(rules: dict) -> None:
    """What `flask plan refresh` on day T leaves behind, set-based: the derived shop columns
    (cell, due date and reason, cell rank, due cycle) from the general query for T (every shop
    due by T + 366 days; later ones stay empty and are on no list), T recorded as the refresh day,
    the table vacuumed (the refresh command does that on PostgreSQL)."""
    start = time.perf_counter()
    listed = planning.plan_query(T, planning.MAX_DAYS, None, rules).order_by(None).subquery()
    shops = Shop.__table__
    rank = case(
        *[(and_(listed.c.static_tier == t, listed.c.grade == g), r) for (t, g), r in grading.cell_ranks(rules).items()],
        else_=grading.UNRANKED,
    )
    db.session.execute(
        shops.update()
        .where(shops.c.id == listed.c.shop_id)
        .values(next_due_on=listed.c.due_on, due_reason=listed.c.reason, static_tier=listed.c.static_tier,
                dynamic_grade=listed.c.grade, plan_rank=rank, plan_cycle=listed.c.cycle)
    )
    grading.mark_refreshed(T)
    db.session.commit()
    _vacuum()
    print(f"  filled the shop columns for T and recorded the refresh day: {time.perf_counter() - start:.1f} s",
          flush=True)


def _vacuum() -> None:
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM (ANALYZE) shops, plan_items")


def _track(rules: dict) -> None:
    """Tracking as a district has it after a while: today's list saved as items (a third of them
    assigned, one in fifty closed as not found) and two closed items of past cycles per shop."""
    start = time.perf_counter()
    saved = planning.generate(T, 30, None)
    db.session.execute(text(
        "UPDATE plan_items SET status = 'not_found', closed_on = :t, closed_note = '查无此店' WHERE id % 50 = 0"
    ), {"t": T})
    db.session.execute(text(
        "INSERT INTO plan_items (shop_id, cycle, street_id, due_on, reason, static_tier, dynamic_grade,"
        " generated_on, status, closed_on, closed_note, created_at)"
        " SELECT s.id, '2025-0' || k.n || '-01', s.street_id, :d, 'routine', '中', '良好', :d, 'inspected', :d, '',"
        " :now FROM shops s CROSS JOIN (SELECT 1 AS n UNION ALL SELECT 2) k"
    ), {"d": date(2025, 6, 1), "now": NOW})
    db.session.commit()
    _vacuum()
    items = db.session.scalar(select(func.count()).select_from(PlanItem))
    print(f"  tracking: today's list saved ({saved:,} items) plus past cycles, {items:,} plan items in all: "
          f"{time.perf_counter() - start:.1f} s", flush=True)


def fast_path(rules: dict, repeat: int) -> None:
    """The list for today read from the maintained shop columns, against the general query."""
    if today() != T:
        sys.exit(f"the fast path is for today only: run this on {T} (or change T)")
    for table in (Shop.__table__, PlanItem.__table__):
        for index in table.indexes:
            index.create(db.engine, checkfirst=True)
    unfilled = db.session.scalar(select(func.count()).where(Shop.next_due_on.is_not(None), Shop.plan_rank.is_(None)))
    if grading.refreshed_on() != T or unfilled:
        _fill_shop_columns(rules)
    if not db.session.scalar(select(func.count()).select_from(PlanItem)):
        _track(rules)
    start = time.perf_counter()
    grading.sync_tracking()  # what generate and the refresh leave behind; nothing to write when in step
    db.session.commit()
    print(f"  tracking copy on the shops checked: {time.perf_counter() - start:.1f} s", flush=True)
    _vacuum()
    assert planning.fast_path_applies(T, planning.stale_ids(T)), "fast path not applicable"
    fast, _, _ = timed("30-day list for today, district, FAST PATH (query + fetch all ordered items)",
                       lambda: planning.plan_items(T, 30, None, rules), repeat)
    if db.engine.dialect.name == "postgresql":
        try:
            timed("  its queries alone, run by the server: COPY (query) TO '/dev/null' (scan and output, "
                  "no transfer, no Python objects)", lambda: _server_floor(rules), repeat)
        except DBAPIError as exc:  # not a superuser: no server-side COPY
            db.session.rollback()
            print(f"  (server-side COPY not allowed: {exc.orig})", flush=True)
    general, _, _ = timed("30-day list for today, district, general query (fast=False)",
                          lambda: planning.plan_page(T, 30, None, rules, fast=False)[0], repeat)
    tracked = sum(1 for i in fast if i.item_id is not None)
    print(f"    {len(fast):,} items ({tracked:,} tracked); identical to the general query: {fast == general}",
          flush=True)
    street_id = db.session.scalar(select(Street.id).order_by(Street.position))
    timed("30-day list for today, one street, fast path",
          lambda: planning.plan_items(T, 30, {street_id}, rules), repeat)
    timed("first page of 200 with the total, fast path (the API's paged list)",
          lambda: planning.plan_page(T, 30, None, rules, limit=200), repeat)
    overdue = sum(1 for i in fast if i.due_on < T)
    timed(f"page of 200 across the overdue boundary (offset {overdue - 100:,}), fast path",
          lambda: planning.plan_page(T, 30, None, rules, limit=200, offset=overdue - 100), repeat)
    timed("first page of 200 with the total, general query",
          lambda: planning.plan_page(T, 30, None, rules, limit=200, fast=False), repeat)
    # the desk's table headers (issue 14): another order, sorted in SQL with the list order as tie-break
    timed("first page of 50 sorted by shop name (desk table header), fast path",
          lambda: planning.plan_page(T, 30, None, rules, limit=50, sort="shop"), repeat)
    timed("page 20 of 50 sorted by due date, descending, fast path",
          lambda: planning.plan_page(T, 30, None, rules, limit=50, offset=950, sort="due", descending=True), repeat)
    timed("first page of 50 sorted by shop name, general query",
          lambda: planning.plan_page(T, 30, None, rules, limit=50, sort="shop", fast=False), repeat)
    _http(repeat)


def _server_floor(rules: dict) -> None:
    """The fast path's group queries for the district, each as COPY (query) TO '/dev/null' run by
    the server itself: the database's share (index scan, text output) with no transfer and no
    Python object — the floor of the list. Needs a superuser or pg_write_server_files."""
    db.session.execute(text("SET LOCAL jit = off"))  # as plan_page sets it
    for part, rank in fastpath._groups(rules):
        query = planning.fast_plan_query(T, 30, None, part, rank)
        sql = query.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
        db.session.execute(text(f"COPY ({sql}) TO '/dev/null'"))


def _http(repeat: int) -> None:
    """What a district-wide regulator waits for: the page and the API's first page, end to end
    through the app (test client: routing, login, query, JSON or template), on the fast path."""
    from flask import current_app

    from huishang.models import User
    from huishang.services.accounts import create_user

    if db.session.scalar(select(User).where(User.username == "bench-regulator")) is None:
        create_user("bench-regulator", "regulator", "bench-password-1")
        db.session.commit()
    client = current_app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": "bench-regulator", "password": "bench-password-1"})
    headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
    assert client.post("/login", data={"username": "bench-regulator", "password": "bench-password-1"}).status_code == 302

    def get(url, **kw):
        response = client.get(url, **kw)
        assert response.status_code == 200, (url, response.status_code)
        return response

    timed("GET /api/v1/inspection-plan?per_page=200 (district, first page, JSON)",
          lambda: get("/api/v1/inspection-plan?days=30&page=1&per_page=200", headers=headers), repeat)
    timed("GET /admin/plan (district, first page of 50, HTML with progress per street and inspector)",
          lambda: get("/admin/plan"), repeat)
    timed("GET /admin/plan?sort=shop (district, first page of 50 by shop name, HTML)",
          lambda: get("/admin/plan?sort=shop&dir=asc"), repeat)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("backend", choices=("pg", "sqlite"))
    parser.add_argument("--shops", type=int, default=None)
    parser.add_argument("--url")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fast-path", action="store_true",
                        help="time only the list for today from the maintained shop columns (fast path) "
                        "against the general query; fills the columns for T and records T as the refresh day")
    parser.add_argument("--facts", choices=("refresh", "sql"), default=None,
                        help="refresh: Python histories + the real nightly refresh (default below 200,000); "
                        "sql: server-side synthesis (PostgreSQL, default from 200,000)")
    args = parser.parse_args()
    n = args.shops or (1_000_000 if args.backend == "pg" else 100_000)
    url = args.url or (PG_URL if args.backend == "pg" else SQLITE_URL)
    if args.backend == "pg" and not args.reuse and not args.url:
        subprocess.run(
            ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "huishang_bench_plan"], check=True
        )
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", "huishang_bench_plan"], check=True)
    if args.backend == "sqlite" and not args.reuse:
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "RATELIMIT_ENABLED": False,
                      "WTF_CSRF_ENABLED": False})
    with app.app_context():
        have = 0
        if args.reuse:
            have = db.session.scalar(select(func.count()).select_from(Shop))
        print(f"backend {db.engine.dialect.name}, {n:,} shops, list day T = {T}", flush=True)
        if have != n:
            db.drop_all()
            db.create_all()
            seed_reference_data()
            db.session.commit()
            facts = args.facts or ("sql" if args.backend == "pg" and n >= 200_000 else "refresh")
            start = time.perf_counter()
            if facts == "sql":
                synthesize_pg(n)
                print(f"  synthesized histories and stored facts (SQL): {time.perf_counter() - start:.1f} s",
                      flush=True)
            else:
                load(n)
                print(f"  generated histories: {time.perf_counter() - start:.1f} s", flush=True)
                start = time.perf_counter()
                grading.refresh_all(batch_size=5000)
                db.session.commit()
                print(f"  nightly refresh (plan refresh, all shops): {time.perf_counter() - start:.1f} s "
                      f"({n / (time.perf_counter() - start):,.0f} shops/s)", flush=True)
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        tables = ORDER + ("grade_events",)
        counts = {t: db.session.scalar(text(f"SELECT count(*) FROM {t}")) for t in tables}  # noqa: S608
        print("  rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()), flush=True)
        rules = grading.load_rules()
        if args.fast_path:
            fast_path(rules, args.repeat)
            return
        items, _, _ = timed(
            "30-day list, whole district (query + fetch all ordered items)",
            lambda: planning.plan_items(T, 30, None, rules),
            args.repeat,
        )
        overdue = sum(1 for i in items if i.due_on < T)
        print(
            f"    {len(items):,} items ({overdue:,} overdue); "
            f"first {items[0].shop_code} due {items[0].due_on}"
        )
        street_id = db.session.scalar(select(Street.id).order_by(Street.position))
        timed("30-day list, one street", lambda: planning.plan_items(T, 30, {street_id}, rules), args.repeat)
        timed(
            "30-day list for T+45 (events re-evaluated for that day)",
            lambda: planning.plan_items(T + timedelta(days=45), 30, None, rules),
            args.repeat,
        )
        timed(
            "API rendering of the district list (plan_items + present)",
            lambda: planning.present(planning.plan_items(T, 30, None, rules), T),
            1,
        )
        db.session.execute(PlanItem.__table__.delete())
        db.session.commit()
        start = time.perf_counter()
        saved = planning.generate(T, 30, None)
        db.session.commit()
        print(
            f"  save as tracked items (generate, first time): {time.perf_counter() - start:.3f} s, "
            f"{saved:,} items",
            flush=True,
        )
        start = time.perf_counter()
        planning.generate(T + timedelta(days=1), 30, None)
        db.session.commit()
        print(f"  regenerate next day (keeps tracking): {time.perf_counter() - start:.3f} s", flush=True)


if __name__ == "__main__":
    main()
