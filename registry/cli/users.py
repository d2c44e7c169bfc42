"""`flask --app wsgi create-user`."""

import getpass

import click
from flask.cli import with_appcontext

from ..domain import users
from ..domain.errors import ValidationError
from ..models import Group, User
from ..vocab import ROLES
from .common import connect_or_fail


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
