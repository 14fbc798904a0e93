"""`flask plan` — the 30-day list on the command line, and the nightly `flask plan refresh`."""

from datetime import date, datetime
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from huishang.services import DomainError, grading, planning

from ..extensions import db
from ..models import Street, today


def _as_of(value: str | None) -> date:
    if not value:
        return today()
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter("应为 YYYY-MM-DD", param_hint="--as-of") from None


def _street_ids(name: str | None) -> set[int] | None:
    if not name:
        return None
    street = db.session.scalar(select(Street).where((Street.name == name) | (Street.code == name.upper())))
    if street is None:
        raise click.BadParameter(f"未知街道：{name}", param_hint="--street")
    return {street.id}


@click.group("plan", invoke_without_command=True)
@click.option("--days", default=30, show_default=True, type=click.IntRange(0, planning.MAX_DAYS))
@click.option("--as-of", "as_of", help="The list day T, YYYY-MM-DD (default today).")
@click.option("--street", help="Street name or code (default the whole district).")
@click.option("--out", type=click.Path(dir_okay=False), help="Write FILE.xlsx, FILE.csv or FILE.pdf.")
@click.option("--save", is_flag=True, help="Also save the list as tracked items (keeps earlier tracking).")
@with_appcontext
def plan(days, as_of, street, out, save):
    """The inspection list for day T: active shops due by T+DAYS, in list order."""
    if click.get_current_context().invoked_subcommand is not None:
        return
    on, street_ids = _as_of(as_of), _street_ids(street)
    fmt = Path(out).suffix.lower().lstrip(".") if out else None
    if fmt and fmt not in ("xlsx", "csv", "pdf"):
        raise click.BadParameter("应为 .xlsx、.csv 或 .pdf 文件", param_hint="--out")
    try:
        if save:
            planning.generate(on, days, street_ids)
        items = planning.plan_items(on, days, street_ids)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
    rows = planning.present(items, on)
    if out:
        title = f"{days}日内待检查单位清单（{on.isoformat()}{'，' + street if street else ''}）"
        Path(out).write_bytes(planning.export(rows, fmt, title))
        click.echo(f"{len(rows)} items written to {out}")
        return
    for n, r in enumerate(rows, 1):
        click.echo(
            "\t".join(
                [
                    str(n),
                    r["shop_code"],
                    r["due_on"],
                    r["reason"],
                    r["cell"]["static"],
                    r["cell"]["dynamic"],
                    "逾期" if r["overdue"] else "",
                    r["street"],
                    r["sign_name"],
                ]
            )
        )
    click.echo(f"{len(rows)} items", err=True)


@plan.command("refresh")
@click.option("--street", help="Only this street (default all).")
@with_appcontext
def refresh(street):
    """Recompute every shop's grading facts, cell, due date and credit class (run nightly: worsening
    events and publicity periods expire with time), close items of shops inspected since, and
    publish the random draws whose inspection window has closed (双随机、一公开)."""
    ids = _street_ids(street)
    count = grading.refresh_all(street_id=next(iter(ids)) if ids else None)
    published = grading.draws.publish_due()  # draws whose inspection window closed yesterday
    db.session.commit()
    click.echo(f"refreshed {count} shops; {published} draws published")
    if db.engine.dialect.name == "postgresql":
        # The 30-day list for today is read from an index alone (ix_shops_plan_order) where the
        # table's pages are marked all-visible; vacuuming after the night's writes keeps it so.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM (ANALYZE) shops, plan_items")
        click.echo("vacuumed shops and plan_items")


commands = [plan]
