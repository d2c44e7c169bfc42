"""`flask --app wsgi audit verify`."""

import sys

import click
from flask.cli import with_appcontext
from flask_babel import force_locale

from ..domain import audit
from .common import connect_or_fail


@click.group("audit")
def audit_cli():
    """The audit trail."""


@audit_cli.command("verify")
@with_appcontext
def audit_verify_command():
    """Check the audit chain; exit 1 naming the first broken entry."""
    connect_or_fail()
    with force_locale("en"):  # English like the other commands, and the same words for scripts that compare it
        ok, count, message = audit.verify()
    click.echo(message)
    if not ok:
        sys.exit(1)
