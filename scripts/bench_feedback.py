"""Benchmark the feedback feature on PostgreSQL: the complaint desk queue, the overdue sweep,
the public review summary, duplicate suggestions, and submitting a review or a complaint.

Usage:
  createdb -h 127.0.0.1 -U postgres huishang_bench_feedback
  DATABASE_URL=postgresql://postgres@127.0.0.1:5432/huishang_bench_feedback \
      .venv/bin/python scripts/bench_feedback.py [SHOPS] [COMPLAINTS] [REVIEWS]

Builds the schema from the models (drop_all/create_all: use a scratch database), bulk-loads
SHOPS shops (default 10,000), COMPLAINTS complaints over the last year (default 50,000, a fifth
of them open) and REVIEWS reviews (default 200,000) with COPY, then times each operation and
prints median / 95th percentile in milliseconds. Writes are rolled back after each run.
"""

import os
import random
import statistics
import sys
import time
from datetime import date, timedelta

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

STATUSES_OPEN = ("submitted", "accepted", "forwarded", "answered", "reopened")
STATUSES_CLOSED = ("resolved", "closed_unresolved", "rejected", "duplicate", "not_our_jurisdiction")
CATEGORIES = ("food_safety", "price", "measurement", "service", "hygiene", "false_advertising", "other")


def load(n_shops: int, n_complaints: int, n_reviews: int) -> None:
    from bench_setup import copy_entities, fresh_schema, reset_sequences, shop_codes
    from sqlalchemy import text

    from huishang.extensions import db
    from huishang.models import utcnow

    streets, types = fresh_schema()
    rng, now, today = random.Random(11), utcnow(), date.today()
    minted = shop_codes(n_shops)
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        copy_entities(cur, n_shops, now)
        columns = (
            "id, code, entity_id, sign_name, address, street_id, business_type_id, status, contact, "
            "phone, opening_hours, registered_on, cold_chain, serves_breakfast, breakfast_offer, "
            "breakfast_hours, rating_count, rating_sum, unresponsive, plate_version, created_at, updated_at"
        )
        with cur.copy(f"COPY shops ({columns}) FROM STDIN") as copy:
            for i, code in enumerate(minted, start=1):
                copy.write_row(
                    (
                        i,
                        code,
                        i,
                        f"压测小馆{i}",
                        f"徐汇区漕溪北路{i}号",
                        rng.choice(streets),
                        rng.choice(types),
                        "open",
                        "张三",
                        "13800000000",
                        "07:00-21:00",
                        "2024-01-15",
                        False,
                        False,
                        "",
                        "",
                        0,
                        0,
                        False,
                        1,
                        now,
                        now,
                    )
                )
        columns = (
            "id, ticket, tracking_key_hash, shop_id, kind, category, description, phone, client_hash, "
            "ip_hash, status, substantiated, created_at, updated_at, submitted_on, due_on, legal_due_on, "
            "escalated, reopen_count, supporters, forwarded_on, merchant_due_on, closed_on"
        )
        with cur.copy(f"COPY complaints ({columns}) FROM STDIN") as copy:
            for i in range(1, n_complaints + 1):
                on = today - timedelta(days=rng.randint(0, 365))
                is_open = rng.random() < 0.2
                status = rng.choice(STATUSES_OPEN if is_open else STATUSES_CLOSED)
                due = on + timedelta(days=rng.randint(1, 20)) if is_open else None
                forwarded = on + timedelta(days=1) if status in ("forwarded", "answered") else None
                copy.write_row(
                    (
                        i,
                        f"TS{on:%Y%m%d}-{i:06d}",
                        "0" * 64,
                        rng.randint(1, n_shops),
                        "complaint",
                        rng.choice(CATEGORIES),
                        "压测投诉内容，菜品有异味。" * 3,
                        "13912345678",
                        "c" * 64,
                        "i" * 64,
                        status,
                        False,
                        now,
                        now,
                        on,
                        due,
                        due,
                        status == "forwarded" and rng.random() < 0.5,
                        0,
                        0,
                        forwarded,
                        forwarded + timedelta(days=5) if forwarded else None,
                        None if is_open else on + timedelta(days=3),
                    )
                )
        columns = "id, shop_id, stars, text, tags, client_hash, ip_hash, status, flagged, created_at"
        with cur.copy(f"COPY reviews ({columns}) FROM STDIN") as copy:
            for i in range(1, n_reviews + 1):
                copy.write_row(
                    (
                        i,
                        rng.randint(1, n_shops),
                        rng.randint(1, 5),
                        "味道不错，服务热情",
                        "clean,tasty",
                        f"{rng.getrandbits(128):032x}",
                        f"{rng.getrandbits(64):016x}",
                        "visible" if i % 100 else "held",
                        "",
                        now - timedelta(days=rng.randint(0, 365)),
                    )
                )
        raw.commit()
    finally:
        raw.close()
    reset_sequences(("entities", "shops", "complaints", "reviews"))
    db.session.execute(
        text(
            "UPDATE shops SET rating_count = r.n, rating_sum = r.s FROM (SELECT shop_id, "
            "count(*) n, sum(stars) s FROM reviews WHERE status = 'visible' GROUP BY shop_id) r "
            "WHERE r.shop_id = shops.id"
        )
    )
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()


def timed(label: str, fn, runs: int = 30) -> None:
    from huishang.extensions import db

    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
        db.session.rollback()
    samples.sort()
    p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
    print(f"{label:<58} median {statistics.median(samples):7.2f} ms   p95 {p95:7.2f} ms")


def main() -> None:
    defaults = (10000, 50000, 200000)
    args = sys.argv[1:]
    n_shops, n_complaints, n_reviews = (int(args[i]) if i < len(args) else defaults[i] for i in range(3))
    from sqlalchemy import func, select

    from huishang import create_app
    from huishang.extensions import db
    from huishang.models import Shop, Street, User, today
    from huishang.services.accounts import create_user
    from huishang.services.feedback import complaints, reviews

    app = create_app()
    with app.app_context():
        started = time.perf_counter()
        load(n_shops, n_complaints, n_reviews)
        print(
            f"loaded {n_shops} shops, {n_complaints} complaints, {n_reviews} reviews "
            f"in {time.perf_counter() - started:.1f} s"
        )
        district = create_user("bench_regulator", "regulator", "bench-password")
        street = db.session.scalar(select(Street).where(Street.name == "徐家汇街道"))
        scoped = create_user("bench_street", "regulator", "bench-password", streets=[street.name])
        db.session.commit()
        rng = random.Random(5)
        shop_ids = db.session.scalars(select(Shop.id)).all()

        def desk_page(user, **filters):
            def run():
                query = complaints.desk_query(user, **filters)
                db.session.scalar(select(func.count()).select_from(query.subquery()))
                db.session.scalars(query.limit(30)).all()

            return run

        def desk_counts(user):
            return lambda: complaints.desk_counts(user)

        timed("desk: first page + total, district-wide, open", desk_page(district, status="open"))
        timed("desk: first page + total, one street, overdue", desk_page(scoped, due="overdue"))
        timed("desk: the five counters (district-wide)", desk_counts(district))
        started = time.perf_counter()
        escalated = complaints.sweep_overdue(today())
        db.session.commit()
        print(f"{'sweep_overdue, first run (escalates the backlog)':<58} {escalated} escalated in "
              f"{(time.perf_counter() - started) * 1000:.0f} ms")
        timed("sweep_overdue (steady state, nothing new)", lambda: complaints.sweep_overdue(today()))

        def review_summary():
            reviews.summary(db.session.get(Shop, rng.choice(shop_ids)))

        timed("public: rating summary + 5 recent reviews", review_summary, 100)

        def similar():
            complaints.open_similar(db.session.get(Shop, rng.choice(shop_ids)), "food_safety")

        timed("public: open complaints of a category (me too)", similar, 100)

        def submit_review():
            shop = db.session.get(Shop, rng.choice(shop_ids))
            reviews.submit(
                shop,
                {"stars": 4, "text": "不错", "tags": ["clean"]},
                client_hash=f"{rng.getrandbits(128):032x}",
                ip_hash=f"{rng.getrandbits(64):016x}",
                known_client=False,
            )

        timed("submit a review (30-day check, recount, audit), rolled back", submit_review, 100)

        def submit_complaint():
            shop = db.session.get(Shop, rng.choice(shop_ids))
            complaints.submit(
                shop,
                {"category": "price", "description": "标价与结账不符，多收十元"},
                client_hash="c",
                ip_hash="i",
            )

        timed("submit a complaint (ticket, working days, audit), rolled back", submit_complaint, 100)
        db.session.query(User).filter(User.username.like("bench_%")).delete()
        db.session.commit()


if __name__ == "__main__":
    main()
