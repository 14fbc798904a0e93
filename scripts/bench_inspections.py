"""Benchmark the inspections feature: submitting an inspection through the API (30 items), the
result-sheet PDF, checklist matching for a shop, the overdue self-check list, and the history
import (`flask inspections import`).

Usage:
  createdb -h 127.0.0.1 -U postgres huishang_bench_inspections
  DATABASE_URL=postgresql://postgres@127.0.0.1:5432/huishang_bench_inspections \
      .venv/bin/python scripts/bench_inspections.py [SHOPS] [IMPORT_ROWS]

Builds the schema from the models (drop_all/create_all: use a scratch database), registers SHOPS
shops (default 300) through the registry service, then times each operation and prints median /
95th percentile in milliseconds, and the import's rows per second.
"""
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))


def timed(label: str, fn, runs: int) -> None:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
    print(f"{label:<44} median {statistics.median(samples):8.1f} ms   p95 {p95:8.1f} ms   (n={runs})")


def main(n_shops: int, n_rows: int) -> None:
    from sqlalchemy import select

    from huishang import create_app
    from huishang.config import TestingConfig
    from huishang.extensions import db
    from huishang.models import ChecklistTemplate, Inspection, today
    from huishang.security import issue_token
    from huishang.services import inspections, registry
    from huishang.services.accounts import create_user
    from huishang.services.catalog import checklists
    from huishang.services.inspections import history_import as inspection_import
    from huishang.services.inspections import result_sheet
    from huishang.services.reference import seed_reference_data
    from huishang.services.registry import uscc

    class Bench(TestingConfig):
        SQLALCHEMY_DATABASE_URI = TestingConfig.SQLALCHEMY_DATABASE_URI
        UPLOAD_DIR = tempfile.mkdtemp()
        # Follow-ups (the merchants told of the result) leave the request as in `make run`: a
        # thread; "inline" would time them inside the submit, "celery" needs a broker and a worker.
        JOBS_RUNNER = os.environ.get("JOBS_RUNNER", "thread")

    if os.environ.get("DATABASE_URL"):
        from huishang.config import _database_url

        Bench.SQLALCHEMY_DATABASE_URI = _database_url(os.environ["DATABASE_URL"])
    else:
        Bench.SQLALCHEMY_DATABASE_URI = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    app = create_app(Bench)
    rng = random.Random(4)  # noqa: S311 — benchmark data
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed_reference_data()
        types = ["catering.fast_food", "catering.dining", "food_sales.supermarket", "group_meal.school_canteen"]
        shops = []
        for n in range(n_shops):
            shops.append(registry.register_shop({
                "uscc": uscc.generate(), "entity_name": f"基准测试公司{n}", "sign_name": f"基准小店{n}",
                "address": f"徐汇区漕溪北路{n}号", "street": "徐家汇街道", "business_type": rng.choice(types),
                "cold_chain": rng.random() < 0.3, "registered_on": "2024-01-15"}))
        lead = create_user("bench-lead", "inspector", "password123", streets=["徐家汇街道"])
        co = create_user("bench-co", "inspector", "password123", streets=["徐家汇街道"])
        db.session.commit()
        print(f"database: {db.engine.dialect.name}, shops: {n_shops}")

        client = app.test_client()
        headers = {"Authorization": f"Bearer {issue_token(lead)}"}
        tpl = db.session.scalar(select(ChecklistTemplate).where(
            ChecklistTemplate.key == "food.catering.inspection", ChecklistTemplate.current.is_(True)))
        counter = iter(range(10**9))

        def submit():
            shop = rng.choice(shops)
            body = {"shop_code": shop.code, "template_id": tpl.id, "co_inspector": co.username,
                    "client_id": f"bench-{next(counter):08d}",
                    "answers": [{"item_id": i.id, "result": rng.choice(("pass", "pass", "pass", "na", "fail")),
                                 "note": ""} for i in tpl.items]}
            response = client.post("/api/v1/inspections", json=body, headers=headers)
            assert response.status_code == 201, response.get_json()

        timed("POST /api/v1/inspections (30 items)", submit, 60)
        done = db.session.scalars(select(Inspection).limit(20)).all()
        timed("result sheet PDF", lambda: result_sheet.render(rng.choice(done)), 20)
        timed("applicable_templates(shop, inspection)",
              lambda: checklists.applicable_templates(rng.choice(shops), "inspection"), 200)
        timed("overdue self-checks (first page)",
              lambda: db.session.execute(inspections.overdue_self_checks(lead).limit(50)).all(), 50)

        lines = ["shop_code,inspected_on,outcome,rectification_deadline,rectified_on"]
        for n in range(n_rows):
            on = today() - timedelta(days=30 + n % 700)
            outcome = rng.choice(("符合", "符合", "基本符合", "不符合"))
            rectified = (on + timedelta(days=5)).isoformat() if outcome != "符合" and n % 2 else ""
            lines.append(f"{shops[n % n_shops].code},{on.isoformat()},{outcome},,{rectified}")
        path = Path(tempfile.mkdtemp()) / "history.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        start = time.perf_counter()
        plan = inspection_import.plan_import(path)
        checked = time.perf_counter() - start
        inspection_import.apply_import(plan)
        db.session.commit()
        total = time.perf_counter() - start
        print(f"import {n_rows} rows: check {checked:.1f} s, total {total:.1f} s "
              f"({n_rows / total:.0f} rows/s), added {len(plan.rows)}, skipped {plan.skipped}")
        db.session.remove()
        db.drop_all()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300, int(sys.argv[2]) if len(sys.argv) > 2 else 5000)
