"""Indexes for the agreement list at scale: titles in Swedish order.

The list sorts by title in Swedish alphabetical order (registry.db.Swedish):
`title COLLATE sv` on SQLite (a collation the app registers on every
connection it opens), the server's Swedish ICU or libc collation on
PostgreSQL, else an expression that maps å, ä, ö after z. Without an index in
that same order every page of a large register sorts the whole table. The
expression is chosen here exactly as Swedish chooses it when it builds a query.

On SQLite, a connection that modifies agreement titles must have the "sv"
collation registered (every connection the app opens does; the sqlite3 shell
does not).
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


def up(migrator, db):
    expression = _title_expression(db)
    if isinstance(db, SqliteDatabase):
        db.execute_sql(f"CREATE INDEX agreement_title_sv ON agreement ({expression})")
    else:
        db.execute_sql(f"CREATE INDEX agreement_title_sv ON agreement (({expression}), id)")
    # Statistics for the planner, which chooses between this index and a filter's.
    db.execute_sql("ANALYZE")


def down(migrator, db):
    db.execute_sql("DROP INDEX agreement_title_sv")
