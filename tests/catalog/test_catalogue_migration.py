"""Migration eda80b15fc1e on a database as it stood before it (an existing district): the
epidemic forms are retired, the non-food and pharmacy forms and the fitness and education types
are added, the shipped items get their English text, and downgrade/upgrade round-trips."""
import re
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from huishang import create_app
from huishang.config import TestingConfig
from huishang.extensions import db

MIGRATIONS = str(Path(__file__).resolve().parents[2] / "migrations")
THIS = "eda80b15fc1e"
# the revision before this one, read from the file (the lead re-chains heads when merging)
BEFORE = re.search(r'^down_revision = "(\w+)"', next(Path(MIGRATIONS, "versions").glob(f"{THIS}_*.py"))
                   .read_text(encoding="utf-8"), re.M).group(1)


@pytest.fixture
def scratch(tmp_path):
    config = {k: getattr(TestingConfig, k) for k in dir(TestingConfig) if k.isupper()}
    app = create_app({**config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'catalogue.sqlite'}"})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def rows(sql, **params):
    with db.engine.connect() as conn:
        return conn.execute(text(sql), params).all()


def test_existing_database_gets_epidemic_forms_retired_and_non_food_forms(scratch):
    upgrade(directory=MIGRATIONS, revision=BEFORE)
    # an older district: the epidemic forms in use, no non-food forms, no fitness/education types
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM checklist_items WHERE template_id IN "
                          "(SELECT id FROM checklist_templates WHERE key LIKE 'market.%')"))
        conn.execute(text("DELETE FROM checklist_templates WHERE key LIKE 'market.%'"))
        conn.execute(text("DELETE FROM business_types WHERE code IN ('non_food.fitness', 'non_food.education')"))
    assert rows("SELECT count(*) FROM checklist_templates WHERE topic = 'epidemic' AND current")[0][0] == 6

    upgrade(directory=MIGRATIONS, revision=THIS)
    epidemic = rows("SELECT retired_at FROM checklist_templates WHERE topic = 'epidemic'")
    assert len(epidemic) == 6 and all(r[0] is not None for r in epidemic)
    assert not rows("SELECT key FROM checklist_templates WHERE topic != 'epidemic' AND retired_at IS NOT NULL")
    market = {r[0] for r in rows("SELECT key FROM checklist_templates WHERE topic = 'market'")}
    assert market == {f"market.{f}.{k}" for f in ("general", "prepaid", "pharmacy")
                      for k in ("inspection", "self_check")}
    added = {r[0] for r in rows("SELECT code FROM business_types WHERE code IN "
                                "('non_food.fitness', 'non_food.education')")}
    assert added == {"non_food.fitness", "non_food.education"}
    missing_en = rows("SELECT count(*) FROM checklist_items i JOIN checklist_templates t ON t.id = i.template_id "
                      "WHERE t.topic = 'market' AND i.text_en = ''")
    assert missing_en[0][0] == 0


def test_fresh_database_and_round_trip(scratch):
    upgrade(directory=MIGRATIONS)
    # a fresh database: the seed ran before the columns existed; the migration filled them in
    assert rows("SELECT count(*) FROM checklist_templates WHERE topic = 'epidemic' AND retired_at IS NULL")[0][0] == 0
    assert rows("SELECT count(*) FROM checklist_items i JOIN checklist_templates t ON t.id = i.template_id "
                "WHERE t.key = 'market.pharmacy.inspection' AND i.text_en != ''")[0][0] > 10
    downgrade(directory=MIGRATIONS, revision=BEFORE)
    assert "retired_at" not in {r[1] for r in rows("PRAGMA table_info(checklist_templates)")}
    upgrade(directory=MIGRATIONS)
    assert rows("SELECT count(*) FROM checklist_templates WHERE topic = 'epidemic' AND retired_at IS NULL")[0][0] == 0
