"""The deadline of an agreement under revision: the date its new version must be decided by.

Agreements already under revision get one: six months after the latest follow-up that
decided on a revision ("Ska revideras"), else six months after the agreement was last
changed; an index (status, revision_due_on) serves the dashboard as the others do.
"""
import datetime

from dateutil.relativedelta import relativedelta
from peewee import *

MONTHS = 6


def up(migrator, db):
    migrator.migrate(migrator.add_column('agreement', 'revision_due_on', DateField(null=True)))
    db.execute_sql("CREATE INDEX agreement_status_revision ON agreement (status, revision_due_on)")
    rows = db.execute_sql(
        "SELECT a.id, a.updated_at, (SELECT MAX(r.reviewed_on) FROM review r"
        " WHERE r.agreement_id = a.id AND r.outcome = 'to_be_revised')"
        " FROM agreement a WHERE a.status = 'under_revision'"
    ).fetchall()
    for pk, updated_at, decided_on in rows:
        start = _as_date(decided_on) or _as_date(updated_at) or datetime.date.today()
        try:
            due = start + relativedelta(months=MONTHS)
        except (OverflowError, ValueError):
            continue  # a date stored before the register checked them: the agreement's form asks for one
        db.execute_sql("UPDATE agreement SET revision_due_on = %s WHERE id = %s" % (db.param, db.param), (due, pk))


def _as_date(value):
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def down(migrator, db):
    db.execute_sql("DROP INDEX agreement_status_revision")
    migrator.migrate(migrator.drop_column('agreement', 'revision_due_on'))
