"""`flask --app huishang opendata export [--out DIR]` — the daily open-data zip."""

import click
from flask import current_app
from flask.cli import AppGroup

from huishang.services.integration import opendata

opendata_group = AppGroup("opendata", help="Open data: the daily bulk export.")


@opendata_group.command("export")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    help="Directory for the zip (default: OPENDATA_DIR, the one /open-data/latest.zip serves).",
)
def export_command(out_dir):
    """Write huishang-open-data-YYYYMMDD.zip and latest.zip (public fields only)."""
    path, counts = opendata.export(out_dir or current_app.config["OPENDATA_DIR"])
    click.echo(f"wrote {path}")
    for name, count in counts.items():
        click.echo(f"  {name}: {count} rows")


commands = [opendata_group]
