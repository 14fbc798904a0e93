"""The 30-day list's fast path (the list for today read from the maintained shop columns) must
give exactly the general query's items, order, reasons and cells — and must not be used when the
stored columns may be stale (refresh day older than today, rules changed since, missing facts)."""

import gc
from datetime import timedelta

import pytest
from sqlalchemy import select

from huishang.extensions import db
from huishang.models import Shop, today
from huishang.services import grading, planning
from huishang.services.grading import refresh as grading_refresh
from huishang.services.planning import fastpath
from tests.factories import add_complaint, add_inspection, add_penalty, make_inspector, make_shop, street

D = timedelta


def routine(business_type, outcome, ago):
    def build(t):
        shop = make_shop(business_type=business_type)
        add_inspection(shop, t - D(ago), outcome)
        return shop

    return build


def new_shop(registered_ago):
    def build(t):
        return make_shop(registered_on=(t - D(registered_ago)).isoformat())

    return build


def rectification(outcome, ago, deadline_in):
    def build(t):
        shop = make_shop()
        add_inspection(shop, t - D(ago), outcome, deadline=t + D(deadline_in))
        return shop

    return build


def food_complaint(t):
    shop = make_shop()
    add_inspection(shop, t - D(100), "pass")  # routine +80
    add_complaint(shop, t - D(2))  # food safety: inspect within 7 days
    return shop


def two_complaints(t):
    shop = make_shop()
    add_inspection(shop, t - D(150), "pass")  # 中·良好 +30; worsened 中·一般: 120 days → -30
    add_complaint(shop, t - D(10), "hygiene")
    add_complaint(shop, t - D(5), "hygiene")
    return shop


def penalty(t):
    shop = make_shop()
    add_inspection(shop, t - D(130), "pass")  # +50 off the list; worsened: -10
    add_penalty(shop, t - D(10))
    return shop


# (case, builder, expected (due offset from T, reason, tier, grade) or None = not on the list)
CASES = [
    ("高·良好", routine("group_meal.school_canteen", "pass", 110), (10, "routine", "高", "良好")),
    ("高·一般", routine("group_meal.school_canteen", "partial", 80), (10, "routine", "高", "一般")),
    ("高·较差", routine("group_meal.central_kitchen", "fail", 50), (10, "routine", "高", "较差")),
    ("中·良好", routine("catering.fast_food", "pass", 170), (10, "routine", "中", "良好")),
    ("中·一般", routine("catering.dining", "partial", 110), (10, "routine", "中", "一般")),
    ("中·较差", routine("catering.fast_food", "fail", 85), (5, "routine", "中", "较差")),
    ("低·良好", routine("catering.drinks", "pass", 350), (15, "routine", "低", "良好")),
    ("低·一般", routine("non_food.beauty", "partial", 225), (15, "routine", "低", "一般")),
    ("低·较差", routine("non_food.clothing", "fail", 170), (10, "routine", "低", "较差")),
    ("overdue routine", routine("catering.fast_food", "pass", 200), (-20, "routine", "中", "良好")),
    ("new, overdue", new_shop(40), (-10, "new", "中", "一般")),
    ("new, upcoming", new_shop(5), (25, "new", "中", "一般")),
    ("rectification due", rectification("fail", 10, 3), (3, "rectification", "中", "较差")),
    ("rectification overdue (worsens)", rectification("partial", 20, -5), (-5, "rectification", "中", "较差")),
    ("food-safety complaint", food_complaint, (5, "complaint", "中", "良好")),
    ("two complaints in 90 days (worsens)", two_complaints, (-30, "routine", "中", "一般")),
    ("penalty in publicity (worsens)", penalty, (-10, "routine", "中", "一般")),
    ("boundary T+30", routine("catering.fast_food", "pass", 150), (30, "routine", "中", "良好")),
    ("boundary T+31", routine("catering.fast_food", "pass", 149), None),
    ("inspected recently", routine("catering.fast_food", "pass", 10), None),
]


def background(t):
    """A few other shops so order and ties are exercised in every case."""
    routine("catering.fast_food", "pass", 175)(t)  # 中·良好 +5
    routine("group_meal.school_canteen", "fail", 65)(t)  # 高·较差 overdue -5
    routine("non_food.clothing", "pass", 350)(t)  # 低·良好 +15
    make_shop(street="天平路街道", registered_on=(t - D(20)).isoformat())  # new +10, another street


def both(t, days=30, street_ids=None, **kw):
    fast = planning.plan_page(t, days, street_ids, **kw)
    general = planning.plan_page(t, days, street_ids, fast=False, **kw)
    return fast, general


@pytest.mark.parametrize("case,build,expected", CASES, ids=[c[0] for c in CASES])
def test_fast_path_equals_general_query(case, build, expected):
    t = today()
    background(t)
    shop = build(t)
    grading.refresh_all()  # the nightly refresh records today as the refresh day
    db.session.commit()
    assert grading.refreshed_on() == t
    assert planning.fast_path_applies(t, planning.stale_ids(t))

    (fast, fast_total), (general, general_total) = both(t)
    assert fast == general and fast_total == general_total == len(general)
    # The fast query itself (not a silent fallback) gives the same rows.
    assert planning.fast_plan_items(db.session.connection(), t, 30, None, grading.load_rules()) == general
    got = {i.shop_id: i for i in fast}
    if expected is None:
        assert shop.id not in got
    else:
        offset, reason, tier, grade = expected
        item = got[shop.id]
        assert (item.due_on, item.reason, item.static_tier, item.dynamic_grade) == (t + D(offset), reason, tier, grade)
    for days in (0, 7, 31, 365):
        assert both(t, days)[0] == both(t, days)[1]
    tianping = {street("天平路街道").id}
    assert both(t, street_ids=tianping)[0] == both(t, street_ids=tianping)[1]
    assert both(t, limit=2, offset=1)[0] == both(t, limit=2, offset=1)[1]


def test_expired_worsening_falls_back_when_refresh_day_is_older():
    """Two complaints 90 and 30 days ago worsen the grade through yesterday, not today. Columns
    stored by yesterday's refresh put the shop on today's list (中·一般 due +20); today it is due
    at +80. With the refresh day older than today the list must not use them."""
    t = today()
    yesterday = t - D(1)
    background(t)
    shop = make_shop()
    add_inspection(shop, t - D(100), "pass")
    add_complaint(shop, t - D(90), "hygiene")
    add_complaint(shop, t - D(30), "hygiene")
    grading.refresh_all()
    # What yesterday's nightly refresh stored, for every shop, and its mark.
    rules = grading.load_rules()
    for s in db.session.query(Shop):
        then = grading.explain(s, yesterday, rules)
        s.static_tier, s.dynamic_grade, s.next_due_on, s.due_reason = (
            then.static_tier, then.dynamic_grade, then.due_on, then.reason,
        )
    grading.mark_refreshed(yesterday)
    db.session.commit()
    assert (shop.dynamic_grade, shop.next_due_on) == ("一般", t + D(20))

    assert not planning.fast_path_applies(t, planning.stale_ids(t))
    stale_rows = db.session.execute(planning.fast_plan_query(t, 30, None)).all()
    assert shop.id in {row[0] for row in stale_rows}  # what the stale columns would have listed
    fast, general = both(t)
    assert fast == general
    assert shop.id not in {i.shop_id for i in fast[0]}
    # Yesterday's list (a past day) always takes the general query, and there the shop is on it.
    assert not planning.fast_path_applies(yesterday, planning.stale_ids(yesterday))
    item = {i.shop_id: i for i in planning.plan_items(yesterday)}[shop.id]
    assert (item.dynamic_grade, item.due_on) == ("一般", t + D(20))

    # Today's refresh makes the fast path applicable again, and right.
    grading.refresh_all()
    db.session.commit()
    assert planning.fast_path_applies(t, planning.stale_ids(t))
    fast, general = both(t)
    assert fast == general and shop.id not in {i.shop_id for i in fast[0]}


def test_no_refresh_yet_or_missing_facts_or_rules_changed_use_general_query(monkeypatch):
    t = today()
    background(t)
    assert grading.refreshed_on() is None  # hooks ran, but no full refresh: not trusted
    assert not planning.fast_path_applies(t, planning.stale_ids(t))
    grading.refresh_all()
    db.session.commit()
    assert planning.fast_path_applies(t, planning.stale_ids(t))

    # A shop without stored facts (written without the hook) is stale: general query + history.
    from huishang.models.grading import ShopGrading

    lonely = make_shop(registered_on=(t - D(45)).isoformat())
    db.session.delete(db.session.get(ShopGrading, lonely.id))
    db.session.commit()
    assert not planning.fast_path_applies(t, planning.stale_ids(t))
    assert lonely.id in {i.shop_id for i in planning.plan_items(t)}
    grading.refresh_all()
    db.session.commit()
    assert planning.fast_path_applies(t, planning.stale_ids(t))

    # A rules change too large to recompute at once leaves the columns on the old rules.
    monkeypatch.setattr(grading_refresh, "REFRESH_NOW_LIMIT", 0)
    result = grading.update_rules({"new_shop_days": 10})
    db.session.commit()
    assert result["_refreshed"] is False
    assert grading.refreshed_on() is None
    assert not planning.fast_path_applies(t, planning.stale_ids(t))
    fast, general = both(t)
    assert fast == general
    # The nightly refresh applies the new rule to every shop and marks the day again.
    grading.refresh_all()
    db.session.commit()
    assert planning.fast_path_applies(t, planning.stale_ids(t))
    fast, general = both(t)
    assert fast == general
    assert {i.shop_id: i for i in fast[0]}[lonely.id].due_on == t - D(35)  # registered +10 days


def test_pages_across_the_overdue_boundary_and_tracking_match_the_general_query():
    """Pages are read in two ordered parts (overdue, then the rest): every page size and offset,
    including pages that straddle the boundary or run past the end, gives the general query's
    slice; tracking (open, assigned, closed 'not found', and items of past cycles) is the same."""
    from huishang.models.grading import PlanItem

    t = today()
    background(t)
    for _, build, _ in CASES:
        build(t)
    grading.refresh_all()
    db.session.commit()
    assert planning.fast_path_applies(t, planning.stale_ids(t))
    planning.generate(t, 30, None)
    db.session.commit()
    items = list(db.session.scalars(select(PlanItem).order_by(PlanItem.id)))
    assert len(items) > 6
    # Tracking changes through the services (each keeps the shops' copy): the automatic
    # assignment of one street, then by hand a reassignment and a closure as not found.
    lead, co = make_inspector(streets=("徐家汇街道",)), make_inspector(streets=("徐家汇街道",))
    assert planning.auto_assign({lead.streets[0].id}) > 0
    db.session.commit()
    first = next(i for i in items if i.street_id == lead.streets[0].id)
    assert (first.inspector_id, first.co_inspector_id) == (lead.id, co.id)
    planning.assign(first, co.id, lead.id)
    lost = next(i for i in items if i is not first)
    planning.close_item(lost, "not_found", "查无此店")
    db.session.commit()
    # A past cycle's item of a listed shop, closed as inspected: not this cycle's tracking.
    past = next(i for i in items if i not in (first, lost))
    db.session.add(
        PlanItem(
            shop_id=past.shop_id, cycle="2001-01-01", street_id=past.street_id, due_on=t,
            reason="routine", static_tier="中", dynamic_grade="良好", generated_on=t, status="inspected",
            closed_on=t,
        )
    )
    db.session.commit()

    general, total = planning.plan_page(t, 30, None, fast=False)
    fast, fast_total = planning.plan_page(t, 30, None)
    assert fast == general and fast_total == total == len(general)
    overdue = sum(1 for i in general if i.due_on < t)
    assert 0 < overdue < total
    tracked = {i.shop_id: i for i in fast}
    assert (tracked[first.shop_id].inspector_id, tracked[first.shop_id].co_inspector_id) == (co.id, lead.id)
    assert tracked[lost.shop_id].status == "not_found" and tracked[lost.shop_id].closed_on == t
    assert tracked[past.shop_id].item_id == past.id
    assert any(i.inspector_id for i in fast if i.shop_id != first.shop_id)  # auto-assigned
    # An inspection recorded today moves the shop's cycle on: its item closes, and the list no
    # longer shows that item's tracking (nor the shop, once it is not due).
    add_inspection(db.session.get(Shop, first.shop_id), t, "pass")
    db.session.commit()
    assert db.session.get(PlanItem, first.id).status == "inspected"
    general, total = planning.plan_page(t, 30, None, fast=False)
    fast, fast_total = planning.plan_page(t, 30, None)
    assert fast == general and fast_total == total
    assert first.shop_id not in {i.shop_id for i in fast}
    for limit in (1, 2, 3, overdue, total + 1):
        for offset in sorted({0, 1, overdue - 1, overdue, overdue + 1, total - 1, total, total + 3}):
            page, page_total = planning.plan_page(t, 30, None, limit=limit, offset=max(0, offset))
            assert page_total == total
            assert page == general[max(0, offset) : max(0, offset) + limit], (limit, offset)


@pytest.mark.parametrize("chunk", [1, 2, 1000], ids=["single rows", "chunks of two", "one chunk"])
def test_whole_list_streamed_in_chunks_equals_general_query(monkeypatch, chunk):
    """The whole list is streamed group by group (PostgreSQL: chunks of STREAM_CHUNK rows): any
    chunk size gives the general query's items, as `Item`s, and leaves the collector as it was."""
    t = today()
    background(t)
    for _, build, _ in CASES:
        build(t)
    grading.refresh_all()
    planning.generate(t, 30, None)
    db.session.commit()
    assert planning.fast_path_applies(t, planning.stale_ids(t))
    monkeypatch.setattr(fastpath, "STREAM_CHUNK", chunk)
    general, total = planning.plan_page(t, 30, None, fast=False)
    fast, fast_total = planning.plan_page(t, 30, None)
    assert fast == general and fast_total == total > 6
    assert all(type(i) is planning.Item for i in fast)
    assert gc.isenabled()
    gc.disable()
    try:
        assert planning.plan_page(t, 30, None)[0] == general
        assert not gc.isenabled()  # a collector someone else turned off stays off
    finally:
        gc.enable()
