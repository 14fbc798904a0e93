"""业态 — the business types regulators manage in the app: add, rename, static risk level, colour
class, English name. District-wide: one catalogue for every street. Every change is audited with
before → after. A name is unique across the catalogue (the registry and its import look types up
by name), compared without blanks or case."""
from __future__ import annotations

from sqlalchemy import select

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import BusinessType
from huishang.services import DomainError
from huishang.services.core import Report, audit

from . import fields

AUDITED = ("code", "name", "name_en", "static_risk", "colour", "active")


def _norm(name: str) -> str:
    return "".join((name or "").split()).casefold()


def families() -> list[BusinessType]:
    """The top-level families (餐饮服务, 食品销售, ...), in catalogue order."""
    return db.session.scalars(
        select(BusinessType).where(BusinessType.parent_id.is_(None)).order_by(BusinessType.position)
    ).all()


def tree() -> list[tuple[BusinessType, list[BusinessType]]]:
    """Each family with its types, in catalogue order."""
    types = db.session.scalars(
        select(BusinessType).where(BusinessType.parent_id.is_not(None)).order_by(BusinessType.position)
    ).all()
    return [(family, [t for t in types if t.parent_id == family.id]) for family in families()]


def get(type_id) -> BusinessType | None:
    try:
        number = int(str(type_id).strip())
    except (TypeError, ValueError):
        return None
    return db.session.get(BusinessType, number) if 0 < number <= 2**31 - 1 else None


def display_name(bt: BusinessType | None, locale: str | None = None) -> str:
    """The business type's name in the reader's language: the English name in English when the
    catalogue has one, else the Chinese name (issue 17: business types in English)."""
    if bt is None:
        return ""
    if (locale or "").startswith("en") and bt.name_en:
        return bt.name_en
    return bt.name


def _check(data: dict, *, current: BusinessType | None) -> dict:
    report = Report(data)
    report.take(fields.TYPE_NAME)
    if "name" not in data:
        report.add("name", N_("请填写业态名称"))
    report.take(fields.TYPE_NAME_EN)
    report.take(fields.STATIC_RISK)
    if "static_risk" not in data and current is None:
        report.add("static_risk", N_("静态风险等级应为 A、B、C 或 D"))
    report.take(fields.COLOUR)
    name = report.clean.get("name")
    if name and "name" not in report.errors:
        clash = next(
            (bt for bt in db.session.scalars(select(BusinessType))
             if _norm(bt.name) == _norm(name) and (current is None or bt.id != current.id)),
            None,
        )
        if clash is not None:
            report.add("name", N_("已有同名业态：%(name)s", name=clash.name))
    if report.errors:
        raise DomainError(N_("业态信息有误"), report.errors)
    return report.clean


def add_business_type(family: BusinessType | None, data: dict, *, actor=None) -> BusinessType:
    """A new type under `family`. Raises DomainError naming the field (nothing written)."""
    if family is None or family.parent_id is not None:
        raise DomainError(N_("请选择业态大类"), {"family": [N_("请选择业态大类")]})
    clean = _check(data, current=None)
    siblings = [t for t in db.session.scalars(select(BusinessType).where(BusinessType.parent_id == family.id))]
    codes = set(db.session.scalars(select(BusinessType.code)))
    n = len(siblings) + 1
    while f"{family.code}.t{n}" in codes:
        n += 1
    bt = BusinessType(
        code=f"{family.code}.t{n}", name=clean["name"], name_en=clean.get("name_en", ""), parent=family,
        family=family.family, is_food=family.is_food, static_risk=clean["static_risk"],
        colour=clean.get("colour"), position=max([family.position] + [t.position for t in siblings]) + 1,
        active=True,
    )
    db.session.add(bt)
    db.session.flush()
    audit.record("business_type.add", bt, actor=actor, after=audit.snapshot(bt, AUDITED))
    return bt


def update_business_type(bt: BusinessType, data: dict, *, actor=None) -> BusinessType:
    """Rename, set the English name, static risk and colour. A family row takes only its names.
    Raises DomainError naming the field (nothing written); a no-op writes no audit event."""
    is_family = bt.parent_id is None
    if is_family:
        data = {k: v for k, v in data.items() if k in ("name", "name_en")}
    clean = _check(data, current=bt)
    before = audit.snapshot(bt, AUDITED)
    bt.name = clean["name"]
    if "name_en" in clean:
        bt.name_en = clean["name_en"]
    if not is_family:
        if "static_risk" in clean:
            bt.static_risk = clean["static_risk"]
        if "colour" in data:
            bt.colour = clean.get("colour")
    after = audit.snapshot(bt, AUDITED)
    if after == before:
        return bt
    db.session.flush()
    audit.record("business_type.update", bt, actor=actor,
                 before={k: v for k, v in before.items() if after[k] != v},
                 after={k: v for k, v in after.items() if before[k] != v})
    return bt
