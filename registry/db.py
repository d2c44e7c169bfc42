"""The database handle: a proxy bound to a real database by the app factory."""

from pathlib import Path
from urllib.parse import urlparse, urlsplit, urlunsplit

from peewee import DatabaseProxy, PostgresqlDatabase, SqliteDatabase, WrappedNode, fn
from playhouse.db_url import connect
from playhouse.migrations import Runner

from .collation import sv_collation_key

db = DatabaseProxy()

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

SQLITE_PRAGMAS = {
    "foreign_keys": 1,
    "journal_mode": "wal",
    "busy_timeout": 10000,
    "synchronous": "normal",
}


def _lower(value):
    return value.lower() if isinstance(value, str) else value


def _swedish_compare(a, b):
    """SQLite collation "sv": Swedish order (å, ä, ö after z), lower case first on ties (as ICU)."""
    key_a, key_b = sv_collation_key(a), sv_collation_key(b)
    return (key_a > key_b) - (key_a < key_b)


# PostgreSQL collations that sort Swedish, best first; ICU ones exist when the server is built with ICU.
PG_SWEDISH_COLLATIONS = ("sv-SE-x-icu", "sv-x-icu", "sv_SE.utf8", "sv_SE.UTF-8", "sv_SE")
# Without one of those: å, ä, ö (and their neighbours) mapped after z, compared byte by byte.
_PG_FROM = "åäöÅÄÖæøÆØüÜéÉèÈáÁàÀ"
_PG_TO = "{|}{|}|}|}yyeeeeaaaa"


def swedish_collation(database):
    """The COLLATE clause argument that sorts Swedish on this database, or None.

    SQLite: the "sv" collation registered by open_database. PostgreSQL: the
    first of PG_SWEDISH_COLLATIONS the server has (looked up once per database).
    """
    if isinstance(database, SqliteDatabase):
        return "sv"
    if not isinstance(database, PostgresqlDatabase):
        return None
    if not hasattr(database, "_swedish_collation"):
        cursor = database.execute_sql(
            "SELECT collname FROM pg_collation WHERE collname = ANY(%s) "
            "AND collencoding IN (-1, (SELECT encoding FROM pg_database WHERE datname = current_database()))",
            (list(PG_SWEDISH_COLLATIONS),),
        )
        found = {row[0] for row in cursor.fetchall()}
        best = next((name for name in PG_SWEDISH_COLLATIONS if name in found), None)
        database._swedish_collation = f'"{best}"' if best else None
    return database._swedish_collation


class Swedish(WrappedNode):
    """A text column in Swedish alphabetical order, for ORDER BY: `Swedish(Agreement.title).asc()`.

    The collation is chosen when the query is turned into SQL, for the database
    it runs on (the proxy's), so the same node serves SQLite and PostgreSQL.
    """

    def __sql__(self, ctx):
        database = db.obj
        collation = swedish_collation(database)
        if collation:
            return ctx.sql(self.node).literal(f" COLLATE {collation}")
        if isinstance(database, PostgresqlDatabase):
            return ctx.sql(fn.translate(fn.lower(self.node), _PG_FROM, _PG_TO)).literal(' COLLATE "C"')
        return ctx.sql(self.node)


def redacted(url):
    """A database URL with any password replaced by ***, for messages that reach logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)))


class DatabaseURLError(ValueError):
    """DATABASE_URL names no database this product can use."""


def open_database(url):
    """Return an unconnected peewee database for a `sqlite:///` or `postgresql://` URL."""
    scheme = urlparse(url).scheme
    if scheme == "sqlite":
        path = url[len("sqlite:///") :]
        if not path:
            raise DatabaseURLError("DATABASE_URL sqlite:/// needs a file path")
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        database = SqliteDatabase(path, pragmas=SQLITE_PRAGMAS)
        # SQLite's own lower() folds only A-Z; searches must fold å, ä, ö too,
        # as PostgreSQL's lower() does.
        database.register_function(_lower, "lower", 1, deterministic=True)
        # Sorting by name or title: ORDER BY ... COLLATE sv (see Swedish below).
        database.register_collation(_swedish_compare, "sv")
        return database
    if scheme in ("postgres", "postgresql"):
        database = connect(url.replace("postgres://", "postgresql://", 1))
        assert isinstance(database, PostgresqlDatabase)
        return database
    raise DatabaseURLError(f"DATABASE_URL must start with sqlite:/// or postgresql://, got {redacted(url)!r}")


def migration_runner(database=None):
    """The numbered-migration runner for this product's schema."""
    return Runner(database or db.obj, str(MIGRATIONS_DIR))


def upgrade(database=None):
    """Create the schema or bring it up to the newest version; return applied names."""
    return migration_runner(database).up()


def optimize(database=None):
    """Refresh the query planner's statistics where they have drifted.

    SQLite: `PRAGMA optimize` analyses the tables this connection has queried
    whose statistics are missing or stale (cheap when none are); without
    statistics its planner can pick a poor index on a large register.
    PostgreSQL's autovacuum does the same by itself.
    """
    database = database or db.obj
    if isinstance(database, SqliteDatabase):
        database.execute_sql("PRAGMA optimize")


def pending(database=None):
    """Names of migrations not yet applied."""
    return [m.name for m in migration_runner(database).status() if not m.applied]
