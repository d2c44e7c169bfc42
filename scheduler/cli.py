"""`flask --app wsgi reminders run` and `flask --app wsgi scheduler`."""

import datetime
import sys

import click
from flask.cli import AppGroup, with_appcontext

from registry import clock
from registry.cli.common import connect_or_fail

from . import delivery, locks, reminders, service

reminders_cli = AppGroup("reminders", help="Reminder passes: what is due, and sending it.")


def _day(value):
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _print_digest(digest):
    click.echo(f"To: {digest.recipient}")
    click.echo(f"Subject: {digest.subject}")
    for item in digest.items:
        agreement = item.agreement
        click.echo(
            f"  - {item.reminder.deadline_on.isoformat()} {item.reminder.kind} "
            f"[{item.reminder.stage}] ({item.days_left} days) {delivery.name_of(agreement)}"
        )


def _report_trouble(result):
    """Name on stderr each deadline left out and each failed send; True if there was any (the command exits 1)."""
    for unplanned in result.unplanned:
        click.echo(f"SKIPPED {unplanned.describe()}", err=True)
    for error in result.errors:
        click.echo(f"FAILED {error}", err=True)
    return bool(result.unplanned or result.failed)


@reminders_cli.command("run")
@click.option("--today", "today", metavar="YYYY-MM-DD", help="Run as if today were this date.")
@click.option("--dry-run", is_flag=True, help="Print what would be sent; record and send nothing.")
def run_command(today, dry_run):
    """Run one reminder pass: plan what is due, send digests, record the outcome.

    Failed sends are retried at once (the scheduler waits for their backoff).
    Exits 1 when a send failed or a deadline could not be planned (each is
    named on stderr), 3 when another pass held the lock for too long.
    """
    connect_or_fail("scheduler")
    day = _day(today) if today else clock.today()
    if dry_run:
        result = reminders.dry_run(day)
        for digest in result.digests:
            _print_digest(digest)
        trouble = _report_trouble(result)
        click.echo(f"dry run {result.summary().replace(' sent', ' would be sent')}")
        if trouble:
            sys.exit(1)
        return
    try:
        result = reminders.run_pass(day, trigger="cli", retry_failed_now=True)
    except locks.LockBusy:
        click.echo("Another reminder pass is still running; try again when it has finished.", err=True)
        sys.exit(3)
    for digest in result.digests:
        _print_digest(digest)
    trouble = _report_trouble(result)
    click.echo(result.summary())
    if trouble:
        sys.exit(1)


@click.command("scheduler")
@with_appcontext
def scheduler_command():
    """Run the reminder scheduler (blocking): a catch-up pass now, then daily and retry passes."""
    connect_or_fail()
    service.run_forever()


def init_app(app):
    app.cli.add_command(reminders_cli)
    app.cli.add_command(scheduler_command)
