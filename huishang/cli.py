"""Command-line interface: `flask --app huishang <command>`.

Each feature keeps its commands in its own module under `huishang/commands/`, exposing a
`commands` list; they are collected here. Every module is always present: a missing one is an
ImportError, not a quietly missing command.
"""
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from huishang.services import DomainError
from huishang.services.reference import seed_reference_data

from .commands import calendar, complaints, demo, inspections, jobs, messages, opendata, plan, plates, reminders, shops
from .extensions import db
from .models.users import ACCOUNT_ROLES
from .services import accounts as account_service
from .services.accounts import create_user

COMMAND_MODULES = (demo, shops, plates, inspections, plan, opendata, reminders, complaints, messages, calendar, jobs)

users = AppGroup("users", help="Manage user accounts.")


def _fail(exc: DomainError):
    db.session.rollback()
    for field, field_messages in exc.errors.items():
        for message in field_messages:
            click.echo(f"{field}: {message}", err=True)
    raise click.ClickException(exc.message) from None


def _read_password(password_stdin: bool, confirm: bool = True) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("密码 (password)", hide_input=True, confirmation_prompt=confirm)


@users.command("create")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ACCOUNT_ROLES),
              help="admin = district administrator (a district-wide regulator who manages accounts).")
@click.option("--password", default=None, help="At least 8 characters (visible in the shell history: "
              "prefer --password-stdin, or leave both out to be asked).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.option("--street", "streets", multiple=True, help="Street in scope, name or code (repeatable).")
@click.option("--shop", "shops", multiple=True, help="Shop code the merchant holds (repeatable).")
@click.option("--complex", "complex_name", help="The complex a property manager looks after.")
@click.option("--display-name", default="", help="Name shown in the UI.")
@click.option("--phone", default="", help="Contact phone.")
@click.option("--temporary", is_flag=True, help="The user must change the password at the first login.")
def create_user_command(name, role, password, password_stdin, streets, shops, complex_name, display_name,
                        phone, temporary):
    """Create a user NAME with a role and scope."""
    if password is None:
        password = _read_password(password_stdin)
    try:
        user = create_user(name, role, password, streets=streets, shops=shops, complex_name=complex_name,
                           display_name=display_name, phone=phone, must_change_password=temporary)
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"created {user.account_role} {user.username}")


def _schema_is_current() -> bool:
    """The database is migrated to the newest revision (`flask db upgrade` has run)."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    directory = current_app.extensions["migrate"].directory
    heads = set(ScriptDirectory(directory).get_heads())
    with db.engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    return bool(current) and current == heads


@click.command("setup")
@click.option("--username", default=None, help="The administrator's username (asked when left out).")
@click.option("--display-name", default=None, help="Name shown in the UI, e.g. 区市场监管局 张三.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin "
              "(for scripts); otherwise it is asked twice.")
def setup_command(username, display_name, password_stdin):
    """First run: create the district administrator on a migrated database.

    Run `flask --app huishang db upgrade` first. Refused, writing nothing, once an administrator
    exists (a second administrator is an account like any other: the accounts page or
    `flask users create NAME --role admin`)."""
    if not _schema_is_current():
        raise click.ClickException("数据库尚未迁移到最新版本：请先运行 `flask --app huishang db upgrade` "
                                   "(the database is not migrated: run `flask --app huishang db upgrade` first)")
    if account_service.any_administrator():
        raise click.ClickException("区管理员已存在，未作任何更改 (an administrator exists; nothing changed)")
    if username is None:
        username = click.prompt("用户名 (username)")
    if display_name is None:
        display_name = "" if password_stdin else click.prompt("显示名称 (display name)", default="",
                                                              show_default=False)
    password = _read_password(password_stdin)
    try:
        user = account_service.create_administrator(username, password, display_name=display_name)
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"区管理员已创建 (administrator created): {user.username}")


@click.command("seed")
def seed_command():
    """Add the shipped reference data (streets, catalogue, checklists) where missing."""
    added = seed_reference_data()
    db.session.commit()
    click.echo(f"reference data: {added} rows added")


def register(app) -> None:
    app.cli.add_command(users)
    app.cli.add_command(seed_command)
    app.cli.add_command(setup_command)
    for module in COMMAND_MODULES:
        for command in module.commands:
            app.cli.add_command(command)
