"""Command-line interface: `flask --app wsgi init-db`, `flask --app wsgi seed`."""

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from . import seed as seeding
from .db import db, pending, upgrade
from .domain.agreements import ValidationError
from .models import Agreement


def connect_or_fail():
    try:
        db.connect(reuse_if_open=True)
    except Exception as exc:  # the driver's own error names the cause
        raise click.ClickException(
            f"Cannot connect to the database {current_app.config['DATABASE_URL']!r}: {exc}"
        ) from exc


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create the database schema, or upgrade it to the newest version."""
    connect_or_fail()
    applied = upgrade()
    for name in applied:
        click.echo(f"applied migration {name}")
    click.echo("database is up to date" if applied else "database was already up to date")


@click.command("seed")
@with_appcontext
@click.option(
    "--file",
    "path",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="A seed file (TOML); default: the Jönköpings län demo data.",
)
@click.option("--if-empty", is_flag=True, help="Load only when the register has no agreements.")
def seed_command(path, if_empty):
    """Load demo (or another region's) data; loading twice changes nothing."""
    connect_or_fail()
    if pending():
        raise click.ClickException("The database schema is not up to date: run `flask --app wsgi init-db` first.")
    if if_empty and Agreement.select().exists():
        click.echo("register is not empty; nothing loaded")
        return
    try:
        created = seeding.load(path or seeding.DEMO_FILE)
    except (seeding.SeedError, ValidationError, KeyError) as exc:
        click.echo(f"Seed file error: {exc}", err=True)
        sys.exit(1)
    summary = ", ".join(f"{n} {k}" for k, n in created.items())
    click.echo(f"created {summary}")


def init_app(app):
    from scheduler import cli as scheduler_cli

    app.cli.add_command(init_db_command)
    app.cli.add_command(seed_command)
    scheduler_cli.init_app(app)
