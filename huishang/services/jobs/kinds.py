"""The kinds of long work a page, the API or the command line starts as a job, and their bodies.

Each body gets a `Work` (parameters, owner, progress, a temporary path for its file) and returns
its result in words. It flushes and never commits: the runner commits its work once, at the end,
so an import is all or nothing as it always was. Bad input is a DomainError whose words the job
page shows."""
from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from huishang.extensions import db
from huishang.i18n import N_
from huishang.models import Shop, Street, today
from huishang.services import DomainError, planning, registry
from huishang.services.inspections import history_import, notify_result
from huishang.services.integration import opendata
from huishang.services.registry import exporting, importing
from huishang.services.scan import plates as plate_service

MAX_REPORTED = 500


@dataclass(frozen=True)
class Kind:
    name: str
    label: str  # in words, for the job page (Chinese; translated when shown)
    body: Callable


KINDS: dict[str, Kind] = {}


def kind(name: str, label: str):
    def register(body):
        KINDS[name] = Kind(name, label, body)
        return body

    return register


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


# -- the registry ---------------------------------------------------------------------------------

@kind("registry.export", N_("导出商铺登记"))
def registry_export(work) -> str:
    """params: fmt (csv/xlsx), filters (the registry list's). The owner's street scope applies."""
    fmt = work.params.get("fmt")
    if fmt not in exporting.FORMATS:
        raise DomainError(N_("导出格式应为 CSV 或 XLSX"), {"fmt": [N_("不支持的格式")]})
    filters = work.params.get("filters") or {}
    query = registry.filter_shops(registry.scoped_shops(work.owner), **filters)
    work.progress(0, total=_count(query), message=N_("正在导出"), force=True)
    with work.output(f"商铺登记-{today().isoformat()}.{fmt}").open("wb") as fh:
        count = exporting.write_shops(query, fmt, fh, progress=work.advance)
    return f"已导出 {count} 家商铺 (exported {count} shops)"


@kind("registry.import", N_("导入商铺登记"))
def registry_import(work) -> str:
    """params: path (the uploaded file, kept with the job), filename. Any bad row: nothing written."""
    path = Path(work.params["path"])
    content = path.read_bytes()
    header, rows = importing.read_rows(work.params.get("filename") or path.name, content)
    work.progress(0, total=len(rows), message=N_("正在检查"), force=True)
    plan = importing.plan_upload(work.params.get("filename") or path.name, content, work.owner,
                                 current_app.config["JOB_IMPORT_MAX_ROWS"], read=(header, rows),
                                 progress=work.advance)
    if not plan.ok:
        work.report = [str(e) for e in plan.errors[:MAX_REPORTED]]
        bad = len({e.line for e in plan.errors})
        raise DomainError(N_("%(n)s 行有误，未导入任何数据", n=bad))
    work.progress(0, total=len(plan.created) + len(plan.updated), message=N_("正在写入"), force=True)
    importing.apply_import(plan, actor=work.owner, progress=work.advance)
    if plan.ignored_headers:
        work.report = [f"忽略无法识别的列 (ignored columns): {'、'.join(plan.ignored_headers)}"]
    return f"导入完成：{plan.summary}"


# -- inspections history --------------------------------------------------------------------------

@kind("inspections.import", N_("导入检查历史"))
def inspections_import(work) -> str:
    path = Path(work.params["path"])
    work.progress(0, message=N_("正在检查"), force=True)
    plan = history_import.plan_import(path)
    if not plan.ok:
        work.report = [str(e) for e in plan.errors[:MAX_REPORTED]]
        raise DomainError(N_("%(n)s 处错误，未导入任何数据", n=len(plan.errors)))
    work.progress(0, total=len(plan.rows), message=N_("正在写入"), force=True)
    history_import.apply_import(plan, actor=work.owner)
    work.progress(len(plan.rows))
    return f"导入完成：{plan.summary}"


# -- plates ---------------------------------------------------------------------------------------

@kind("plates", N_("打印铭牌"))
def plates(work) -> str:
    """params: street_id (None: the whole district in the owner's scope), include_closed."""
    query = registry.scoped_shops(work.owner) if work.owner else select(Shop)
    street_id = work.params.get("street_id")
    name = "全区"
    if street_id is not None:
        street = db.session.get(Street, int(street_id))
        if street is None:
            raise DomainError(N_("街道不存在"), {"street_id": [N_("街道不存在")]})
        query, name = query.where(Shop.street_id == street.id), street.name
    if not work.params.get("include_closed"):
        query = query.where(Shop.status != "closed")
    config = current_app.config
    data = [plate_service.plate_data(shop, config)
            for shop in db.session.scalars(query.order_by(Shop.street_id, Shop.address, Shop.id))]
    if not data:
        raise DomainError(N_("没有符合条件的商铺，未生成铭牌"))
    work.progress(0, total=len(data), message=N_("正在生成铭牌"), force=True)
    with work.output(f"铭牌-{name}-{today().isoformat()}.pdf").open("wb") as fh:
        pages = plate_service.render_batch(data, fh, workers=config["JOB_PLATE_WORKERS"],
                                           progress=work.advance)
    return f"已生成 {pages} 张铭牌 (PDF, {pages} plates)"


# -- the 30-day list ------------------------------------------------------------------------------

@kind("plan.generate", N_("生成30日检查清单"))
def plan_generate(work) -> str:
    """params: as_of (YYYY-MM-DD), days, street_ids (None: the owner's scope)."""
    as_of = date.fromisoformat(work.params["as_of"]) if work.params.get("as_of") else today()
    ids = work.params.get("street_ids")
    street_ids = set(ids) if ids is not None else None
    work.progress(0, total=1, message=N_("正在生成清单"), force=True)
    count = planning.generate(as_of, int(work.params.get("days", 30)), street_ids, actor=work.owner)
    work.progress(1)
    return f"清单已生成：{count} 项 ({count} items)"


# -- open data ------------------------------------------------------------------------------------

@kind("opendata.export", N_("生成开放数据包"))
def opendata_export(work) -> str:
    """The daily open-data zip (public fields only), also offered to the one who asked for it."""
    work.progress(0, total=1, message=N_("正在生成开放数据包"), force=True)
    path, counts = opendata.export(current_app.config["OPENDATA_DIR"])
    shutil.copyfile(path, work.output(path.name))
    work.progress(1)
    return "开放数据包已生成：" + "，".join(f"{k} {v} 行" for k, v in counts.items())


# -- follow-ups: consequences of a write that need not keep its user waiting ----------------------
# No job row and no page: sent after the write's commit (`jobs.follow_up`), each idempotent.
FOLLOW_UPS: dict[str, Callable] = {
    "inspection.result": notify_result,  # the merchants told of an inspection's result
}
