"""The command line: `flask --app wsgi <command>`, one module per area.

common (connection and audit actor), database (init-db, seed), users
(create-user), audit (audit verify), tokens (create-token), imports (import).
The scheduler's commands (reminders run, scheduler) live with the scheduler
process and are registered here too: the only place registry/ names scheduler/.
"""

from .audit import audit_cli
from .database import init_db_command, seed_command
from .imports import import_command
from .tokens import create_token_command
from .users import create_user_command


def init_app(app):
    from scheduler import cli as scheduler_cli

    for command in (
        init_db_command,
        seed_command,
        create_user_command,
        audit_cli,
        create_token_command,
        import_command,
    ):
        app.cli.add_command(command)
    scheduler_cli.init_app(app)
