"""`flask --app wsgi create-token --email E`: a new API token, printed as the last line."""

import getpass

import click
from flask.cli import with_appcontext

from ..domain import tokens
from ..domain.errors import ValidationError
from ..models import User
from .common import connect_or_fail


@click.command("create-token")
@with_appcontext
@click.option("--email", required=True, help="The account the token acts as (with its role).")
@click.option("--name", default="", help='What the token is for (default "command line").')
def create_token_command(email, name):
    """Make an API token for an account; only its hash is stored, so copy it now."""
    connect_or_fail(f"command line ({getpass.getuser()})")
    user = User.get_or_none(User.email == email.strip().lower())
    if user is None:
        raise click.ClickException(f"No account with the e-mail address {email!r}.")
    if not user.is_active:
        raise click.ClickException(f"The account {user.email} is deactivated; its tokens would not work.")
    try:
        _row, plain = tokens.create_token(user, name or "command line")
    except ValidationError as exc:
        raise click.ClickException("; ".join(exc.errors.values())) from None
    click.echo(f"API token for {user.email} ({user.role}); it is shown only now, revoke it at /account/tokens:")
    click.echo(plain)
