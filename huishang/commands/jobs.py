"""`flask --app huishang jobs list | run NAME | requeue` — the scheduled jobs by hand, without
Redis or a worker (each is idempotent: running one twice gives the same result)."""
import click
from flask.cli import AppGroup

from huishang.services import jobs as job_service

jobs = AppGroup("jobs", help="Scheduled and background jobs.")


@jobs.command("list")
def list_command():
    """The scheduled jobs beat runs, with their schedules."""
    for name, entry in job_service.scheduled().items():
        click.echo(f"{name:<18} {entry.schedule!s:<48} {entry.help}")


@jobs.command("run")
@click.argument("name")
def run_command(name):
    """Run the scheduled job NAME now, in this process (see `jobs list`)."""
    if name not in job_service.scheduled():
        raise click.BadParameter(f"unknown job {name}; see `flask jobs list`", param_hint="NAME")
    click.echo(job_service.run_scheduled_job(name))


@jobs.command("work")
@click.argument("job_id")
def work_command(job_id):
    """Run the background job JOB_ID here (one a worker lost, for instance)."""
    click.echo(job_service.run(job_id))


commands = [jobs]
