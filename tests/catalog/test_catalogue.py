"""The catalogue in the app (issue 14): business types, the cold-chain colour table and the
checklist library's create / copy / retire — district-wide regulators only, every change audited
with before → after, bad input re-shown naming the field, nothing written."""
import pytest
from sqlalchemy import func, select

from huishang.extensions import db
from huishang.models import AuditEvent, BusinessType, ChecklistTemplate, Inspection
from huishang.services import Conflict, DomainError, inspections
from huishang.services.catalog import checklists, types
from tests.factories import make_inspector, make_regulator, make_shop


def bt(code) -> BusinessType:
    return db.session.scalar(select(BusinessType).where(BusinessType.code == code))


def tpl(key) -> ChecklistTemplate:
    return db.session.scalar(select(ChecklistTemplate).where(ChecklistTemplate.key == key,
                                                             ChecklistTemplate.current.is_(True)))


def events(action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def keys(shop, kind="inspection"):
    return [a.template.key for a in checklists.applicable_templates(shop, kind)]


# -- business types ------------------------------------------------------------------------------
def test_add_business_type_is_audited_and_usable_in_the_registry():
    reg = make_regulator()
    family = bt("non_food")
    new = types.add_business_type(family, {"name": "宠物服务", "name_en": "Pet care", "static_risk": "b",
                                           "colour": ""}, actor=reg)
    db.session.commit()
    assert new.code.startswith("non_food.") and new.family == "non_food" and not new.is_food
    assert new.static_risk == "B" and new.colour is None and new.parent_id == family.id
    (event,) = events("business_type.add")
    assert event.actor_id == reg.id and event.after["name"] == "宠物服务" and event.after["name_en"] == "Pet care"
    shop = make_shop(business_type="宠物服务")  # the registry finds it by name
    assert shop.business_type_id == new.id


def test_rename_records_before_and_after_and_refuses_a_duplicate():
    reg = make_regulator()
    beauty = bt("non_food.beauty")
    types.update_business_type(beauty, {"name": "美容美发美甲", "name_en": "Hair, beauty and nails",
                                        "static_risk": "B", "colour": ""}, actor=reg)
    db.session.commit()
    (event,) = events("business_type.update")
    assert event.before == {"name": "美容美发", "name_en": "Hair and beauty", "static_risk": "A"}
    assert event.after == {"name": "美容美发美甲", "name_en": "Hair, beauty and nails", "static_risk": "B"}
    with pytest.raises(DomainError) as err:
        types.update_business_type(beauty, {"name": " 服装 鞋帽 ", "static_risk": "B"}, actor=reg)
    assert list(err.value.errors) == ["name"] and "服装鞋帽" in err.value.errors["name"][0]
    db.session.rollback()
    assert db.session.get(BusinessType, beauty.id).name == "美容美发美甲"
    # saving without a change writes no event
    types.update_business_type(beauty, {"name": "美容美发美甲", "name_en": "Hair, beauty and nails",
                                        "static_risk": "B", "colour": ""}, actor=reg)
    assert len(events("business_type.update")) == 1


@pytest.mark.parametrize("data,field", [
    ({"name": "", "static_risk": "A"}, "name"),
    ({"name": "新业态", "static_risk": "E"}, "static_risk"),
    ({"name": "新业态", "static_risk": "A", "colour": "紫色"}, "colour"),
    ({"name": "新业态", "static_risk": "A", "name_en": "x" * 81}, "name_en"),
])
def test_bad_business_type_names_the_field_and_writes_nothing(data, field):
    before = db.session.scalar(select(func.count()).select_from(BusinessType))
    with pytest.raises(DomainError) as err:
        types.add_business_type(bt("non_food"), data)
    assert field in err.value.errors
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(BusinessType)) == before
    assert not events("business_type.add")


def test_type_pages_district_wide_regulators_only(client, login_as):
    login_as(make_inspector())
    assert client.get("/admin/catalog").status_code == 200
    assert client.get("/admin/catalog/types/new").status_code == 403
    client.post("/logout")
    login_as(make_regulator(streets=("徐家汇街道",)))  # a street regulator reads but does not change
    page = client.get("/admin/catalog")
    assert page.status_code == 200 and "新增业态" not in page.get_data(as_text=True)
    assert client.post(f"/admin/catalog/types/{bt('non_food.beauty').id}/edit",
                       data={"name": "x", "static_risk": "A"}).status_code == 403
    assert bt("non_food.beauty").name == "美容美发"


def test_type_form_reshows_naming_the_field(client, login_as):
    login_as(make_regulator())
    beauty = bt("non_food.beauty")
    response = client.post(f"/admin/catalog/types/{beauty.id}/edit",
                           data={"name": "药店", "name_en": "", "static_risk": "A", "colour": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "已有同名业态：药店" in html and "<strong>名称</strong>" in html
    assert 'value="药店"' in html  # what was typed is shown again
    assert bt("non_food.beauty").name == "美容美发"
    ok = client.post(f"/admin/catalog/types/{beauty.id}/edit",
                     data={"name": "美容美发", "name_en": "Beauty salon", "static_risk": "A", "colour": ""})
    assert ok.status_code == 302 and bt("non_food.beauty").name_en == "Beauty salon"
    new = client.post("/admin/catalog/types/new", data={"family": str(bt("non_food").id), "name": "宠物",
                                                         "name_en": "Pets", "static_risk": "A"})
    assert new.status_code == 302 and bt("non_food").children[-1].name == "宠物"
    bad = client.post("/admin/catalog/types/new", data={"family": "", "name": "宠物2", "static_risk": "A"})
    assert bad.status_code == 422 and "<strong>业态大类</strong>" in bad.get_data(as_text=True)


# -- the colour table --------------------------------------------------------------------------------
def test_colour_table_edited_in_the_app_decides_and_is_audited():
    reg = make_regulator()
    shop = make_shop(business_type="catering.fast_food", cold_chain=True)
    assert checklists.cold_chain_colour(shop) == "blue"
    rules = [{"colour": "orange", "business_type": "catering.fast_food", "cold_chain": "yes"},
             {"colour": "blue", "type_colour": "blue", "cold_chain": "yes"}]
    checklists.save_colour_table({"orange": "批发市场及快餐"}, rules, actor=reg)
    db.session.commit()
    assert checklists.cold_chain_colour(shop) == "orange"
    assert "cold_chain.orange.inspection" in keys(shop)
    (event,) = events("colour_table.update")
    assert len(event.before["rules"]) == 6 and event.after["rules"][0]["colour"] == "orange"
    assert event.after["colours"]["orange"] == "批发市场及快餐"


@pytest.mark.parametrize("rule,message", [
    ({"colour": "purple", "cold_chain": "yes"}, "第1条：请选择颜色"),
    ({"colour": "red"}, "第1条：至少要有一个条件"),
    ({"colour": "red", "business_type": "no.such"}, "第1条：未知业态"),
])
def test_bad_colour_rule_names_the_rule(rule, message):
    with pytest.raises(DomainError) as err:
        checklists.save_colour_table({}, [rule])
    assert any(m.startswith(message) for m in err.value.errors["rules"])
    db.session.rollback()
    assert checklists.colour_table() == checklists.shipped_colour_table()


def test_colour_page(client, login_as):
    login_as(make_regulator())
    page = client.get("/admin/catalog/colours")
    assert page.status_code == 200 and "红色" in page.get_data(as_text=True)
    bad = client.post("/admin/catalog/colours", data={"rows": "1", "colour-0": "red"})
    assert bad.status_code == 422 and "<strong>匹配规则</strong>" in bad.get_data(as_text=True)
    ok = client.post("/admin/catalog/colours", data={"rows": "1", "colour-0": "red", "cold_chain-0": "yes",
                                                     "type_colour-0": "any", "units-red": "全部冷链单位"})
    assert ok.status_code == 302
    assert checklists.colour_table()["rules"] == [{"cold_chain": True, "colour": "red"}]


# -- checklists: retire, copy, create, edit ----------------------------------------------------------
def test_a_retired_form_is_never_matched_filled_or_edited():
    reg = make_regulator()
    shop = make_shop(business_type="non_food.clothing")
    form = tpl("market.general.inspection")
    assert form.key in keys(shop)
    checklists.retire_template(form, actor=reg)
    db.session.commit()
    assert form.key not in keys(shop)
    assert form.id not in [t.id for t in checklists.current_templates()]
    assert form.id in [t.id for t in checklists.current_templates(retired=True)]
    (event,) = events("checklist.retire")
    assert event.before == {"retired_at": None} and event.after["retired_at"]
    me, co = make_inspector(), make_inspector()
    sub = inspections.Submission(template_id=form.id, co_inspector=co.username,
                                 answers=[{"item_id": i.id, "result": "pass"} for i in form.items])
    with pytest.raises(DomainError) as err:
        inspections.record_inspection(shop, sub, actor=me)
    assert "template_id" in err.value.errors
    with pytest.raises(Conflict):
        checklists.edit_template(form, form.name, [{"section": "a", "text": "b"}], actor=reg)
    with pytest.raises(Conflict):
        checklists.retire_template(form, actor=reg)


def test_epidemic_forms_ship_retired_and_old_inspections_keep_them():
    epi = db.session.scalar(select(ChecklistTemplate).where(ChecklistTemplate.key == "epidemic.retail.inspection"))
    assert epi.retired and epi.current
    shop = make_shop(business_type="non_food.clothing")
    old = Inspection(shop_id=shop.id, template_id=epi.id, inspected_on=epi.created_at.date(), outcome="pass")
    db.session.add(old)
    db.session.commit()
    assert not [k for k in keys(shop) if k.startswith("epidemic.")]
    assert db.session.get(Inspection, old.id).template.name == epi.name


def test_copy_makes_an_editable_form_with_the_same_items():
    reg = make_regulator()
    epi = db.session.scalar(select(ChecklistTemplate).where(ChecklistTemplate.key == "epidemic.service.inspection"))
    copy = checklists.copy_template(epi, actor=reg)
    db.session.commit()
    assert copy.key != epi.key and copy.version == 1 and copy.current and not copy.retired
    assert copy.name.endswith("（副本）") and copy.match == epi.match and copy.topic == epi.topic
    assert [(i.text, i.key, i.basis) for i in copy.items] == [(i.text, i.key, i.basis) for i in epi.items]
    assert {i.id for i in copy.items}.isdisjoint({i.id for i in epi.items})
    (event,) = events("checklist.copy")
    assert event.before["template_id"] == epi.id and event.after["template_id"] == copy.id
    edited = checklists.edit_template(copy, "美容美发卫生检查表", [
        {"section": "卫生", "text": "毛巾一客一换", "text_en": "Fresh towel for each customer", "key": True,
         "basis": "《公共场所卫生管理条例》", "position": "2"},
        {"section": "卫生", "text": "工具消毒记录完整", "position": "1"},
    ], actor=reg, business_types=["non_food.beauty"])
    db.session.commit()
    assert [i.text for i in edited.items] == ["工具消毒记录完整", "毛巾一客一换"]  # by the order typed
    assert edited.items[1].text_en == "Fresh towel for each customer" and edited.items[1].key
    assert edited.match["business_types"] == ["non_food.beauty"]
    assert edited.key in keys(make_shop(business_type="non_food.beauty"))
    assert edited.key not in keys(make_shop(business_type="non_food.repair"))


def test_create_names_each_bad_field_and_writes_nothing():
    before = db.session.scalar(select(func.count()).select_from(ChecklistTemplate))
    with pytest.raises(DomainError) as err:
        checklists.create_template({"kind": "other", "topic": "nope", "name": "", "business_types": ["x.y"]},
                                   [{"section": "", "text": "内容", "position": "a"}])
    assert set(err.value.errors) == {"kind", "topic", "name", "business_types", "items"}
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ChecklistTemplate)) == before


def test_create_page_and_library(client, login_as):
    login_as(make_regulator())
    bad = client.post("/admin/checklists/new", data={"kind": "inspection", "topic": "market", "name": "",
                                                     "rows": "1", "section-0": "a", "text-0": "b"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "<strong>名称</strong>" in html and "<strong>适用业态</strong>" in html
    ok = client.post("/admin/checklists/new", data={
        "kind": "inspection", "topic": "market", "name": "眼镜店检查表", "name_en": "Optician inspection",
        "business_types": ["non_food.other_retail"], "match_types": "1", "rows": "2",
        "section-0": "计量", "text-0": "验光设备经检定合格", "key-0": "1", "basis-0": "《计量法》第九条",
        "section-1": "", "text-1": ""})
    assert ok.status_code == 302
    new = db.session.scalar(select(ChecklistTemplate).where(ChecklistTemplate.name == "眼镜店检查表"))
    assert [i.text for i in new.items] == ["验光设备经检定合格"] and new.items[0].key
    assert events("checklist.create")[0].after["name"] == "眼镜店检查表"
    detail = client.get(f"/admin/checklists/{new.id}").get_data(as_text=True)
    assert "《计量法》第九条" in detail and "全面检查" in detail
    assert client.post(f"/admin/checklists/{new.id}/copy").status_code == 302
    assert client.post(f"/admin/checklists/{new.id}/retire").status_code == 302
    library = client.get("/admin/checklists").get_data(as_text=True)
    assert "已停用" in library and "眼镜店检查表（副本）" in library
    assert "/edit" not in client.get(f"/admin/checklists/{new.id}").get_data(as_text=True)


def test_checklist_changes_need_a_district_wide_regulator(client, login_as):
    form = tpl("market.general.inspection")
    login_as(make_regulator(streets=("徐家汇街道",)))
    assert client.get(f"/admin/checklists/{form.id}/edit").status_code == 403
    assert client.post(f"/admin/checklists/{form.id}/retire").status_code == 403
    assert client.post(f"/admin/checklists/{form.id}/copy").status_code == 403
    assert client.get("/admin/checklists/new").status_code == 403
    assert not db.session.get(ChecklistTemplate, form.id).retired


def test_english_item_text_and_type_names_in_english(client, login_as):
    login_as(make_regulator())
    form = tpl("market.pharmacy.inspection")
    assert all(i.text_en for i in form.items)
    html = client.get(f"/admin/checklists/{form.id}?lang=en").get_data(as_text=True)
    assert "Prescription medicines sold only on prescription" in html and "Retail pharmacy inspection" in html
    assert "Pharmacy" in html  # the business type it applies to, in English


def test_registry_and_scan_show_business_types_in_english(client, login_as):
    from flask_babel import refresh

    shop = make_shop(business_type="non_food.fitness", sign_name="动力健身房")
    login_as(make_regulator())
    refresh()
    registry = client.get("/admin/shops?lang=en").get_data(as_text=True)
    assert "Fitness" in registry and "Fast food" in registry  # the list and the type filter
    refresh()
    zh = client.get("/admin/shops?lang=zh").get_data(as_text=True)
    assert "健身" in zh and "Fitness" not in zh
    refresh()
    scan = client.get(f"/s/{shop.code}?lang=en").get_data(as_text=True)
    assert "Fitness" in scan
