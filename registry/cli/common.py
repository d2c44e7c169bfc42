"""What every command needs: a database connection that fails clearly, and an actor for the audit trail."""

import click
from flask import current_app, g

from ..db import db, redacted


def connect_or_fail(actor="command line"):
    """Open the database (a clear error if it cannot be reached); audit entries name `actor`."""
    g.audit_actor = actor
    try:
        db.connect(reuse_if_open=True)
    except Exception as exc:  # the driver's own error names the cause
        raise click.ClickException(
            f"Cannot connect to the database {redacted(current_app.config['DATABASE_URL'])!r}: {exc}"
        ) from exc
