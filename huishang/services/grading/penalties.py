"""行政处罚 and 信用修复 — recording penalties, their publicity, their public summary and credit repair.

The law (市场监督管理行政处罚信息公示规定, SAMR Order 45, in force 2021-09-01; domain-research §2.3):
- Only penalties under the ordinary procedure are published; a warning alone never is (Art. 2).
  Each penalty kind has its publicity class in `PENALTY_KINDS` (data, each row with its source).
- The public summary is the decision number, the party, the violation, the penalty, the authority
  and the date (Art. 4) — shown on the shop's public page, the public API and open data only while
  its publicity runs (`is_public`).
- Publicity runs from the publication date (公示之日, Art. 13): 3 months for 通报批评 or a low fine,
  3 years for the others, the restriction itself when a 限制 lasts longer (Art. 13 ¶3). The day it
  ends the summary disappears from every public output. Before publication a penalty is never
  public; its period counts provisionally from the decision date (which the publication follows
  within 20 working days, Art. 9) for grading and the credit class.
- Early end of publicity (信用修复, Art. 14): the publicity period served, and all of (一) the
  decision fulfilled, (二) harm and bad influence remedied, (三) no penalty since for the same kind
  of violation, (四) not on the abnormal-operation list nor the serious-violation list; never for
  the severe kinds of Art. 14 ¶3. Each condition is recorded with the decision (`decide_repair`).
While in its period a penalty worsens the shop's dynamic grade and counts for the credit class;
once repaired it stops counting. Every write is audited and refreshes the shop's grading.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask import current_app
from sqlalchemy import select

from huishang.extensions import db
from huishang.i18n import N_, Listing
from huishang.models import Entity, Penalty, Shop, today
from huishang.models.grading import CreditRepair
from huishang.models.penalties import SEVERITIES
from huishang.services import Conflict, DomainError, registry
from huishang.services.core import audit

from .facts import add_months
from .rules import load_rules

SEVERITY_LABELS = {"minor": "轻微", "general": "一般", "severe": "严重"}
PENALTY_FIELDS = (
    "decision_no",
    "decided_on",
    "kind",
    "published_on",
    "violation",
    "basis",
    "content",
    "authority",
    "severity",
    "fine",
    "publicity_ends_on",
    "fulfilled_on",
    "repaired_on",
)
MAX_FINE = Decimal("100000000")
ORDER_45 = "《市场监督管理行政处罚信息公示规定》（国家市场监督管理总局令第45号）"

# 行政处罚的种类 (行政处罚法 Art. 9) → publicity class under SAMR Order 45:
#   none        never public (Art. 2); counts internally for the short period from the decision
#   short       3 months from publication (Art. 13 ¶1: 通报批评 or 较低数额罚款; the low amount is set
#               by the province, Art. 13 ¶2 — the regulator chooses the kind)
#   standard    3 years from publication (Art. 13 ¶1)
#   restriction 3 years, or the restriction itself when longer (Art. 13 ¶3)
# early_stop: publicity may end early by credit repair (Art. 14 ¶3 excludes the severe kinds).
PENALTY_KINDS: dict[str, dict] = {
    "warning": {"label": N_("警告"), "publicity": "none", "early_stop": True,
                "source": N_("第二条第二款：仅受到警告行政处罚的不予公示")},
    "simple_procedure": {"label": N_("简易程序当场处罚"), "publicity": "none", "early_stop": True,
                         "source": N_("第二条第一款：公示适用普通程序作出的行政处罚")},
    "criticism": {"label": N_("通报批评"), "publicity": "short", "early_stop": True,
                  "source": N_("第十三条第一款：仅受到通报批评的，自公示之日起届满三个月停止公示")},
    "fine_low": {"label": N_("较低数额罚款"), "publicity": "short", "early_stop": True,
                 "source": N_("第十三条第一、二款：较低数额罚款自公示之日起届满三个月停止公示")},
    "fine": {"label": N_("罚款"), "publicity": "standard", "early_stop": True,
             "source": N_("第十三条第一款：自公示之日起届满三年停止公示")},
    "confiscation": {"label": N_("没收违法所得、没收非法财物"), "publicity": "standard", "early_stop": True,
                     "source": N_("第十三条第一款：自公示之日起届满三年停止公示")},
    "licence_suspended": {"label": N_("暂扣许可证件"), "publicity": "standard", "early_stop": True,
                          "source": N_("第十三条第一款：自公示之日起届满三年停止公示")},
    "qualification_lowered": {"label": N_("降低资质等级"), "publicity": "standard", "early_stop": False,
                              "source": N_("第十三条第一款；第十四条第三款：不得提前停止公示")},
    "licence_revoked": {"label": N_("吊销许可证件或营业执照"), "publicity": "standard", "early_stop": False,
                        "source": N_("第十三条第一款；第十四条第三款：不得提前停止公示")},
    "production_halted": {"label": N_("责令停产停业、责令关闭"), "publicity": "standard", "early_stop": False,
                          "source": N_("第十三条第一款；第十四条第三款：不得提前停止公示")},
    "restriction": {"label": N_("限制开展生产经营活动、限制从业"), "publicity": "restriction", "early_stop": False,
                    "source": N_("第十三条第三款：限制超过三年的，公示期按照实际限制期限执行；第十四条第三款")},
}
KIND_LABELS = {k: v["label"] for k, v in PENALTY_KINDS.items()}
PUBLICITY_LABELS = {"none": N_("不予公示"), "short": N_("公示三个月"), "standard": N_("公示三年"),
                    "restriction": N_("公示三年或实际限制期限")}


# Penalties older than this predate the registry (and any publicity period): a typo, not history.
EARLIEST_DECISION_YEAR = 2000


def default_kind(severity: str | None) -> str:
    """The kind a penalty recorded without one gets: a minor case a low fine, otherwise a fine."""
    return "fine_low" if severity == "minor" else "fine"


def publishable(penalty_or_kind) -> bool:
    kind = penalty_or_kind if isinstance(penalty_or_kind, str) else penalty_or_kind.kind
    return PENALTY_KINDS.get(kind, PENALTY_KINDS["fine"])["publicity"] != "none"


def publicity_end(start: date, kind: str, rules: dict | None = None, restriction_ends_on: date | None = None) -> date:
    """The day publicity stops (the first day the penalty is no longer shown), counted from `start`
    — the publication date, or the decision date while unpublished (Order 45 Art. 13)."""
    rules = rules or load_rules()
    publicity = PENALTY_KINDS.get(kind, PENALTY_KINDS["fine"])["publicity"]
    short = int(rules["publicity_months_minor"])
    if publicity in ("none", "short"):
        return add_months(start, short)
    end = add_months(start, int(rules["publicity_months_other"]))
    if publicity == "restriction" and restriction_ends_on is not None and restriction_ends_on > end:
        return restriction_ends_on
    return end


def _period_of(penalty: Penalty) -> date:
    start = penalty.published_on if penalty.published_on and publishable(penalty) else penalty.decided_on
    return publicity_end(start, penalty.kind, restriction_ends_on=penalty.restriction_ends_on)


def validate_penalty(data: dict) -> tuple[dict, dict]:
    errors: dict[str, list[str]] = {}
    clean: dict = {}
    number = registry.clean_text(data.get("decision_no"))
    if not number:
        errors["decision_no"] = [N_("必填项不能为空")]
    elif len(number) > 60:
        errors["decision_no"] = [N_("不能超过60个字符")]
    elif db.session.scalar(select(Penalty.id).where(Penalty.decision_no == number)):
        errors["decision_no"] = [N_("决定书文号已存在：%(number)s", number=number)]
    clean["decision_no"] = number
    decided_on = registry.parse_date(data.get("decided_on"), "decided_on", errors)
    if decided_on is None and "decided_on" not in errors:
        errors["decided_on"] = [N_("必填项不能为空")]
    elif decided_on and decided_on > today():
        errors["decided_on"] = [N_("处罚决定日期不能晚于今天")]
    elif decided_on and decided_on.year < EARLIEST_DECISION_YEAR:
        errors["decided_on"] = [N_("处罚决定日期不能早于%(year)s年", year=EARLIEST_DECISION_YEAR)]
    clean["decided_on"] = decided_on
    violation = (data.get("violation") or "").strip()
    if not violation:
        errors["violation"] = [N_("必填项不能为空")]
    elif len(violation) > 2000:
        errors["violation"] = [N_("不能超过2000个字符")]
    clean["violation"] = violation
    severity = data.get("severity") or "general"
    if severity not in SEVERITIES:
        errors["severity"] = [N_("应为 minor、general 或 severe")]
    clean["severity"] = severity
    kind = data.get("kind") or default_kind(severity)
    if kind not in PENALTY_KINDS:
        errors["kind"] = [N_("未知的处罚种类")]
    clean["kind"] = kind
    published_on = registry.parse_date(data.get("published_on"), "published_on", errors) \
        if data.get("published_on") not in (None, "") else None
    if published_on is not None and "published_on" not in errors:
        errors.update(_published_on_errors(published_on, decided_on, kind))
    clean["published_on"] = published_on
    restriction = registry.parse_date(data.get("restriction_ends_on"), "restriction_ends_on", errors) \
        if data.get("restriction_ends_on") not in (None, "") else None
    if restriction is not None and decided_on and restriction <= decided_on:
        errors["restriction_ends_on"] = [N_("限制期限应晚于处罚决定日期")]
    clean["restriction_ends_on"] = restriction
    for name, limit in (("basis", 2000), ("content", 2000), ("authority", 100)):
        value = (data.get(name) or "").strip()
        if len(value) > limit:
            errors[name] = [N_("不能超过%(max)s个字符", max=limit)]
        clean[name] = value
    if not clean["authority"]:
        clean["authority"] = default_authority()
    fine = data.get("fine")
    if fine not in (None, ""):
        try:
            amount = Decimal(str(fine).strip())
            if not amount.is_finite() or amount < 0 or amount > MAX_FINE:
                raise InvalidOperation
            clean["fine"] = amount.quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            errors["fine"] = [N_("罚款金额应为非负数字（元）")]
    note = (data.get("internal_note") or "").strip()
    if len(note) > 2000:
        errors["internal_note"] = [N_("不能超过2000个字符")]
    clean["internal_note"] = note
    return clean, errors


def default_authority() -> str:
    return f"上海市{current_app.config.get('DISTRICT_NAME', '')}市场监督管理局"


def _published_on_errors(published_on: date, decided_on: date | None, kind: str) -> dict:
    if not publishable(kind):
        return {"published_on": [N_("该种类处罚不予公示（%(source)s）", source=PENALTY_KINDS[kind]["source"])]}
    if decided_on and published_on < decided_on:
        return {"published_on": [N_("公示日期不能早于处罚决定日期")]}
    if published_on > today():
        return {"published_on": [N_("公示日期不能晚于今天")]}
    return {}


def record_penalty(shop: Shop, data: dict, *, actor=None) -> Penalty:
    """Record a penalty decision on `shop`. Raises DomainError naming each bad field."""
    clean, errors = validate_penalty(data)
    if errors:
        raise DomainError(N_("处罚信息有误"), errors)
    penalty = Penalty(shop_id=shop.id, publicity_ends_on=date.max, **clean)
    penalty.publicity_ends_on = _period_of(penalty)
    db.session.add(penalty)
    db.session.flush()
    audit.record("penalty.record", penalty, actor=actor, after=audit.snapshot(penalty, PENALTY_FIELDS))
    registry.after_shop_change(shop)
    return penalty


def mark_fulfilled(penalty: Penalty, fulfilled_on, *, actor=None) -> Penalty:
    """履行完毕: the fine paid / obligations met on `fulfilled_on`."""
    errors: dict = {}
    on = registry.parse_date(fulfilled_on, "fulfilled_on", errors) if fulfilled_on else None
    if on is None and not errors:
        errors["fulfilled_on"] = [N_("必填项不能为空")]
    elif on and (on < penalty.decided_on or on > today()):
        errors["fulfilled_on"] = [N_("履行日期须在处罚决定日期与今天之间")]
    if errors:
        raise DomainError(N_("履行日期有误"), errors)
    before = {"fulfilled_on": penalty.fulfilled_on}
    penalty.fulfilled_on = on
    db.session.flush()
    audit.record("penalty.fulfilled", penalty, actor=actor, before=before, after={"fulfilled_on": on})
    registry.after_shop_change(db.session.get(Shop, penalty.shop_id))
    return penalty


def mark_published(penalty: Penalty, published_on, *, actor=None) -> Penalty:
    """公示: the penalty was published on `published_on`; its publicity now runs from that day
    (Order 45 Art. 13). Refused for the kinds never published (Art. 2)."""
    errors: dict = {}
    on = registry.parse_date(published_on, "published_on", errors) if published_on else None
    if on is None and not errors:
        errors["published_on"] = [N_("必填项不能为空")]
    if on is not None and not errors:
        errors.update(_published_on_errors(on, penalty.decided_on, penalty.kind))
    if errors:
        raise DomainError(N_("公示日期有误"), errors)
    before = {"published_on": penalty.published_on, "publicity_ends_on": penalty.publicity_ends_on}
    penalty.published_on = on
    penalty.publicity_ends_on = _period_of(penalty)
    db.session.flush()
    audit.record("penalty.published", penalty, actor=actor, before=before,
                 after={"published_on": on, "publicity_ends_on": penalty.publicity_ends_on})
    registry.after_shop_change(db.session.get(Shop, penalty.shop_id))
    return penalty


def in_publicity(penalty: Penalty, on: date | None = None) -> bool:
    """Does the penalty count (grading, credit class) on `on`? From its decision until its period
    ends, unless repaired. Whether the public sees it is `is_public`."""
    on = on or today()
    return penalty.decided_on <= on < penalty.publicity_ends_on and (
        penalty.repaired_on is None or penalty.repaired_on > on
    )


def is_public(penalty: Penalty, on: date | None = None) -> bool:
    """Is the public summary shown on `on`? Only for a published kind (Order 45 Art. 2), from its
    publication date (never before) until the day its publicity ends (Art. 13) — that day and after
    it is gone — and not after credit repair ended it early (Art. 14)."""
    on = on or today()
    return (
        publishable(penalty)
        and penalty.published_on is not None
        and penalty.published_on <= on < penalty.publicity_ends_on
        and (penalty.repaired_on is None or penalty.repaired_on > on)
    )


def public_summary(penalty: Penalty) -> dict:
    """行政处罚信息摘要 (Order 45 Art. 4): decision number, party, violation, basis, penalty,
    authority, dates. No fine note, no internal note, no person's name beyond the party."""
    shop = db.session.get(Shop, penalty.shop_id)
    entity = db.session.get(Entity, shop.entity_id)
    content = penalty.content or _default_content(penalty)
    return {
        "decision_no": penalty.decision_no,
        "party": entity.name,
        "shop_code": shop.code,
        "violation": penalty.violation,
        "basis": penalty.basis,
        "content": content,
        "kind": penalty.kind,
        "authority": penalty.authority or default_authority(),
        "decided_on": penalty.decided_on,
        "published_on": penalty.published_on,
        "publicity_ends_on": penalty.publicity_ends_on,
    }


def _default_content(penalty: Penalty) -> str:
    label = KIND_LABELS.get(penalty.kind, "")
    if penalty.fine is not None and penalty.kind in ("fine", "fine_low"):
        return f"{label} {Decimal(str(penalty.fine)).quantize(Decimal('0.01'))} 元"
    return label


def public_penalties(shop: Shop, on: date | None = None) -> list[dict]:
    """The shop's penalty summaries the public sees on `on` (its public page and API)."""
    on = on or today()
    rows = db.session.scalars(
        select(Penalty).where(Penalty.shop_id == shop.id, Penalty.published_on.is_not(None),
                              Penalty.published_on <= on, Penalty.publicity_ends_on > on)
        .order_by(Penalty.published_on.desc(), Penalty.id.desc())
    )
    return [public_summary(p) for p in rows if is_public(p, on)]


def all_public_penalties(on: date | None = None):
    """Every penalty summary public on `on` (open data), oldest first."""
    on = on or today()
    rows = db.session.scalars(
        select(Penalty).where(Penalty.published_on.is_not(None), Penalty.published_on <= on,
                              Penalty.publicity_ends_on > on).order_by(Penalty.id)
    )
    for penalty in rows:
        if is_public(penalty, on):
            yield public_summary(penalty)


REPAIR_CONDITIONS = {
    "kind": N_("处罚种类可以提前停止公示（第十四条第三款）"),
    "period": N_("公示达到规定时限（第十四条第一款）"),
    "fulfilled": N_("已经自觉履行行政处罚决定中规定的义务（第十四条第一款第一项）"),
    "harm": N_("已经主动消除危害后果和不良影响（第十四条第一款第二项）"),
    "no_repeat": N_("未因同一类违法行为再次受到行政处罚（第十四条第一款第三项）"),
    "lists": N_("未在经营异常名录和严重违法失信名单中（第十四条第一款第四项）"),
}


def _repeat(penalty: Penalty) -> Penalty | None:
    """A later penalty of the same market entity (any of its shops) for the same kind of violation
    — the same basis (处罚依据), or the same violation text where no basis was recorded."""
    entity_id = db.session.scalar(select(Shop.entity_id).where(Shop.id == penalty.shop_id))
    later = db.session.scalars(
        select(Penalty).join(Shop, Penalty.shop_id == Shop.id)
        .where(Shop.entity_id == entity_id, Penalty.id != penalty.id, Penalty.decided_on >= penalty.decided_on)
        .order_by(Penalty.decided_on, Penalty.id)
    )
    for other in later:
        if other.decided_on == penalty.decided_on and other.id < penalty.id:
            continue
        same_basis = penalty.basis and other.basis and other.basis.strip() == penalty.basis.strip()
        same_violation = not (penalty.basis and other.basis) and other.violation.strip() == penalty.violation.strip()
        if same_basis or same_violation:
            return other
    return None


def conditions(penalty: Penalty, findings: dict | None = None, on: date | None = None,
               rules: dict | None = None) -> dict[str, dict]:
    """Each condition of early end of publicity (Order 45 Art. 14) as {"met": bool, "why": words}.
    The record decides kind, period, fulfilled and no_repeat; `findings` holds the reviewer's
    checks of harm ("harm_remedied") and the two lists ("not_abnormal_list", "not_serious_list"),
    None when not checked yet."""
    on = on or today()
    rules = rules or load_rules()
    findings = findings or {}
    out: dict[str, dict] = {}
    kind = PENALTY_KINDS.get(penalty.kind, PENALTY_KINDS["fine"])
    severe = penalty.severity == "severe" or not kind["early_stop"]
    out["kind"] = {"met": not severe,
                   "why": N_("严重违法失信的处罚不适用信用修复（%(kind)s）", kind=kind["label"]) if severe else ""}
    if penalty.published_on is None:
        out["period"] = {"met": False, "why": N_("尚未公示，无公示期可提前停止")}
    else:
        earliest = add_months(penalty.published_on, int(rules["repair_min_months"]))
        early = N_("最短公示期未满，%(date)s 起可申请", date=earliest.isoformat())
        out["period"] = {"met": on >= earliest, "why": "" if on >= earliest else early}
    out["fulfilled"] = {"met": penalty.fulfilled_on is not None,
                        "why": "" if penalty.fulfilled_on else N_("处罚尚未履行完毕")}
    harm = findings.get("harm_remedied")
    out["harm"] = {"met": harm is True, "why": "" if harm is True else N_("未确认已消除危害后果和不良影响")}
    repeat = _repeat(penalty)
    out["no_repeat"] = {"met": repeat is None,
                        "why": "" if repeat is None else N_("此后因同一类违法行为再次受到处罚（%(number)s）",
                                                            number=repeat.decision_no)}
    listed = []
    if findings.get("not_abnormal_list") is not True:
        listed.append(N_("经营异常名录"))
    if findings.get("not_serious_list") is not True:
        listed.append(N_("严重违法失信名单"))
    out["lists"] = {"met": not listed, "why": "" if not listed else N_("未确认不在%(lists)s中", lists=Listing(listed))}
    return out


def repair_blockers(penalty: Penalty, on: date | None = None, rules: dict | None = None) -> list[str]:
    """Why credit repair cannot be applied for on `on` (empty when it can): the conditions the
    record decides (the reviewer checks harm and the two lists on the decision)."""
    on = on or today()
    reasons = []
    if not publishable(penalty):
        reasons.append(N_("该处罚不予公示，无需申请提前停止公示"))
    if penalty.repaired_on is not None:
        reasons.append(N_("已完成信用修复"))
    if on >= penalty.publicity_ends_on:
        reasons.append(N_("公示期已届满，无需修复"))
    found = conditions(penalty, on=on, rules=rules)
    for key in ("kind", "fulfilled", "period", "no_repeat"):
        if not found[key]["met"]:
            reasons.append(found[key]["why"])
    if db.session.scalar(
        select(CreditRepair.id).where(CreditRepair.penalty_id == penalty.id, CreditRepair.status == "pending")
    ):
        reasons.append(N_("已有待审核的修复申请"))
    return reasons


def apply_repair(penalty: Penalty, commitment: str, *, actor, harm_statement: str = "") -> CreditRepair:
    """The merchant's application: a public commitment and a statement of how the harm was remedied
    (Order 45 Art. 14 (二)). Raises DomainError / Conflict."""
    commitment = (commitment or "").strip()
    harm_statement = (harm_statement or "").strip()
    if len(commitment) < 20:
        raise DomainError(N_("请填写信用承诺"), {"commitment": [N_("信用承诺书不少于20个字")]})
    if len(commitment) > 2000:
        raise DomainError(N_("信用承诺过长"), {"commitment": [N_("不能超过2000个字符")]})
    if len(harm_statement) > 2000:
        raise DomainError(N_("说明过长"), {"harm_statement": [N_("不能超过2000个字符")]})
    blockers = repair_blockers(penalty)
    if blockers:
        raise Conflict(N_("暂不能申请信用修复"), {"penalty": blockers})
    repair = CreditRepair(
        penalty_id=penalty.id,
        shop_id=penalty.shop_id,
        applicant_id=actor.id,
        commitment=commitment,
        harm_statement=harm_statement,
        applied_on=today(),
        status="pending",
    )
    db.session.add(repair)
    db.session.flush()
    audit.record(
        "credit_repair.apply", repair, actor=actor,
        after={"penalty_id": penalty.id, "commitment": commitment, "harm_statement": harm_statement},
    )
    return repair


def decide_repair(repair: CreditRepair, approve: bool, reason: str, *, actor,
                  findings: dict | None = None) -> CreditRepair:
    """A regulator approves (publicity ends and the penalty stops counting from today) or rejects,
    with a reason. Each condition of Order 45 Art. 14 is recorded on the repair; approval is refused,
    naming each failed condition in words, unless every one is met."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(N_("请填写审核理由"), {"reason": [N_("必填项不能为空")]})
    if len(reason) > 1000:
        raise DomainError(N_("审核理由过长"), {"reason": [N_("不能超过1000个字符")]})
    if repair.status != "pending":
        raise Conflict(N_("该申请已审核"), {"status": [N_("已审核")]})
    found = conditions(repair.penalty, findings)
    failed = [c["why"] for c in found.values() if not c["met"]]
    if approve and failed:
        raise Conflict(N_("不符合提前停止公示的条件"), {"conditions": failed})
    repair.conditions = found
    repair.status = "approved" if approve else "rejected"
    repair.reviewer_id, repair.reviewed_on, repair.review_reason = actor.id, today(), reason
    if approve:
        repair.penalty.repaired_on = today()
    db.session.flush()
    audit.record(
        "credit_repair.decide",
        repair,
        actor=actor,
        before={"status": "pending"},
        after={"status": repair.status, "reason": reason,
               "conditions": {k: v["met"] for k, v in found.items()}},
    )
    registry.after_shop_change(db.session.get(Shop, repair.shop_id))
    return repair


def shop_penalties(shop: Shop) -> list[Penalty]:
    return list(
        db.session.scalars(
            select(Penalty)
            .where(Penalty.shop_id == shop.id)
            .order_by(Penalty.decided_on.desc(), Penalty.id.desc())
        )
    )


def shop_repairs(shop: Shop) -> list[CreditRepair]:
    return list(
        db.session.scalars(
            select(CreditRepair).where(CreditRepair.shop_id == shop.id).order_by(CreditRepair.id.desc())
        )
    )
