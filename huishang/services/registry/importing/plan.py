"""The import's first phase, which writes nothing: the header mapped to fields, every row validated
(`registry.validate_shop`) and checked for duplicates inside the file and against the database,
rows matched to registered shops (by `code`, else by USCC + sign name + address) and compared with
them, and the uploader's street scope checked. The result is an `ImportPlan`.

A big file (`PARALLEL_FROM` rows and more) is validated on every core: validation is pure (no
database, no session), so forked processes check their share of the rows while this process checks
its own, and only the results come back; the checks across rows follow here, in file order."""
from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from huishang.extensions import db
from huishang.i18n import N_, Listing, Message
from huishang.models import Entity, Licence, PlateCode, Shop
from huishang.services import DomainError

from .. import complexes
from .. import shops as registry
from .reading import read_rows

CHUNK = 2000
PARALLEL_FROM = 20_000  # rows; below this a second process costs more than it saves
BIG = 5000  # above this many ids, read the whole table once instead of IN lists
# Canonical field → accepted header spellings (compared after folding case, width and blanks).
HEADERS: dict[str, tuple[str, ...]] = {
    "code": ("code", "商铺码", "shop_code"),
    "uscc": ("uscc", "统一社会信用代码", "社会信用代码", "信用代码"),
    "entity_name": ("entity_name", "主体名称", "企业名称"),
    "legal_rep": ("legal_rep", "法定代表人"),
    "sign_name": ("shop_name", "sign_name", "店招名称", "店招"),
    "address": ("address", "地址", "经营地址"),
    "street": ("street", "街道", "街道/镇"),
    "business_type": ("business_type", "业态"),
    "lat": ("lat", "纬度"),
    "lng": ("lng", "经度"),
    "contact": ("contact", "联系人"),
    "phone": ("phone", "联系电话", "电话"),
    "licence_no": ("licence_no", "许可证号"),
    "licence_expires": ("licence_expires", "许可证有效期", "许可证有效期至"),
    "serves_breakfast": ("serves_breakfast", "供应早餐"),
    "cold_chain": ("cold_chain", "冷链"),
    "complex": ("complex", "商业综合体"),
    "registered_on": ("registered_on", "登记日期"),
    "status": ("status", "状态", "经营状态"),
    "opening_hours": ("opening_hours", "营业时间"),
}
REQUIRED = ("uscc", "entity_name", "sign_name", "address", "street", "business_type")
# Columns whose cell is compared with the shop on re-import (see `current_values`).
COMPARED = ("sign_name", "address", "street_id", "business_type_id", "complex_id", "lat", "lng",
            "contact", "phone", "opening_hours", "registered_on", "cold_chain", "serves_breakfast",
            "status", "uscc", "entity_name", "licence_no", "licence_expires")
RAW_KEY = {"street_id": "street", "business_type_id": "business_type", "complex_id": "complex"}


@dataclass
class RowError:
    line: int
    field: str
    message: str

    @property
    def text(self) -> Message:
        """The error as one line, translated where it is shown."""
        if self.line:
            return N_("第%(line)s行 %(field)s：%(message)s", line=self.line, field=self.field, message=self.message)
        return N_("%(field)s：%(message)s", field=self.field, message=self.message)

    def __str__(self) -> str:
        return str(self.text)


@dataclass
class Row:
    line: int
    data: dict
    clean: dict = field(default_factory=dict)
    shop_id: int | None = None
    changes: dict = field(default_factory=dict)


@dataclass
class PlannedComplex:
    """A complex the file names and the registry does not know: created by `apply_import` with the
    street of the first row naming it. Until then its `id` is a negative stand-in, so the rows
    naming it validate like rows naming a registered complex."""

    id: int
    name: str
    street_id: int
    street: str
    line: int
    similar: list[str] = field(default_factory=list)


@dataclass
class ImportPlan:
    """What an import would do. `errors` non-empty means nothing may be written."""

    filename: str
    rows: list[Row] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # canonical → header as written
    ignored_headers: list[str] = field(default_factory=list)
    created: list[Row] = field(default_factory=list)
    updated: list[Row] = field(default_factory=list)
    unchanged: int = 0
    new_complexes: list[PlannedComplex] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    applied: bool = False  # set by `apply_import`: the report speaks of what was done

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def complex_names(self) -> str:
        return "、".join(c.name for c in self.new_complexes)

    def error(self, line: int, name: str, message: str) -> None:
        label = self.headers.get(name, name)
        self.errors.append(RowError(line, label, message))

    @property
    def summary(self) -> str:
        text = (f"新增 {len(self.created)}，更新 {len(self.updated)}，未变 {self.unchanged}"
                f" (created {len(self.created)}, updated {len(self.updated)}, unchanged {self.unchanged})")
        if self.new_complexes:
            text += "；" + self.complexes_summary
        return text

    @property
    def complexes_summary(self) -> str:
        """"将新建 3 个商业综合体：美罗城、… (will create 3 complexes: …)" — once applied "已新建 …
        (created …)" —, or "" when none."""
        if not self.new_complexes:
            return ""
        count = len(self.new_complexes)
        english = ", ".join(c.name for c in self.new_complexes)
        plural = "es" if count > 1 else ""
        if self.applied:
            return f"已新建 {count} 个商业综合体：{self.complex_names} (created {count} complex{plural}: {english})"
        return f"将新建 {count} 个商业综合体：{self.complex_names} (will create {count} complex{plural}: {english})"


def fold_header(text) -> str:
    return registry.clean_text(text).lower().replace(" ", "").replace("*", "")


_ALIASES = {fold_header(alias): name for name, aliases in HEADERS.items() for alias in aliases}


def plan_import(path: str | Path, content: bytes | None = None,
                progress: Callable[[int], None] | None = None) -> ImportPlan:
    """Read and check the whole file; write nothing. Raises DomainError(400) for an unreadable
    file or a header row without the required columns; row problems go to `plan.errors`."""
    header, raw_rows = read_rows(path, content)
    return plan_rows(Path(path).name, header, raw_rows, progress)


def plan_upload(filename: str, content: bytes, user, max_rows: int, *,
                read: tuple[list[str], list] | None = None, progress: Callable[[int], None] | None = None,
                ) -> ImportPlan:
    """`plan_import` for a file uploaded on the registry page, with the uploader's street scope.
    `read`: the file's (header, rows) when the caller has read it already. Raises DomainError(400)
    for an unreadable file or one over `max_rows` rows."""
    header, raw_rows = read or read_rows(filename, content)
    if len(raw_rows) > max_rows:
        raise DomainError(N_("文件共 %(count)s 行，网页导入最多 %(max_rows)s 行；更大的文件请用命令行导入",
                             count=len(raw_rows), max_rows=max_rows),
                          {"file": [N_("超过 %(max_rows)s 行", max_rows=max_rows)]}, status=400)
    plan = plan_rows(Path(filename).name, header, raw_rows, progress)
    check_scope(plan, user)
    return plan


def plan_rows(filename: str, header: list[str], raw_rows: list[tuple[int, list]],
              progress: Callable[[int], None] | None = None) -> ImportPlan:
    """`plan_import` for rows already read with `read_rows`."""
    plan = ImportPlan(filename=filename)
    columns = map_header(header, plan)
    lookups = registry.Lookups.load()
    plan_complexes(plan, columns, raw_rows, lookups)
    index = DbIndex.load()
    seen_codes: dict[str, int] = {}
    seen_keys: dict[tuple, int] = {}
    seen_shops: dict[int, int] = {}
    entity_names: dict[str, tuple[str, int]] = {}
    datas = [{name: cells[i] for i, name in columns if i < len(cells) and cell_given(cells[i])}
             for _line, cells in raw_rows]
    checked = validate_all(datas, lookups, progress)
    for (line, _cells), data, (clean, errors) in zip(raw_rows, datas, checked, strict=True):
        row = Row(line, data)
        check_row(plan, row, index, seen_codes, seen_keys, seen_shops, entity_names, clean, errors)
        plan.rows.append(row)
    if plan.ok:
        compare_existing(plan)
    return plan


_SHARED: tuple | None = None  # (row data, lookups) for forked validators: inherited, never pickled


def _validate_range(lo: int, hi: int, progress=None) -> list[tuple[dict, dict]]:
    datas, lookups = _SHARED
    out = []
    for start in range(lo, hi, 500):
        out.extend(registry.validate_shop(data, lookups) for data in datas[start:min(start + 500, hi)])
        if progress:
            progress(min(start + 500, hi) - start)
    return out


def _cannot_fork() -> bool:
    """A daemonic process (a Celery prefork worker's child) may not start processes of its own."""
    import billiard  # Celery's multiprocessing: its pool's children know they are daemonic

    return billiard.current_process().daemon or multiprocessing.current_process().daemon


def validate_all(datas: list[dict], lookups: registry.Lookups, progress: Callable[[int], None] | None = None,
                 workers: int | None = None) -> list[tuple[dict, dict]]:
    """`registry.validate_shop` of every row, in order: (clean, errors) each. From `PARALLEL_FROM`
    rows on a machine with several cores (POSIX), the rows are split between this process and forked
    ones that inherit them (only the results are pickled back). `progress(n)` counts rows checked
    (this process's share, scaled to the whole file)."""
    global _SHARED
    workers = min(workers or os.cpu_count() or 1, 4)
    if len(datas) < PARALLEL_FROM or workers < 2 or os.name != "posix" or _cannot_fork():
        workers = 1
    bounds = [len(datas) * k // workers for k in range(workers + 1)]
    _SHARED = (datas, lookups)
    try:
        if workers == 1:
            return _validate_range(0, len(datas), progress)
        # Reports this process's share as if every process were as far (they run at one pace).
        scaled = (lambda n: progress(n * workers)) if progress else None
        context = multiprocessing.get_context("fork")
        with context.Pool(workers - 1) as pool:
            shares = zip(bounds[1:-1], bounds[2:], strict=True)
            others = [pool.apply_async(_validate_range, share) for share in shares]
            out = _validate_range(0, bounds[1], scaled)
            for result in others:
                out.extend(result.get())
        if progress:
            progress(len(datas) - bounds[1] * workers)
        return out
    finally:
        _SHARED = None


def plan_complexes(plan: ImportPlan, columns: list[tuple[int, str]], raw_rows: list[tuple[int, list]],
                   lookups: registry.Lookups) -> None:
    """The complexes the file names that the registry does not know: planned (`plan.new_complexes`),
    each in the street of the first row naming it, and put into `lookups` so the rows naming them
    validate. A row naming the same new complex in another street is an error; a new name close to a
    registered or another new one (`complexes.close_names`) is a warning, not an error."""
    where = dict((name, i) for i, name in columns)
    if "complex" not in where:
        return
    known = sorted({cx.name for cx in lookups.complexes.values()})
    planned: dict[str, PlannedComplex] = {}
    for line, cells in raw_rows:
        cell = cells[where["complex"]] if where["complex"] < len(cells) else ""
        name = registry.clean_text(cell) if cell_given(cell) else ""
        if not name or len(name) > complexes.NAME.max_length or lookups.complex(name) is not None \
                and name not in planned:
            continue
        street_cell = cells[where["street"]] if where["street"] < len(cells) else ""
        street = lookups.street(street_cell) if cell_given(street_cell) else None
        if street is None:
            continue  # the row's street error says it
        if name not in planned:
            planned[name] = PlannedComplex(id=-(len(planned) + 1), name=name, street_id=street.id,
                                           street=street.name, line=line)
            lookups.complexes[name] = planned[name]
        elif planned[name].street_id != street.id:
            first = planned[name]
            plan.error(line, "complex", N_("新建商业综合体“%(name)s”在第%(line)s行属于%(street)s，本行街道为%(other)s",
                                           name=name, line=first.line, street=first.street, other=street.name))
    plan.new_complexes = list(planned.values())
    new_names = [c.name for c in plan.new_complexes]
    for i, cx in enumerate(plan.new_complexes):
        cx.similar = complexes.similar_to(cx.name, known) + complexes.similar_to(cx.name, new_names[:i])
        for other in cx.similar:
            plan.warnings.append(RowError(cx.line, plan.headers.get("complex", "complex"),
                                          N_("将新建的商业综合体“%(name)s”与“%(other)s”名称相近，请确认不是同一处",
                                             name=cx.name, other=other)))


def cell_given(value) -> bool:
    """An empty cell means "no information": import never clears a value."""
    # str.strip() is blank exactly when clean_text() is (both drop Unicode blanks), and cheaper.
    return not (isinstance(value, str) and not value.strip())


def map_header(header: list[str], plan: ImportPlan) -> list[tuple[int, str]]:
    columns, seen = [], {}
    for i, title in enumerate(header):
        name = _ALIASES.get(fold_header(title))
        if name is None:
            if registry.clean_text(title):
                plan.ignored_headers.append(registry.clean_text(title))
            continue
        if name in seen:
            raise DomainError(N_("表头重复"),
                              {"header": [N_("“%(title)s”与“%(other)s”是同一列", title=title, other=seen[name])]},
                              status=400)
        seen[name] = title
        plan.headers[name] = registry.clean_text(title)
        columns.append((i, name))
    missing = [HEADERS[name][0] + "/" + HEADERS[name][1] for name in REQUIRED if name not in seen]
    if missing:
        raise DomainError(N_("缺少必需的列"), {"header": [N_("缺少列：%(missing)s", missing=Listing(missing))]},
                          status=400)
    return columns


@dataclass
class DbIndex:
    """What the database already holds, loaded once for the whole file."""

    shop_by_code: dict[str, int] = field(default_factory=dict)
    shop_by_key: dict[tuple, int] = field(default_factory=dict)
    shop_status: dict[int, str] = field(default_factory=dict)
    entity_names: dict[str, str] = field(default_factory=dict)
    used_codes: set[str] = field(default_factory=set)
    replaced_codes: set[str] = field(default_factory=set)

    @classmethod
    def load(cls) -> DbIndex:
        index = cls()
        rows = db.session.execute(select(Shop.id, Shop.code, Shop.sign_name, Shop.address, Shop.status,
                                         Entity.uscc).join(Entity, Shop.entity_id == Entity.id))
        for shop_id, code, sign_name, address, status, uscc_code in rows:
            index.shop_by_code[code] = shop_id
            index.shop_by_key.setdefault((uscc_code, sign_name, address), shop_id)
            index.shop_status[shop_id] = status
        index.entity_names = dict(db.session.execute(select(Entity.uscc, Entity.name)).all())
        for code, replaced_at in db.session.execute(select(PlateCode.code, PlateCode.replaced_at)):
            index.used_codes.add(code)
            if replaced_at is not None:
                index.replaced_codes.add(code)
        index.used_codes.update(index.shop_by_code)
        return index


def check_row(plan, row, index, seen_codes, seen_keys, seen_shops, entity_names, clean, errors) -> None:
    """The checks across rows and against the database, for a row `validate_all` has checked."""
    for name, messages in errors.items():
        for message in messages:
            plan.error(row.line, name, message)
    if errors:
        return
    row.clean = clean
    code = clean.get("code")
    key = (clean["uscc"], clean["sign_name"], clean["address"])
    if code:
        if code in seen_codes:
            plan.error(row.line, "code", N_("商铺码与第%(line)s行重复：%(code)s", line=seen_codes[code], code=code))
        seen_codes[code] = row.line
        if code in index.replaced_codes:
            plan.error(row.line, "code", N_("该商铺码的铭牌已补发，旧码不能再使用：%(code)s", code=code))
            return
        row.shop_id = index.shop_by_code.get(code)
    if key in seen_keys:
        plan.error(row.line, "sign_name",
                   N_("与第%(line)s行是同一商铺（信用代码、店招、地址相同）", line=seen_keys[key]))
    seen_keys[key] = row.line
    by_key = index.shop_by_key.get(key)
    if row.shop_id is None and by_key is not None:
        if code:  # a new plate code for a shop that already has one
            plan.error(row.line, "code", N_("该商铺已登记，商铺码不一致：文件中为%(code)s", code=code))
        row.shop_id = by_key
    if row.shop_id is not None:
        if row.shop_id in seen_shops and seen_shops[row.shop_id] != row.line:
            plan.error(row.line, "code", N_("与第%(line)s行指向同一已登记商铺", line=seen_shops[row.shop_id]))
        seen_shops[row.shop_id] = row.line
        check_status_change(plan, row, index.shop_status[row.shop_id])
    check_entity_name(plan, row, index, entity_names)


def check_status_change(plan, row, current: str) -> None:
    wanted = row.clean.get("status")
    if wanted == "closed" and current != "closed":
        plan.error(row.line, "status", N_("注销须在商铺页面办理并写明原因，不能通过导入注销"))
    elif current == "closed" and wanted in ("open", "suspended"):
        plan.error(row.line, "status", N_("已注销的商铺不能通过导入恢复"))


def check_entity_name(plan, row, index, entity_names) -> None:
    uscc_code, name = row.clean["uscc"], row.clean["entity_name"]
    if uscc_code in entity_names and entity_names[uscc_code][0] != name:
        first_name, first_line = entity_names[uscc_code]
        plan.error(row.line, "entity_name", N_("同一信用代码在第%(line)s行的主体名称为“%(name)s”", line=first_line,
                                                  name=first_name))
        return
    entity_names.setdefault(uscc_code, (name, row.line))
    registered = index.entity_names.get(uscc_code)
    if registered is not None and registered != name:
        plan.error(row.line, "entity_name",
                   N_("该信用代码已登记为“%(name)s”；主体更名请在商铺页面修改", name=registered))


def same(a, b) -> bool:
    if isinstance(a, (float, Decimal)) or isinstance(b, (float, Decimal)):
        return a is not None and b is not None and round(float(a), 7) == round(float(b), 7)
    return a == b


SHOP_COLUMNS = ("sign_name", "address", "street_id", "business_type_id", "complex_id", "lat", "lng",
                "contact", "phone", "opening_hours", "registered_on", "cold_chain", "serves_breakfast",
                "status")


def current_values(shop_ids: list[int] | None) -> dict[int, dict]:
    """The compared fields of these shops (None: of every shop) as stored — plain rows, no ORM
    objects: a re-import of 100,000 rows compares 100,000 shops."""
    query = (select(Shop.id, *(getattr(Shop, c) for c in SHOP_COLUMNS), Entity.uscc,
                    Entity.name.label("entity_name")).join(Entity, Shop.entity_id == Entity.id))
    licences = (select(Licence.shop_id, Licence.number, Licence.expires_on)
                .where(Licence.kind.in_(("food_business", "business")))
                .order_by(Licence.shop_id, Licence.expires_on, Licence.id))
    if shop_ids is not None:
        query = query.where(Shop.id.in_(shop_ids))
        licences = licences.where(Licence.shop_id.in_(shop_ids))
    values = {row.id: {**row._asdict(), "licence_no": None, "licence_expires": None}
              for row in db.session.execute(query)}
    # The main licence, chosen as registry.set_main_licence does: the first by expiry.
    seen: set[int] = set()
    for shop_id, number, expires_on in db.session.execute(licences):
        if shop_id not in seen:
            seen.add(shop_id)
            values[shop_id].update(licence_no=number, licence_expires=expires_on)
    return values


def compare_existing(plan: ImportPlan) -> None:
    """Split valid rows into new, changed and unchanged."""
    matched = [row for row in plan.rows if row.shop_id is not None]
    plan.created = [row for row in plan.rows if row.shop_id is None]
    # Many matches: one scan of the table beats dozens of 2,000-id IN lists.
    whole_table = len(matched) > BIG
    step = len(matched) if whole_table else CHUNK
    for start in range(0, len(matched), step):
        chunk = matched[start:start + step]
        stored = current_values(None if whole_table else [r.shop_id for r in chunk])
        for row in chunk:
            now = stored[row.shop_id]
            row.changes = {RAW_KEY.get(k, k): row.data[RAW_KEY.get(k, k)] for k in COMPARED
                           if k in row.clean and not same(row.clean[k], now[k])}
            if row.changes:
                plan.updated.append(row)
            else:
                plan.unchanged += 1


def check_scope(plan: ImportPlan, user) -> None:
    """Upload from the page: a regulator scoped to streets may neither add shops outside them
    nor change a shop that is outside them now. Adds row errors."""
    if user.street_ids() is None:
        return
    matched = [row.shop_id for row in plan.rows if row.shop_id is not None]
    streets: dict[int, int] = {}
    for start in range(0, len(matched), CHUNK):
        streets.update(db.session.execute(select(Shop.id, Shop.street_id)
                                          .where(Shop.id.in_(matched[start:start + CHUNK]))).all())
    for row in plan.rows:
        if "street_id" in row.clean and not user.covers_street(row.clean["street_id"]):
            plan.error(row.line, "street", N_("该街道不在您的管辖范围：%(street)s", street=row.data.get("street")))
        elif row.shop_id is not None and not user.covers_street(streets[row.shop_id]):
            plan.error(row.line, "code", N_("该商铺不在您的管辖范围"))
