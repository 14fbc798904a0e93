"""Inspection history import (`flask inspections import FILE [--dry-run]`).

Columns (English or Chinese headers): shop_code 商铺码, inspected_on 检查日期, outcome 检查结果
(符合/基本符合/不符合 or pass/partial/fail), rectification_deadline 整改期限, rectified_on 整改完成日期.
CSV in UTF-8, UTF-8 with BOM or GB18030, or XLSX. All or nothing: `plan_import()` validates every
row and writes nothing; `apply_import()` writes a plan without errors. A row whose shop, date and
outcome are already recorded is skipped, so importing the same file twice adds nothing.

The import records what the file says and invents nothing: a 基本符合 / 不符合 row with a
rectification deadline records a rectification (closed on its 整改完成日期 if given); a row without
a deadline records the inspection and NO rectification (the old import invented a 7-day deadline, so
a 2024 基本符合 showed as "逾期 3394 天", worsened the grade and topped the 30-day list). Such an
inspection says "整改情况未录入" on the supervision face (`Inspection.rectification_unrecorded`);
grading, the 30-day list and the property end count only recorded rectifications. A 整改完成日期
without a deadline is kept in the report's count but records nothing either: a rectification needs
its deadline.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import or_, select

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import ChecklistTemplate, Inspection, Rectification, Shop
from huishang.services import DomainError
from huishang.services.core import NOTHING, Field, Invalid, Report, audit, blank, clean_text, day, not_after_today
from huishang.services.registry import codes
from huishang.signals import shops_imported

HEADERS = {
    "shop_code": ("shop_code", "code", "商铺码", "汇商码"),
    "inspected_on": ("inspected_on", "检查日期", "检查时间"),
    "outcome": ("outcome", "检查结果", "结果"),
    "rectification_deadline": ("rectification_deadline", "整改期限", "整改截止日期"),
    "rectified_on": ("rectified_on", "整改完成日期", "整改日期"),
}
REQUIRED = ("shop_code", "inspected_on", "outcome")
CHUNK = 2000
OUTCOMES = {
    "符合": "pass",
    "基本符合": "partial",
    "不符合": "fail",
    "pass": "pass",
    "partial": "partial",
    "fail": "fail",
    "良好": "pass",
    "一般": "partial",
    "较差": "fail",
}


@dataclass
class Row:
    line: int
    shop: Shop
    inspected_on: date
    outcome: str
    deadline: date | None
    rectified_on: date | None


@dataclass
class ImportPlan:
    filename: str
    rows: list[Row] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def unrecorded(self) -> int:
        """Non-pass rows without a rectification deadline: recorded without a rectification."""
        return sum(1 for row in self.rows if row.outcome != "pass" and row.deadline is None)

    @property
    def summary(self) -> str:
        text = f"新增 {len(self.rows)}，跳过已有 {self.skipped} (added {len(self.rows)}, skipped {self.skipped})"
        if self.unrecorded:
            text += (f"；其中 {self.unrecorded} 条不符合/基本符合记录没有整改期限，不记录整改"
                     f" ({self.unrecorded} non-pass rows have no rectification deadline: no rectification recorded)")
        return text


class InspectionImport:
    """What the `inspection.import` audit event is about: one file."""

    def __init__(self, filename: str):
        self.id = Path(filename).name[:40]


def _fold(text) -> str:
    return clean_text(text).lower().replace(" ", "").replace("*", "")


_ALIASES = {_fold(alias): name for name, aliases in HEADERS.items() for alias in aliases}


def _decode(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError(N_("无法识别文件编码（支持 UTF-8 与 GB18030）"), {"file": [N_("无法识别的字符")]}, status=400)


def read_rows(path: Path) -> tuple[list, list[tuple[int, list]]]:
    """(header, [(line number, cells)]) of a CSV or XLSX file; blank rows dropped."""
    raw = path.read_bytes()
    if path.suffix.lower() == ".xlsx" or raw[:2] == b"PK":
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(raw), read_only=True, data_only=True).worksheets[0]
        except Exception as exc:  # noqa: BLE001 — any unreadable workbook is a bad file
            raise DomainError(N_("无法读取 XLSX 文件"), {"file": [type(exc).__name__]}, status=400) from None
        lines = [
            (n, list(cells))
            for n, cells in enumerate(sheet.iter_rows(values_only=True), start=1)
            if any(c not in (None, "") for c in cells)
        ]
    elif path.suffix.lower() in (".csv", ".txt", ""):
        reader = csv.reader(io.StringIO(_decode(raw), newline=""))
        try:
            lines = [(reader.line_num, cells) for cells in reader if any(c.strip() for c in cells)]
        except csv.Error as exc:
            raise DomainError(N_("CSV 格式错误"), {"file": [str(exc)]}, status=400) from None
    else:
        raise DomainError(N_("只支持 CSV 或 XLSX 文件"),
                          {"file": [N_("不支持的文件类型：%(suffix)s", suffix=path.suffix)]}, status=400)
    if not lines:
        return [], []
    return lines[0][1], lines[1:]


# -- the fields of a history row ----------------------------------------------------------------

def shop_by_code(value, shops: dict):
    """商铺码 of a registered shop (as printed or typed) → the shop, from `shops` by code."""
    code = codes.normalise(clean_text(value))
    if not code:
        return NOTHING
    shop = shops.get(code)
    if shop is None:
        raise Invalid(N_("商铺码不存在：%(code)s", code=value))
    return shop


def outcome(value) -> str:
    """符合/基本符合/不符合 (or pass/partial/fail, 良好/一般/较差) → pass/partial/fail."""
    if blank(value):
        return NOTHING
    found = OUTCOMES.get(clean_text(value).lower())
    if found is None:
        raise Invalid(N_("检查结果应为 符合/基本符合/不符合：%(value)s", value=value))
    return found


SHOP_CODE = Field("shop_code", shop_by_code, key="shop")
INSPECTED_ON = Field("inspected_on", not_after_today(N_("日期不能晚于今天")))
OUTCOME = Field("outcome", outcome)
DEADLINE = Field("rectification_deadline", day)  # may lie ahead
RECTIFIED_ON = Field("rectified_on", not_after_today(N_("日期不能晚于今天")))


def _check_row(data: dict, shops: dict, problems: dict) -> tuple | None:
    """The row's values, or None with one message per bad field (the last found) in `problems`."""
    report = Report(data)
    report.require(*REQUIRED)
    report.take(SHOP_CODE, shops)
    for each in (OUTCOME, INSPECTED_ON, DEADLINE, RECTIFIED_ON):
        report.take(each)
    _check_dates(report)
    problems.update({name: messages[-1] for name, messages in report.errors.items()})
    shop = report.clean.get("shop")
    if problems or shop is None:
        return None
    on, result, deadline, rectified = (report.clean.get(key) for key in (
        "inspected_on", "outcome", "rectification_deadline", "rectified_on"))
    return shop, on, result, deadline, rectified


def _check_dates(report: Report) -> None:
    """A pass has no rectification; a deadline after, a rectification not before the inspection."""
    clean = report.clean
    on, deadline, rectified = (clean.get(k) for k in ("inspected_on", "rectification_deadline", "rectified_on"))
    if clean.get("outcome") == "pass" and (deadline or rectified):
        report.add("outcome", N_("结果为符合时不应有整改期限或整改完成日期"))
    if on and deadline and deadline <= on:
        report.add("rectification_deadline", N_("整改期限应晚于检查日期"))
    if on and rectified and rectified < on:
        report.add("rectified_on", N_("整改完成日期不能早于检查日期"))


def plan_import(path: str | Path) -> ImportPlan:
    """Validate the whole file; write nothing. Raises DomainError(400) for an unreadable file or a
    header without the required columns."""
    path = Path(path)
    header, lines = read_rows(path)
    plan = ImportPlan(filename=path.name)
    columns = {}
    for index, title in enumerate(header):
        name = _ALIASES.get(_fold(title))
        if name and name not in columns:
            columns[name] = index
    missing = [n for n in REQUIRED if n not in columns]
    if missing:
        raise DomainError(N_("缺少必需的列"), {"file": [N_("缺少列：%(missing)s", missing=", ".join(missing))]},
                          status=400)
    wanted = {
        codes.normalise(clean_text(cells[columns["shop_code"]]))
        for _, cells in lines
        if columns["shop_code"] < len(cells)
    }
    shops = {s.code: s for s in db.session.scalars(select(Shop).where(Shop.code.in_(wanted or {""})))}
    seen = set(
        db.session.execute(
            select(Inspection.shop_id, Inspection.inspected_on, Inspection.outcome).where(
                Inspection.shop_id.in_([s.id for s in shops.values()] or [-1])
            )
        ).all()
    )
    for line, cells in lines:
        data = {name: cells[i] if i < len(cells) else None for name, i in columns.items()}
        problems: dict[str, str] = {}
        checked = _check_row(data, shops, problems)
        for name, message in problems.items():
            plan.errors.append(N_("第%(line)s行 %(field)s：%(message)s", line=line,
                                  field=header[columns[name]] if name in columns else name, message=message))
        if checked is None:
            continue
        shop, on, outcome, deadline, rectified = checked
        if (shop.id, on, outcome) in seen:
            plan.skipped += 1
            continue
        seen.add((shop.id, on, outcome))
        plan.rows.append(Row(line, shop, on, outcome, deadline, rectified))
    return plan


def apply_import(plan: ImportPlan, *, actor=None) -> int:
    """Write a plan without errors. Set-based: inspections and rectifications are inserted in
    chunks; per shop, in date order, a later 符合 closes the food-safety rectifications still open
    before it (like a re-inspection), and the shop's latest result is its newest row. One
    `inspection.import` audit event names the file and the counts; the derived columns of the
    touched shops are refreshed once each at the end. Returns the number of inspections added.
    Raises DomainError if the plan has errors."""
    if not plan.ok:
        raise DomainError(N_("导入文件有错误，未导入任何记录"), {"file": plan.errors})
    rows = sorted(plan.rows, key=lambda r: (r.shop.id, r.inspected_on, r.line))
    created: list[tuple[Row, Inspection]] = []
    for start in range(0, len(rows), CHUNK):
        chunk = [
            (
                row,
                Inspection(
                    shop_id=row.shop.id,
                    inspected_on=row.inspected_on,
                    outcome=row.outcome,
                    full=True,
                    source="import",
                ),
            )
            for row in rows[start : start + CHUNK]
        ]
        db.session.add_all([inspection for _, inspection in chunk])
        db.session.flush()
        created.extend(chunk)
    open_by_shop = _open_food_rectifications({row.shop.id for row in rows})
    for row, inspection in created:
        still_open = open_by_shop.setdefault(row.shop.id, [])
        if row.outcome == "pass":
            for rect, opened_on in [r for r in still_open if r[1] <= row.inspected_on]:
                rect.closed_on, rect.closed_by_inspection_id = row.inspected_on, inspection.id
                still_open.remove((rect, opened_on))
        elif row.deadline is not None:  # no deadline in the file: no rectification, none invented
            rect = Rectification(
                shop_id=row.shop.id,
                inspection_id=inspection.id,
                deadline=row.deadline,
                closed_on=row.rectified_on,
                reported_done_on=row.rectified_on,
            )
            db.session.add(rect)
            if row.rectified_on is None:
                still_open.append((rect, row.inspected_on))
        shop = row.shop
        if shop.latest_inspected_on is None or row.inspected_on >= shop.latest_inspected_on:
            shop.latest_outcome, shop.latest_inspected_on = row.outcome, row.inspected_on
    db.session.flush()
    _refresh_shops({row.shop.id: row.shop for row in rows})
    audit.record(
        "inspection.import",
        InspectionImport(plan.filename),
        actor=actor,
        after={"file": plan.filename, "added": len(plan.rows), "skipped": plan.skipped,
               "without_rectification": plan.unrecorded},
    )
    return len(plan.rows)


def _open_food_rectifications(shop_ids: set[int]) -> dict[int, list]:
    """{shop_id: [(rectification, inspected_on)]} of open rectifications opened by food-safety
    (or imported) inspections."""
    found: dict[int, list] = {}
    if not shop_ids:
        return found
    query = (
        select(Rectification, Inspection.inspected_on)
        .join(Inspection, Inspection.id == Rectification.inspection_id)
        .outerjoin(ChecklistTemplate, ChecklistTemplate.id == Inspection.template_id)
        .where(
            Rectification.shop_id.in_(shop_ids),
            Rectification.closed_on.is_(None),
            or_(Inspection.template_id.is_(None), ChecklistTemplate.topic == "food_safety"),
        )
    )
    for rect, opened_on in db.session.execute(query):
        found.setdefault(rect.shop_id, []).append((rect, opened_on))
    return found


def _refresh_shops(shops: dict[int, Shop]) -> None:
    """Derived columns (grading, next due date) of the shops whose history changed: the
    `shops_imported` signal, received set-based."""
    shops_imported.send(list(shops))
