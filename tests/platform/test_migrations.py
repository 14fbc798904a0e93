"""The committed migrations build exactly the schema the models describe, on SQLite and PostgreSQL,
and `db upgrade` alone leaves the shipped reference data in place (no demo)."""
import os
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from huishang import create_app
from huishang.config import TestingConfig
from huishang.extensions import db
from huishang.models import BusinessType, Shop, Street

MIGRATIONS = str(Path(__file__).resolve().parents[2] / "migrations")


def _scratch_urls(tmp_path):
    urls = [f"sqlite:///{tmp_path / 'migrations.sqlite'}"]
    pg = os.environ.get("TEST_DATABASE_URL")
    if pg:
        url = make_url(pg.replace("postgresql://", "postgresql+psycopg://", 1)
                       if pg.startswith("postgresql://") else pg)
        scratch = url.set(database=f"{url.database}_migrations")
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch.database}"'))
            conn.execute(text(f'CREATE DATABASE "{scratch.database}"'))
        admin.dispose()
        urls.append(scratch.render_as_string(hide_password=False))
    return urls


class MigrationConfig(TestingConfig):
    pass


@pytest.fixture(params=["sqlite", "postgresql"])
def migrated_app(request, tmp_path):
    urls = {make_url(u).get_backend_name(): u for u in _scratch_urls(tmp_path)}
    if request.param not in urls:
        pytest.skip("PostgreSQL runs when TEST_DATABASE_URL is set")
    app = create_app({**{k: getattr(MigrationConfig, k) for k in dir(MigrationConfig) if k.isupper()},
                      "SQLALCHEMY_DATABASE_URI": urls[request.param]})
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        yield app
        db.session.remove()
        db.engine.dispose()


def test_migrations_match_models(migrated_app):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == [], f"models and migrations differ; run `make migrate m=...`: {diff}"


def test_upgrade_ships_reference_data_without_demo(migrated_app):
    assert db.session.scalar(select(func.count()).select_from(Street)) == 13
    assert db.session.scalar(select(func.count()).select_from(BusinessType)) >= 26
    assert db.session.scalar(select(func.count()).select_from(Shop)) == 0


def test_downgrade_to_base_and_back(migrated_app):
    downgrade(directory=MIGRATIONS, revision="base")
    upgrade(directory=MIGRATIONS)
    assert db.session.scalar(select(func.count()).select_from(Street)) == 13
