"""The 30-day list: API contract and scope, tracking across regenerations, assignment, closure,
exports, the CLI and the pages."""

import csv
import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from huishang.extensions import db
from huishang.models import AuditEvent, Shop
from huishang.models.base import today as district_today
from huishang.models.grading import PlanItem
from huishang.services import planning, registry
from tests.factories import (
    add_complaint,
    add_inspection,
    make_inspector,
    make_merchant,
    make_regulator,
    make_shop,
)

TODAY = district_today()
D = timedelta


def shops_due(n=3, street="徐家汇街道"):
    """`n` shops due within the next 30 days (routine, 中·良好)."""
    out = []
    for k in range(n):
        shop = make_shop(street=street)
        add_inspection(shop, TODAY - D(170 + k), "pass")
        out.append(shop)
    return out


def test_api_contract_items_in_order(client, auth_header):
    reg = make_regulator()
    a, b = shops_due(2)
    new = make_shop(registered_on=(TODAY - D(40)).isoformat())  # never inspected: overdue 'new'
    later = make_shop()
    add_inspection(later, TODAY - D(10), "pass")  # due in 180 days: absent
    r = client.get("/api/v1/inspection-plan?days=30", headers=auth_header(reg))
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    codes = [i["shop_code"] for i in body["items"]]
    assert codes == [new.code, b.code, a.code]
    first = body["items"][0]
    assert first["reason"] == "new" and first["overdue"] is True
    assert first["cell"] == {"static": "中", "dynamic": "一般"}
    assert set(first) >= {
        "shop_code",
        "due_on",
        "reason",
        "cell",
        "sign_name",
        "street",
        "overdue",
        "assignment",
        "status",
    }
    assert later.code not in codes


def test_api_as_of_and_validation(client, auth_header):
    reg = make_regulator()
    shop = make_shop()
    add_inspection(shop, date(2025, 1, 1), "pass")  # due 2025-06-30
    url = "/api/v1/inspection-plan?as_of=2025-05-31&days=30"
    assert [i["due_on"] for i in client.get(url, headers=auth_header(reg)).get_json()["items"]] == [
        "2025-06-30"
    ]
    url = "/api/v1/inspection-plan?as_of=2025-05-30&days=30"
    assert client.get(url, headers=auth_header(reg)).get_json()["items"] == []
    for bad, field in (
        ("as_of=2025-13-01", "as_of"),
        ("days=-1", "days"),
        ("days=abc", "days"),
        ("street=火星街道", "street"),
    ):
        r = client.get(f"/api/v1/inspection-plan?{bad}", headers=auth_header(reg))
        assert r.status_code in (400, 422) and field in r.get_json()["errors"], (bad, r.get_json())


def test_api_scope_and_roles(client, auth_header):
    mine = shops_due(1, "徐家汇街道")[0]
    other = shops_due(1, "湖南路街道")[0]
    inspector = make_inspector(streets=("徐家汇街道",))
    codes = [
        i["shop_code"]
        for i in client.get("/api/v1/inspection-plan", headers=auth_header(inspector)).get_json()["items"]
    ]
    assert codes == [mine.code]
    street_reg = make_regulator(streets=("湖南路街道",))
    codes = [
        i["shop_code"]
        for i in client.get("/api/v1/inspection-plan", headers=auth_header(street_reg)).get_json()["items"]
    ]
    assert codes == [other.code]
    r = client.get("/api/v1/inspection-plan?street=湖南路街道", headers=auth_header(inspector))
    assert r.status_code == 403
    district = make_regulator()
    assert len(client.get("/api/v1/inspection-plan", headers=auth_header(district)).get_json()["items"]) == 2
    merchant = make_merchant(shops=[mine])
    assert client.get("/api/v1/inspection-plan", headers=auth_header(merchant)).status_code == 403
    assert client.get("/api/v1/inspection-plan").status_code == 401
    assert (
        client.post("/api/v1/inspection-plan/generate", json={}, headers=auth_header(inspector)).status_code
        == 403
    )


def test_generate_keeps_tracking_and_inspection_closes_the_item(client, auth_header):
    reg = make_regulator()
    a, b = shops_due(2)
    r = client.post("/api/v1/inspection-plan/generate", json={"days": 30}, headers=auth_header(reg))
    assert r.get_json() == {"count": 2}
    item_a = db.session.scalar(select(PlanItem).where(PlanItem.shop_id == a.id))
    item_a.inspector_id = make_inspector().id
    db.session.commit()
    # regenerating on another day finds the same items: tracking kept, nothing duplicated
    planning.generate(TODAY + D(3), 30)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(PlanItem)) == 2
    assert db.session.get(PlanItem, item_a.id).inspector_id is not None
    # an open item takes the day's due date and reason when they moved (a food-safety complaint)
    item_b = db.session.scalar(select(PlanItem).where(PlanItem.shop_id == b.id))
    assert item_b.reason == "routine" and item_b.due_on > TODAY + D(7)
    add_complaint(b, TODAY)
    planning.generate(TODAY, 30)
    db.session.commit()
    db.session.refresh(item_b)
    assert (item_b.due_on, item_b.reason) == (TODAY + D(7), "complaint")
    add_inspection(a, TODAY, "pass")
    item = db.session.get(PlanItem, item_a.id)
    assert (item.status, item.closed_on) == ("inspected", TODAY)
    items = client.get("/api/v1/inspection-plan", headers=auth_header(reg)).get_json()["items"]
    assert [i["shop_code"] for i in items] == [b.code]
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "plan.generate")) is not None


def test_manual_closures(client, auth_header):
    inspector = make_inspector()
    shop = shops_due(1)[0]
    planning.generate(TODAY, 30)
    db.session.commit()
    item = db.session.scalar(select(PlanItem))
    r = client.post(
        f"/api/v1/inspection-plan/items/{item.id}/close",
        json={"status": "inspected"},
        headers=auth_header(inspector),
    )
    assert r.status_code == 422 and "status" in r.get_json()["errors"]
    r = client.post(
        f"/api/v1/inspection-plan/items/{item.id}/close",
        json={"status": "not_found", "note": "门面已拆"},
        headers=auth_header(inspector),
    )
    assert r.status_code == 200 and r.get_json()["status"] == "not_found"
    r = client.post(
        f"/api/v1/inspection-plan/items/{item.id}/close",
        json={"status": "closed_business"},
        headers=auth_header(inspector),
    )
    assert r.status_code == 409
    outsider = make_inspector(streets=("湖南路街道",))
    r = client.post(
        f"/api/v1/inspection-plan/items/{item.id}/close",
        json={"status": "not_found"},
        headers=auth_header(outsider),
    )
    assert r.status_code == 403
    assert shop.id == item.shop_id


def test_closing_the_shop_closes_its_item():
    shop = shops_due(1)[0]
    planning.generate(TODAY, 30)
    registry.close_shop(shop, reason="注销")
    db.session.commit()
    assert db.session.scalar(select(PlanItem.status)) == "closed_business"


def test_auto_assign_balances_pairs_within_each_street(client, auth_header):
    reg = make_regulator()
    shops_due(6, "徐家汇街道")
    shops_due(2, "湖南路街道")
    xjh = [make_inspector(streets=("徐家汇街道",)) for _ in range(4)]
    hn = [make_inspector(streets=("湖南路街道",)) for _ in range(2)]
    planning.generate(TODAY, 30)
    db.session.commit()
    r = client.post("/api/v1/inspection-plan/auto-assign", json={}, headers=auth_header(reg))
    assert r.get_json() == {"count": 8}
    rows = db.session.execute(
        select(PlanItem.street_id, PlanItem.inspector_id, PlanItem.co_inspector_id)
    ).all()
    xjh_ids, hn_ids = {u.id for u in xjh}, {u.id for u in hn}
    pairs = {}
    for street_id, lead, co in rows:
        team = xjh_ids if street_id == xjh[0].streets[0].id else hn_ids
        assert lead in team and co in team and lead != co  # never across streets
        pairs[(lead, co)] = pairs.get((lead, co), 0) + 1
    assert sorted(pairs.values()) == [2, 3, 3]  # 6 items over 2 pairs, 2 items over 1 pair
    assert client.post(
        "/api/v1/inspection-plan/auto-assign", json={}, headers=auth_header(reg)
    ).get_json() == {"count": 0}


def test_manual_reassign_only_to_the_streets_inspectors(client, auth_header):
    reg = make_regulator()
    shops_due(1)
    a, b = make_inspector(), make_inspector()
    other = make_inspector(streets=("湖南路街道",))
    planning.generate(TODAY, 30)
    db.session.commit()
    item = db.session.scalar(select(PlanItem))
    url = f"/api/v1/inspection-plan/items/{item.id}/assign"
    r = client.post(url, json={"inspector": other.username}, headers=auth_header(reg))
    assert r.status_code == 422 and "inspector_id" in r.get_json()["errors"]
    r = client.post(url, json={"inspector": a.username, "co_inspector": b.username}, headers=auth_header(reg))
    assert r.status_code == 200 and r.get_json()["assignment"]["co_inspector"] == b.username
    assert client.post(url, json={"inspector": a.username}, headers=auth_header(a)).status_code == 403


def test_exports(client, login_as):
    reg = make_regulator()
    shop = shops_due(1)[0]
    login_as(reg)
    r = client.get("/admin/plan/export.csv?days=30")
    assert r.status_code == 200 and r.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert rows[0][1] == "商铺码" and rows[1][1] == shop.code
    r = client.get("/admin/plan/export.xlsx?days=30")
    sheet = load_workbook(io.BytesIO(r.data)).active
    assert sheet.cell(3, 2).value == shop.code
    r = client.get("/admin/plan/export.pdf?days=30")
    assert r.data.startswith(b"%PDF")
    assert client.get("/admin/plan/export.doc").status_code == 404


def test_cli_plan_and_refresh(runner, tmp_path):
    shop = shops_due(1, "湖南路街道")[0]
    shops_due(1, "徐家汇街道")
    result = runner.invoke(args=["plan", "--days", "30", "--street", "湖南路街道"])
    assert result.exit_code == 0, result.output
    assert shop.code in result.output and result.output.count("\t中\t") == 1
    out = tmp_path / "plan.xlsx"
    result = runner.invoke(args=["plan", "--days", "30", "--as-of", TODAY.isoformat(), "--out", str(out)])
    assert result.exit_code == 0 and out.exists()
    result = runner.invoke(args=["plan", "--as-of", "2025-02-30"])
    assert result.exit_code != 0 and "--as-of" in result.output
    result = runner.invoke(args=["plan", "refresh"])
    assert result.exit_code == 0 and "refreshed 2 shops" in result.output
    # On PostgreSQL the night's writes are vacuumed, so the list is read from its index alone.
    assert ("vacuumed shops and plan_items" in result.output) == (db.engine.dialect.name == "postgresql")


def test_plan_page_and_forms(client, login_as):
    reg = make_regulator()
    make_inspector(), make_inspector()
    shops_due(2)
    login_as(reg)
    r = client.get("/admin/plan")
    assert r.status_code == 200 and "尚未生成跟踪事项" in r.get_data(as_text=True)
    assert client.post("/admin/plan/generate", data={"days": "30"}).status_code == 302
    assert client.post("/admin/plan/auto-assign", data={}).status_code == 302
    page = client.get("/admin/plan").get_data(as_text=True)
    assert "检查组" in page and "尚未生成跟踪事项" not in page
    item = db.session.scalar(select(PlanItem))
    assert client.post(f"/admin/plan/items/{item.id}/close", data={"status": "not_found"}).status_code == 302
    assert db.session.get(PlanItem, item.id).status == "not_found"
    assert client.get("/admin/plan?as_of=nonsense").status_code == 400


def test_plan_page_merchant_forbidden(client, login_as):
    shop = make_shop()
    login_as(make_merchant(shops=[shop]))
    assert client.get("/admin/plan").status_code == 403
    assert client.get("/admin/grid/高/良好").status_code == 403


def test_nine_grid_counts_and_cell_page(client, login_as, app):
    a = make_shop(business_type="group_meal.school_canteen")
    add_inspection(a, TODAY - D(5), "fail")
    make_shop(street="湖南路街道")
    reg = make_regulator(streets=("徐家汇街道",))
    with app.test_request_context():
        from huishang.admin.grading import nine_grid

        grid = nine_grid(reg)
    assert grid["counts"][("高", "较差")] == 1 and grid["total"] == 1
    login_as(reg)
    page = client.get("/admin/grid/高/较差").get_data(as_text=True)
    assert a.code in page
    assert client.get("/admin/grid/极高/良好").status_code == 404


@pytest.mark.parametrize("role,sees_credit", [("regulator", True), ("inspector", False)])
def test_explanation_on_profile_and_scan(client, login_as, role, sees_credit):
    shop = make_shop()
    add_inspection(shop, TODAY - D(30), "pass")
    add_complaint(shop, TODAY - D(2))
    login_as(make_regulator() if role == "regulator" else make_inspector())
    for url in (f"/admin/grading/shops/{shop.code}", f"/s/{shop.code}"):
        page = client.get(url).get_data(as_text=True)
        assert "投诉触发" in page and (TODAY + D(5)).isoformat() in page, url
        assert ("信用风险分类（内部" in page) == sees_credit, url


def test_rules_page(client, login_as):
    reg = make_regulator()
    login_as(reg)
    assert client.get("/admin/rules").status_code == 200
    form = {f"intervals.{t}.{g}": "100" for t in "高中低" for g in ("良好", "一般", "较差")}
    form.update({f"tier_map.{k}": v for k, v in {"A": "低", "B": "低", "C": "中", "D": "高"}.items()})
    form.update({f"sampling_ratios.{k}": "10" for k in "ABCD"})
    form.update(
        {
            "complaint_threshold": "2",
            "complaint_window_days": "90",
            "no_repeat_days": "abc",
            "new_shop_days": "30",
            "complaint_trigger_days": "7",
            "publicity_months_minor": "3",
            "publicity_months_other": "36",
            "repair_min_months": "3",
            "worsen_on_penalty": "on",
            "worsen_on_overdue_rectification": "on",
        }
    )
    r = client.post("/admin/rules", data=form)
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "三个月内不重复检查（天）：应为整数" in html and "no_repeat_days：" not in html
    assert "总局令第49号第四十二条" in html  # every rule shows its source
    form["no_repeat_days"] = "60"
    assert client.post("/admin/rules", data=form).status_code == 302
    from huishang.services import grading

    assert grading.load_rules()["no_repeat_days"] == 60
    assert grading.load_rules()["sampling_ratios"]["A"] == pytest.approx(0.1)
    client.post("/logout")
    login_as(make_inspector())
    assert client.post("/admin/rules", data=form).status_code == 403


def test_stored_columns_follow_writes():
    shop = make_shop()
    add_inspection(shop, TODAY - D(1), "fail", deadline=TODAY + D(10))
    stored = db.session.get(Shop, shop.id)
    assert (stored.dynamic_grade, stored.due_reason, stored.next_due_on) == (
        "较差",
        "rectification",
        TODAY + D(10),
    )


def test_api_pages_are_slices_of_the_whole_list(client, auth_header):
    reg = make_regulator()
    shops_due(5)
    make_shop(registered_on=(TODAY - D(40)).isoformat())
    whole = client.get("/api/v1/inspection-plan", headers=auth_header(reg)).get_json()
    assert whole["count"] == 6 and whole["page"] is None
    codes = [i["shop_code"] for i in whole["items"]]
    page2 = client.get("/api/v1/inspection-plan?page=2&per_page=4", headers=auth_header(reg)).get_json()
    assert page2["count"] == 6 and [i["shop_code"] for i in page2["items"]] == codes[4:]
    page1 = client.get("/api/v1/inspection-plan?page=1&per_page=4", headers=auth_header(reg)).get_json()
    assert [i["shop_code"] for i in page1["items"]] == codes[:4]
    r = client.get("/api/v1/inspection-plan?page=0", headers=auth_header(reg))
    assert r.status_code == 422 and "page" in r.get_json()["errors"]


@pytest.mark.parametrize("refreshed", [False, True], ids=["general query", "fast path"])
def test_plan_page_pages_and_filters(client, login_as, monkeypatch, refreshed):
    """The page is served a page at a time from the database; the status and "mine" filters
    apply to the whole list before paging; the pages together are the list, in its order."""
    from huishang.admin import grading as grading_views
    from huishang.services import grading

    monkeypatch.setattr(grading_views, "PER_PAGE", 2)
    reg = make_regulator()
    lead, co = make_inspector(), make_inspector()
    shops_due(5)
    if refreshed:
        grading.refresh_all()
    planning.generate(TODAY, 30, None)
    db.session.commit()
    assert planning.fast_path_applies(TODAY, planning.stale_ids(TODAY)) == refreshed
    order = [i.shop_code for i in planning.plan_items(TODAY)]
    assert len(order) == 5
    items = {i.shop_id: i for i in db.session.scalars(select(PlanItem))}
    codes = {s.id: s.code for s in db.session.scalars(select(Shop))}
    by_code = {codes[k]: v for k, v in items.items()}
    planning.assign(by_code[order[1]], lead.id, co.id)
    planning.close_item(by_code[order[3]], "not_found")
    db.session.commit()

    def shown(url):
        html = client.get(url).get_data(as_text=True)
        return [c for c in order if c in html]

    login_as(reg)
    assert shown("/admin/plan") == order[:2]
    assert shown("/admin/plan?page=2") == order[2:4]
    assert shown("/admin/plan?page=3") == order[4:]
    far = client.get("/admin/plan?page=100000000000000000000")  # past the end: an empty page
    assert far.status_code == 200 and not [c for c in order if c in far.get_data(as_text=True)]
    assert shown("/admin/plan?status=not_found") == [order[3]]
    assert shown("/admin/plan?status=open") == [order[0], order[1]]
    assert shown("/admin/plan?status=open&page=2") == [order[2], order[4]]
    for inspector in (lead, co):
        client.post("/logout")
        login_as(inspector)
        assert shown("/admin/plan?mine=1") == [order[1]]
    client.post("/logout")
    login_as(make_inspector())
    assert shown("/admin/plan?mine=1") == []
