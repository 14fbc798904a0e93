"""`flask calendar import FILE [--dry-run]`: holidays and make-up working days (调休) from a CSV or
iCalendar file — the State Council's yearly notice, typed once (see `services.core.calendar_file`)."""
from pathlib import Path

import click
from flask.cli import AppGroup

from huishang.services import DomainError
from huishang.services.core import calendar_file

from ..extensions import db
from . import fail, refuse

calendar = AppGroup("calendar", help="The working-day calendar (holidays, make-up working days).")


@calendar.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
def import_command(file, dry_run):
    """Import holidays (休) and make-up working days (班) from FILE (.csv: date,kind,name; or .ics).

    Any bad line: nothing is imported and every bad line is reported by its number. Days already
    in the calendar with the same kind and name are left alone, so a second run changes nothing.
    """
    try:
        plan = calendar_file.plan_calendar(Path(file).name, Path(file).read_bytes())
    except DomainError as exc:
        fail(exc)
    if not plan.ok:
        refuse(plan.errors, "未导入任何日期 (nothing imported)")
    years = "、".join(str(y) for y in plan.years)
    if dry_run:
        db.session.rollback()
        click.echo(f"检查通过（试运行，未写入） {years}: {plan.summary}")
        return
    calendar_file.apply_calendar(plan)
    db.session.commit()
    click.echo(f"导入完成 {years}: {plan.summary}")


commands = [calendar]
