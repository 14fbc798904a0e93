"""Fixtures: an app per test session, a clean database per test, and login helpers.

The suite runs on the embedded SQLite by default and on PostgreSQL when TEST_DATABASE_URL is
set (`make test` runs both). Tests never mock our own database.
"""
import os

import pytest
from sqlalchemy import text

from huishang import create_app
from huishang.config import TestingConfig
from huishang.extensions import db
from huishang.security import issue_token
from huishang.services.reference import seed_reference_data
from tests.browser import browser, desktop, live, phone  # noqa: F401  (browser fixtures for every test)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    upload_dir = tmp_path_factory.mktemp("uploads")
    app = create_app(TestingConfig)
    app.config["UPLOAD_DIR"] = str(upload_dir)
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def _truncate_all():
    tables = [t.name for t in db.metadata.sorted_tables]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture(autouse=True)
def _db(app):
    """Every test starts with only the shipped reference data."""
    with app.app_context():
        _truncate_all()
        seed_reference_data()
        db.session.commit()
        yield db
        db.session.rollback()
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def login_as(client):
    """Log the test client in as `user` through the real login form."""

    def login(user, password="password123"):
        response = client.post("/login", data={"username": user.username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return login


@pytest.fixture
def auth_header():
    """Bearer header for `user`."""

    def header(user):
        return {"Authorization": f"Bearer {issue_token(user)}"}

    return header


def pytest_report_header(config):
    return f"database: {os.environ.get('TEST_DATABASE_URL') or 'sqlite (in memory)'}"
