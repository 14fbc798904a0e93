"""CLI commands, one module per feature; see huishang/cli.py. The file imports share how they
refuse: `fail` for a file that cannot be read, `refuse` for a file with bad lines (nothing written)."""
import click

from ..extensions import db

MAX_REPORTED = 200


def fail(exc) -> None:
    """A DomainError: roll back, print each field's messages, stop with the error's message."""
    db.session.rollback()
    for name, messages in exc.errors.items():
        for message in messages:
            click.echo(f"{name}: {message}", err=True)
    raise click.ClickException(exc.message) from None


def refuse(errors: list, nothing: str) -> None:
    """A file with bad lines: roll back, print the first MAX_REPORTED by line, stop saying what was not written."""
    db.session.rollback()
    for error in errors[:MAX_REPORTED]:
        click.echo(str(error), err=True)
    if len(errors) > MAX_REPORTED:
        click.echo(f"……另有 {len(errors) - MAX_REPORTED} 处错误", err=True)
    raise click.ClickException(f"{len(errors)} 处错误，{nothing}")
