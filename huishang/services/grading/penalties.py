"""行政处罚 and 信用修复 — recording penalties, their publicity period, and credit repair.

A penalty's publicity ends `publicity_months_minor` (3) months after the decision for a minor
case and `publicity_months_other` (36) months otherwise (SAMR Order 45). While in publicity it
worsens the shop's dynamic grade and counts for the credit class. A general (non-severe),
fulfilled penalty may be repaired after `repair_min_months` (3) months of publicity: the
merchant applies with a public commitment, a regulator approves or rejects with a reason; once
repaired it stops counting. Every write is audited and refreshes the shop's grading.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import Penalty, Shop, today
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
    "violation",
    "severity",
    "fine",
    "publicity_ends_on",
    "fulfilled_on",
    "repaired_on",
)
MAX_FINE = Decimal("100000000")


# Penalties older than this predate the registry (and any publicity period): a typo, not history.
EARLIEST_DECISION_YEAR = 2000


def publicity_end(decided_on: date, severity: str, rules: dict | None = None) -> date:
    rules = rules or load_rules()
    months = rules["publicity_months_minor"] if severity == "minor" else rules["publicity_months_other"]
    return add_months(decided_on, int(months))


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


def record_penalty(shop: Shop, data: dict, *, actor=None) -> Penalty:
    """Record a penalty decision on `shop`. Raises DomainError naming each bad field."""
    clean, errors = validate_penalty(data)
    if errors:
        raise DomainError(N_("处罚信息有误"), errors)
    penalty = Penalty(
        shop_id=shop.id, publicity_ends_on=publicity_end(clean["decided_on"], clean["severity"]), **clean
    )
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


def in_publicity(penalty: Penalty, on: date | None = None) -> bool:
    on = on or today()
    return penalty.decided_on <= on < penalty.publicity_ends_on and (
        penalty.repaired_on is None or penalty.repaired_on > on
    )


def repair_blockers(penalty: Penalty, on: date | None = None, rules: dict | None = None) -> list[str]:
    """Why credit repair cannot be applied for today (empty when it can)."""
    on = on or today()
    rules = rules or load_rules()
    reasons = []
    if penalty.severity == "severe":
        reasons.append(N_("严重违法失信的处罚不适用信用修复"))
    if penalty.repaired_on is not None:
        reasons.append(N_("已完成信用修复"))
    if on >= penalty.publicity_ends_on:
        reasons.append(N_("公示期已届满，无需修复"))
    if penalty.fulfilled_on is None:
        reasons.append(N_("处罚尚未履行完毕"))
    earliest = add_months(penalty.decided_on, int(rules["repair_min_months"]))
    if on < earliest:
        reasons.append(N_("最短公示期未满，%(date)s 起可申请", date=earliest.isoformat()))
    if db.session.scalar(
        select(CreditRepair.id).where(CreditRepair.penalty_id == penalty.id, CreditRepair.status == "pending")
    ):
        reasons.append(N_("已有待审核的修复申请"))
    return reasons


def apply_repair(penalty: Penalty, commitment: str, *, actor) -> CreditRepair:
    """The merchant's application (public commitment required). Raises DomainError / Conflict."""
    commitment = (commitment or "").strip()
    if len(commitment) < 20:
        raise DomainError(N_("请填写信用承诺"), {"commitment": [N_("信用承诺书不少于20个字")]})
    if len(commitment) > 2000:
        raise DomainError(N_("信用承诺过长"), {"commitment": [N_("不能超过2000个字符")]})
    blockers = repair_blockers(penalty)
    if blockers:
        raise Conflict(N_("暂不能申请信用修复"), {"penalty": blockers})
    repair = CreditRepair(
        penalty_id=penalty.id,
        shop_id=penalty.shop_id,
        applicant_id=actor.id,
        commitment=commitment,
        applied_on=today(),
        status="pending",
    )
    db.session.add(repair)
    db.session.flush()
    audit.record(
        "credit_repair.apply", repair, actor=actor, after={"penalty_id": penalty.id, "commitment": commitment}
    )
    return repair


def decide_repair(repair: CreditRepair, approve: bool, reason: str, *, actor) -> CreditRepair:
    """A regulator approves (the penalty stops counting from today) or rejects, with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(N_("请填写审核理由"), {"reason": [N_("必填项不能为空")]})
    if len(reason) > 1000:
        raise DomainError(N_("审核理由过长"), {"reason": [N_("不能超过1000个字符")]})
    if repair.status != "pending":
        raise Conflict(N_("该申请已审核"), {"status": [N_("已审核")]})
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
        after={"status": repair.status, "reason": reason},
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
