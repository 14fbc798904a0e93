"""Nine-grid grading rules at their boundaries; the SQL list and the Python explanation agree."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from huishang.extensions import db
from huishang.models import AuditEvent, Shop
from huishang.models.base import today as district_today
from huishang.models.grading import GradingRule, ShopGrading
from huishang.services import DomainError, grading, planning
from huishang.services.grading import refresh as grading_refresh
from tests.factories import add_complaint, add_inspection, add_penalty, make_regulator, make_shop

T = date(2025, 6, 1)
D = timedelta


def planned(shop, as_of=T, days=30):
    """The shop's item on the list for `as_of`, or None; asserts SQL and Python agree."""
    items = [i for i in planning.plan_items(as_of, days) if i.shop_id == shop.id]
    result = grading.explain(shop, as_of)
    if result.due_on <= as_of + D(days):
        assert len(items) == 1, (result, items)
        item = items[0]
        assert (item.due_on, item.reason, item.static_tier, item.dynamic_grade) == (
            result.due_on,
            result.reason,
            result.static_tier,
            result.dynamic_grade,
        )
        return item
    assert items == []
    return None


def test_default_rules_are_seeded_as_rows():
    keys = set(db.session.scalars(select(GradingRule.key)))
    assert keys == set(grading.RULE_DEFAULTS)
    assert grading.load_rules()["intervals"]["高"]["较差"] == 60


@pytest.mark.parametrize(
    "registered,due,listed",
    [
        (T - D(31), T - D(1), True),  # overdue new shop
        (T, T + D(30), True),  # exactly T+30: in
        (T + D(1), None, False),  # registered after T: not on T's list at all
    ],
)
def test_never_inspected_is_registration_plus_30(registered, due, listed):
    shop = make_shop(registered_on=min(registered, district_today()).isoformat())
    shop.registered_on = registered
    grading.refresh_shop(shop)
    db.session.commit()
    item = planned(shop)
    assert (item is not None) == listed
    if listed:
        assert item.due_on == due and item.reason == "new"
        assert (item.static_tier, item.dynamic_grade) == ("中", "一般")


@pytest.mark.parametrize("days_ago,listed", [(150, True), (149, False)])
def test_routine_due_exactly_t_plus_30_in_and_t_plus_31_out(days_ago, listed):
    shop = make_shop()  # 快餐: static C → 中; pass → 良好 → 180 days
    add_inspection(shop, T - D(days_ago), "pass")
    item = planned(shop)
    assert (item is not None) == listed
    result = grading.explain(shop, T)
    assert result.due_on == T - D(days_ago) + D(180)
    assert result.reason == "routine" and result.interval == 180


@pytest.mark.parametrize(
    "business_type,outcome,tier,grade,interval",
    [
        ("group_meal.school_canteen", "pass", "高", "良好", 120),
        ("group_meal.school_canteen", "partial", "高", "一般", 90),
        ("group_meal.central_kitchen", "fail", "高", "较差", 60),
        ("catering.dining", "partial", "中", "一般", 120),
        ("catering.fast_food", "fail", "中", "较差", 90),
        ("catering.drinks", "pass", "低", "良好", 365),
        ("non_food.beauty", "partial", "低", "一般", 240),
        ("non_food.clothing", "fail", "低", "较差", 180),
    ],
)
def test_cell_and_interval_table(business_type, outcome, tier, grade, interval):
    shop = make_shop(business_type=business_type)
    add_inspection(shop, T - D(200), outcome)
    result = grading.explain(shop, T)
    assert (result.static_tier, result.dynamic_grade, result.interval) == (tier, grade, interval)
    assert result.due_on == T - D(200) + D(interval)


@pytest.mark.parametrize("days_ago,overdue", [(59, False), (60, False), (61, True)])
def test_high_poor_is_due_60_days_after_its_inspection(days_ago, overdue):
    """The 90-day no-repeat floor never overrides a shorter interval (architecture.md, next due date):
    the riskiest cell is visited sooner than 中·较差, not at the same 90 days."""
    canteen = make_shop(business_type="group_meal.central_kitchen")
    add_inspection(canteen, T - D(days_ago), "fail")
    result = grading.explain(canteen, T)
    assert (result.static_tier, result.dynamic_grade, result.interval) == ("高", "较差", 60)
    assert result.due_on == T - D(days_ago) + D(60)
    assert (result.due_on < T) == overdue
    assert planned(canteen, days=0 if days_ago == 60 else 30).due_on == result.due_on
    fast_food = make_shop(business_type="catering.fast_food")  # 中·较差: 90 days
    add_inspection(fast_food, T - D(days_ago), "fail")
    assert grading.explain(fast_food, T).due_on == T - D(days_ago) + D(90) > result.due_on


def test_no_repeat_within_90_days_of_any_inspection():
    """A re-inspection restarts the clock: nothing routine within three months of any inspection
    (SAMR Order 49 Art. 42), unless the cell's own interval is shorter."""
    shop = make_shop(business_type="group_meal.school_canteen")
    add_inspection(shop, T - D(200), "partial")  # 高·一般: 90 days → due T-110 ...
    add_inspection(shop, T - D(20), "pass", full=False)  # ... a re-inspection: never before +90
    result = grading.explain(shop, T)
    assert result.dynamic_grade == "一般" and result.due_on == T + D(70) and result.reason == "routine"
    assert planned(shop, days=70).due_on == T + D(70)
    assert planned(shop, days=69) is None
    poor = make_shop(business_type="group_meal.school_canteen")
    add_inspection(poor, T - D(100), "fail")  # 高·较差: 60 days → T-40 ...
    add_inspection(poor, T - D(20), "pass", full=False)  # ... the floor is the interval itself: +60
    result = grading.explain(poor, T)
    assert result.dynamic_grade == "较差" and result.due_on == T + D(40) and result.reason == "routine"


def test_rectification_trigger_and_overdue_worsening():
    shop = make_shop()
    add_inspection(shop, T - D(10), "partial", deadline=T + D(5))
    item = planned(shop)
    assert (item.reason, item.due_on, item.dynamic_grade) == ("rectification", T + D(5), "一般")
    on_deadline = planned(shop, T + D(5))
    assert on_deadline.dynamic_grade == "一般"  # on the deadline day it is not yet past it
    after = planned(shop, T + D(6))
    assert (after.reason, after.dynamic_grade) == ("rectification", "较差")
    assert after.due_on < T + D(6)  # overdue
    assert [e.kind for e in grading.explain(shop, T + D(6)).worsened_by] == ["overdue"]


def test_rectification_closed_before_deadline_stops_the_trigger():
    shop = make_shop()
    add_inspection(shop, T - D(10), "partial", deadline=T + D(5), closed_on=T - D(2))
    assert planned(shop, T, days=30) is None or planned(shop).reason == "routine"
    assert grading.explain(shop, T - D(3)).reason == "rectification"


@pytest.mark.parametrize(
    "category,since,expected",
    [
        ("food_safety", None, "complaint"),
        ("price", None, "routine"),  # only food-safety complaints trigger
        ("food_safety", D(1), "routine"),  # an inspection since cancels the trigger
    ],
)
def test_complaint_trigger(category, since, expected):
    shop = make_shop()
    add_inspection(shop, T - D(100), "pass")  # routine T+80
    add_complaint(shop, T - D(3), category)
    if since:
        add_inspection(shop, T - D(3) + since, "pass", full=False)
    result = grading.explain(
        shop,
        T,
    )
    assert result.reason == expected
    if expected == "complaint":
        assert result.due_on == T + D(4) and planned(shop).reason == "complaint"


@pytest.mark.parametrize(
    "as_of,grade",
    [
        (T - D(96), "良好"),  # only one complaint so far
        (T - D(95), "一般"),  # the second: two within 90 days
        (T - D(11), "一般"),  # last day the first is inside the window
        (T - D(10), "良好"),  # the first left the window: the worsening expired
    ],
)
def test_complaint_worsening_expires(as_of, grade):
    shop = make_shop()
    add_inspection(shop, T - D(200), "pass")
    add_complaint(shop, T - D(100), "price")
    add_complaint(shop, T - D(95), "service")
    result = grading.explain(shop, as_of)
    assert result.dynamic_grade == grade
    # the list drawn up for that day agrees (routine due 2025-05-30 with 良好 is within 30 days)
    item = planned(shop, as_of, days=200)
    assert item.dynamic_grade == grade


@pytest.mark.parametrize(
    "severity,as_of,grade",
    [
        ("minor", date(2025, 2, 28), "良好"),  # before the decision
        ("minor", date(2025, 3, 1), "一般"),  # decision day: in publicity
        ("minor", date(2025, 5, 31), "一般"),  # last day of 3 months
        ("minor", date(2025, 6, 1), "良好"),  # publicity ended
        ("general", date(2025, 6, 1), "一般"),  # 3 years
        ("severe", date(2028, 2, 29), "一般"),
        ("severe", date(2028, 3, 1), "良好"),
    ],
)
def test_penalty_in_and_out_of_publicity(severity, as_of, grade):
    shop = make_shop()
    add_inspection(shop, date(2024, 12, 1), "pass")
    penalty = add_penalty(shop, date(2025, 3, 1), severity)
    assert penalty.publicity_ends_on == (date(2025, 6, 1) if severity == "minor" else date(2028, 3, 1))
    assert grading.explain(shop, as_of).dynamic_grade == grade
    assert planned(shop, as_of, days=366).dynamic_grade == grade


def test_never_below_poor():
    shop = make_shop()
    add_inspection(shop, T - D(30), "fail")
    add_penalty(shop, T - D(10), "general")
    result = grading.explain(shop, T)
    assert result.dynamic_grade == "较差" and [e.kind for e in result.worsened_by] == ["penalty"]


def test_list_order_across_cells():
    as_of = T
    specs = [  # (business type, outcome, days ago) → due within the horizon for each cell
        ("non_food.clothing", "pass", 340, "低", "良好"),
        ("non_food.clothing", "partial", 220, "低", "一般"),
        ("non_food.clothing", "fail", 170, "低", "较差"),
        ("catering.fast_food", "pass", 170, "中", "良好"),
        ("catering.fast_food", "partial", 110, "中", "一般"),
        ("catering.fast_food", "fail", 85, "中", "较差"),
        ("group_meal.school_canteen", "pass", 110, "高", "良好"),
        ("group_meal.school_canteen", "partial", 85, "高", "一般"),
        ("group_meal.school_canteen", "fail", 55, "高", "较差"),
    ]
    shops = {}
    for bt, outcome, ago, tier, grade in specs:
        shop = make_shop(business_type=bt)
        add_inspection(shop, as_of - D(ago), outcome)
        shops[(tier, grade)] = shop.id
    late = make_shop(business_type="non_food.clothing")
    add_inspection(late, as_of - D(400), "pass")  # overdue: first whatever its cell
    items = planning.plan_items(as_of, 30)
    assert items[0].shop_id == late.id and items[0].due_on < as_of
    cells = [(i.static_tier, i.dynamic_grade) for i in items[1:]]
    assert cells == [
        ("高", "较差"),
        ("高", "一般"),
        ("中", "较差"),
        ("高", "良好"),
        ("中", "一般"),
        ("中", "良好"),
        ("低", "较差"),
        ("低", "一般"),
        ("低", "良好"),
    ]


def test_same_cell_ordered_by_due_date():
    a, b = make_shop(), make_shop()
    add_inspection(a, T - D(170), "pass")
    add_inspection(b, T - D(175), "pass")
    ids = [i.shop_id for i in planning.plan_items(T, 30)]
    assert ids == [b.id, a.id]


def test_list_for_a_day_before_a_later_inspection_uses_the_history_then():
    shop = make_shop()
    add_inspection(shop, T - D(200), "pass")  # due T-20 on T-10 ...
    add_inspection(shop, T, "pass")  # ... inspected on T afterwards
    item = planned(shop, T - D(10))
    assert item is not None and item.due_on == T - D(20) and item.cycle == (T - D(200)).isoformat()
    assert planned(shop, T) is None


def test_closed_shop_leaves_the_list():
    from huishang.services import registry

    shop = make_shop()
    assert planned(shop, district_today()) is not None
    registry.close_shop(shop, reason="歇业")
    db.session.commit()
    assert planning.plan_items(district_today(), 30) == []


def test_refresh_keeps_shop_columns_and_refresh_all_matches():
    shop = make_shop()
    add_inspection(shop, district_today() - D(100), "fail")
    stored = db.session.get(Shop, shop.id)
    result = grading.explain(stored)
    assert (stored.static_tier, stored.dynamic_grade, stored.next_due_on, stored.due_reason) == (
        result.static_tier,
        result.dynamic_grade,
        result.due_on,
        result.reason,
    )
    db.session.execute(ShopGrading.__table__.delete())
    stored.dynamic_grade = None
    db.session.commit()
    assert grading.refresh_all() == 1
    db.session.commit()
    assert db.session.get(Shop, shop.id).dynamic_grade == "较差"
    assert db.session.get(ShopGrading, shop.id).base_grade == "较差"


def test_intervals_up_to_two_years_and_older_tables_read_within_them(client, login_as):
    table = grading.load_rules()["intervals"]
    table["低"]["良好"] = 730  # on the bound: accepted
    grading.update_rules({"intervals": table}, actor=make_regulator())
    db.session.commit()
    assert grading.load_rules()["intervals"]["低"]["良好"] == 730
    row = db.session.get(GradingRule, "intervals")
    row.value = {**row.value, "低": {**row.value["低"], "良好": 1000}}  # stored before the bound
    db.session.commit()
    assert grading.load_rules()["intervals"]["低"]["良好"] == 730
    login_as(make_regulator())
    form = {f"intervals.{t}.{g}": str(d) for t, r in grading.RULE_DEFAULTS["intervals"].items() for g, d in r.items()}
    form["intervals.低.良好"] = "731"
    response = client.post("/admin/rules", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "检查间隔天数（静态层级 × 动态等级）（低·良好）：应在 1–730 之间" in html


def test_update_rules_is_audited_and_changes_the_interval():
    reg = make_regulator()
    shop = make_shop()
    add_inspection(shop, T - D(100), "pass")
    table = grading.load_rules()["intervals"]
    table["中"]["良好"] = 100
    grading.update_rules({"intervals": table}, actor=reg)
    db.session.commit()
    assert grading.explain(shop, T).due_on == T  # 100 days
    assert planned(shop).due_on == T
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "grading.rule"))
    assert event.before["intervals"]["中"]["良好"] == 180 and event.after["intervals"]["中"]["良好"] == 100


@pytest.mark.parametrize(
    "data,field",
    [
        ({"no_repeat_days": "abc"}, "no_repeat_days"),
        ({"intervals": {"高": {"良好": 0}}}, "intervals.高.良好"),
        ({"intervals": {"低": {"良好": 731}}}, "intervals.低.良好"),  # over two years (Order 49 Art. 22)
        ({"sampling_ratios": {"A": 2, "B": 0.1, "C": 0.3, "D": 0.8}}, "sampling_ratios.A"),
        ({"tier_map": {"A": "极高"}}, "tier_map"),
        ({"nonsense": 1}, "nonsense"),
    ],
)
def test_bad_rules_name_the_field_and_change_nothing(data, field):
    with pytest.raises(DomainError) as exc:
        grading.update_rules(data, actor=make_regulator())
    assert field in exc.value.errors
    assert grading.load_rules() == grading.RULE_DEFAULTS


def test_partial_refreshes_touch_only_their_shops():
    a = make_shop(street="徐家汇街道")
    b = make_shop(street="湖南路街道")
    add_inspection(a, T - D(10), "fail")
    add_inspection(b, T - D(10), "fail")
    b_row = db.session.get(ShopGrading, b.id).refreshed_at
    street_a = db.session.get(Shop, a.id).street_id
    assert grading.refresh_all(street_id=street_a) == 1
    assert grading.refresh_all(shop_ids=[a.id]) == 1
    db.session.commit()
    assert db.session.get(ShopGrading, b.id).refreshed_at == b_row  # untouched, still there
    assert db.session.get(ShopGrading, a.id).base_grade == "较差"


def test_rules_change_in_a_large_district_waits_for_the_nightly_refresh(monkeypatch):
    shop = make_shop()
    add_inspection(shop, T - D(100), "pass")
    monkeypatch.setattr(grading_refresh, "REFRESH_NOW_LIMIT", 0)
    table = grading.load_rules()["intervals"]
    table["中"]["良好"] = 100
    assert grading.update_rules({"intervals": table}, actor=make_regulator())["_refreshed"] is False
    db.session.commit()
    assert db.session.get(ShopGrading, shop.id).routine_due_base == T - D(100) + D(180)
    grading.refresh_all()
    db.session.commit()
    assert db.session.get(ShopGrading, shop.id).routine_due_base == T


def test_internal_labels_never_use_the_name_of_the_legal_abnormal_operations_list():
    """经营异常名录 is a legal list kept by the registration authority (企业信息公示暂行条例); a shop that
    does not answer or has suspended business is not on it, so no screen may call it 经营异常."""
    from pathlib import Path

    import huishang

    root = Path(huishang.__file__).parent
    offenders = [str(p.relative_to(root)) for p in [*root.rglob("*.py"), *root.rglob("*.html")]
                 if "经营异常" in p.read_text(encoding="utf-8").replace("经营异常名录", "")]
    assert offenders == []
