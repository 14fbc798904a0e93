"""`flask --app huishang plates (--street NAME | --complex NAME | --all) --out FILE.pdf`."""
import os

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from huishang.services.scan import plates as plate_service

from ..extensions import db
from ..models import Complex, Shop, Street


@click.command("plates")
@click.option("--street", help="Street (街道) name or code.")
@click.option("--complex", "complex_name", help="Commercial complex name.")
@click.option("--all", "all_shops", is_flag=True, help="Every shop in the district.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, writable=True), help="Output PDF.")
@click.option("--include-closed", is_flag=True, help="Also print plates of closed (注销) shops.")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Worker processes (default: one per core).")
@with_appcontext
def plates_command(street, complex_name, all_shops, out, include_closed, workers):
    """Print plates into one PDF, one 100 × 140 mm page per shop, ordered by street and address."""
    if sum(bool(x) for x in (street, complex_name, all_shops)) != 1:
        raise click.UsageError("give exactly one of --street, --complex or --all")
    query = select(Shop)
    if street:
        st = db.session.scalar(select(Street).where(
            (Street.name == street) | (Street.code == street.upper())))
        if st is None:
            raise click.BadParameter(f"unknown street: {street}", param_hint="--street")
        query = query.where(Shop.street_id == st.id)
    if complex_name:
        cx = db.session.scalar(select(Complex).where(Complex.name == complex_name))
        if cx is None:
            raise click.BadParameter(f"unknown complex: {complex_name}", param_hint="--complex")
        query = query.where(Shop.complex_id == cx.id)
    if not include_closed:
        query = query.where(Shop.status != "closed")
    config = current_app.config
    data = [plate_service.plate_data(shop, config)
            for shop in db.session.scalars(query.order_by(Shop.street_id, Shop.address, Shop.id))]
    if not data:
        raise click.ClickException("no shops match: nothing to print")
    workers = workers or os.cpu_count() or 1
    tmp = f"{out}.part"
    label = f"plates ({workers} workers)"
    with click.progressbar(length=len(data), label=label) as bar, open(tmp, "wb") as fh:
        pages = plate_service.render_batch(data, fh, workers=workers, progress=bar.update)
    os.replace(tmp, out)
    click.echo(f"{pages} plates written to {out}")


commands = [plates_command]
