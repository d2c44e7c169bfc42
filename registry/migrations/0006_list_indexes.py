"""Indexes for the agreement list at scale: titles in Swedish order, deadlines by status, search.

The list sorts by title in Swedish alphabetical order (registry.db.Swedish):
`title COLLATE sv` on SQLite (a collation the app registers on every
connection it opens), the server's Swedish ICU or libc collation on
PostgreSQL, else an expression that maps å, ä, ö after z. Without an index in
that same order every page of a large register sorts the whole table. The
expression is chosen here exactly as Swedish chooses it when it builds a query.

On SQLite, a connection that modifies agreement titles must have the "sv"
collation registered (every connection the app opens does; the sqlite3 shell
does not).

On PostgreSQL, the search box (lower(column) LIKE '%text%' over title, short
name, case number and description) is served by trigram indexes when the
pg_trgm extension is there or may be created (it ships with PostgreSQL; a
database owner without the right to create it gets the rest of this migration
and a search that scans the table). The extension goes to schema public, so
dropping the schema a register lives in never drops it from under another.
"""
from peewee import PostgresqlDatabase, SqliteDatabase


def _title_expression(db):
    from registry.db import _PG_FROM, _PG_TO, swedish_collation

    collation = swedish_collation(db)
    if collation:
        return f"title COLLATE {collation}"
    if isinstance(db, PostgresqlDatabase):
        return f"translate(lower(title), '{_PG_FROM}', '{_PG_TO}') COLLATE \"C\""
    return "title"


SEARCHED = ("title", "short_name", "case_number", "description")


def _trigram_schema(db):
    """The schema holding pg_trgm's operator classes, creating the extension if allowed; else None."""
    found = db.execute_sql(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
    ).fetchone()
    if found:
        return found[0]
    try:
        with db.atomic():  # a savepoint: a refusal leaves the migration's transaction usable
            db.execute_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
    except Exception:  # no right to create extensions, or pg_trgm not installed
        return None
    return "public"


def up(migrator, db):
    # Counting what needs attention (status and both deadline dates) from the index alone.
    db.execute_sql("CREATE INDEX agreement_status_deadlines ON agreement (status, expires_on, next_review_on)")
    # The dashboard's counts per responsible group, likewise.
    db.execute_sql(
        "CREATE INDEX agreement_group_deadlines ON agreement (responsible_group_id, status, expires_on, next_review_on)"
    )
    expression = _title_expression(db)
    if isinstance(db, SqliteDatabase):
        db.execute_sql(f"CREATE INDEX agreement_title_sv ON agreement ({expression})")
    else:
        db.execute_sql(f"CREATE INDEX agreement_title_sv ON agreement (({expression}), id)")
        schema = _trigram_schema(db)
        if schema:
            for column in SEARCHED:
                db.execute_sql(
                    f"CREATE INDEX agreement_{column}_trgm ON agreement "
                    f'USING gin (lower({column}) "{schema}".gin_trgm_ops)'
                )
    # Statistics for the planner, which chooses between this index and a filter's.
    db.execute_sql("ANALYZE agreement")


def down(migrator, db):
    db.execute_sql("DROP INDEX agreement_group_deadlines")
    db.execute_sql("DROP INDEX agreement_status_deadlines")
    db.execute_sql("DROP INDEX agreement_title_sv")
    for column in SEARCHED:
        db.execute_sql(f"DROP INDEX IF EXISTS agreement_{column}_trgm")
