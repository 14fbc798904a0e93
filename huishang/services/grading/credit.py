"""信用风险分类 — credit class A–D of a market entity, internal only (never on a public page, API,
open data or plate: "不评价、不惩戒、不公开、不免检", domain-research §1.5).

The class is of the market entity (企业信用风险分类, SAMR 国市监信发〔2022〕6号: recorded under the
enterprise's name, keyed by its unified social credit code), so a chain's shops share one class:
one branch's severe penalty moves every branch. It is computed from the records of all the
entity's shops — penalties in publicity, each shop's latest full inspection, substantiated
complaints and abnormal status — each with the reason (and, for a chain, the shop) that set it.
Every shop keeps a copy in Shop.credit_class (the draws and lists filter on it), written for all
the entity's shops by every refresh (`entity_class`); the reasons are recomputed for the
regulator's view (`assess`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from huishang.extensions import db
from huishang.i18n import N_, Listing
from huishang.models import Shop, today

from .facts import History
from .history import load_histories

CLASS_LABELS = {"A": "信用风险低", "B": "信用风险一般", "C": "信用风险较高", "D": "信用风险高"}
COMPLAINT_YEAR = 365
NO_FULL = "尚无全面检查记录"


@dataclass
class Assessment:
    credit_class: str = "A"
    reasons: list[tuple[str, str]] = field(default_factory=list)  # (class, why)

    def raise_to(self, klass: str, why: str) -> None:
        self.reasons.append((klass, why))
        if klass > self.credit_class:
            self.credit_class = klass

    @property
    def label(self) -> str:
        return CLASS_LABELS[self.credit_class]


def penalty_counts(penalty, on: date) -> bool:
    """A penalty counts while in publicity and not repaired (信用修复 stops it counting)."""
    _pid, decided_on, ends_on, repaired_on, _no, _severity = penalty
    return decided_on <= on < ends_on and (repaired_on is None or repaired_on > on)


def classify(history, on: date, unresponsive: bool = False, status: str = "open") -> Assessment:
    """The credit class of a shop on `on` from its records (a grading.History)."""
    result = Assessment()
    counting = [p for p in history.penalties if penalty_counts(p, on)]
    severe = [p for p in counting if p[5] == "severe"]
    if severe:
        result.raise_to("D", N_("严重违法行政处罚公示期内（%(number)s）", number=severe[0][4]))
    if len(counting) >= 2:
        result.raise_to("D", N_("%(n)s件行政处罚处于公示期内", n=len(counting)))
    elif counting:
        number, ends_on = counting[0][4], counting[0][2].isoformat()
        result.raise_to("C", N_("行政处罚公示期内（%(number)s，至 %(date)s）", number=number, date=ends_on))
    fulls = sorted((i for i in history.inspections if i[3] and i[1] <= on), key=lambda i: (i[1], i[0]))
    if not fulls:
        result.raise_to("B", N_("尚无全面检查记录"))
    elif fulls[-1][2] == "fail":
        result.raise_to("C", N_("最近一次全面检查不符合（%(date)s）", date=fulls[-1][1].isoformat()))
    elif fulls[-1][2] == "partial":
        result.raise_to("B", N_("最近一次全面检查基本符合（%(date)s）", date=fulls[-1][1].isoformat()))
    year_ago = on - timedelta(days=COMPLAINT_YEAR)
    recent = [c for c in history.complaints if year_ago < c[1] <= on]
    if len(recent) >= 2:
        result.raise_to("C", N_("近一年查实投诉%(n)s件", n=len(recent)))
    elif recent:
        result.raise_to("B", N_("近一年查实投诉1件"))
    if unresponsive:
        result.raise_to("B", N_("商户长期未回应投诉或通知"))
    if status == "suspended":
        result.raise_to("B", N_("停业中"))
    if result.credit_class == "A":
        result.reasons.append(("A", N_("无公示期内处罚、近一年无查实投诉，最近全面检查符合")))
    return result


@dataclass
class Member:
    """One shop of an entity as the entity's classification reads it."""

    label: str
    history: object
    unresponsive: bool = False
    status: str = "open"


def classify_entity(members: list[Member], on: date) -> Assessment:
    """The class of a market entity on `on` from all its shops: penalties and complaints of every
    shop count together; each open shop's latest full inspection and abnormal status count; a
    reason names the shop when the entity has more than one. One shop: exactly `classify`."""
    if len(members) == 1:
        m = members[0]
        return classify(m.history, on, m.unresponsive, m.status)
    result = Assessment()
    merged = History(members[0].history.static_risk, members[0].history.registered_on)
    for m in members:
        merged.inspections.extend(m.history.inspections)
        merged.complaints.extend(m.history.complaints)
        merged.penalties.extend(m.history.penalties)
        if m.status == "closed":
            continue  # a closed branch's penalties and complaints count (above), not its inspections
        # The shop on its own, without the entity-wide counts (penalties, complaints: below).
        alone = History(m.history.static_risk, m.history.registered_on, list(m.history.inspections))
        for klass, why in classify(alone, on, m.unresponsive, m.status).reasons:
            if klass != "A" and why.msgid != NO_FULL:
                result.raise_to(klass, N_("%(shop)s：%(why)s", shop=m.label, why=why))
    year_ago = on - timedelta(days=COMPLAINT_YEAR)
    penalised = [m.label for m in members if any(penalty_counts(p, on) for p in m.history.penalties)]
    complained = [m.label for m in members if any(year_ago < c[1] <= on for c in m.history.complaints)]
    owner = {p[4]: m.label for m in members for p in m.history.penalties}
    for klass, why in classify(merged, on).reasons:
        if klass == "A" or why.msgid == NO_FULL or why.msgid.startswith("最近一次全面检查"):
            continue
        # Name the shop(s) behind an entity-wide reason: which branch's penalty or complaints.
        if "number" in why.params:
            shops = [owner.get(why.params["number"], "")]
        else:
            shops = penalised if "处罚" in why.msgid else complained
        result.raise_to(klass, N_("%(shop)s：%(why)s", shop=Listing(shops), why=why))
    if not any(i[3] and i[1] <= on for i in merged.inspections):
        result.raise_to("B", N_("尚无全面检查记录"))
    if result.credit_class == "A":
        result.reasons.append(("A", N_("无公示期内处罚、近一年无查实投诉，最近全面检查符合")))
    return result


def entity_members(entity_id: int, on: date | None = None) -> list[Member]:
    """The entity's shops (closed ones too: a penalty of a closed branch still counts) with their
    records up to `on`."""
    on = on or today()
    rows = db.session.execute(select(Shop.id, Shop.sign_name, Shop.code, Shop.unresponsive, Shop.status)
                              .where(Shop.entity_id == entity_id).order_by(Shop.id)).all()
    histories = load_histories([r[0] for r in rows])
    return [Member(f"{name}（{code}）", histories[sid].upto(on), bool(unresponsive), status)
            for sid, name, code, unresponsive, status in rows]


def entity_class(entity_id: int, on: date | None = None) -> Assessment:
    """The class of the market entity `entity_id` with its reasons."""
    on = on or today()
    return classify_entity(entity_members(entity_id, on), on)


def sync_entity(entity_id: int, on: date | None = None) -> str:
    """Write the entity's class to the copy on each of its shops (flushes). Returns the class."""
    klass = entity_class(entity_id, on).credit_class
    for shop in db.session.scalars(select(Shop).where(Shop.entity_id == entity_id)):
        if shop.credit_class != klass:
            shop.credit_class = klass
    db.session.flush()
    return klass


def assess(shop: Shop, on: date | None = None) -> Assessment:
    """The credit class of `shop`'s market entity with its reasons, for the regulator's view."""
    return entity_class(shop.entity_id, on)
