"""Command-line interface: `flask --app wsgi init-db`, `flask --app wsgi seed`."""

import getpass
import sys

import click
from flask import current_app, g
from flask.cli import with_appcontext

from . import seed as seeding
from .db import db, pending, redacted, upgrade
from .domain import audit, users
from .domain.agreements import ValidationError
from .domain.vocab import ROLES
from .models import Agreement, Group, User


def connect_or_fail(actor="command line"):
    """Open the database (a clear error if it cannot be reached); audit entries name `actor`."""
    g.audit_actor = actor
    try:
        db.connect(reuse_if_open=True)
    except Exception as exc:  # the driver's own error names the cause
        raise click.ClickException(
            f"Cannot connect to the database {redacted(current_app.config['DATABASE_URL'])!r}: {exc}"
        ) from exc


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


@click.command("create-user")
@with_appcontext
@click.option("--email", required=True, help="Login (e-mail address).")
@click.option("--name", required=True, help="Full name.")
@click.option("--role", required=True, type=click.Choice(sorted(ROLES)), help="admin, editor, auditor or viewer.")
@click.option("--group", "groups", multiple=True, help="A group the user belongs to (name or short name); repeat.")
@click.option("--secretary", is_flag=True, help="Mark as the leading group's secretary (receives escalations).")
@click.option("--password", help="The password; prompted for (hidden, twice) when left out.")
def create_user_command(email, name, role, groups, secretary, password):
    """Create an account, or update the one with this e-mail address."""
    connect_or_fail(f"command line ({getpass.getuser()})")
    group_ids = []
    for wanted in groups:
        group = Group.get_or_none((Group.name == wanted) | (Group.short_name == wanted))
        if group is None:
            raise click.ClickException(
                f"No group called {wanted!r}. Groups: {', '.join(g.name for g in Group.select())}"
            )
        group_ids.append(group.id)
    if not password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    user = User.get_or_none(User.email == email.strip().lower())
    data = {
        "email": email,
        "name": name,
        "role": role,
        "groups": group_ids,
        "is_secretary": secretary,
        "password": password,
        "is_active": True,
    }
    try:
        user = users.save_user(data, user)
    except ValidationError as exc:
        raise click.ClickException("; ".join(exc.errors.values())) from None
    click.echo(f"user {user.email} ({user.role}) saved")


@click.group("audit")
def audit_cli():
    """The audit trail."""


@audit_cli.command("verify")
@with_appcontext
def audit_verify_command():
    """Check the audit chain; exit 1 naming the first broken entry."""
    connect_or_fail()
    ok, count, message = audit.verify()
    click.echo(message)
    if not ok:
        sys.exit(1)


def init_app(app):
    from scheduler import cli as scheduler_cli

    app.cli.add_command(init_db_command)
    app.cli.add_command(seed_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(audit_cli)
    scheduler_cli.init_app(app)
    __import__("registry.api.cli", fromlist=["init_app"]).init_app(app)  # flask create-token
    __import__("registry.spreadsheet_cli", fromlist=["init_app"]).init_app(app)  # flask import FILE
