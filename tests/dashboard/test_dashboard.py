"""The regulator dashboard: figures checked against counts computed here from the rows created."""

import csv
import io
from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from huishang.extensions import db
from huishang.models import Inspection, Licence, today
from huishang.models.feedback import Complaint, ComplaintEvent
from huishang.services import dashboard
from tests.factories import make_inspector, make_regulator, make_shop

XJH, HJ = "徐家汇街道", "华泾镇"


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def inspect(shop, on, outcome):
    db.session.add(Inspection(shop_id=shop.id, inspected_on=on, outcome=outcome, source="import"))


def complaint(shop, n, category, submitted_on, decided_on=None, forwarded_on=None, answered_on=None):
    c = Complaint(
        ticket=f"T{n:06d}",
        tracking_key_hash="x",
        shop_id=shop.id,
        category=category,
        description="测试",
        submitted_on=submitted_on,
        created_at=datetime.combine(submitted_on, datetime.min.time()) + timedelta(hours=2),
        forwarded_on=forwarded_on,
        answered_at=(datetime.combine(answered_on, datetime.min.time()) + timedelta(hours=2))
        if answered_on
        else None,
        status="submitted",
    )
    db.session.add(c)
    db.session.flush()
    if decided_on:
        db.session.add(
            ComplaintEvent(
                complaint_id=c.id,
                action="accept",
                actor_role="regulator",
                from_status="submitted",
                to_status="accepted",
                at=datetime.combine(decided_on, datetime.min.time()) + timedelta(hours=2),
            )
        )
    return c


@pytest.fixture
def world():
    """Shops in two streets and three types, one closed; inspections over 14 weeks."""
    xjh = [make_shop(street=XJH, business_type="catering.fast_food") for _ in range(3)]
    xjh += [make_shop(street=XJH, business_type="food_sales.supermarket")]
    hj = [
        make_shop(street=HJ, business_type="catering.fast_food"),
        make_shop(street=HJ, business_type="catering.bakery"),
    ]
    closed = make_shop(street=XJH, business_type="catering.fast_food")
    from huishang.services import registry

    registry.close_shop(closed, reason="歇业")
    on = today()
    plan = [
        (xjh[0], on, "pass"),
        (xjh[1], on - timedelta(days=7), "fail"),
        (xjh[1], on - timedelta(days=8), "partial"),
        (hj[0], on - timedelta(days=20), "pass"),
        (xjh[2], on - timedelta(days=100), "pass"),
    ]  # the last is older than 12 weeks
    for shop, day, outcome in plan:
        inspect(shop, day, outcome)
    db.session.commit()
    return {"xjh": xjh, "hj": hj, "closed": closed, "inspections": plan}


def test_shops_by_street_and_type(world):
    figures = dashboard.compute(make_regulator())
    by_street = {s.name: n for s, n in figures.streets}
    active = [s for s in world["xjh"] + world["hj"]]
    expected = Counter(s.street.name for s in active)
    assert by_street == dict(expected)
    assert {bt.code: n for bt, n in figures.types} == dict(Counter(s.business_type.code for s in active))
    assert figures.total_shops == len(active)
    family_xjh = Counter(s.business_type.parent.code for s in world["xjh"])
    street_id = world["xjh"][0].street_id
    assert {fam: n for (sid, fam), n in figures.cross.items() if sid == street_id} == dict(family_xjh)


def test_scoped_to_the_regulators_streets(world):
    figures = dashboard.compute(make_regulator(streets=(HJ,)))
    assert {s.name: n for s, n in figures.streets} == {HJ: len(world["hj"])}
    assert sum(w["total"] for w in figures.weeks) == 1  # only the 华泾镇 inspection


def test_inspections_per_week(world):
    figures = dashboard.compute(make_regulator())
    assert len(figures.weeks) == 12 and figures.weeks[-1]["start"] == monday(today())
    first = figures.weeks[0]["start"]
    expected = Counter()
    for _, day, outcome in world["inspections"]:
        if first <= day <= today():
            expected[(monday(day), outcome)] += 1
    got = Counter({(w["start"], o): w[o] for w in figures.weeks for o in ("pass", "partial", "fail") if w[o]})
    assert got == expected
    assert sum(w["total"] for w in figures.weeks) == 4


def test_ninegrid_counts_from_derived_columns(world):
    shops = world["xjh"] + world["hj"]
    cells = [("高", "较差"), ("高", "较差"), ("中", "良好"), ("低", None), ("中", "良好"), ("中", "一般")]
    for shop, (tier, grade) in zip(shops, cells, strict=True):
        shop.static_tier, shop.dynamic_grade = tier, grade
    db.session.commit()
    figures = dashboard.compute(make_regulator())
    expected = Counter((t, g or "一般") for t, g in cells)
    assert {k: v for k, v in figures.ninegrid.items() if v} == dict(expected)


def test_complaints_by_category_and_time_limits(world):
    shop = world["xjh"][0]
    on = today()
    # Pick a Monday well inside the window so working days are plain weekdays (no calendar rows).
    base = monday(on) - timedelta(weeks=4)
    complaint(shop, 1, "food_safety", base, decided_on=base + timedelta(days=1))  # on time
    complaint(shop, 2, "food_safety", base, decided_on=base + timedelta(days=3))  # late (Thu > Wed)
    complaint(
        shop,
        3,
        "price",
        base,
        decided_on=base + timedelta(days=2),  # on time (Wed)
        forwarded_on=base + timedelta(days=2),
        answered_on=base + timedelta(days=5),
    )  # Fri ≤ Mon: on time
    complaint(
        shop,
        4,
        "hygiene",
        base,
        decided_on=base + timedelta(days=1),
        forwarded_on=base + timedelta(days=1),
        answered_on=base + timedelta(days=7),
    )  # Mon > Fri: late
    complaint(shop, 5, "price", base)  # never decided: late
    complaint(shop, 6, "food_safety", on - timedelta(days=200))  # outside 90 days
    db.session.commit()
    figures = dashboard.compute(make_regulator())
    assert {cat: n for cat, _, n in figures.complaints} == {"food_safety": 2, "price": 2, "hygiene": 1}
    accept, answer = figures.limits["accept"], figures.limits["answer"]
    assert (accept["on_time"], accept["late"], accept["pending"]) == (3, 2, 0)
    assert accept["rate"] == 60
    assert (answer["on_time"], answer["late"], answer["pending"]) == (1, 1, 0)


def test_licences_expiring_within_30_days(world):
    on = today()
    shops = world["xjh"]
    for shop, days in zip(shops, (0, 29, 31, -1), strict=True):
        db.session.add(Licence(shop_id=shop.id, number=f"JY{days}", expires_on=on + timedelta(days=days)))
    db.session.add(Licence(shop_id=world["closed"].id, number="JYC", expires_on=on + timedelta(days=3)))
    db.session.commit()
    figures = dashboard.compute(make_regulator())
    assert figures.licence_count == 2
    assert [lic.number for lic, _ in figures.licences] == ["JY0", "JY29"]


def test_plan_progress_when_grading_present(world):
    if dashboard.PlanItem is None:
        pytest.skip("grading feature absent")
    on = today()
    PlanItem = dashboard.PlanItem
    rows = [
        ("open", on - timedelta(days=3), None),
        ("open", on + timedelta(days=5), None),
        ("inspected", on - timedelta(days=10), on - timedelta(days=2)),
        ("inspected", on - timedelta(days=90), on - timedelta(days=60)),
    ]  # closed long ago
    for n, (status, due, closed) in enumerate(rows):
        shop = world["xjh"][n]
        db.session.add(
            PlanItem(
                shop_id=shop.id,
                cycle=f"c{n}",
                street_id=shop.street_id,
                due_on=due,
                reason="routine",
                static_tier="中",
                dynamic_grade="一般",
                generated_on=on,
                status=status,
                closed_on=closed,
            )
        )
    db.session.commit()
    plan = dashboard.compute(make_regulator()).plan
    assert (plan["open"], plan["overdue"], plan["done"], plan["total"]) == (2, 1, 1, 3)


def test_page_links_and_roles(client, login_as, world):
    login_as(make_regulator())
    r = client.get("/admin/dashboard")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "<svg" in html and "style=" not in html.split("<main>")[1] and "<script>" not in html
    assert "/admin/shops?street=%E5%BE%90%E5%AE%B6%E6%B1%87%E8%A1%97%E9%81%93&amp;status=open" in html
    assert "business_type=catering.fast_food" in html
    client.post("/logout")
    login_as(make_inspector())
    assert client.get("/admin/dashboard").status_code == 403
    assert client.get("/admin/dashboard/export.xlsx").status_code == 403


def test_export_xlsx_and_csv(client, login_as, world):
    login_as(make_regulator())
    r = client.get("/admin/dashboard/export.xlsx")
    assert r.status_code == 200
    book = load_workbook(io.BytesIO(r.data))
    rows = list(book["shops_by_street"].iter_rows(values_only=True))
    assert dict(rows[1:]) == dict(Counter(s.street.name for s in world["xjh"] + world["hj"]))
    assert {"inspections_by_week", "complaints_by_category", "licences_expiring"} <= set(book.sheetnames)
    r = client.get("/admin/dashboard/export.csv")
    text = r.data.decode("utf-8-sig")
    assert r.status_code == 200 and "# shops_by_street" in text
    parsed = list(csv.reader(io.StringIO(text)))
    assert [XJH, "4"] in parsed and [HJ, "2"] in parsed
    assert client.get("/admin/dashboard/export.pdf").status_code == 404


# -- API-key pages -----------------------------------------------------------------------------


def test_api_key_page_creates_shows_once_and_revokes(client, login_as):
    from sqlalchemy import select

    from huishang.models import ApiKey

    login_as(make_regulator())
    r = client.post(
        "/admin/api-keys", data={"name": "市级移动监管系统", "scopes": ["inspections:write", "registry:read"]}
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    key = db.session.scalar(select(ApiKey))
    raw = html.split('class="key-raw">')[1].split("<")[0]
    assert raw.startswith(key.prefix) and key.scopes == ["inspections:write", "registry:read"]
    assert raw not in client.get("/admin/api-keys").get_data(as_text=True)
    assert (
        client.get(
            "/api/v1/integration/changes?since=2020-01-01T00:00:00", headers={"X-Api-Key": raw}
        ).status_code
        == 200
    )
    r = client.post(f"/admin/api-keys/{key.id}/revoke")  # not confirmed: nothing happens
    assert r.status_code == 302 and db.session.get(ApiKey, key.id).revoked_at is None
    r = client.post(f"/admin/api-keys/{key.id}/revoke", data={"confirm": "yes"})
    assert r.status_code == 302
    assert (
        client.get(
            "/api/v1/integration/changes?since=2020-01-01T00:00:00", headers={"X-Api-Key": raw}
        ).status_code
        == 401
    )


def test_api_key_form_errors_are_422(client, login_as):
    login_as(make_regulator())
    r = client.post("/admin/api-keys", data={"name": "", "scopes": ["root"]})
    assert r.status_code == 422
    assert "至少" in r.get_data(as_text=True) or "未知权限" in r.get_data(as_text=True)


def test_one_street_filter(client, login_as, world):
    figures = dashboard.compute(make_regulator(), street=HJ)
    assert {s.name: n for s, n in figures.streets} == {HJ: len(world["hj"])} and figures.street.name == HJ
    with pytest.raises(Exception) as info:
        dashboard.compute(make_regulator(streets=(XJH,)), street=HJ)
    assert info.value.status == 403
    login_as(make_regulator())
    html = client.get("/admin/dashboard", query_string={"street": HJ}).get_data(as_text=True)
    assert "合计 2" in html and 'value="华泾镇" selected' in html
    assert client.get("/admin/dashboard", query_string={"street": "火星街道"}).status_code == 400
    r = client.get("/admin/dashboard/export.csv", query_string={"street": HJ})
    assert "dashboard-" in r.headers["Content-Disposition"] and "-HJ.csv" in r.headers["Content-Disposition"]
    assert XJH not in r.data.decode("utf-8-sig")


@pytest.mark.parametrize("days_ago,flagged", [(729, False), (730, False), (731, True)])
def test_shops_not_fully_inspected_in_two_years_are_flagged(client, login_as, days_ago, flagged):
    """SAMR Order 49 Art. 22: at least one full inspection every two years; the day before, on and after."""
    from tests.factories import add_inspection

    on = today()
    shop = make_shop(street=XJH, registered_on=(on - timedelta(days=1000)).isoformat())
    add_inspection(shop, on - timedelta(days=days_ago), "pass")
    figures = dashboard.compute(make_regulator())
    assert ([s.id for s, _ in figures.coverage] == [shop.id]) is flagged
    assert figures.coverage_count == (1 if flagged else 0)


def test_two_year_flag_counts_never_inspected_old_shops_and_ignores_partial_checks(client, login_as):
    from tests.factories import add_inspection

    on = today()
    never = make_shop(street=XJH, sign_name="从未检查老店", registered_on=(on - timedelta(days=800)).isoformat())
    young = make_shop(street=XJH, registered_on=(on - timedelta(days=100)).isoformat())
    only_partial = make_shop(street=HJ, sign_name="只做过复查", registered_on=(on - timedelta(days=900)).isoformat())
    add_inspection(only_partial, on - timedelta(days=800), "pass")
    add_inspection(only_partial, on - timedelta(days=10), "pass", full=False)  # a re-inspection is not full
    figures = dashboard.compute(make_regulator())
    assert [s.id for s, _ in figures.coverage] == [never.id, only_partial.id]  # never inspected first
    assert young.id not in {s.id for s, _ in figures.coverage}
    assert [s.id for s, _ in dashboard.compute(make_regulator(streets=[HJ])).coverage] == [only_partial.id]
    login_as(make_regulator())
    html = client.get("/admin/dashboard").get_data(as_text=True)
    assert "两年未全面检查" in html and "从未检查老店" in html and "第二十二条" in html
    sheets = dict(dashboard.table_rows(figures))
    assert [row[1] for row in sheets["not_fully_inspected_2y"][1:]] == ["从未检查老店", "只做过复查"]
