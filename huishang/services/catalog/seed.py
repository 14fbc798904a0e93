"""Shipped reference data: the 13 streets and the business-type catalogue.

Each seed is idempotent: it adds what is missing and never overwrites a regulator's
edits. It runs from the data migration, so that after `flask db upgrade` the catalogue is present.
"""
import json
from pathlib import Path

from sqlalchemy import select

from huishang.extensions import db
from huishang.models import BusinessType, Street

CATALOG_DIR = Path(__file__).resolve().parents[2] / "catalog"


def load_json(name: str):
    return json.loads((CATALOG_DIR / name).read_text(encoding="utf-8"))


def seed_streets(session=None) -> int:
    session = session or db.session
    existing = set(session.scalars(select(Street.name)))
    added = 0
    for position, row in enumerate(load_json("streets.json")):
        if row["name"] not in existing:
            session.add(Street(name=row["name"], code=row["code"], position=position))
            added += 1
    session.flush()
    return added


def seed_business_types(session=None) -> int:
    session = session or db.session
    by_code = {bt.code: bt for bt in session.scalars(select(BusinessType))}
    added = 0
    for fpos, family in enumerate(load_json("business_types.json")["families"]):
        parent = by_code.get(family["code"])
        if parent is None:
            parent = BusinessType(code=family["code"], name=family["name"], name_en=family["name_en"],
                                  family=family["code"], is_food=family["is_food"], position=fpos * 100)
            session.add(parent)
            added += 1
        for tpos, row in enumerate(family["types"]):
            if row["code"] in by_code:
                continue
            session.add(BusinessType(
                code=row["code"], name=row["name"], name_en=row.get("name_en", ""), parent=parent,
                family=family["code"], is_food=family["is_food"], static_risk=row["static_risk"],
                colour=row.get("colour"), position=fpos * 100 + tpos + 1,
            ))
            added += 1
    session.flush()
    return added
