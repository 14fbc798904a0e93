"""`flask shops import FILE [--dry-run]` and `flask shops export --out FILE [--street NAME]`."""
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from huishang.services import DomainError, registry
from huishang.services.registry import exporting, importing

from ..extensions import db
from ..models import Shop
from . import fail

shops = AppGroup("shops", help="Import and export the shop registry.")
MAX_REPORTED = 200


@shops.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
def import_command(file, dry_run):
    """Import shops from a CSV (UTF-8, UTF-8 with BOM, GB18030) or XLSX file with a header row.

    Any bad row: nothing is imported and every bad row is reported with its line and field.
    Complexes (商业综合体) the file names and the registry does not know are created in the street
    of the first row naming them; the report lists them (also with --dry-run) and warns when a new
    name is close to a registered or another new one.
    """
    try:
        header, rows = importing.read_rows(file)
        with click.progressbar(length=len(rows), label="检查 checking",
                               file=sys.stderr) as bar:
            plan = importing.plan_rows(Path(file).name, header, rows, progress=bar.update)
    except DomainError as exc:
        fail(exc)
    if plan.ignored_headers:
        click.echo(f"忽略无法识别的列 (ignored columns): {'、'.join(plan.ignored_headers)}", err=True)
    for warning in plan.warnings:
        click.echo(f"注意 (warning) {warning}", err=True)
    if not plan.ok:
        db.session.rollback()
        for error in plan.errors[:MAX_REPORTED]:
            click.echo(str(error), err=True)
        if len(plan.errors) > MAX_REPORTED:
            click.echo(f"……另有 {len(plan.errors) - MAX_REPORTED} 处错误", err=True)
        bad_lines = len({e.line for e in plan.errors})
        raise click.ClickException(
            f"{bad_lines} 行有误，未导入任何数据 ({bad_lines} bad rows; nothing imported)")
    if dry_run:
        db.session.rollback()
        click.echo(f"检查通过（试运行，未写入）: {plan.summary}")
        return
    work = len(plan.created) + len(plan.updated)
    try:
        with click.progressbar(length=work, label="写入 writing", file=sys.stderr) as bar:
            importing.apply_import(plan, progress=bar.update)
    except DomainError as exc:
        fail(exc)
    db.session.commit()
    click.echo(f"导入完成: {plan.summary}")


@shops.command("export")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="FILE.csv or FILE.xlsx")
@click.option("--street", default=None, help="Only this street (name or code).")
def export_command(out, street):
    """Export the registry to CSV (UTF-8 with BOM) or XLSX, in the import format."""
    from sqlalchemy import select



    fmt = Path(out).suffix.lower().lstrip(".")
    if fmt not in exporting.FORMATS:
        raise click.BadParameter("the file must end in .csv or .xlsx", param_hint="--out")
    try:
        query = registry.filter_shops(select(Shop), street=street)
    except DomainError as exc:
        fail(exc)
    partial = Path(f"{out}.part")  # streamed to disk; the file appears only when complete
    try:
        with partial.open("wb") as fh:
            count = exporting.write_shops(query, fmt, fh)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    click.echo(f"exported {count} shops to {out}")


commands = [shops]
