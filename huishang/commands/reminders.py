"""`flask --app huishang reminders send [--as-of DATE]` — licence and health-certificate expiry
reminders (30 and 7 calendar days ahead, and on the day of expiry), each sent exactly once. Run it
daily (cron or a systemd timer); running it twice a day, or late, sends nothing twice."""
import click
from flask.cli import AppGroup

from huishang.services.merchant import send_reminders

from ..extensions import db

reminders = AppGroup("reminders", help="Expiry reminders for licences and health certificates.")


@reminders.command("send")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Pretend today is this date (YYYY-MM-DD); default: today in the district.")
def send_command(as_of):
    """Create the due in-app notifications and hand them to NOTIFY_SENDER."""
    sent = send_reminders(as_of.date() if as_of else None)
    db.session.commit()
    click.echo(f"licence reminders: {sent['licence']}, health-certificate reminders: {sent['health_cert']}, "
               f"rectification reminders: {sent['rectification']}")


commands = [reminders]
