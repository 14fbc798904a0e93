"""Open data: public fields only, in the API and in the bulk zip; pagination and updated_since."""

import csv
import io
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import update

from huishang import create_app
from huishang.config import TestingConfig
from huishang.extensions import db, limiter
from huishang.models import Inspection, Penalty, Shop, today, utcnow
from huishang.services.integration import opendata
from tests.factories import make_shop

PHONE, CONTACT, NOTE, PENALTY_NOTE = "13911112222", "王五", "后厨有老鼠痕迹", "内部意见：从重处罚"
FORBIDDEN_KEYS = {
    "phone",
    "phone_number",
    "contact",
    "credit_class",
    "internal_note",
    "note",
    "inspector",
    "inspector_id",
    "co_inspector_id",
    "complainant",
    "uscc",
    "entity_name",
    "staff",
}


@pytest.fixture
def data():
    shop = make_shop(phone=PHONE, contact=CONTACT, serves_breakfast=True)
    shop.credit_class = "D"
    other = make_shop()
    db.session.add(
        Inspection(
            shop_id=shop.id, inspected_on=today(), outcome="partial", note=NOTE, full=True, source="app"
        )
    )
    db.session.add(
        Penalty(
            shop_id=shop.id,
            decision_no="P-1",
            decided_on=today(),
            violation="违规",
            publicity_ends_on=today() + timedelta(days=90),
            internal_note=PENALTY_NOTE,
        )
    )
    db.session.commit()
    return shop, other


def _assert_public(text: str):
    for secret in (PHONE, CONTACT, NOTE, PENALTY_NOTE, "违规"):
        assert secret not in text


def test_businesses_api_public_fields_only(client, data):
    shop, other = data
    r = client.get("/api/v1/public/open/businesses")
    assert r.status_code == 200
    body = r.get_json()
    assert body["total"] == 2 and {i["business_id"] for i in body["items"]} == {shop.code, other.code}
    for item in body["items"]:
        assert not FORBIDDEN_KEYS & set(item)
    _assert_public(r.get_data(as_text=True))
    assert '"D"' not in r.get_data(as_text=True)


def test_inspections_api_no_inspectors_or_notes(client, data):
    shop, _ = data
    r = client.get("/api/v1/public/open/inspections")
    item = r.get_json()["items"][0]
    assert item["business_id"] == shop.code and item["outcome"] == "partial" and item["grade"] == "一般"
    assert item["date"] == today().isoformat() and item["type"] == "routine"
    assert not FORBIDDEN_KEYS & set(item)
    _assert_public(r.get_data(as_text=True))


def test_pagination_and_updated_since(client, data):
    shop, other = data
    db.session.execute(update(Shop).where(Shop.id == shop.id).values(updated_at=utcnow() - timedelta(days=3)))
    db.session.commit()
    since = (utcnow() - timedelta(days=1)).isoformat()
    r = client.get(f"/api/v1/public/open/businesses?updated_since={since}")
    assert [i["business_id"] for i in r.get_json()["items"]] == [other.code]
    r = client.get(f"/api/v1/public/open/businesses?updated_since={since}Z")
    assert [i["business_id"] for i in r.get_json()["items"]] == [other.code]
    page1 = client.get("/api/v1/public/open/businesses?per_page=1").get_json()
    page2 = client.get("/api/v1/public/open/businesses?per_page=1&page=2").get_json()
    assert page1["next_page"] == 2 and page2["next_page"] is None
    assert page1["items"][0]["business_id"] != page2["items"][0]["business_id"]
    r = client.get("/api/v1/public/open/businesses?per_page=501")
    assert r.status_code == 422 and "per_page" in r.get_json()["errors"]
    r = client.get("/api/v1/public/open/inspections?updated_since=yesterday")
    assert r.status_code == 422 and "updated_since" in r.get_json()["errors"]


class ThrottledConfig(TestingConfig):
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"


def test_open_api_is_rate_limited(app):
    """A second app with rate limits on; the limiter is one object per process, so it is put
    back to the session app's settings afterwards."""
    throttled = create_app(ThrottledConfig)
    try:
        with throttled.app_context():
            db.create_all()  # an in-memory SQLite database is per engine
            client = throttled.test_client()
            codes = [client.get("/api/v1/public/open/businesses").status_code for _ in range(61)]
            db.session.remove()
    finally:
        limiter.init_app(app)
    assert codes[:60] == [200] * 60 and codes[60] == 429


def test_export_zip_public_fields_only(runner, app, data, tmp_path):
    shop, other = data
    result = runner.invoke(args=["opendata", "export", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    latest = tmp_path / "latest.zip"
    assert latest.is_file() and (tmp_path / f"huishang-open-data-{today():%Y%m%d}.zip").is_file()
    with zipfile.ZipFile(latest) as archive:
        assert set(archive.namelist()) == {
            "businesses.csv",
            "inspections.csv",
            "results.csv",
            "feed_info.csv",
            "penalties.csv",  # summaries while publicity runs (SAMR Order 45): none published here
            "draw_results.csv",  # draw results once the window closed: none here
        }
        readers = {name: csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig")))
                   for name in archive.namelist()}
        tables = {name: list(reader) for name, reader in readers.items()}
        everything = "".join(archive.read(n).decode("utf-8-sig") for n in archive.namelist())
    _assert_public(everything)
    for name, reader in readers.items():
        assert not FORBIDDEN_KEYS & set(reader.fieldnames), name
    assert tables["penalties.csv"] == [] and tables["draw_results.csv"] == []
    assert {r["business_id"] for r in tables["businesses.csv"]} == {shop.code, other.code}
    assert [(r["business_id"], r["outcome"]) for r in tables["inspections.csv"]] == [(shop.code, "partial")]
    assert {r["outcome"] for r in tables["results.csv"]} == {"pass", "partial", "fail"}
    assert tables["feed_info.csv"][0]["feed_date"] == f"{today():%Y%m%d}"


def test_latest_zip_served_and_page(client, app, data, tmp_path):
    app.config["OPENDATA_DIR"] = str(tmp_path)
    try:
        assert client.get("/open-data/latest.zip").status_code == 404
        assert "尚未生成" in client.get("/open-data").get_data(as_text=True)
        opendata.export(tmp_path)
        r = client.get("/open-data/latest.zip")
        payload = r.data
        r.close()
        assert r.status_code == 200 and r.mimetype == "application/zip"
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            assert "businesses.csv" in archive.namelist()
        assert "businesses.csv" in client.get("/open-data").get_data(as_text=True)
    finally:
        app.config["OPENDATA_DIR"] = str(tmp_path / "unused")


def test_timestamps_carry_utc_offset_and_odd_since_is_not_an_error(client, data):
    item = client.get("/api/v1/public/open/businesses").get_json()["items"][0]
    assert item["updated_at"].endswith("+00:00")
    for since in ("0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "2025-01-01T08:00:00+08:00"):
        r = client.get("/api/v1/public/open/inspections", query_string={"updated_since": since})
        assert r.status_code in (200, 422)  # out-of-calendar instants are refused, never a 500
    r = client.get(
        "/api/v1/public/open/inspections", query_string={"updated_since": "2025-01-01T08:00:00+08:00"}
    )
    assert r.status_code == 200 and r.get_json()["total"] == 1
