"""Benchmark `flask reminders send` (licence and health-certificate expiry reminders).

Usage:
  createdb -h 127.0.0.1 -U postgres huishang_bench_merchant
  DATABASE_URL=postgresql://postgres@127.0.0.1:5432/huishang_bench_merchant \
      .venv/bin/python scripts/bench_reminders.py [SHOPS]

Builds the schema from the models (drop_all/create_all: use a scratch database), bulk-loads SHOPS
shops (default 30,000), each with one merchant, one licence and three staff whose expiry dates
are spread over the next 400 days, then times one daily run (cold: the day the first reminders
fall due) and a repeated run the same day (everything already sent). Without DATABASE_URL it runs
on a temporary SQLite file.
"""
import os
import random
import sys
import tempfile
import time
from datetime import date, timedelta

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))


def load(n_shops: int, today: date) -> None:
    from sqlalchemy import insert, select

    from huishang.extensions import db
    from huishang.models import BusinessType, Entity, Licence, Shop, Staff, Street, User
    from huishang.models.users import user_shops
    from huishang.services.registry import codes

    rng = random.Random(7)
    street_id = db.session.scalar(select(Street.id))
    bt_id = db.session.scalar(select(BusinessType.id).where(BusinessType.code == "catering.fast_food"))
    db.session.execute(insert(Entity), [{"id": i, "uscc": f"91310104{i:010d}", "name": f"主体{i}"}
                                        for i in range(1, n_shops + 1)])
    db.session.execute(insert(Shop), [{
        "id": i, "code": f"{codes.mint()[:-1]}{i % 10}", "entity_id": i, "sign_name": f"店{i}",
        "address": f"路{i}号", "street_id": street_id, "business_type_id": bt_id, "status": "open",
        "registered_on": date(2024, 1, 1)} for i in range(1, n_shops + 1)])
    db.session.execute(insert(User), [{"id": i, "username": f"m{i}", "password_hash": "x", "role": "merchant",
                                       "token_version": 1} for i in range(1, n_shops + 1)])
    db.session.execute(insert(user_shops), [{"user_id": i, "shop_id": i} for i in range(1, n_shops + 1)])
    db.session.execute(insert(Licence), [{"shop_id": i, "kind": "food_business", "number": f"JY{i}",
                                          "expires_on": today + timedelta(days=rng.randint(-40, 400))}
                                         for i in range(1, n_shops + 1)])
    db.session.execute(insert(Staff), [{"shop_id": i, "name": f"员工{i}-{k}", "health_cert_no": f"HC{i}{k}",
                                        "health_cert_expires": today + timedelta(days=rng.randint(-40, 400)),
                                        "vaccine_doses": 2, "vaccine_dates": []}
                                       for i in range(1, n_shops + 1) for k in range(3)])
    db.session.commit()


def main() -> None:
    n_shops = int(sys.argv[1]) if len(sys.argv) > 1 else 30_000
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    from huishang import create_app
    from huishang.extensions import db
    from huishang.services.merchant import send_reminders
    from huishang.services.reference import seed_reference_data

    app = create_app({"NOTIFY_SENDER": "huishang.services.core.notifications.log_sender"})
    today = date(2026, 6, 1)
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed_reference_data()
        db.session.commit()
        started = time.perf_counter()
        load(n_shops, today)
        print(f"loaded {n_shops} shops, {n_shops} licences, {3 * n_shops} staff "
              f"in {time.perf_counter() - started:.1f}s ({db.engine.dialect.name})")
        for label in ("first run", "same day again"):
            started = time.perf_counter()
            sent = send_reminders(today)
            db.session.commit()
            print(f"{label}: {time.perf_counter() - started:.2f}s, sent {sent}")
        started = time.perf_counter()
        sent = send_reminders(today + timedelta(days=1))
        db.session.commit()
        print(f"next day: {time.perf_counter() - started:.2f}s, sent {sent}")
        db.drop_all()


if __name__ == "__main__":
    main()
