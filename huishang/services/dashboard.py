"""监管驾驶舱 — the regulator's dashboard figures, scoped to the user's streets.

Every figure is one aggregate query (GROUP BY in the database); Python only arranges the few
rows that come back. The complaint time limits are counted against the working-day calendar,
which is loaded once for the window.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, case, func, select

from huishang.services import DomainError
from huishang.services.core import day_start_utc, local_date, tabular

from ..extensions import db
from ..i18n import N_
from ..models import BusinessType, Inspection, Licence, Shop, Street, today
from ..models.calendar import CalendarDay
from ..models.feedback import CATEGORY_LABELS, Complaint, ComplaintEvent
from ..models.grading import PLAN_STATUS_LABELS, PlanItem, ShopGrading
from ..models.scope import scoped, within_streets

WEEKS = 12
COMPLAINT_WINDOW_DAYS = 90
LICENCE_WINDOW_DAYS = 30
LICENCE_LIST_MAX = 500  # the page shows the first 50; the export up to this many
ACCEPT_LIMIT, ANSWER_LIMIT = 2, 3  # working days
# Every food business gets at least one full-checklist inspection every two years (SAMR Order 49
# 食品生产经营监督检查管理办法 Art. 22): shops past it are flagged on the dashboard.
FULL_COVERAGE_DAYS = 730
COVERAGE_LIST_MAX = 50
TIERS, GRADES = ("高", "中", "低"), ("良好", "一般", "较差")
OUTCOMES = ("pass", "partial", "fail")


@dataclass
class Figures:
    as_of: date
    streets: list = field(default_factory=list)  # [(street, count)]
    types: list = field(default_factory=list)  # [(business type, count)]
    cross: dict = field(default_factory=dict)  # {(street_id, family_code): count}
    families: list = field(default_factory=list)
    ninegrid: dict = field(default_factory=dict)  # {(tier, grade): count}
    plan: dict | None = None
    weeks: list = field(default_factory=list)  # [{"start", "end", "pass", "partial", "fail", "total"}]
    complaints: list = field(default_factory=list)  # [(category, label, count)]
    limits: dict = field(default_factory=dict)
    licences: list = field(default_factory=list)  # [(licence, shop)]
    licence_count: int = 0
    coverage: list = field(default_factory=list)  # [(shop, last full inspection or None)], first 50
    coverage_count: int = 0  # open shops not fully inspected in the last two years
    total_shops: int = 0
    street: Street | None = None  # set when the figures are for one street only


def _scope(query, street_ids, column=Shop.street_id):
    return within_streets(query, street_ids, column)


def compute(user, on: date | None = None, street: str | None = None) -> Figures:
    """All dashboard figures for `user`'s streets (a district-wide regulator sees all), or for
    one `street` (name) of them. Raises DomainError: 400 for an unknown street, 403 for one
    outside the user's scope."""
    on = on or today()
    ids = user.street_ids()
    figures = Figures(as_of=on)
    if street:
        chosen = db.session.scalar(select(Street).where(Street.name == street))
        if chosen is None:
            raise DomainError(N_("未知街道"), {"street": [N_("未知街道：%(street)s", street=street)]}, status=400)
        if not user.covers_street(chosen.id):
            raise DomainError(N_("该街道不在您的管辖范围"), {"street": [N_("不在管辖范围")]}, status=403)
        ids, figures.street = {chosen.id}, chosen
    _shops(figures, ids)
    _ninegrid(figures, ids)
    figures.plan = _plan(ids, on)
    _weeks(figures, ids, on)
    _complaints(figures, ids, on)
    _licences(figures, ids, on)
    _coverage(figures, ids, on)
    return figures


def _coverage(figures: Figures, ids, on: date) -> None:
    """Open shops with no full inspection in the last two years: last full inspection before
    on − 730 days, or none at all while registered for more than two years (Order 49 Art. 22)."""
    cutoff = on - timedelta(days=FULL_COVERAGE_DAYS)
    late = and_(
        Shop.status == "open",
        (ShopGrading.last_full_on < cutoff)
        | (ShopGrading.last_full_on.is_(None) & (ShopGrading.registered_on < cutoff)),
    )
    base = _scope(select(Shop, ShopGrading.last_full_on).join(ShopGrading, ShopGrading.shop_id == Shop.id)
                  .where(late), ids)
    figures.coverage_count = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = db.session.execute(
        base.order_by(ShopGrading.last_full_on.is_not(None), ShopGrading.last_full_on, Shop.id)
        .limit(COVERAGE_LIST_MAX)
    )
    figures.coverage = [(shop, last_full) for shop, last_full in rows]


def _shops(figures: Figures, ids) -> None:
    active = Shop.status == "open"
    rows = db.session.execute(
        _scope(
            select(Street, func.count(Shop.id))
            .join(Shop, and_(Shop.street_id == Street.id, active))
            .group_by(Street.id)
            .order_by(Street.position),
            ids,
        )
    )
    figures.streets = [(street, count) for street, count in rows]
    figures.total_shops = sum(count for _, count in figures.streets)
    rows = db.session.execute(
        _scope(
            select(BusinessType, func.count(Shop.id))
            .join(Shop, and_(Shop.business_type_id == BusinessType.id, active))
            .group_by(BusinessType.id)
            .order_by(func.count(Shop.id).desc(), BusinessType.position),
            ids,
        )
    )
    figures.types = [(bt, count) for bt, count in rows]
    parent = db.aliased(BusinessType)
    rows = db.session.execute(
        _scope(
            select(Shop.street_id, parent.code, func.count(Shop.id))
            .join(BusinessType, Shop.business_type_id == BusinessType.id)
            .join(parent, BusinessType.parent_id == parent.id)
            .where(active)
            .group_by(Shop.street_id, parent.code),
            ids,
        )
    )
    figures.cross = {(street_id, family): count for street_id, family, count in rows}
    figures.families = db.session.scalars(
        select(BusinessType).where(BusinessType.parent_id.is_(None)).order_by(BusinessType.position)
    ).all()


def _ninegrid(figures: Figures, ids) -> None:
    rows = db.session.execute(
        _scope(
            select(Shop.static_tier, Shop.dynamic_grade, func.count(Shop.id))
            .where(Shop.status == "open", Shop.static_tier.is_not(None))
            .group_by(Shop.static_tier, Shop.dynamic_grade),
            ids,
        )
    )
    figures.ninegrid = {}
    for tier, grade, count in rows:  # not yet graded counts as 一般, as the rules say
        key = (tier, grade or "一般")
        figures.ninegrid[key] = figures.ninegrid.get(key, 0) + count


def _plan(ids, on: date) -> dict:
    """Progress of the 30-day list: items open (overdue among them) and closed in the last 30 days."""
    window = on - timedelta(days=30)
    rows = db.session.execute(
        _scope(
            select(
                PlanItem.status, func.count(PlanItem.id), func.sum(case((PlanItem.due_on < on, 1), else_=0))
            )
            .where((PlanItem.status == "open") | (PlanItem.closed_on >= window))
            .group_by(PlanItem.status),
            ids,
            PlanItem.street_id,
        )
    )
    by_status = {status: (count, int(overdue or 0)) for status, count, overdue in rows}
    open_count, overdue = by_status.pop("open", (0, 0))
    done = sum(count for count, _ in by_status.values())
    total = open_count + done
    return {
        "open": open_count,
        "overdue": overdue,
        "done": done,
        "total": total,
        "by_status": {k: v[0] for k, v in sorted(by_status.items())},
        "percent": round(100 * done / total) if total else None,
    }


def week_starts(on: date, weeks: int = WEEKS) -> list[date]:
    """Mondays of the last `weeks` weeks, oldest first; the last one is this week's."""
    monday = on - timedelta(days=on.weekday())
    return [monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


def _weeks(figures: Figures, ids, on: date) -> None:
    starts = week_starts(on)
    rows = db.session.execute(
        _scope(
            select(Inspection.inspected_on, Inspection.outcome, func.count(Inspection.id))
            .join(Shop, Inspection.shop_id == Shop.id)
            .where(Inspection.inspected_on >= starts[0], Inspection.inspected_on <= on)
            .group_by(Inspection.inspected_on, Inspection.outcome),
            ids,
        )
    )
    buckets = [
        {"start": s, "end": s + timedelta(days=6), "total": 0, **{o: 0 for o in OUTCOMES}} for s in starts
    ]
    for day, outcome, count in rows:
        bucket = buckets[(day - starts[0]).days // 7]
        bucket[outcome if outcome in OUTCOMES else "fail"] += count
        bucket["total"] += count
    figures.weeks = buckets


def _workday_adder(start: date, end: date):
    overrides = dict(
        db.session.execute(
            select(CalendarDay.day, CalendarDay.is_workday).where(CalendarDay.day.between(start, end))
        ).all()
    )

    def add(day: date, n: int) -> date:
        while n > 0:
            day += timedelta(days=1)
            if overrides.get(day, day.weekday() < 5):
                n -= 1
        return day

    return add


def _complaints(figures: Figures, ids, on: date) -> None:
    since = on - timedelta(days=COMPLAINT_WINDOW_DAYS)
    base = _scope(
        select(Complaint.category, func.count(Complaint.id))
        .join(Shop, Complaint.shop_id == Shop.id)
        .where(Complaint.created_at >= day_start_utc(since)),
        ids,
    )
    rows = db.session.execute(base.group_by(Complaint.category).order_by(func.count(Complaint.id).desc()))
    figures.complaints = [(cat, CATEGORY_LABELS.get(cat, cat), count) for cat, count in rows]
    figures.limits = _time_limits(ids, since, on)


def _time_limits(ids, since: date, on: date) -> dict:
    """Accepted (or otherwise decided) within 2 working days; merchant answered within 3."""
    decided = (
        select(ComplaintEvent.complaint_id, func.min(ComplaintEvent.at).label("at"))
        .where(ComplaintEvent.from_status == "submitted")
        .group_by(ComplaintEvent.complaint_id)
        .subquery()
    )
    rows = db.session.execute(
        _scope(
            select(
                Complaint.submitted_on,
                Complaint.created_at,
                decided.c.at,
                Complaint.forwarded_on,
                Complaint.merchant_due_on,
                Complaint.answered_at,
            )
            .join(Shop, Complaint.shop_id == Shop.id)
            .outerjoin(decided, decided.c.complaint_id == Complaint.id)
            .where(Complaint.created_at >= day_start_utc(since)),
            ids,
        )
    ).all()
    add = _workday_adder(since - timedelta(days=14), on + timedelta(days=30))
    accept = {"on_time": 0, "late": 0, "pending": 0}
    answer = {"on_time": 0, "late": 0, "pending": 0}
    for sub_on, created, decided_at, forwarded_on, merchant_due, answered_at in rows:
        sub_on = sub_on or local_date(created)
        _tally(accept, add(sub_on, ACCEPT_LIMIT), local_date(decided_at), on)
        if forwarded_on is not None:
            _tally(answer, merchant_due or add(forwarded_on, ANSWER_LIMIT), local_date(answered_at), on)
    for counts in (accept, answer):
        judged = counts["on_time"] + counts["late"]
        counts["rate"] = round(100 * counts["on_time"] / judged) if judged else None
    return {"accept": accept, "answer": answer, "accept_days": ACCEPT_LIMIT, "answer_days": ANSWER_LIMIT}


def _tally(counts: dict, due: date, done: date | None, on: date) -> None:
    if done is not None:
        counts["on_time" if done <= due else "late"] += 1
    elif on > due:
        counts["late"] += 1
    else:
        counts["pending"] += 1


def _licences(figures: Figures, ids, on: date) -> None:
    window = and_(Licence.expires_on >= on, Licence.expires_on <= on + timedelta(days=LICENCE_WINDOW_DAYS))
    query = _scope(
        select(Licence, Shop).join(Shop, Licence.shop_id == Shop.id).where(window, Shop.status != "closed"),
        ids,
    )
    figures.licence_count = db.session.scalar(select(func.count()).select_from(query.subquery()))
    figures.licences = db.session.execute(
        query.order_by(Licence.expires_on, Shop.code).limit(LICENCE_LIST_MAX)
    ).all()


def table_rows(figures: Figures) -> list[tuple[str, list[list]]]:
    """The figures as sheets of rows (header first) for the XLSX / CSV export."""
    sheets = [
        (
            "shops_by_street",
            [["街道 street", "在营商铺 open shops"]] + [[s.name, n] for s, n in figures.streets],
        ),
        (
            "shops_by_type",
            [["业态 business type", "代码 code", "在营商铺 open shops"]]
            + [[bt.name, bt.code, n] for bt, n in figures.types],
        ),
        (
            "ninegrid",
            [["静态 static", "动态 dynamic", "商铺 shops"]]
            + [[t, g, figures.ninegrid.get((t, g), 0)] for t in TIERS for g in GRADES],
        ),
        (
            "not_fully_inspected_2y",
            [["统一编码 code", "店招 sign name", "上次全面检查 last full inspection"]]
            + [[shop.code, shop.sign_name, last.isoformat() if last else "从未 never"]
               for shop, last in figures.coverage],
        ),
    ]
    if figures.plan is not None:
        plan = figures.plan
        sheets.append(
            (
                "plan_30_days",
                [
                    ["项目 item", "数量 count"],
                    ["open", plan["open"]],
                    ["overdue", plan["overdue"]],
                    ["done", plan["done"]],
                    ["total", plan["total"]],
                ]
                + [[f"{k} {PLAN_STATUS_LABELS.get(k, '')}".strip(), v] for k, v in plan["by_status"].items()],
            )
        )
    sheets.append(
        (
            "inspections_by_week",
            [["周一 week of", "符合 pass", "基本符合 partial", "不符合 fail", "合计 total"]]
            + [
                [w["start"].isoformat(), w["pass"], w["partial"], w["fail"], w["total"]]
                for w in figures.weeks
            ],
        )
    )
    sheets.append(
        (
            "complaints_by_category",
            [["类别 category", "名称 label", "件数 count"]] + [list(row) for row in figures.complaints],
        )
    )
    limits = figures.limits
    sheets.append(
        (
            "complaint_time_limits",
            [["环节 step", "按时 on time", "超时 late", "未到期 pending", "按时率 % rate"]]
            + [
                [
                    name,
                    limits[key]["on_time"],
                    limits[key]["late"],
                    limits[key]["pending"],
                    limits[key]["rate"],
                ]
                for key, name in (("accept", "受理 accept ≤2wd"), ("answer", "商户答复 answer ≤3wd"))
            ],
        )
    )
    sheets.append(
        (
            "licences_expiring",
            [["商铺码 code", "店招 sign name", "证照 kind", "编号 number", "有效期至 expires"]]
            + [
                [shop.code, shop.sign_name, lic.kind, lic.number, lic.expires_on.isoformat()]
                for lic, shop in figures.licences
            ],
        )
    )
    return sheets


EXPORT_TYPES = tabular.MIMETYPES


def _csv_sections(sheets):
    """The tables one after another: a `# title` line, the rows, an empty line."""
    for title, rows in sheets:
        yield [f"# {title}"]
        yield from rows
        yield []


def export(figures: Figures, fmt: str) -> tuple[str, bytes, str]:
    """(file name, body, mimetype) of the figures as `csv` (the tables as sections) or `xlsx` (a
    sheet per table), through the one tabular writer."""
    sheets = table_rows(figures)
    out = io.BytesIO()
    if fmt == "csv":
        tabular.write_csv(out, _csv_sections(sheets))
    else:
        tabular.write_xlsx(out, *(tabular.Sheet(title, rows) for title, rows in sheets))
    body = out.getvalue()
    suffix = f"-{figures.street.code}" if figures.street else ""
    return f"dashboard-{figures.as_of:%Y%m%d}{suffix}.{fmt}", body, EXPORT_TYPES[fmt]


def scope_streets(user) -> list[Street]:
    """The streets the user may pick on the dashboard."""
    return db.session.scalars(scoped(select(Street).order_by(Street.position), user, Street.id)).all()
