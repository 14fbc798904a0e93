"""`flask inspections import FILE [--dry-run]` — inspection history from the city's system."""

import click
from flask.cli import AppGroup

from huishang.services import DomainError
from huishang.services.inspections import history_import as inspection_import

from ..extensions import db
from . import fail, refuse

inspections = AppGroup("inspections", help="Inspection history.")


@inspections.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
def import_command(file, dry_run):
    """Import inspection history from CSV (UTF-8, UTF-8 with BOM, GB18030) or XLSX.

    Columns: shop_code 商铺码, inspected_on 检查日期, outcome 检查结果 (符合/基本符合/不符合),
    rectification_deadline 整改期限, rectified_on 整改完成日期. Any bad row: nothing is imported
    and every bad row is reported with its line and column. Rows already recorded (same shop,
    date and outcome) are skipped.
    """
    try:
        plan = inspection_import.plan_import(file)
    except DomainError as exc:
        fail(exc)
    if not plan.ok:
        refuse(plan.errors, "未导入任何数据 (nothing imported)")
    if dry_run:
        db.session.rollback()
        click.echo(f"检查通过（试运行，未写入）: {plan.summary}")
        return
    inspection_import.apply_import(plan)
    db.session.commit()
    click.echo(f"导入完成: {plan.summary}")


commands = [inspections]
