"""When the database is unreachable the app answers 503 (JSON under /api/, a page elsewhere)
with Retry-After, and /healthz says so — never a 500 or a hung request. The restart drill under
load is scripts/fault_db_restart.sh (figures in docs/benchmarks/load.md)."""
import logging

import pytest

from huishang import create_app
from huishang.config import TestingConfig
from huishang.services.registry import codes

CODE = codes.mint()  # genuine, so the lookup reaches the database


class DatabaseDownConfig(TestingConfig):
    # Nothing listens on port 1 of the loopback: connections are refused at once.
    SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://postgres@127.0.0.1:1/huishang_down"
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "connect_args": {"connect_timeout": 2}}


@pytest.fixture
def down_client():
    app = create_app(DatabaseDownConfig)
    return app.test_client()


def test_healthz_is_503_json(down_client):
    r = down_client.get("/healthz")
    assert r.status_code == 503
    assert r.get_json()["status"] == "error" and r.get_json()["database"] == "down"


def test_api_answers_503_json_with_retry_after(down_client, caplog):
    caplog.set_level(logging.WARNING)
    r = down_client.get(f"/api/v1/public/shops/{CODE}")
    assert r.status_code == 503
    assert r.get_json()["code"] == 503 and r.headers["Retry-After"] == "5"
    assert "database unavailable" in caplog.text
    r = down_client.post("/api/v1/auth/token", json={"username": "someone", "password": "whatever-1"})
    assert r.status_code == 503 and r.get_json()["code"] == 503


def test_pages_answer_503(down_client):
    r = down_client.get(f"/s/{CODE}")
    assert r.status_code == 503 and r.mimetype == "text/html"
    assert r.headers["Retry-After"] == "5"
    r = down_client.post("/login", data={"username": "someone", "password": "whatever-1"})
    assert r.status_code == 503


def test_number_too_large_for_the_database_is_422_not_500():
    """Found by fuzzing (POST /api/v1/notifications/read with a huge id on SQLite): the driver's
    overflow is bad input. Exercised through throwaway routes raising what the drivers raise
    (SQLite: OverflowError; PostgreSQL: DataError), so it does not depend on any feature."""
    from sqlalchemy.exc import DataError

    probe = create_app(TestingConfig)

    @probe.get("/api/v1/_probe/sqlite")
    def sqlite_overflow():
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    @probe.get("/api/v1/_probe/postgres")
    def postgres_overflow():
        raise DataError("SELECT 1", {}, Exception("integer out of range"))

    @probe.get("/_probe/page")
    def page_overflow():
        raise OverflowError("too large")

    client = probe.test_client()
    for path in ("/api/v1/_probe/sqlite", "/api/v1/_probe/postgres"):
        r = client.get(path)
        assert r.status_code == 422 and r.get_json()["code"] == 422, path
    r = client.get("/_probe/page")
    assert r.status_code == 422 and r.mimetype == "text/html"
