"""The checklist library: shipped templates, matching by business type and cold-chain colour,
versioning by regulators, and the checklists API."""

import json

import pytest
from sqlalchemy import func, select

from huishang.extensions import db
from huishang.models import AuditEvent, ChecklistTemplate, Inspection
from huishang.services import Conflict, DomainError
from huishang.services.catalog import checklists
from huishang.services.reference import seed_reference_data
from tests.factories import make_inspector, make_merchant, make_property, make_regulator, make_shop


def keys(shop, kind="inspection"):
    return [a.template.key for a in checklists.applicable_templates(shop, kind)]


def test_library_is_seeded_with_both_kinds_and_real_items():
    templates = checklists.current_templates()
    by_key = {t.key: t for t in templates}
    for form in (
        "food.catering",
        "food.sales",
        "food.group_meal",
        "market.general",
        "market.prepaid",
        "market.pharmacy",
        "cold_chain.red",
        "cold_chain.orange",
        "cold_chain.yellow",
        "cold_chain.blue",
    ):
        assert f"{form}.inspection" in by_key and f"{form}.self_check" in by_key
    retired = {t.key for t in checklists.current_templates(retired=True)}
    for form in ("epidemic.catering", "epidemic.retail", "epidemic.service"):  # the 2020–2022 forms
        assert f"{form}.inspection" in retired and f"{form}.inspection" not in by_key
    for key in ("food.catering.inspection", "food.sales.inspection"):
        items = by_key[key].items
        assert 15 <= len(items) <= 30
        assert any(i.key for i in items) and any(not i.key for i in items)
        assert all(i.text and i.section for i in items)


def test_seeding_is_idempotent():
    before = db.session.scalar(select(func.count()).select_from(ChecklistTemplate))
    assert seed_reference_data() == 0
    assert db.session.scalar(select(func.count()).select_from(ChecklistTemplate)) == before


@pytest.mark.parametrize(
    "code,full_key",
    [
        ("catering.fast_food", "food.catering"),
        ("catering.bakery", "food.catering"),
        ("food_sales.supermarket", "food.sales"),
        ("group_meal.school_canteen", "food.group_meal"),
        ("non_food.beauty", "market.prepaid"),
        ("non_food.fitness", "market.prepaid"),
        ("non_food.education", "market.prepaid"),
        ("non_food.clothing", "market.general"),
        ("non_food.pharmacy", "market.pharmacy"),
    ],
)
def test_matching_by_family(code, full_key):
    shop = make_shop(business_type=code)
    found = keys(shop)
    full = [k for k in found if k.startswith(("food.", "market."))]
    assert full == [f"{full_key}.inspection"]  # exactly one full-inspection form per type
    assert not [k for k in found if k.startswith("epidemic.")]  # retired: never matched
    assert not [k for k in found if k.startswith("cold_chain.")]  # not registered as cold chain
    assert all(k.endswith(".self_check") for k in keys(shop, "self_check"))


@pytest.mark.parametrize(
    "code,cold_chain,colour",
    [
        ("catering.fast_food", True, "blue"),
        ("catering.fast_food", False, None),
        ("food_sales.supermarket", True, "yellow"),
        ("food_sales.fresh_market", True, "orange"),
        ("group_meal.central_kitchen", True, "orange"),
        ("food_sales.imported_cold_chain", False, "red"),  # the business type is cold chain by nature
        ("catering.drinks", True, "blue"),  # no colour in the catalogue, but registered as cold chain
        ("non_food.beauty", True, None),
    ],
)
def test_cold_chain_colour_table(code, cold_chain, colour):
    shop = make_shop(business_type=code, cold_chain=cold_chain)
    assert checklists.cold_chain_colour(shop) == colour
    cold = [k for k in keys(shop) if k.startswith("cold_chain.")]
    assert cold == ([f"cold_chain.{colour}.inspection"] if colour else [])


def test_reason_names_business_type_and_colour():
    shop = make_shop(business_type="catering.fast_food", cold_chain=True)
    reasons = {a.template.key: a.reason for a in checklists.applicable_templates(shop, "inspection")}
    assert reasons["cold_chain.blue.inspection"] == "业态 快餐, 冷链：是 → 蓝色"
    assert "快餐" in reasons["food.catering.inspection"]


def test_canteens_get_sample_retention_and_catering_items():
    canteen = make_shop(business_type="group_meal.school_canteen")
    restaurant = make_shop(business_type="catering.dining")
    (food_canteen,) = [
        a.template
        for a in checklists.applicable_templates(canteen, "inspection")
        if a.template.topic == "food_safety"
    ]
    (food_restaurant,) = [
        a.template
        for a in checklists.applicable_templates(restaurant, "inspection")
        if a.template.topic == "food_safety"
    ]
    canteen_sections = {i.section for i in food_canteen.items}
    assert "留样" in canteen_sections and "分餐与配送" in canteen_sections
    assert any("125克" in i.text and i.key for i in food_canteen.items)
    assert "留样" not in {i.section for i in food_restaurant.items}
    # the catering items are all there too
    assert {i.text for i in food_restaurant.items} <= {i.text for i in food_canteen.items}


def test_colour_table_is_data(tmp_path, monkeypatch):
    table = json.loads(checklists.COLOUR_TABLE.read_text(encoding="utf-8"))
    table["rules"].insert(
        0, {"business_types": ["catering.fast_food"], "cold_chain": True, "colour": "orange"}
    )
    path = tmp_path / "colours.json"
    path.write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(checklists, "COLOUR_TABLE", path)
    shop = make_shop(business_type="catering.fast_food", cold_chain=True)
    assert checklists.cold_chain_colour(shop) == "orange"
    assert "cold_chain.orange.inspection" in keys(shop)


def edit_rows(template, **change):
    rows = [{"section": i.section, "text": i.text, "basis": i.basis, "key": i.key} for i in template.items]
    rows[0].update(change)
    return rows


def test_edit_makes_a_new_version_and_old_inspections_keep_theirs():
    reg = make_regulator()
    old = db.session.scalar(
        select(ChecklistTemplate).where(ChecklistTemplate.key == "food.catering.inspection")
    )
    inspection = Inspection(
        shop_id=make_shop().id, template_id=old.id, inspected_on=old.created_at.date(), outcome="pass"
    )
    db.session.add(inspection)
    db.session.commit()
    new = checklists.edit_template(old, old.name, edit_rows(old, text="新的检查内容", key=False), actor=reg)
    db.session.commit()
    assert new.version == old.version + 1 and new.current and not old.current
    assert new.items[0].text == "新的检查内容" and not new.items[0].key
    assert old.items[0].text != "新的检查内容"  # the old version is untouched
    assert db.session.get(Inspection, inspection.id).template_id == old.id
    shop = make_shop()
    assert new.id in [a.template.id for a in checklists.applicable_templates(shop, "inspection")]
    assert old.id not in [a.template.id for a in checklists.applicable_templates(shop, "inspection")]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "checklist.edit"))
    assert event.actor_id == reg.id and event.before["version"] == 1 and event.after["version"] == 2
    assert seed_reference_data() == 0  # re-seeding never brings the shipped version back
    with pytest.raises(Conflict):
        checklists.edit_template(old, old.name, edit_rows(old), actor=reg)


def test_edit_validates_and_writes_nothing():
    template = checklists.current_templates("inspection")[0]
    with pytest.raises(DomainError) as err:
        checklists.edit_template(template, template.name, [{"section": "x", "text": ""}])
    assert "items" in err.value.errors
    with pytest.raises(DomainError) as err:
        checklists.edit_template(template, "", edit_rows(template))
    assert "name" in err.value.errors
    db.session.rollback()
    assert db.session.get(ChecklistTemplate, template.id).current


def test_edit_page_regulator_only(client, login_as):
    template = checklists.current_templates("inspection")[0]
    login_as(make_inspector())
    assert client.get(f"/admin/checklists/{template.id}").status_code == 200
    assert client.get(f"/admin/checklists/{template.id}/edit").status_code == 403
    client.post("/logout")
    login_as(make_regulator())
    assert client.get(f"/admin/checklists/{template.id}/edit").status_code == 200
    form = {"name": template.name, "rows": str(len(template.items) + 1)}
    for n, item in enumerate(template.items):
        form.update({f"section-{n}": item.section, f"text-{n}": item.text, f"basis-{n}": item.basis})
        if item.key:
            form[f"key-{n}"] = "1"
    form["delete-0"] = "1"
    n = len(template.items)
    form.update({f"section-{n}": "新增部分", f"text-{n}": "新增的重点检查项", f"key-{n}": "1"})
    response = client.post(f"/admin/checklists/{template.id}/edit", data=form)
    assert response.status_code == 302
    new = db.session.scalar(
        select(ChecklistTemplate).where(
            ChecklistTemplate.key == template.key, ChecklistTemplate.current.is_(True)
        )
    )
    assert new.version == 2 and len(new.items) == len(template.items)
    assert new.items[-1].text == "新增的重点检查项" and new.items[-1].key
    assert new.items[0].text == template.items[1].text
    bad = client.post(f"/admin/checklists/{new.id}/edit", data={"name": "", "rows": "0"})
    assert bad.status_code == 422 and "请填写检查表名称" in bad.get_data(as_text=True)


def test_checklists_api_scope(client, auth_header):
    shop = make_shop(business_type="catering.fast_food", cold_chain=True)
    other = make_shop(street="华泾镇")
    url = f"/api/v1/shops/{shop.code}/checklists"
    r = client.get(url, headers=auth_header(make_inspector()))
    assert r.status_code == 200
    body = r.get_json()
    assert body["colour"] == "blue" and body["colour_reason"] == "业态 快餐, 冷链：是 → 蓝色"
    inspection_keys = [t["key"] for t in body["inspection"]]
    assert "food.catering.inspection" in inspection_keys and "cold_chain.blue.inspection" in inspection_keys
    first = body["inspection"][0]
    assert first["reason"] and first["items"] and {"id", "text", "key", "section"} <= set(first["items"][0])
    assert all(t["kind"] == "self_check" for t in body["self_check"])
    assert client.get(url, headers=auth_header(make_merchant(shops=[shop]))).status_code == 200
    assert client.get(url, headers=auth_header(make_merchant(shops=[other]))).status_code == 403
    assert client.get(url, headers=auth_header(make_property())).status_code == 403
    assert client.get(url, headers=auth_header(make_inspector(streets=("华泾镇",)))).status_code == 403
    assert (
        client.get("/api/v1/shops/NOPE/checklists", headers=auth_header(make_regulator())).status_code == 404
    )
    assert client.get(url).status_code == 401


def test_library_pages_render(client, login_as):
    login_as(make_regulator())
    page = client.get("/admin/checklists")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "餐饮服务食品安全日常监督检查表" in text and "冷链食品红色单位检查表" in text
