"""Setup shared by the PostgreSQL benchmarks that bulk-load with COPY (bench_dashboard.py,
bench_feedback.py, bench_scan_data.py): a fresh schema with the reference data, shop codes, the entities, and the id
sequences after the load. Call inside an app context."""


def fresh_schema() -> tuple[list[int], list[int]]:
    """Drop and create every table (use a scratch database), seed the reference data; returns the
    street ids and the ids of the business types a shop can have."""
    from sqlalchemy import select

    from huishang.extensions import db
    from huishang.models import BusinessType, Street
    from huishang.services.reference import seed_reference_data

    db.drop_all()
    db.create_all()
    seed_reference_data()
    db.session.commit()
    streets = db.session.scalars(select(Street.id)).all()
    types = db.session.scalars(select(BusinessType.id).where(BusinessType.static_risk.is_not(None))).all()
    return streets, types


def shop_codes(n: int) -> list[str]:
    """`n` distinct public shop codes, sorted."""
    from huishang.services.registry import codes

    minted: set[str] = set()
    while len(minted) < n:
        minted.add(codes.mint())
    return sorted(minted)


def copy_entities(cur, n: int, now) -> None:
    """Entities 1..n (one per shop, same ids) through COPY on a raw psycopg cursor."""
    from huishang.services.registry import uscc

    with cur.copy("COPY entities (id, uscc, name, legal_rep, created_at, updated_at) FROM STDIN") as copy:
        for i in range(1, n + 1):
            copy.write_row((i, uscc.generate(), f"上海压测餐饮有限公司{i}", "", now, now))


def reset_sequences(tables) -> None:
    """Move each table's id sequence past the ids COPY wrote."""
    from sqlalchemy import text

    from huishang.extensions import db

    for table in tables:
        db.session.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608 (fixed table names)
        )
