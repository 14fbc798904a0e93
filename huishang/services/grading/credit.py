"""信用风险分类 — credit class A–D, internal only (never on a public page, API or plate).

Computed from penalties in publicity, the latest full inspection, substantiated complaints and
abnormal status, each with the reason that set it. Stored on Shop.credit_class by the grading
refresh; the reasons are recomputed for the regulator's profile view.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from huishang.i18n import N_
from huishang.models import Shop, today

from .history import load_histories

CLASS_LABELS = {"A": "信用风险低", "B": "信用风险一般", "C": "信用风险较高", "D": "信用风险高"}
COMPLAINT_YEAR = 365


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


def assess(shop: Shop, on: date | None = None) -> Assessment:
    """The credit class of `shop` with its reasons, for the regulator's view."""
    on = on or today()
    history = load_histories([shop.id])[shop.id].upto(on)
    return classify(history, on, shop.unresponsive, shop.status)
