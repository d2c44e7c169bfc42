"""`flask --app wsgi init-db` and `flask --app wsgi seed`."""

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import seed as seeding
from ..db import pending, redacted, upgrade
from ..domain.errors import ValidationError
from ..models import Agreement
from .common import connect_or_fail


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create the database schema, or upgrade it to the newest version."""
    # Named first: a shell without the service's settings would otherwise quietly make a SQLite file.
    click.echo(f"database {redacted(current_app.config['DATABASE_URL'])}")
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
@click.option("--demo-users", is_flag=True, help="Also create the file's demo accounts (development only).")
def seed_command(path, if_empty, demo_users):
    """Load demo (or another region's) data; loading twice changes nothing."""
    if demo_users and current_app.config.get("APP_ENV") == "production":
        # Refused before anything is loaded: the command changes nothing when it fails.
        raise click.ClickException("Demo accounts have known passwords and are refused when APP_ENV=production.")
    connect_or_fail("seed")
    if pending():
        raise click.ClickException("The database schema is not up to date: run `flask --app wsgi init-db` first.")
    try:
        if if_empty and Agreement.select().exists():
            click.echo("register is not empty; nothing loaded")
        else:
            created = seeding.load(path or seeding.DEMO_FILE)
            click.echo("created " + ", ".join(f"{n} {k}" for k, n in created.items()))
        if demo_users:
            _demo_users(path)
    except (seeding.SeedError, ValidationError, KeyError) as exc:
        click.echo(f"Seed file error: {exc}", err=True)
        sys.exit(1)


def _demo_users(path):
    created = seeding.load_users(path or seeding.DEMO_FILE)
    if created:
        click.echo(f"demo accounts (password {seeding.DEMO_PASSWORD}): " + ", ".join(created))
