"""The checklist library (检查表): shipped templates, matching to shops, regulators' edits.

Templates live as data under `catalog/checklists/` (one file per form, each giving an `inspection`
and a `self_check` variant) and are seeded into the database; a regulator's edit makes a new
version and leaves the old one for the inspections filled against it. Each shop's cold-chain
colour comes from the colour table: the regulator's copy in the database (`CatalogSetting`
"cold_chain_colours") once edited in the app, else the shipped `catalog/cold_chain_colours.json`.

Versions and history: an inspection points to the template version it was filled against
(`Inspection.template_id`) and each answer to that version's item (`InspectionAnswer.item_id`), so
items are never edited in place — an edit makes a new version (`edit_template`) and the old
version's items stay exactly as answered. A retired form (`retire_template`) is never matched to a
shop again and can no longer be filled or edited (copy it to start a new one); its past
inspections still show it. The 2020–2022 epidemic forms ship retired.

Full inspections: a form whose topic is in FULL_TOPICS (food safety; the market-order forms of
non-food shops and pharmacies) is a full-checklist inspection (SAMR Order 49 Art. 22, 27), sets the
shop's latest outcome and grade and gives it a face on the scan page; epidemic and cold-chain forms
are special checks that do not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import column as sa_column
from sqlalchemy import func, insert, inspect, select
from sqlalchemy import table as sa_table

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import BusinessType, CatalogSetting, ChecklistItem, ChecklistTemplate, Shop, utcnow
from huishang.models.checklists import TEMPLATE_KINDS
from huishang.services import Conflict, DomainError
from huishang.services.core import Invalid, Report, audit

from . import fields
from .seed import CATALOG_DIR

LIBRARY_DIR = CATALOG_DIR / "checklists"
COLOUR_TABLE = CATALOG_DIR / "cold_chain_colours.json"
COLOUR_LABELS = {"red": "红色", "orange": "橙色", "yellow": "黄色", "blue": "蓝色"}
KIND_LABELS = {"inspection": "监督检查", "self_check": "自查"}
TOPIC_LABELS = {"food_safety": "食品安全", "market": "市场秩序（非食品）", "epidemic": "疫情防控",
                "cold_chain": "冷链食品"}
TOPIC_ORDER = ("food_safety", "market", "cold_chain", "epidemic")
# Topics whose inspection is a full-checklist inspection (Order 49 Art. 22/27): they set the
# shop's latest outcome, its dynamic grade and its face.
FULL_TOPICS = ("food_safety", "market")
# The 2020–2022 epidemic forms (新冠 guidance, lifted with the end of Class B management on
# 2023-01-08): retired by the seed and by migration eda80b15fc1e.
RETIRED_TOPICS = ("epidemic",)
COLOUR_SETTING = "cold_chain_colours"
LIMITS = fields.LIMITS
MAX_ITEMS = 200


# -- the shipped library -----------------------------------------------------------------------
def load_library() -> list[dict]:
    """Every concrete form in the library, with `extends` resolved: a list of dicts with key,
    topic, names {kind: [zh, en]}, match and sections [{section, items: [{text, key, basis}]}]."""
    raw = {}
    for path in sorted(LIBRARY_DIR.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        raw[doc["key"]] = doc

    def sections_of(key: str, seen: tuple = ()) -> list[dict]:
        if key in seen:
            raise ValueError(f"checklist library: circular extends at {key}")
        doc = raw[key]
        inherited = sections_of(doc["extends"], seen + (key,)) if doc.get("extends") else []
        return inherited + doc["sections"]

    return [dict(doc, sections=sections_of(key)) for key, doc in raw.items() if not doc.get("abstract")]


def _as_in_database(session, table):
    """The table with only the columns it has in the database now (their types kept) — the seed
    also runs from the first data migration, before later migrations have added newer columns."""
    present = {c["name"] for c in inspect(session.connection()).get_columns(table.name)}
    return sa_table(table.name, *[sa_column(c.name, c.type) for c in table.columns if c.name in present])


def seed_checklists(session=None) -> int:
    """Add every shipped template that is missing (by key and kind); never touches existing
    versions, so a regulator's edits survive re-seeding. A form marked `retired` in the library
    (the epidemic forms) is added retired. Returns the number added. Written with plain inserts
    of the columns the database has, so it runs at any migration."""
    session = session or db.session
    existing = set(session.scalars(select(ChecklistTemplate.key)))
    templates = _as_in_database(session, ChecklistTemplate.__table__)
    items_table = _as_in_database(session, ChecklistItem.__table__)
    t_cols, i_cols = set(templates.c.keys()), set(items_table.c.keys())
    now = utcnow()
    added = 0
    for form in load_library():
        for kind in TEMPLATE_KINDS:
            if kind not in form["names"]:
                continue
            key = f"{form['key']}.{kind}"
            if key in existing:
                continue
            name, name_en = form["names"][kind]
            row = {
                "key": key, "version": 1, "kind": kind, "topic": form["topic"], "name": name,
                "name_en": name_en, "match": form.get("match", {}), "current": True, "created_at": now,
                "retired_at": now if form.get("retired") or form["topic"] in RETIRED_TOPICS else None,
            }
            template_id = session.execute(
                insert(templates).values({k: v for k, v in row.items() if k in t_cols}).returning(templates.c.id)
            ).scalar_one()
            items = []
            for section in form["sections"]:
                for item in section["items"]:
                    items.append({
                        "template_id": template_id, "position": len(items), "section": section["section"],
                        "text": item["text"], "text_en": item.get("text_en", ""), "key": bool(item.get("key")),
                        "basis": item.get("basis", ""),
                    })
            session.execute(insert(items_table),
                            [{k: v for k, v in item.items() if k in i_cols} for item in items])
            added += 1
    session.flush()
    return added


def retire_epidemic_forms(session=None) -> int:
    """Retire every form of a retired topic still in use (existing databases; migration
    eda80b15fc1e). Returns the number retired."""
    session = session or db.session
    found = session.scalars(
        select(ChecklistTemplate).where(ChecklistTemplate.topic.in_(RETIRED_TOPICS),
                                        ChecklistTemplate.retired_at.is_(None))
    ).all()
    for template in found:
        template.retired_at = utcnow()
    session.flush()
    return len(found)


def fill_english_text(session=None) -> int:
    """Give the shipped items (version 1 of a library form) the library's English text where they
    have none. Returns the number of items filled."""
    session = session or db.session
    filled = 0
    for form in load_library():
        texts = [item.get("text_en", "") for section in form["sections"] for item in section["items"]]
        if not any(texts):
            continue
        for kind in TEMPLATE_KINDS:
            template = session.scalar(select(ChecklistTemplate).where(
                ChecklistTemplate.key == f"{form['key']}.{kind}", ChecklistTemplate.version == 1))
            if template is None:
                continue
            for item in template.items:
                if not item.text_en and item.position < len(texts) and texts[item.position]:
                    item.text_en = texts[item.position]
                    filled += 1
    session.flush()
    return filled


# -- cold-chain colour and matching --------------------------------------------------------------
def shipped_colour_table() -> dict:
    return json.loads(COLOUR_TABLE.read_text(encoding="utf-8"))


def colour_table() -> dict:
    """The colour table in force: the regulator's copy when edited in the app, else the shipped one."""
    stored = db.session.get(CatalogSetting, COLOUR_SETTING)
    return stored.value if stored is not None else shipped_colour_table()


def _rule_matches(rule: dict, shop: Shop) -> bool:
    bt = shop.business_type
    if "business_types" in rule and bt.code not in rule["business_types"]:
        return False
    if "families" in rule and bt.family not in rule["families"]:
        return False
    if "type_colours" in rule and bt.colour not in rule["type_colours"]:
        return False
    return not ("cold_chain" in rule and bool(shop.cold_chain) != bool(rule["cold_chain"]))


def cold_chain_colour(shop: Shop, table: dict | None = None) -> str | None:
    """The shop's cold-chain colour (red|orange|yellow|blue) or None when it is no cold-chain unit.
    The first rule of the table whose conditions all hold decides."""
    table = table or colour_table()
    for rule in table["rules"]:
        if _rule_matches(rule, shop):
            return rule["colour"]
    return None


def colour_reason(shop: Shop, colour: str | None) -> str:
    """ "业态 快餐, 冷链：是 → 蓝色" — how the colour was reached, for the inspector and merchant."""
    text = f"业态 {shop.business_type.name}, 冷链：{'是' if shop.cold_chain else '否'}"
    return f"{text} → {COLOUR_LABELS.get(colour, colour)}" if colour else f"{text} → 非冷链单位"


def _template_reason(match: dict, shop: Shop, colour: str | None) -> str | None:
    """Why the template applies to the shop, or None when it does not."""
    bt = shop.business_type
    if match.get("colours"):
        return colour_reason(shop, colour) if colour in match["colours"] else None
    if bt.code in match.get("business_types", []):
        return f"业态 {bt.name}"
    if bt.family in match.get("families", []):
        family = bt.parent.name if bt.parent else bt.family
        return f"业态 {bt.name}（{family}）"
    return None


@dataclass
class Applicable:
    template: ChecklistTemplate
    reason: str


def applicable_templates(shop: Shop, kind: str) -> list[Applicable]:
    """The current templates of `kind` that apply to the shop, food safety first, each with the
    reason it applies. Raises DomainError for an unknown kind."""
    if kind not in TEMPLATE_KINDS:
        raise DomainError(N_("未知的检查表类型"), {"kind": [N_("应为 %(kinds)s", kinds=" / ".join(TEMPLATE_KINDS))]},
                          status=400)
    colour = cold_chain_colour(shop)
    found = []
    for template in current_templates(kind):
        reason = _template_reason(template.match or {}, shop, colour)
        if reason:
            found.append(Applicable(template, reason))
    return found


def current_templates(kind: str | None = None, *, retired: bool = False) -> list[ChecklistTemplate]:
    """The current version of each form (of `kind`), never a retired one unless `retired` (the
    library page lists them apart)."""
    query = select(ChecklistTemplate).where(ChecklistTemplate.current.is_(True))
    query = query.where(ChecklistTemplate.retired_at.is_not(None) if retired else
                        ChecklistTemplate.retired_at.is_(None))
    if kind:
        query = query.where(ChecklistTemplate.kind == kind)
    templates = db.session.scalars(query).all()
    return sorted(
        templates, key=lambda t: (TOPIC_ORDER.index(t.topic) if t.topic in TOPIC_ORDER else 9, t.key)
    )


MAX_ID = 2**31 - 1  # ids are 32-bit integers; a larger number would be a database error


def get_template(template_id) -> ChecklistTemplate | None:
    """The template with that id (any version), or None for an unknown or malformed id."""
    try:
        number = int(str(template_id).strip())
        return db.session.get(ChecklistTemplate, number) if 0 < number <= MAX_ID else None
    except (TypeError, ValueError):
        return None


def versions(key: str) -> list[ChecklistTemplate]:
    return db.session.scalars(
        select(ChecklistTemplate)
        .where(ChecklistTemplate.key == key)
        .order_by(ChecklistTemplate.version.desc())
    ).all()


def grouped_items(template: ChecklistTemplate) -> list[tuple[str, list[ChecklistItem]]]:
    """Items by section, in order, for forms and the result sheet."""
    groups: list[tuple[str, list[ChecklistItem]]] = []
    for item in template.items:
        if not groups or groups[-1][0] != item.section:
            groups.append((item.section, []))
        groups[-1][1].append(item)
    return groups


# -- regulators' edits --------------------------------------------------------------------------
def is_full(template: ChecklistTemplate | None) -> bool:
    """Whether an inspection with `template` is a full-checklist inspection (see FULL_TOPICS)."""
    return template is not None and template.topic in FULL_TOPICS


def item_text(item: ChecklistItem, locale: str | None = None) -> str:
    """The item's text in the reader's language (English when given, else Chinese)."""
    return item.text_en if (locale or "").startswith("en") and item.text_en else item.text


def _clean_items(rows: list[dict]) -> tuple[list[dict], dict]:
    """The editor's rows → items in order. Each row: section, text, text_en, basis, key, and an
    optional order number (`position`; rows keep their place when blank, ties keep their place)."""
    errors: dict[str, list[str]] = {}
    items = []
    for n, row in enumerate(rows, start=1):
        text = " ".join(str(row.get("text") or "").split())
        if not text:
            continue  # a blank row of the form: nothing to keep
        section = " ".join(str(row.get("section") or "").split())
        basis = " ".join(str(row.get("basis") or "").split())
        text_en = " ".join(str(row.get("text_en") or "").split())
        if not section:
            errors.setdefault("items", []).append(N_("第%(n)s项：请填写所属部分", n=n))
        for name, value in (("section", section), ("text", text), ("text_en", text_en), ("basis", basis)):
            if len(value) > LIMITS[name]:
                errors.setdefault("items", []).append(
                    N_("第%(n)s项：%(field)s 不能超过%(limit)s个字符", n=n, field=ITEM_FIELD_LABELS[name],
                       limit=LIMITS[name]))
        order = None
        try:
            order = fields.position(row.get("position"), n)
        except Invalid as problem:
            errors.setdefault("items", []).extend(problem.messages)
        items.append({"section": section, "text": text, "text_en": text_en, "basis": basis,
                      "key": bool(row.get("key")), "_order": (order if order is not None else n, n)})
    if not items:
        errors.setdefault("items", []).append(N_("检查表至少要有一项"))
    if len(items) > MAX_ITEMS:
        errors.setdefault("items", []).append(N_("检查表最多 %(max)s 项", max=MAX_ITEMS))
    items.sort(key=lambda item: item.pop("_order"))
    return items, errors


ITEM_FIELD_LABELS = {"section": N_("所属部分"), "text": N_("检查内容"), "text_en": N_("英文内容"),
                     "basis": N_("法律依据")}


def _check_names(name, name_en, errors: dict) -> tuple[str, str | None]:
    report = Report({"name": name if name is not None else "", **({"name_en": name_en} if name_en is not None
                                                                   else {})})
    report.take(fields.CHECKLIST_NAME)
    report.take(fields.CHECKLIST_NAME_EN)
    for key, messages in report.errors.items():
        errors.setdefault(key, []).extend(messages)
    return report.clean.get("name", ""), report.clean.get("name_en")


def _check_types(codes, errors: dict) -> list[str] | None:
    """Business type codes (or ids) the form applies to → codes; None when not given."""
    if codes is None:
        return None
    known = {str(bt.id): bt.code for bt in db.session.scalars(select(BusinessType))}
    found, bad = [], []
    for code in codes:
        code = str(code).strip()
        if code in known.values():
            found.append(code)
        elif code in known:
            found.append(known[code])
        elif code:
            bad.append(code)
    if bad:
        errors.setdefault("business_types", []).append(N_("未知业态"))
    return sorted(set(found))


def _summary(template: ChecklistTemplate) -> dict:
    return {
        "template_id": template.id,
        "version": template.version,
        "name": template.name,
        "name_en": template.name_en,
        "match": template.match,
        "items": len(template.items),
        "key_items": sum(i.key for i in template.items),
        "item_texts": [i.text for i in template.items],
    }


def _refuse_retired(template: ChecklistTemplate) -> None:
    if template.retired:
        raise Conflict(N_("该检查表已停用，不能修改；请复制后编辑"), {"template": [N_("已停用")]})


def edit_template(
    template: ChecklistTemplate, name: str, rows: list[dict], *, actor=None, name_en: str | None = None,
    business_types: list | None = None,
) -> ChecklistTemplate:
    """Save a regulator's edit as a new current version of the template's key; the edited version
    stays (not current) for the checklists filled against it. `business_types` (codes or ids),
    when given, replaces the business types the form is matched to (families and colours stay).
    Raises DomainError naming `name`, `name_en`, `business_types` or `items` (nothing written), or
    Conflict when `template` is no longer the current version or is retired."""
    if not template.current:
        raise Conflict(N_("该版本已不是当前版本，请在最新版本上修改"), {"template": [N_("不是当前版本")]})
    _refuse_retired(template)
    items, errors = _clean_items(rows)
    name, clean_en = _check_names(name, name_en, errors)
    codes = _check_types(business_types, errors)
    if errors:
        raise DomainError(N_("检查表内容有误"), errors)
    match = dict(template.match or {})
    if codes is not None:
        if codes:
            match["business_types"] = codes
        else:
            match.pop("business_types", None)
        if not any(match.get(k) for k in ("business_types", "families", "colours")):
            raise DomainError(N_("检查表内容有误"), {"business_types": [N_("请至少选择一个适用业态")]})
    latest = (
        db.session.scalar(
            select(func.max(ChecklistTemplate.version)).where(ChecklistTemplate.key == template.key)
        )
        or template.version
    )
    new = ChecklistTemplate(
        key=template.key,
        version=latest + 1,
        kind=template.kind,
        topic=template.topic,
        name=name,
        name_en=template.name_en if clean_en is None else clean_en,
        match=match,
        current=True,
        created_by_id=getattr(actor, "id", None),
    )
    for position, item in enumerate(items):
        new.items.append(ChecklistItem(position=position, **item))
    template.current = False
    db.session.add(new)
    db.session.flush()
    audit.record("checklist.edit", new, actor=actor, before=_summary(template), after=_summary(new))
    return new


def create_template(data: dict, rows: list[dict], *, actor=None) -> ChecklistTemplate:
    """A new form: kind, topic, name, name_en, business_types (codes or ids) and its items.
    Raises DomainError naming each bad field (nothing written)."""
    errors: dict[str, list[str]] = {}
    kind = str(data.get("kind") or "").strip()
    if kind not in TEMPLATE_KINDS:
        errors["kind"] = [N_("请选择检查表类型（监督检查或自查）")]
    try:
        topic = fields.topic(data.get("topic"))
    except Invalid as problem:
        errors["topic"] = problem.messages
        topic = None
    name, name_en = _check_names(data.get("name"), data.get("name_en") or "", errors)
    codes = _check_types(data.get("business_types") or [], errors)
    if not codes and "business_types" not in errors:
        errors["business_types"] = [N_("请至少选择一个适用业态")]
    items, item_errors = _clean_items(rows)
    errors.update(item_errors)
    if errors:
        raise DomainError(N_("检查表内容有误"), errors)
    template = ChecklistTemplate(
        key=_new_key(kind), version=1, kind=kind, topic=topic, name=name, name_en=name_en or "",
        match={"business_types": codes}, current=True, created_by_id=getattr(actor, "id", None),
    )
    for position, item in enumerate(items):
        template.items.append(ChecklistItem(position=position, **item))
    db.session.add(template)
    db.session.flush()
    audit.record("checklist.create", template, actor=actor, after=_summary(template))
    return template


def _new_key(kind: str) -> str:
    taken = set(db.session.scalars(select(ChecklistTemplate.key)))
    n = 1
    while f"district.f{n}.{kind}" in taken:
        n += 1
    return f"district.f{n}.{kind}"


def copy_template(template: ChecklistTemplate, *, actor=None) -> ChecklistTemplate:
    """A new form (its own key, version 1, current) with the items, match, topic and kind of
    `template` — any version, a retired one too — named "…（副本）" for the regulator to edit.
    The copy applies to the same shops as the original until it is edited or the original retired."""
    suffix = "（副本）"
    copy = ChecklistTemplate(
        key=_new_key(template.kind), version=1, kind=template.kind, topic=template.topic,
        name=(template.name[: LIMITS["name"] - len(suffix)] + suffix),
        name_en=(template.name_en + " (copy)")[: LIMITS["name_en"]] if template.name_en else "",
        match=dict(template.match or {}), current=True, created_by_id=getattr(actor, "id", None),
    )
    for item in template.items:
        copy.items.append(ChecklistItem(position=item.position, section=item.section, text=item.text,
                                        text_en=item.text_en, key=item.key, basis=item.basis))
    db.session.add(copy)
    db.session.flush()
    audit.record("checklist.copy", copy, actor=actor, before={"template_id": template.id, "key": template.key,
                                                              "version": template.version},
                 after=_summary(copy))
    return copy


def retire_template(template: ChecklistTemplate, *, actor=None) -> ChecklistTemplate:
    """Retire the form: its current version is never matched, filled or edited again; inspections
    filled against it keep it. Raises Conflict for a version that is not current or already retired."""
    if not template.current:
        raise Conflict(N_("只能停用当前版本"), {"template": [N_("不是当前版本")]})
    if template.retired:
        raise Conflict(N_("该检查表已停用"), {"template": [N_("已停用")]})
    template.retired_at = utcnow()
    db.session.flush()
    audit.record("checklist.retire", template, actor=actor, before={"retired_at": None},
                 after={"retired_at": template.retired_at, "name": template.name, "version": template.version})
    return template


# -- the colour table ----------------------------------------------------------------------------
RULE_CONDITIONS = ("business_types", "families", "type_colours", "cold_chain")


def save_colour_table(colours: dict, rules: list[dict], *, actor=None) -> dict:
    """Save the regulator's colour table: `colours` {colour: units description} and the ordered
    `rules`, each {colour, business_type (code or ''), family (code or ''), type_colour
    ('any' | 'none' | colour), cold_chain ('any' | 'yes' | 'no')}; a rule with no colour is dropped.
    Raises DomainError naming `colours` or `rules` with the rule's number (nothing written)."""
    errors: dict[str, list[str]] = {}
    table = colour_table()
    before = {"colours": {c: v.get("units", "") for c, v in table["colours"].items()}, "rules": table["rules"]}
    types = {bt.code: bt for bt in db.session.scalars(select(BusinessType))}
    new_colours = {}
    for colour in fields.COLOURS:
        units = " ".join(str(colours.get(colour) or "").split())
        if len(units) > LIMITS["units"]:
            errors.setdefault("colours", []).append(
                N_("%(colour)s：不能超过%(max)s个字符", colour=COLOUR_LABELS[colour], max=LIMITS["units"]))
        new_colours[colour] = {"label": COLOUR_LABELS[colour], "units": units}
    new_rules = []
    for n, row in enumerate(rules, start=1):
        colour = str(row.get("colour") or "").strip()
        if not colour:
            continue
        rule: dict = {}
        if colour not in fields.COLOURS:
            errors.setdefault("rules", []).append(N_("第%(n)s条：请选择颜色", n=n))
            continue
        code = str(row.get("business_type") or "").strip()
        if code:
            if code not in types or types[code].parent_id is None:
                errors.setdefault("rules", []).append(N_("第%(n)s条：未知业态", n=n))
            rule["business_types"] = [code]
        family = str(row.get("family") or "").strip()
        if family:
            if family not in types or types[family].parent_id is not None:
                errors.setdefault("rules", []).append(N_("第%(n)s条：未知业态大类", n=n))
            rule["families"] = [family]
        type_colour = str(row.get("type_colour") or "any").strip()
        if type_colour == "none":
            rule["type_colours"] = [None]
        elif type_colour in fields.COLOURS:
            rule["type_colours"] = [type_colour]
        elif type_colour != "any":
            errors.setdefault("rules", []).append(N_("第%(n)s条：业态颜色条件有误", n=n))
        cold = str(row.get("cold_chain") or "any").strip()
        if cold in ("yes", "no"):
            rule["cold_chain"] = cold == "yes"
        elif cold != "any":
            errors.setdefault("rules", []).append(N_("第%(n)s条：冷链条件有误", n=n))
        if not any(k in rule for k in RULE_CONDITIONS):
            errors.setdefault("rules", []).append(
                N_("第%(n)s条：至少要有一个条件（否则所有商铺都会成为冷链单位）", n=n))
        rule["colour"] = colour
        new_rules.append(rule)
    if errors:
        raise DomainError(N_("冷链四色对照表有误"), errors)
    value = {"description": table.get("description", ""), "colours": new_colours, "rules": new_rules}
    stored = db.session.get(CatalogSetting, COLOUR_SETTING)
    if stored is None:
        stored = CatalogSetting(key=COLOUR_SETTING, value=value, updated_by_id=getattr(actor, "id", None))
        db.session.add(stored)
    else:
        stored.value = value
        stored.updated_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit.record("colour_table.update", stored, actor=actor, before=before,
                 after={"colours": {c: v["units"] for c, v in new_colours.items()}, "rules": new_rules})
    return value

