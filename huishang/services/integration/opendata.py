"""开放数据 — the public open-data feed: businesses and inspection results, public fields only.

The same column lists serve the paginated API and the daily bulk export (a zip of CSV files in
the spirit of Yelp's LIVES format: businesses.csv, inspections.csv, results.csv (the legend of
outcomes) and feed_info.csv), with penalties.csv — the summary of each penalty while its publicity
runs (SAMR Order 45 Art. 4, 13; never a warning, Art. 2) — and draw_results.csv — the results of
random draws once their inspection window has closed (双随机、一公开, 国办发〔2015〕58号). Never
published: credit class, unpublished penalties and every penalty's notes, contacts and phones,
complainants, staff, inspectors' names, inspection notes, draws before their window closes.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from huishang.extensions import db
from huishang.models import BusinessType, Inspection, Shop, Street, today
from huishang.models.inspections import OUTCOME_FACES, OUTCOME_LABELS
from huishang.services.core import tabular, to_local
from huishang.services.grading import draws, penalties

FEED_VERSION = "1.0"
DEFAULT_LICENCE = "CC BY 4.0"
LATEST_NAME = "latest.zip"
INSPECTION_TYPES = {True: "routine", False: "followup"}

BUSINESS_COLUMNS = (
    "business_id",
    "name",
    "address",
    "city",
    "district",
    "street",
    "business_type",
    "business_type_code",
    "status",
    "latitude",
    "longitude",
    "opening_hours",
    "serves_breakfast",
    "latest_outcome",
    "latest_inspected_on",
    "updated_at",
)
INSPECTION_COLUMNS = (
    "inspection_id",
    "business_id",
    "date",
    "type",
    "outcome",
    "description",
    "grade",
    "updated_at",
)
RESULT_COLUMNS = ("outcome", "description", "grade", "face")
PENALTY_COLUMNS = ("decision_no", "business_id", "party", "violation", "basis", "content", "authority",
                   "decided_on", "published_on", "publicity_ends_on")
DRAW_COLUMNS = ("draw_id", "title", "drawn_on", "window_ends_on", "business_id", "name", "party",
                "inspected_on", "outcome", "description")
FEED_COLUMNS = ("feed_date", "feed_version", "municipality_name", "municipality_url", "licence")


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def utc_iso(moment: datetime | None) -> str | None:
    """A stored naive-UTC timestamp as RFC 3339 with its offset (`...+00:00`)."""
    return moment.replace(tzinfo=UTC).isoformat() if moment is not None else None


def naive_utc(moment: datetime | None) -> datetime | None:
    """A query timestamp as the naive UTC the columns store: an offset is converted, none means
    UTC. Instants beyond the calendar after conversion are clamped (never a server error)."""
    if moment is None or moment.tzinfo is None:
        return moment
    try:
        return moment.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        return datetime.min if moment.year < 1000 else datetime.max


def business_row(row) -> dict:
    """A shop as open data (public fields only). `row` comes from `businesses_query()`."""
    return {
        "business_id": row.code,
        "name": row.sign_name,
        "address": row.address,
        "city": "上海市",
        "district": current_app.config.get("DISTRICT_NAME", ""),
        "street": row.street,
        "business_type": row.business_type,
        "business_type_code": row.business_type_code,
        "status": row.status,
        "latitude": row.lat,
        "longitude": row.lng,
        "opening_hours": row.opening_hours,
        "serves_breakfast": bool(row.serves_breakfast),
        "latest_outcome": row.latest_outcome,
        "latest_inspected_on": _iso(row.latest_inspected_on),
        "updated_at": utc_iso(row.updated_at),
    }


def inspection_row(row) -> dict:
    """An inspection result as open data: no inspectors, no notes, no answers or photos."""
    return {
        "inspection_id": row.id,
        "business_id": row.code,
        "date": _iso(row.inspected_on),
        "type": INSPECTION_TYPES[bool(row.full)],
        "outcome": row.outcome,
        "description": OUTCOME_LABELS.get(row.outcome, ""),
        "grade": OUTCOME_FACES.get(row.outcome, ("",))[0],
        "updated_at": utc_iso(row.created_at),
    }


def businesses_query(updated_since: datetime | None = None):
    """Only the published columns are selected: what is not read cannot leak."""
    query = (
        select(
            Shop.id,
            Shop.code,
            Shop.sign_name,
            Shop.address,
            Street.name.label("street"),
            BusinessType.name.label("business_type"),
            BusinessType.code.label("business_type_code"),
            Shop.status,
            Shop.lat,
            Shop.lng,
            Shop.opening_hours,
            Shop.serves_breakfast,
            Shop.latest_outcome,
            Shop.latest_inspected_on,
            Shop.updated_at,
        )
        .join(Street, Shop.street_id == Street.id)
        .join(BusinessType, Shop.business_type_id == BusinessType.id)
    )
    if updated_since is not None:
        query = query.where(Shop.updated_at > updated_since)
    return query


def inspections_query(updated_since: datetime | None = None):
    query = select(
        Inspection.id,
        Shop.code,
        Inspection.inspected_on,
        Inspection.full,
        Inspection.outcome,
        Inspection.created_at,
    ).join(Shop, Inspection.shop_id == Shop.id)
    if updated_since is not None:
        query = query.where(Inspection.created_at > updated_since)
    return query


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def page_of_businesses(updated_since, page: int, per_page: int) -> tuple[list[dict], int]:
    query = businesses_query(updated_since)
    rows = db.session.execute(query.order_by(Shop.id).limit(per_page).offset((page - 1) * per_page))
    return [business_row(r) for r in rows], _count(query)


def page_of_inspections(updated_since, page: int, per_page: int) -> tuple[list[dict], int]:
    query = inspections_query(updated_since)
    rows = db.session.execute(query.order_by(Inspection.id).limit(per_page).offset((page - 1) * per_page))
    return [inspection_row(r) for r in rows], _count(query)


def _write_csv(archive: zipfile.ZipFile, name: str, columns, rows) -> int:
    """Stream rows (dicts keyed by `columns`) into a CSV member through the one tabular writer:
    UTF-8 with BOM so that Excel as used in Chinese offices opens it without garbling, formula-safe
    text. A key outside `columns` is a ValueError. Returns the row count."""
    with archive.open(name, "w") as raw:
        return tabular.write_csv(raw, (_values(row, columns) for row in rows), header=columns)


def _values(row: dict, columns) -> list:
    extra = row.keys() - set(columns)
    if extra:
        raise ValueError(f"columns not in the feed: {sorted(extra)}")
    return [row.get(key) for key in columns]


def _all_businesses():
    rows = db.session.execute(businesses_query().order_by(Shop.id).execution_options(yield_per=2000))
    try:
        for row in rows:
            yield business_row(row)
    finally:  # stopped early: close the server-side cursor now, not at garbage collection
        rows.close()


def _all_inspections():
    rows = db.session.execute(inspections_query().order_by(Inspection.id).execution_options(yield_per=5000))
    try:
        for row in rows:
            yield inspection_row(row)
    finally:
        rows.close()


def penalty_rows():
    """Penalty summaries public today (grading.penalties.is_public): gone the day publicity ends."""
    for p in penalties.all_public_penalties():
        yield {"decision_no": p["decision_no"], "business_id": p["shop_code"], "party": p["party"],
               "violation": p["violation"], "basis": p["basis"], "content": p["content"],
               "authority": p["authority"], "decided_on": _iso(p["decided_on"]),
               "published_on": _iso(p["published_on"]), "publicity_ends_on": _iso(p["publicity_ends_on"])}


def draw_rows():
    """Results of the draws public today (grading.draws.is_public), by their public token."""
    for draw in draws.public_draws():
        for t in draws.public_results(draw):
            yield {"draw_id": draw.public_token, "title": draw.title, "drawn_on": _iso(draw.drawn_on),
                   "window_ends_on": _iso(draw.window_ends_on), "business_id": t["shop_code"],
                   "name": t["sign_name"], "party": t["entity_name"], "inspected_on": t["inspected_on"],
                   "outcome": t["outcome"], "description": t["outcome_label"]}


def result_rows():
    for outcome, label in OUTCOME_LABELS.items():
        grade, face = OUTCOME_FACES[outcome]
        yield {"outcome": outcome, "description": label, "grade": grade, "face": face}


def feed_info() -> dict:
    cfg = current_app.config
    return {
        "feed_date": today().strftime("%Y%m%d"),
        "feed_version": FEED_VERSION,
        "municipality_name": f"上海市{cfg.get('DISTRICT_NAME', '')}",
        "municipality_url": cfg.get("PUBLIC_BASE_URL", ""),
        "licence": cfg.get("OPENDATA_LICENCE", DEFAULT_LICENCE),
    }


def build_zip(target) -> dict:
    """Write the bulk feed to `target` (a path or binary file). Returns row counts per file."""
    counts = {}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, columns, rows in (
            ("businesses.csv", BUSINESS_COLUMNS, _all_businesses()),
            ("inspections.csv", INSPECTION_COLUMNS, _all_inspections()),
            ("results.csv", RESULT_COLUMNS, result_rows()),
            ("penalties.csv", PENALTY_COLUMNS, penalty_rows()),
            ("draw_results.csv", DRAW_COLUMNS, draw_rows()),
            ("feed_info.csv", FEED_COLUMNS, [feed_info()]),
        ):
            counts[name] = _write_csv(archive, name, columns, rows)
    return counts


def export(out_dir: str | os.PathLike) -> tuple[Path, dict]:
    """Write `huishang-open-data-YYYYMMDD.zip` into `out_dir` and make it `latest.zip` there
    (atomically: a download never sees half a file). Returns the dated path and row counts."""
    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    dated = directory / f"huishang-open-data-{today():%Y%m%d}.zip"
    handle, tmp = tempfile.mkstemp(dir=directory, suffix=".zip.part")
    try:
        with os.fdopen(handle, "wb") as fh:
            counts = build_zip(fh)
        latest_tmp = directory / (LATEST_NAME + ".part")
        latest_tmp.write_bytes(Path(tmp).read_bytes())
        os.replace(tmp, dated)
        os.replace(latest_tmp, directory / LATEST_NAME)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return dated, counts


def latest_path() -> Path | None:
    path = Path(current_app.config["OPENDATA_DIR"]) / LATEST_NAME
    return path if path.is_file() else None


def latest_info() -> dict | None:
    path = latest_path()
    if path is None:
        return None
    stat = path.stat()
    local = to_local(datetime.fromtimestamp(stat.st_mtime, UTC))
    return {"size": stat.st_size, "modified": local}
