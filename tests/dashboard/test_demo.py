"""`flask demo`: a believable district, reproducible, harmless to run twice."""
from datetime import timedelta

from sqlalchemy import func, select

from huishang.extensions import db
from huishang.models import AuditEvent, Complex, Licence, Shop, Street, User, today
from huishang.services.demo import district as demo
from huishang.services.reference import seed_reference_data
from huishang.services.registry import codes, uscc
from tests.conftest import _truncate_all


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_demo_loads_a_district_and_a_second_run_adds_nothing(runner, client):
    seen = []
    demo.DEMO_STEPS.append(lambda ctx: seen.append((ctx.fresh, len(ctx.shops), sorted(ctx.users))))
    try:
        result = runner.invoke(args=["demo"])
        assert result.exit_code == 0, result.output
        totals = {m.__name__: count(m) for m in (Shop, User, Complex, Licence, AuditEvent)}
        again = runner.invoke(args=["demo"])
    finally:
        demo.DEMO_STEPS.pop()
    for username, password, *_ in demo.LOGINS:
        assert username in result.output and password in result.output
        assert username in again.output and password in again.output
    # A second run adds nothing; steps are told whether the district was just loaded.
    assert again.exit_code == 0, again.output
    assert {m.__name__: count(m) for m in (Shop, User, Complex, Licence, AuditEvent)} == totals
    assert seen[0][0] is True and seen[1][0] is False and seen[0][1] == totals["Shop"]
    assert seen[0][2] == ["inspector", "merchant", "property", "regulator"]

    shops = db.session.scalars(select(Shop)).all()
    assert len(shops) >= 300
    assert len({s.street_id for s in shops}) == 13 == count(Street)
    assert all(31.13 <= s.lat <= 31.22 and 121.40 <= s.lng <= 121.47 for s in shops)
    assert all(codes.is_genuine(s.code) and uscc.validate(s.entity.uscc) is None for s in shops)
    assert len({s.business_type_id for s in shops}) >= 15
    assert sum(s.serves_breakfast for s in shops) >= 20
    assert all(s.breakfast_offer and s.breakfast_spend for s in shops if s.serves_breakfast)
    assert sum(s.cold_chain for s in shops) >= 10
    assert {s.status for s in shops} == {"open", "suspended", "closed"}
    assert count(Complex) >= 4
    assert all(db.session.scalar(select(func.count()).select_from(Shop).where(Shop.complex_id == cx.id)) >= 3
               for cx in db.session.scalars(select(Complex)))
    soon = db.session.scalar(select(func.count()).select_from(Licence).where(
        Licence.expires_on.between(today(), today() + timedelta(days=30))))
    assert soon >= 5
    assert any(len(s.entity.shops) >= 2 for s in shops)  # chains: one entity, several shops

    users = {u.username: u for u in db.session.scalars(select(User))}
    assert users["regulator"].district_wide
    assert [s.name for s in users["inspector1"].streets] == ["徐家汇街道"] == \
        [s.name for s in users["inspector2"].streets]
    assert len(users["merchant"].shops) == 2
    assert users["property"].complex.name == "港汇恒隆广场"
    for username, password, *_ in demo.LOGINS:
        r = client.post("/login", data={"username": username, "password": password})
        assert r.status_code == 302, (username, r.status_code)
        client.post("/logout")
    r = client.post("/api/v1/auth/token", json={"username": "inspector1", "password": "inspector-demo"})
    items = client.get("/api/v1/shops?per_page=200",
                       headers={"Authorization": f"Bearer {r.get_json()['token']}"}).get_json()
    assert items["total"] >= 40 and {i["street"] for i in items["items"]} == {"徐家汇街道"}


def test_demo_is_reproducible(monkeypatch):
    # A smaller district: determinism does not depend on the size.
    monkeypatch.setattr(demo, "SHOPS_PER_STREET", {name: 2 for name in demo.SHOPS_PER_STREET})
    monkeypatch.setattr(demo, "COMPLEXES", demo.COMPLEXES[:2])
    first = demo.load_demo(echo=lambda line: None)
    snapshot = [(s.code, s.sign_name, s.entity.uscc, s.lat) for s in first.shops]
    db.session.rollback()
    _truncate_all()
    seed_reference_data()
    second = demo.load_demo(echo=lambda line: None)
    assert [(s.code, s.sign_name, s.entity.uscc, s.lat) for s in second.shops] == snapshot
