"""`flask --app huishang complaints sweep [--on DATE]` — the nightly overdue sweep of the complaint
desk. Complaints forwarded to a merchant and not answered by their working-day limit are escalated
and the shop is marked unresponsive (cleared once no overdue forward is left); every legal clock of
an open complaint or report that has run out (deadlines.CLOCKS, SAMR Order 20) is marked once with
an internal note.

Run it daily from cron after midnight (docs/deploy.md, "Nightly jobs"): limits are whole district
days, so one run a day escalates every complaint on the first day it is overdue. It is idempotent.
Loading the desk (`GET /admin/complaints`) does not sweep: a GET never writes."""
import click
from flask.cli import AppGroup

from huishang.services.feedback import complaints as service
from huishang.services.registry import parse_date

from ..extensions import db
from ..models import today

complaints = AppGroup("complaints", help="The complaint desk's scheduled jobs.")


@complaints.command("sweep")
@click.option("--on", "on", default=None, help="Date to judge by (YYYY-MM-DD); default today.")
def sweep_command(on):
    """Escalate forwarded complaints the merchant did not answer in time (run daily from cron)."""
    errors: dict = {}
    day = parse_date(on, "on", errors) if on else today()
    if errors:
        raise click.BadParameter("; ".join(errors["on"]))
    count = service.sweep_overdue(day)
    marked = service.sweep_legal(day)
    db.session.commit()
    click.echo(f"escalated {count} complaint(s) not answered by the merchant in time")
    click.echo(f"marked {marked} legal time limit(s) overdue (SAMR Order 20)")


commands = [complaints]
