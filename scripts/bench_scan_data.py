"""Fill a scratch PostgreSQL database with N shops for scripts/bench_scan.sh.

Usage: DATABASE_URL=postgresql://.../huishang_bench_scan python scripts/bench_scan_data.py N CODES_FILE

Builds the schema from the models (db.create_all), seeds the reference data, then bulk-inserts
entities, shops and their plate codes with COPY. Writes 1,000 shop codes to CODES_FILE.
"""
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))


def main(n: int, codes_file: str) -> None:
    from bench_setup import copy_entities, fresh_schema
    from bench_setup import shop_codes as mint_codes

    from huishang import create_app
    from huishang.extensions import db
    from huishang.models import utcnow

    app = create_app()
    started = time.perf_counter()
    with app.app_context():
        streets, types = fresh_schema()
        rng = random.Random(42)
        now = utcnow()
        shop_codes = mint_codes(n)
        raw = db.engine.raw_connection()
        try:
            cur = raw.cursor()
            copy_entities(cur, n, now)
            columns = ("id, code, entity_id, sign_name, address, street_id, business_type_id, status, "
                       "contact, phone, opening_hours, registered_on, cold_chain, serves_breakfast, "
                       "breakfast_offer, breakfast_hours, latest_outcome, latest_inspected_on, "
                       "rating_count, rating_sum, unresponsive, plate_version, created_at, updated_at")
            with cur.copy(f"COPY shops ({columns}) FROM STDIN") as copy:
                for i, code in enumerate(shop_codes, start=1):
                    outcome = rng.choice([None, "pass", "pass", "partial", "fail"])
                    copy.write_row((i, code, i, f"压测小馆{i}", f"徐汇区漕溪北路{i}号", rng.choice(streets),
                                    rng.choice(types), "open", "张三", "13800000000", "07:00-21:00",
                                    "2024-01-15", False, i % 5 == 0, "生煎、豆浆" if i % 5 == 0 else "",
                                    "06:30-09:30" if i % 5 == 0 else "", outcome,
                                    "2026-03-02" if outcome else None, 0, 0, False, 1, now, now))
            with cur.copy("COPY plate_codes (code, shop_id, issued_at) FROM STDIN") as copy:
                for i, code in enumerate(shop_codes, start=1):
                    copy.write_row((code, i, now))
            for table in ("entities", "shops"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {n})")
            cur.execute("ANALYZE")
            raw.commit()
        finally:
            raw.close()
    with open(codes_file, "w") as fh:
        fh.write("\n".join(rng.sample(shop_codes, 1000)) + "\n")
    print(f"{n} shops in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
