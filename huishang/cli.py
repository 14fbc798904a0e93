"""Command-line interface: `flask --app huishang <command>`.

Each feature keeps its commands in its own module under `huishang/commands/`, exposing a
`commands` list; they are collected here. Every module is always present: a missing one is an
ImportError, not a quietly missing command.
"""
import click
from flask.cli import AppGroup

from huishang.services import DomainError
from huishang.services.reference import seed_reference_data

from .commands import calendar, complaints, demo, inspections, jobs, messages, opendata, plan, plates, reminders, shops
from .extensions import db
from .services.accounts import create_user

COMMAND_MODULES = (demo, shops, plates, inspections, plan, opendata, reminders, complaints, messages, calendar, jobs)

users = AppGroup("users", help="Manage user accounts.")


@users.command("create")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["regulator", "inspector", "merchant", "property"]))
@click.option("--password", required=True, help="At least 8 characters.")
@click.option("--street", "streets", multiple=True, help="Street in scope (repeatable).")
@click.option("--shop", "shops", multiple=True, help="Shop code the merchant holds (repeatable).")
@click.option("--complex", "complex_name", help="The complex a property manager looks after.")
@click.option("--display-name", default="", help="Name shown in the UI.")
def create_user_command(name, role, password, streets, shops, complex_name, display_name):
    """Create a user NAME with a role and scope."""
    try:
        user = create_user(name, role, password, streets=streets, shops=shops,
                           complex_name=complex_name, display_name=display_name)
    except DomainError as exc:
        db.session.rollback()
        for field, messages in exc.errors.items():
            for message in messages:
                click.echo(f"{field}: {message}", err=True)
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"created {user.role} {user.username}")


@click.command("seed")
def seed_command():
    """Add the shipped reference data (streets, catalogue, checklists) where missing."""
    added = seed_reference_data()
    db.session.commit()
    click.echo(f"reference data: {added} rows added")


def register(app) -> None:
    app.cli.add_command(users)
    app.cli.add_command(seed_command)
    for module in COMMAND_MODULES:
        for command in module.commands:
            app.cli.add_command(command)
