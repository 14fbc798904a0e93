"""The fast registry import (issue 16): new shops go in already graded (`shops_importing`), a big
file is validated on several cores, and a new chain is classed from the records the refresh read.
Each is checked against the slow way it replaces: the nightly refresh, one process."""
from datetime import timedelta

from sqlalchemy import select

from huishang.extensions import db
from huishang.models import Entity, Shop, today
from huishang.models.grading import GradeEvent, ShopGrading
from huishang.services import grading, registry
from huishang.services.registry import importing, uscc
from huishang.services.registry.importing import plan as import_plan
from tests.factories import add_inspection, add_penalty, make_shop
from tests.registry.test_import import row, run_import, write_csv

DERIVED = ("static_tier", "dynamic_grade", "next_due_on", "due_reason", "credit_class", "plan_rank", "plan_cycle")


def derived_columns() -> dict[str, tuple]:
    return {code: rest for code, *rest in db.session.execute(
        select(Shop.code, *(getattr(Shop, name) for name in DERIVED)))}


def stored_facts() -> dict[int, tuple]:
    gradings = {g.shop_id: (g.static_tier, g.base_grade, g.rank_base, g.rank_worse, g.cycle, g.routine_reason,
                            g.routine_due_base, g.routine_due_worse, g.floor_due, g.status, g.street_id)
                for g in db.session.scalars(select(ShopGrading))}
    events = sorted((e.shop_id, e.kind, e.starts_on, e.ends_on) for e in db.session.scalars(select(GradeEvent)))
    return {"gradings": gradings, "events": events}


def test_imported_shops_are_graded_as_the_nightly_refresh_grades_them(runner, tmp_path):
    # A registered chain whose shop has a serious penalty in publicity and a failed inspection: a new
    # branch joining it by import takes the entity's class (D), not a new shop's (B).
    chain = make_shop(business_type="catering.fast_food")
    add_inspection(chain, today() - timedelta(days=40), outcome="fail")
    add_penalty(chain, today() - timedelta(days=10), severity="severe")
    assert chain.credit_class == "D"
    usccs = [uscc.generate() for _ in range(3)]
    rows = [
        # a new chain of three shops of different types and states
        row(1, uscc=usccs[0], entity_name="甲公司", business_type="正餐"),
        row(2, uscc=usccs[0], entity_name="甲公司", business_type="超市", status="停业"),
        row(3, uscc=usccs[0], entity_name="甲公司", business_type="药店", registered_on="2020-02-29"),
        # single new shops: high and low risk, a recent registration
        row(4, uscc=usccs[1], entity_name="乙公司", business_type="小吃", registered_on=today().isoformat()),
        row(5, uscc=usccs[2], entity_name="丙公司", business_type="服装鞋帽"),
        # a new branch of the registered chain
        row(6, uscc=chain.entity.uscc, entity_name=chain.entity.name),
    ]
    assert run_import(runner, write_csv(tmp_path / "new.csv", rows)).exit_code == 0
    db.session.expire_all()
    after_import, facts_after_import = derived_columns(), stored_facts()
    branch = db.session.scalar(select(Shop).where(Shop.sign_name == "老街面馆6号店"))
    assert branch.credit_class == "D"
    assert {s.credit_class for s in db.session.scalars(select(Shop).join(Entity).where(Entity.uscc == usccs[0]))} \
        == {"B"}

    grading.refresh_all()  # what the night would write
    db.session.commit()
    db.session.expire_all()
    assert derived_columns() == after_import
    assert stored_facts() == facts_after_import


def test_prepare_new_fills_every_row_as_a_refresh_would(app):
    """The receiver itself: rows of new shops get the derived columns a refresh computes for a shop
    with no records, for each business type, registration day and status."""
    lookups = registry.Lookups.load()
    types = [bt for bt in lookups.types.values()][:12]
    rows = [{"business_type_id": bt.id, "registered_on": today() - timedelta(days=400 * k), "status": status,
             "unresponsive": False}
            for k, bt in enumerate(types) for status in ("open", "suspended")]
    grading.prepare_new(rows)
    for values in rows:
        shop = make_shop(business_type=str(values["business_type_id"]),
                         registered_on=values["registered_on"].isoformat(), status=values["status"])
        assert tuple(values[name] for name in DERIVED) == tuple(getattr(shop, name) for name in DERIVED)


def test_a_big_file_is_validated_on_two_processes_with_the_same_result(tmp_path, monkeypatch):
    rows = [row(n, uscc=uscc.generate(), entity_name=f"公司{n}") for n in range(1, 41)]
    rows[5]["street"] = "火星"  # errors on both halves
    rows[30]["lat"] = "abc"
    rows[31]["registered_on"] = "2099-01-01"
    path = write_csv(tmp_path / "big.csv", rows)
    header, raw_rows = importing.read_rows(path)
    one = importing.plan_rows("big.csv", header, raw_rows)
    monkeypatch.setattr(import_plan, "PARALLEL_FROM", 10)
    counted = []
    two = importing.plan_rows("big.csv", header, raw_rows, progress=counted.append)
    assert [(e.line, e.field, str(e.message)) for e in two.errors] \
        == [(e.line, e.field, str(e.message)) for e in one.errors] and len(one.errors) == 3
    assert [(r.line, r.data, r.clean) for r in two.rows] == [(r.line, r.data, r.clean) for r in one.rows]
    assert sum(counted) == 40

    lookups = registry.Lookups.load()
    datas = [{k: v for k, v in r.items() if v} | {"sign_name": r["shop_name"]} for r in rows]
    assert import_plan.validate_all(datas, lookups, workers=2) == import_plan.validate_all(datas, lookups, workers=1)
