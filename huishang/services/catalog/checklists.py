"""The checklist library (检查表): shipped templates, matching to shops, regulators' edits.

Templates live as data under `catalog/checklists/` (one file per form, each giving an `inspection`
and a `self_check` variant) and are seeded into the database; a regulator's edit makes a new
version and leaves the old one for the inspections filled against it. Each shop's cold-chain
colour comes from the data table `catalog/cold_chain_colours.json`, so the district's official
table loads without code changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import func, select

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import ChecklistItem, ChecklistTemplate, Shop
from huishang.models.checklists import TEMPLATE_KINDS
from huishang.services import Conflict, DomainError
from huishang.services.core import audit

from .seed import CATALOG_DIR

LIBRARY_DIR = CATALOG_DIR / "checklists"
COLOUR_TABLE = CATALOG_DIR / "cold_chain_colours.json"
COLOUR_LABELS = {"red": "红色", "orange": "橙色", "yellow": "黄色", "blue": "蓝色"}
KIND_LABELS = {"inspection": "监督检查", "self_check": "自查"}
TOPIC_LABELS = {"food_safety": "食品安全", "epidemic": "疫情防控", "cold_chain": "冷链食品"}
TOPIC_ORDER = ("food_safety", "cold_chain", "epidemic")
LIMITS = {"name": 120, "section": 60, "text": 500, "basis": 200}
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


def seed_checklists(session=None) -> int:
    """Add every shipped template that is missing (by key and kind); never touches existing
    versions, so a regulator's edits survive re-seeding. Returns the number added."""
    session = session or db.session
    existing = set(session.scalars(select(ChecklistTemplate.key)))
    added = 0
    for form in load_library():
        for kind in TEMPLATE_KINDS:
            if kind not in form["names"]:
                continue
            key = f"{form['key']}.{kind}"
            if key in existing:
                continue
            name, name_en = form["names"][kind]
            template = ChecklistTemplate(
                key=key,
                version=1,
                kind=kind,
                topic=form["topic"],
                name=name,
                name_en=name_en,
                match=form.get("match", {}),
                current=True,
            )
            position = 0
            for section in form["sections"]:
                for item in section["items"]:
                    template.items.append(
                        ChecklistItem(
                            position=position,
                            section=section["section"],
                            text=item["text"],
                            key=bool(item.get("key")),
                            basis=item.get("basis", ""),
                        )
                    )
                    position += 1
            session.add(template)
            added += 1
    session.flush()
    return added


# -- cold-chain colour and matching --------------------------------------------------------------
def colour_table() -> dict:
    return json.loads(COLOUR_TABLE.read_text(encoding="utf-8"))


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


def current_templates(kind: str | None = None) -> list[ChecklistTemplate]:
    query = select(ChecklistTemplate).where(ChecklistTemplate.current.is_(True))
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
def _clean_items(rows: list[dict]) -> tuple[list[dict], dict]:
    errors: dict[str, list[str]] = {}
    items = []
    for n, row in enumerate(rows, start=1):
        text = " ".join(str(row.get("text") or "").split())
        if not text:
            continue  # a blank row of the form: nothing to keep
        section = " ".join(str(row.get("section") or "").split())
        basis = " ".join(str(row.get("basis") or "").split())
        if not section:
            errors.setdefault("items", []).append(N_("第%(n)s项：请填写所属部分", n=n))
        for name, value in (("section", section), ("text", text), ("basis", basis)):
            if len(value) > LIMITS[name]:
                errors.setdefault("items", []).append(
                    N_("第%(n)s项：%(field)s 不能超过%(limit)s个字符", n=n, field=name, limit=LIMITS[name]))
        items.append({"section": section, "text": text, "basis": basis, "key": bool(row.get("key"))})
    if not items:
        errors.setdefault("items", []).append(N_("检查表至少要有一项"))
    if len(items) > MAX_ITEMS:
        errors.setdefault("items", []).append(N_("检查表最多 %(max)s 项", max=MAX_ITEMS))
    return items, errors


def edit_template(
    template: ChecklistTemplate, name: str, rows: list[dict], *, actor=None
) -> ChecklistTemplate:
    """Save a regulator's edit as a new current version of the template's key; the edited version
    stays (not current) for the checklists filled against it. Raises DomainError naming `name` or
    `items` (nothing written), or Conflict when `template` is no longer the current version."""
    if not template.current:
        raise Conflict(N_("该版本已不是当前版本，请在最新版本上修改"), {"template": [N_("不是当前版本")]})
    name = " ".join((name or "").split())
    items, errors = _clean_items(rows)
    if not name:
        errors.setdefault("name", []).append(N_("请填写检查表名称"))
    elif len(name) > LIMITS["name"]:
        errors.setdefault("name", []).append(N_("名称不能超过%(limit)s个字符", limit=LIMITS["name"]))
    if errors:
        raise DomainError(N_("检查表内容有误"), errors)
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
        name_en=template.name_en,
        match=dict(template.match or {}),
        current=True,
        created_by_id=getattr(actor, "id", None),
    )
    for position, item in enumerate(items):
        new.items.append(ChecklistItem(position=position, **item))
    template.current = False
    db.session.add(new)
    db.session.flush()
    audit.record(
        "checklist.edit",
        new,
        actor=actor,
        before={
            "template_id": template.id,
            "version": template.version,
            "name": template.name,
            "items": len(template.items),
            "key_items": sum(i.key for i in template.items),
        },
        after={
            "template_id": new.id,
            "version": new.version,
            "name": new.name,
            "items": len(new.items),
            "key_items": sum(i.key for i in new.items),
        },
    )
    return new
