"""`flask --app huishang demo`: load the demo district once and print the demo logins."""
import click

from huishang.services import DomainError
from huishang.services.demo import district as demo

from ..extensions import db


@click.command("demo")
def demo_command():
    """Load a believable demo district (reproducible; a second run adds nothing)."""
    try:
        ctx = demo.load_demo(echo=click.echo)
    except DomainError as exc:
        db.session.rollback()
        for name, messages in exc.errors.items():
            click.echo(f"{name}: {'; '.join(messages)}", err=True)
        raise click.ClickException(exc.message) from None
    db.session.commit()
    if ctx.fresh:
        click.echo(f"演示数据已载入 (demo loaded): {len(ctx.shops)} 家商铺 (shops)")
    else:
        click.echo("演示数据已存在，未重复载入 (demo already loaded; nothing added)")
    for line in demo.login_lines():
        click.echo(line)


commands = [demo_command]
