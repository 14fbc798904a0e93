"""双随机: sampling by credit class, inspector pairs with conflict exclusion, replay from the seed,
public results without the credit class."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from huishang.extensions import db
from huishang.models import AuditEvent, Shop
from huishang.models.base import today as district_today
from huishang.models.grading import DrawTarget, RandomDraw
from huishang.services import DomainError
from huishang.services.grading import draws
from tests.factories import add_inspection, add_penalty, make_inspector, make_merchant, make_regulator, make_shop

TODAY = district_today()


def population(n_a=10, n_c=5, street="徐家汇街道"):
    """`n_a` class-A shops (passed their last full inspection) and `n_c` class-C (failed)."""
    shops = {"A": [], "C": []}
    for klass, count, outcome in (("A", n_a, "pass"), ("C", n_c, "fail")):
        for _ in range(count):
            shop = make_shop(street=street)
            add_inspection(shop, TODAY - timedelta(days=30), outcome)
            assert db.session.get(Shop, shop.id).credit_class == klass
            shops[klass].append(shop)
    return shops


@pytest.mark.parametrize(
    "count,ratio,size",
    [(0, 0.5, 0), (10, 0, 0), (10, 0.03, 1), (100, 0.03, 3), (5, 0.3, 2), (5, 0.8, 4), (3, 1, 3)],
)
def test_sample_size_rounds_up(count, ratio, size):
    assert draws.sample_size(count, ratio) == size


def test_draw_samples_each_class_at_its_ratio_and_replays():
    shops = population()
    inspectors = [make_inspector() for _ in range(4)]
    reg = make_regulator()
    draw = draws.create_draw({"ratios": {"A": 0.2, "C": 0.4}, "seed": "2026-Q4"}, actor=reg)
    db.session.commit()
    classes = [t.credit_class for t in draw.targets]
    assert classes.count("A") == 2 and classes.count("C") == 2
    ids = {s.id for s in shops["A"] + shops["C"]}
    team = {u.id for u in inspectors}
    for t in draw.targets:
        assert t.shop_id in ids and {t.inspector_id, t.co_inspector_id} <= team
        assert t.inspector_id != t.co_inspector_id
    assert draws.replay(draw) == draws.recorded(draw)
    again = draws.create_draw({"ratios": {"A": 0.2, "C": 0.4}, "seed": "2026-Q4"}, actor=reg)
    assert draws.recorded(again) == draws.recorded(draw)  # same inputs, same seed: same draw
    other = draws.create_draw({"ratios": {"A": 0.2, "C": 0.4}, "seed": "another"}, actor=reg)
    assert draws.recorded(other) != draws.recorded(draw)
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "draw.create")).after["seed"]
        == "2026-Q4"
    )


def test_replay_survives_later_changes_to_the_pools():
    population(4, 2)
    [make_inspector() for _ in range(3)]
    draw = draws.create_draw({"ratios": {"A": 0.5, "C": 0.5}}, actor=make_regulator())
    db.session.commit()
    assert len(draw.seed) == 32  # generated and recorded
    make_shop(), make_inspector()  # the pools change afterwards
    stored = db.session.get(RandomDraw, draw.id)
    assert draws.replay(stored) == draws.recorded(stored)


def test_conflicted_inspector_is_never_drawn_for_that_shop():
    shops = population(6, 0)
    inspectors = [make_inspector() for _ in range(3)]
    conflicted = inspectors[0]
    lines = "\n".join(f"{conflicted.username} {s.code}" for s in shops["A"][:3])
    for seed in range(25):
        draw = draws.create_draw(
            {"ratios": {"A": 1.0}, "seed": str(seed), "exclusions": lines}, actor=make_regulator()
        )
        for t in draw.targets:
            if t.shop_id in {s.id for s in shops["A"][:3]}:
                assert conflicted.id not in (t.inspector_id, t.co_inspector_id)
        assert draws.replay(draw) == draws.recorded(draw)
    db.session.rollback()


def test_too_few_inspectors_after_exclusion_is_refused():
    shop = population(1, 0)["A"][0]
    a, _b = make_inspector(), make_inspector()
    with pytest.raises(DomainError) as exc:
        draws.create_draw(
            {"ratios": {"A": 1.0}, "exclusions": f"{a.username} {shop.code}"}, actor=make_regulator()
        )
    assert "inspectors" in exc.value.errors
    with pytest.raises(DomainError) as exc:
        draws.create_draw({"exclusions": "nobody XXXX"}, actor=make_regulator())
    assert "exclusions" in exc.value.errors


def test_population_filters_street_and_class():
    population(3, 3, "徐家汇街道")
    other = population(3, 0, "湖南路街道")
    [make_inspector() for _ in range(2)]
    [make_inspector(streets=("湖南路街道",)) for _ in range(2)]
    draw = draws.create_draw(
        {"streets": ["湖南路街道"], "credit_classes": ["A"], "ratios": {"A": 1.0}}, actor=make_regulator()
    )
    assert sorted(t.shop_id for t in draw.targets) == sorted(s.id for s in other["A"])
    with pytest.raises(DomainError) as exc:
        draws.create_draw({"streets": ["湖南路街道"]}, actor=make_regulator(streets=("徐家汇街道",)))
    assert exc.value.status == 403


def test_api_roles_and_public_results(client, auth_header):
    shops = population(2, 1)
    inspectors = [make_inspector() for _ in range(2)]
    inspectors[0].phone = "13900001111"
    db.session.commit()
    reg = make_regulator()
    body = {"title": "第四季度抽查", "ratios": {"A": 1.0, "C": 1.0}, "seed": "abc"}
    assert client.post("/api/v1/draws", json=body, headers=auth_header(inspectors[0])).status_code == 403
    merchant = make_merchant(shops=[shops["A"][0]])
    assert client.post("/api/v1/draws", json=body, headers=auth_header(merchant)).status_code == 403
    r = client.post("/api/v1/draws", json={**body, "ratios": {"A": 2}}, headers=auth_header(reg))
    assert r.status_code == 422 and r.get_json()["errors"]
    r = client.post("/api/v1/draws", json=body, headers=auth_header(reg))
    assert r.status_code == 201, r.get_json()
    staff = r.get_json()
    assert staff["replay_matches"] is True and {t["credit_class"] for t in staff["targets"]} == {"A", "C"}
    draw_id = staff["id"]
    inspector_view = client.get(f"/api/v1/draws/{draw_id}", headers=auth_header(inspectors[1])).get_json()
    assert all("credit_class" not in t for t in inspector_view["targets"])
    # Nothing public while the window runs, even once one target is inspected by its pair.
    draw = db.session.get(RandomDraw, draw_id)
    token = draw.public_token
    first = draw.targets[0]
    add_inspection(first.shop, TODAY, "partial", pair=(first.inspector_id, first.co_inspector_id))
    assert client.get(f"/api/v1/public/draws/{token}").status_code == 404
    assert client.get(f"/draws/{token}").status_code == 404
    # The window closes (yesterday was its last day): published by the nightly run, then public.
    draw.window_ends_on = TODAY - timedelta(days=1)
    db.session.commit()
    assert client.get(f"/draws/{token}").status_code == 404  # not yet marked published
    assert draws.publish_due() == 1
    db.session.commit()
    public = client.get(f"/api/v1/public/draws/{token}").get_json()
    assert "credit_class" not in str(public) and "13900001111" not in str(public)
    assert "population" in public and "filters" not in public and "ratios" not in public
    assert "seed" not in public and "id" not in public
    assert all("inspectors" not in t and "uscc" not in t for t in public["targets"])
    names = {u.label for u in inspectors}
    assert not any(name in str(public) for name in names)
    outcomes = {t["shop_code"]: t["outcome"] for t in public["targets"]}
    assert outcomes[first.shop.code] == "partial" and list(outcomes.values()).count(None) == len(outcomes) - 1
    page = client.get(f"/draws/{token}").get_data(as_text=True)
    assert "基本符合" in page and "尚未检查" in page and "信用" not in page and "13900001111" not in page
    assert not any(name in page for name in names) and "国办发〔2015〕58号" in page
    # Sequential ids are never public URLs.
    assert client.get(f"/draws/{draw_id}").status_code == 404
    assert client.get(f"/api/v1/public/draws/{draw_id}").status_code == 404
    assert client.get("/draws/999").status_code == 404


def test_draw_pages(client, login_as):
    population(2, 0)
    [make_inspector() for _ in range(2)]
    reg = make_regulator()
    login_as(reg)
    assert client.get("/admin/draws/new").status_code == 200
    r = client.post("/admin/draws/new", data={"ratio.A": "150", "credit_classes": ["A"]})
    assert r.status_code == 422
    r = client.post(
        "/admin/draws/new",
        data={"title": "测试", "credit_classes": ["A"], "ratio.A": "100", "seed": "s1", "exclusions": ""},
    )
    assert r.status_code == 302
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "复现一致" in page and "s1" in page
    assert "测试" in client.get("/admin/draws").get_data(as_text=True)
    assert "ng-credit-A" in page
    # The same rule as the API: each target's class to regulators covering its street (a
    # regulator of that street too, not only district-wide ones); never to inspectors.
    url = r.headers["Location"]
    for user, sees in ((make_regulator(streets=("徐家汇街道",)), True), (make_inspector(), False)):
        client.post("/logout")
        login_as(user)
        page = client.get(url).get_data(as_text=True)
        assert ("ng-credit-A" in page) is sees and ("比例" in page) is sees, user.role


def _recorded_draw(title: str, streets: list[str], targets=()) -> RandomDraw:
    """A draw row as `create_draw` records it (only what the draws page reads matters here)."""
    draw = RandomDraw(title=title, seed="s", filters={"streets": streets}, ratios={}, exclusions=[],
                      population={"classes": {"B": [s.id for s in targets]}, "street_of": {}}, inspector_pool={},
                      drawn_on=TODAY)
    for position, shop in enumerate(targets, 1):
        draw.targets.append(DrawTarget(position=position, shop_id=shop.id, credit_class="B"))
    db.session.add(draw)
    return draw


def test_draws_page_shows_a_street_regulator_all_their_draws(client, login_as):
    """The scope is applied before the page's limit of 100: an older draw of the regulator's street
    behind 100 newer draws of another street is listed (it was dropped when the page took the
    latest 100 draws and filtered them afterwards)."""
    _recorded_draw("徐家汇早期抽查", ["徐家汇街道"])
    for n in range(100):
        _recorded_draw(f"华泾抽查{n}", ["华泾镇"])
    _recorded_draw("两街道联合抽查", ["华泾镇", "徐家汇街道"])
    db.session.commit()
    login_as(make_regulator(streets=("徐家汇街道",)))
    page = client.get("/admin/draws").get_data(as_text=True)
    assert "徐家汇早期抽查" in page and "两街道联合抽查" in page and "华泾抽查" not in page
    client.post("/logout")
    login_as(make_inspector(streets=("华泾镇",)))
    page = client.get("/admin/draws").get_data(as_text=True)
    assert "徐家汇早期抽查" not in page and "两街道联合抽查" in page and "华泾抽查99" in page


@pytest.mark.parametrize("streets", [(), ("徐家汇街道",)], ids=["district-wide", "street"])
def test_draws_page_queries_do_not_grow_with_the_draws(app, client, login_as, streets):
    """The page reads the draws and their targets in a fixed number of queries (no query per draw:
    neither a scope check nor a lazy load of its targets)."""
    from sqlalchemy import event

    shops = [make_shop() for _ in range(3)]
    login_as(make_regulator(streets=streets))

    def statements_for_page() -> int:
        seen = []

        def count(*_args):
            seen.append(1)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get("/admin/draws").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    for n in range(2):
        _recorded_draw(f"抽查{n}", ["徐家汇街道"], shops)
    db.session.commit()
    few = statements_for_page()
    for n in range(2, 40):
        _recorded_draw(f"抽查{n}", ["徐家汇街道"], shops)
    db.session.commit()
    many = statements_for_page()
    assert many == few, (few, many)
    assert "抽查39" in client.get("/admin/draws").get_data(as_text=True)


def test_severe_penalty_makes_class_d():
    shop = make_shop()
    add_inspection(shop, TODAY - timedelta(days=30), "pass")
    assert db.session.get(Shop, shop.id).credit_class == "A"
    add_penalty(shop, TODAY - timedelta(days=1), "severe")
    assert db.session.get(Shop, shop.id).credit_class == "D"


# -- 一公开: results only after the inspection window (国办发〔2015〕58号) ----------------------


def _one_target_draw(window_ends_on=None):
    population(1, 0)
    inspectors = [make_inspector() for _ in range(3)]
    data = {"ratios": {"A": 1.0}, "seed": "w"}
    if window_ends_on is not None:
        data["window_ends_on"] = window_ends_on
    draw = draws.create_draw(data, actor=make_regulator())
    db.session.commit()
    return draw, inspectors


def test_draw_is_unpublished_with_a_random_token_and_a_window():
    draw, _ = _one_target_draw()
    assert draw.published is False
    assert draw.window_ends_on == TODAY + timedelta(days=draws.DEFAULT_WINDOW_DAYS)
    assert len(draw.public_token) >= 20 and str(draw.id) != draw.public_token
    other, _ = _one_target_draw()
    assert other.public_token != draw.public_token


@pytest.mark.parametrize("offset,public", [(1, False), (0, False), (-1, True)],
                         ids=["day-before-end", "last-day", "day-after"])
def test_results_open_only_after_the_window_closes(offset, public):
    draw, _ = _one_target_draw()
    on = draw.window_ends_on + timedelta(days=-offset)
    assert draws.results_open(draw, on) is public
    draw.published = True  # even a flag set by mistake shows nothing before the window closes
    assert draws.is_public(draw, on) is public
    assert (draws.public_results(draw, on) != []) is public


def test_window_end_is_checked():
    population(1, 0)
    [make_inspector() for _ in range(2)]
    for bad in ((TODAY - timedelta(days=1)).isoformat(), (TODAY + timedelta(days=400)).isoformat(), "soon"):
        with pytest.raises(DomainError) as exc:
            draws.create_draw({"window_ends_on": bad}, actor=make_regulator())
        assert "window_ends_on" in exc.value.errors


def test_only_the_drawn_pairs_inspection_closes_a_target(client):
    draw, inspectors = _one_target_draw()
    target = draw.targets[0]
    outsider = next(u for u in inspectors if u.id not in (target.inspector_id, target.co_inspector_id))
    add_inspection(target.shop, TODAY, "fail", pair=(outsider, target.inspector_id))
    assert draws.results(draw)[0]["outcome"] is None
    assert draws.results_open(draw) is False and draw.published is False
    assert client.get(f"/draws/{draw.public_token}").status_code == 404
    # The pair's own inspection (either order) closes it: every target done, published at once.
    add_inspection(target.shop, TODAY, "pass", pair=(target.co_inspector_id, target.inspector_id))
    stored = db.session.get(RandomDraw, draw.id)
    assert draws.results(stored)[0]["outcome"] == "pass" and stored.published is True
    page = client.get(f"/draws/{draw.public_token}").get_data(as_text=True)
    assert "符合" in page and target.shop.sign_name in page


def test_open_data_has_no_draw_before_the_window_closes(client):
    from huishang.services.integration import opendata

    draw, _ = _one_target_draw()
    import io
    import zipfile

    def draw_rows():
        buf = io.BytesIO()
        opendata.build_zip(buf)
        with zipfile.ZipFile(buf) as archive:
            return archive.read("draw_results.csv").decode("utf-8-sig")

    assert draw.public_token not in draw_rows() and draw.targets[0].shop.code not in draw_rows()
    draw.window_ends_on = TODAY - timedelta(days=1)
    draws.publish_due()
    db.session.commit()
    rows = draw_rows()
    assert draw.public_token in rows and draw.targets[0].shop.code in rows
    assert "credit" not in rows.lower() and draw.targets[0].inspector.label not in rows


def test_a_draw_never_has_two_shops_of_one_entity():
    """Targets are market entities (by USCC): a chain's shops are one target, its shop drawn at
    random among them — reproducibly from the seed."""
    code = make_shop().entity.uscc
    chain = [db.session.get(Shop, make_shop(uscc=code).id) for _ in range(4)]
    singles = [make_shop() for _ in range(3)]
    [make_inspector() for _ in range(2)]
    picked = set()
    for seed in range(12):
        draw = draws.create_draw({"ratios": {k: 1.0 for k in "ABCD"}, "seed": str(seed)}, actor=make_regulator())
        entities = [t.shop.entity_id for t in draw.targets]
        assert len(entities) == len(set(entities)) == 1 + len(singles)
        picked |= {t.shop_id for t in draw.targets if t.shop.entity_id == chain[0].entity_id}
        assert draws.replay(draw) == draws.recorded(draw)
    assert len(picked) > 1  # the chain's shop is drawn at random, not always the first
    db.session.rollback()


def test_old_draws_replay_by_shop():
    """A draw recorded before entities were sampled (no shops_of) replays as it was drawn."""
    shops = [make_shop() for _ in range(3)]
    a, b = make_inspector(), make_inspector()
    population_ = {"classes": {"B": [s.id for s in shops]}, "street_of": {str(s.id): s.street_id for s in shops}}
    pool = {str(shops[0].street_id): [a.id, b.id]}
    drawn = draws.run_draw(population_, pool, {"B": 0.5}, [], "old")
    assert len(drawn) == 2 and {d[0] for d in drawn} <= {s.id for s in shops}
    assert draws.run_draw(population_, pool, {"B": 0.5}, [], "old") == drawn
