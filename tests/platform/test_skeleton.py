from sqlalchemy import func, select

from huishang.extensions import db
from huishang.models import BusinessType, Street


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.get_json()["status"] == "ok"


def test_reference_data_seeded():
    assert db.session.scalar(select(func.count()).select_from(Street)) == 13
    names = set(db.session.scalars(select(BusinessType.name)))
    assert {"正餐", "学校食堂", "进口冷链食品经营", "其他零售"} <= names


def test_fresh_clone_gets_an_instance_folder(tmp_path, monkeypatch):
    """`make run` on a fresh clone: the embedded database's folder is created by the app."""
    from huishang import config as config_module
    from huishang import create_app
    from huishang.config import TestingConfig

    target = tmp_path / "clone" / "instance"
    monkeypatch.setattr(config_module, "INSTANCE_DIR", target)
    create_app(TestingConfig)
    assert target.is_dir()
