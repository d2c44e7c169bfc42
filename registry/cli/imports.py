"""`flask --app wsgi import FILE [--dry-run]`: import agreements from a CSV or XLSX file.

The same reading, checks and all-or-nothing commit as the web import
(registry/domain/importer.py). Problems are printed one a line as
"rad N, Kolumn: problem", then a summary line; the exit status is 1 when the
file has problems or cannot be read, so nothing was imported.
"""

import getpass
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..db import pending
from ..domain import importer, spreadsheet
from .common import connect_or_fail


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and show what would change; write nothing.")
@with_appcontext
def import_command(path, dry_run):
    """Import agreements from a CSV or XLSX file in the export's columns; all or nothing."""
    connect_or_fail(f"command line ({getpass.getuser()})")
    if pending():
        raise click.ClickException("The database schema is not up to date: run `flask --app wsgi init-db` first.")
    content = path.read_bytes()
    try:
        plan = importer.plan(path.name, content) if dry_run else importer.commit(path.name, content)
    except spreadsheet.SpreadsheetError as exc:
        click.echo(f"{path.name}: {exc}", err=True)
        sys.exit(1)
    problems = plan.all_problems
    for problem in problems:
        click.echo(str(problem))
    for row in plan.rows:
        if not row.problems and row.action == importer.UPDATE:
            click.echo(f"rad {row.row}: ändras ({', '.join(row.changes)}): {row.title}")
    if problems:
        outcome = "Inget har importerats."
    elif dry_run:
        outcome = "Provkörning (--dry-run): inget har sparats."
    elif plan.to_write:
        outcome = "Importerat."
    else:
        outcome = "Inget att ändra."
    click.echo(f"{path.name}: {plan.summary()} {outcome}")
    if problems:
        sys.exit(1)
