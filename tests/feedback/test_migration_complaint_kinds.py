"""The complaints migration (5c0f3e9a7d21) on rows that existed before it: a 投诉 without a phone
that was never forwarded becomes a 举报; the forward note is the merchant's, non-public events are
internal; the first acceptance dates the mediation clock (SQLite; the schema itself is checked on
both databases by tests/platform/test_migrations.py)."""
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import text

from huishang import create_app
from huishang.config import TestingConfig
from huishang.extensions import db

MIGRATIONS = str(Path(__file__).resolve().parents[2] / "migrations")


def test_existing_complaints_get_a_kind_and_their_notes_an_audience(tmp_path):
    app = create_app({**{k: getattr(TestingConfig, k) for k in dir(TestingConfig) if k.isupper()},
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite'}"})
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="c3d5e7a9b1f2")
        with db.engine.begin() as conn:
            conn.execute(text("PRAGMA foreign_keys=OFF"))
            rows = [(1, "TS1", "complaint", "13800138000", None), (2, "TS2", "complaint", None, None),
                    (3, "TS3", "complaint", None, "2026-11-20"), (4, "TS4", "report", "13800138000", None)]
            for id_, ticket, kind, phone, forwarded in rows:
                conn.execute(text(
                    "INSERT INTO complaints (id, ticket, tracking_key_hash, shop_id, kind, category, description, "
                    "phone, status, substantiated, escalated, reopen_count, supporters, forwarded_on, created_at, "
                    "updated_at) VALUES (:id, :t, 'h', 1, :k, 'price', '标价不符', :p, 'submitted', 0, 0, 0, 0, :f, "
                    "'2026-11-18 02:00:00', '2026-11-18 02:00:00')"),
                    {"id": id_, "t": ticket, "k": kind, "p": phone, "f": forwarded})
            for id_, action, public in ((1, "accept", 1), (2, "forward", 1), (3, "assign", 0), (4, "resolve", 1)):
                conn.execute(text(
                    "INSERT INTO complaint_events (id, complaint_id, at, action, actor_role, to_status, note, public) "
                    "VALUES (:id, 3, '2026-11-19 03:00:00', :a, 'regulator', 'accepted', '说明', :p)"),
                    {"id": id_, "a": action, "p": public})
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as conn:
            kinds = dict(conn.execute(text("SELECT ticket, kind FROM complaints")).all())
            audiences = dict(conn.execute(text("SELECT action, audience FROM complaint_events")).all())
            accepted = conn.execute(text("SELECT accepted_on FROM complaints WHERE id = 3")).scalar()
        db.engine.dispose()
    assert kinds == {"TS1": "complaint", "TS2": "report", "TS3": "complaint", "TS4": "report"}
    assert audiences == {"accept": "citizen", "forward": "merchant", "assign": "internal", "resolve": "citizen"}
    assert str(accepted) == "2026-11-19"
