"""`flask --app huishang messages deliver` — send the e-mail and SMS messages that are due (the
background job `messages.deliver` runs the same every minute; by hand it is for a district without
the queue, or to flush the outbox now). `messages status` counts the outbox by status."""
import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from huishang.services import messages as service

from ..extensions import db
from ..models import OutboundMessage

messages = AppGroup("messages", help="The outbox of e-mail and SMS messages.")


@messages.command("deliver")
@click.option("--limit", default=500, show_default=True, help="At most this many messages in one run.")
def deliver_command(limit):
    """Send the queued messages that are due; failures are retried later with back-off."""
    counts = service.deliver_due(limit=limit)
    click.echo(f"sent {counts['sent']}, to retry {counts['retry']}, failed {counts['failed']}")


@messages.command("status")
def status_command():
    """How many messages are queued, sent, failed or capped."""
    rows = db.session.execute(select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status)).all()
    for status, count in sorted(rows):
        click.echo(f"{status}: {count}")


commands = [messages]
