"""Benchmark the dashboard feature on PostgreSQL: breakfast search, dashboard figures, open-data
export and the integration changes feed.

Usage:
  createdb -h 127.0.0.1 -U postgres huishang_bench_dashboard
  DATABASE_URL=postgresql://postgres@127.0.0.1:5432/huishang_bench_dashboard \
      .venv/bin/python scripts/bench_dashboard.py [SHOPS] [INSPECTIONS]

Builds the schema from the models (drop_all/create_all: use a scratch database), bulk-loads
SHOPS shops (default 30,000; one in five serves breakfast) spread over the district, INSPECTIONS
inspections over the last year (default 100,000), complaints and licences with COPY, then times
each operation and prints median / 95th percentile in milliseconds.
"""
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))


def load(n_shops: int, n_inspections: int) -> None:
    from bench_setup import copy_entities, fresh_schema, reset_sequences, shop_codes

    from huishang.extensions import db
    from huishang.models import utcnow

    streets, types = fresh_schema()
    rng, now, today = random.Random(7), utcnow(), date.today()
    minted = shop_codes(n_shops)
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        copy_entities(cur, n_shops, now)
        columns = ("id, code, entity_id, sign_name, address, street_id, business_type_id, lat, lng, status, "
                   "contact, phone, opening_hours, registered_on, cold_chain, serves_breakfast, "
                   "breakfast_spend, breakfast_wait, breakfast_offer, breakfast_hours, latest_outcome, "
                   "static_tier, dynamic_grade, rating_count, rating_sum, unresponsive, plate_version, "
                   "created_at, updated_at")
        with cur.copy(f"COPY shops ({columns}) FROM STDIN") as copy:
            for i, code in enumerate(minted, start=1):
                breakfast = i % 5 == 0
                copy.write_row((i, code, i, f"压测小馆{i}", f"徐汇区漕溪北路{i}号", rng.choice(streets),
                                rng.choice(types), rng.uniform(31.12, 31.23), rng.uniform(121.40, 121.48),
                                "open" if i % 50 else "closed", "张三", "13800000000", "07:00-21:00",
                                "2024-01-15", False, breakfast, 10 if breakfast else None,
                                5 if breakfast else None, "生煎、豆浆" if breakfast else "",
                                "06:30-09:30" if breakfast else "", rng.choice(["pass", "partial", "fail"]),
                                rng.choice("高中低"), rng.choice(["良好", "一般", "较差"]), 0, 0, False, 1,
                                now - timedelta(minutes=rng.randint(0, 500000)), now))
        with cur.copy("COPY inspections (shop_id, inspected_on, outcome, \"full\", source, note, created_at) "
                      "FROM STDIN") as copy:
            for _ in range(n_inspections):
                day = today - timedelta(days=rng.randint(0, 365))
                copy.write_row((rng.randint(1, n_shops), day, rng.choice(["pass", "partial", "fail"]),
                                True, "import", "", now - timedelta(days=(today - day).days)))
        with cur.copy("COPY complaints (ticket, tracking_key_hash, shop_id, kind, category, description, "
                      "status, substantiated, created_at, updated_at, submitted_on, forwarded_on, "
                      "answered_at, escalated, reopen_count, supporters) FROM STDIN") as copy:
            for i in range(n_shops // 6):
                day = today - timedelta(days=rng.randint(0, 120))
                copy.write_row((f"B{i:08d}", "x", rng.randint(1, n_shops), "complaint",
                                rng.choice(["food_safety", "price", "service", "hygiene"]), "压测", "forwarded",
                                False, now - timedelta(days=(today - day).days), now, day,
                                day + timedelta(days=1), now if i % 2 else None, False, 0, 0))
        with cur.copy("COPY licences (shop_id, kind, number, expires_on, created_at, updated_at) FROM STDIN") as copy:
            for i in range(1, n_shops + 1):
                copy.write_row((i, "food_business", f"JY{i:010d}", today + timedelta(days=rng.randint(-30, 900)),
                                now, now))
        raw.commit()
    finally:
        raw.close()
    tables = ("entities", "shops", "inspections", "complaints", "licences")
    reset_sequences(tables)
    for table in tables:
        db.session.execute(db.text(f"ANALYZE {table}"))
    db.session.commit()


def timed(label: str, fn, runs: int) -> None:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    print(f"{label:<52} median {statistics.median(samples):8.1f} ms   p95 {p95:8.1f} ms   ({runs} runs)")


def main(n_shops: int, n_inspections: int) -> None:
    from huishang import create_app
    from huishang.extensions import db
    from huishang.services import dashboard
    from huishang.services.accounts import create_user
    from huishang.services.integration import apikeys, opendata

    app = create_app({"RATELIMIT_ENABLED": False})
    with app.app_context():
        started = time.perf_counter()
        load(n_shops, n_inspections)
        print(f"loaded {n_shops} shops, {n_inspections} inspections in {time.perf_counter() - started:.1f} s")
        regulator = create_user("bench_regulator", "regulator", "password123")
        street_reg = create_user("bench_street", "regulator", "password123", streets=["徐家汇街道"])
        _, key = apikeys.create_key("bench", ["registry:read"])
        db.session.commit()
        client, rng = app.test_client(), random.Random(1)

        def breakfast(limit):
            def call():
                lat, lng = rng.uniform(31.13, 31.22), rng.uniform(121.41, 121.47)
                response = client.get(f"/api/v1/public/breakfast?lat={lat}&lng={lng}&limit={limit}")
                assert response.status_code == 200 and response.get_json()["items"]
            return call

        timed("GET /api/v1/public/breakfast limit=20", breakfast(20), 200)
        timed("GET /api/v1/public/breakfast limit=100", breakfast(100), 100)
        timed("dashboard.compute (district-wide regulator)", lambda: dashboard.compute(regulator), 10)
        timed("dashboard.compute (one-street regulator)", lambda: dashboard.compute(street_reg), 10)
        timed("GET /api/v1/public/open/businesses per_page=500",
              lambda: client.get("/api/v1/public/open/businesses?per_page=500&page=20"), 20)

        def feed():
            page = client.get("/api/v1/integration/changes?since=2000-01-01T00:00:00&limit=500",
                              headers={"X-Api-Key": key}).get_json()
            pages = 1
            while page["has_more"]:
                page = client.get(f"/api/v1/integration/changes?cursor={page['next_cursor']}&limit=500",
                                  headers={"X-Api-Key": key}).get_json()
                pages += 1
            print(f"  changes feed: {pages} pages of 500")

        timed("changes feed, whole registry + inspections", feed, 1)
        with tempfile.TemporaryDirectory() as out:
            timed("opendata export (zip of CSV)", lambda: opendata.export(out), 2)
            size = os.path.getsize(os.path.join(out, "latest.zip"))
            print(f"  latest.zip: {size / 1e6:.1f} MB")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*(args + [30000, 100000][len(args):]))
