"""The database handle: a proxy bound to a real database by the app factory."""

from pathlib import Path
from urllib.parse import urlparse

from peewee import DatabaseProxy, PostgresqlDatabase, SqliteDatabase
from playhouse.db_url import connect
from playhouse.migrations import Runner

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
        return database
    if scheme in ("postgres", "postgresql"):
        database = connect(url.replace("postgres://", "postgresql://", 1))
        assert isinstance(database, PostgresqlDatabase)
        return database
    raise DatabaseURLError(f"DATABASE_URL must start with sqlite:/// or postgresql://, got {url!r}")


def migration_runner(database=None):
    """The numbered-migration runner for this product's schema."""
    return Runner(database or db.obj, str(MIGRATIONS_DIR))


def upgrade(database=None):
    """Create the schema or bring it up to the newest version; return applied names."""
    return migration_runner(database).up()


def pending(database=None):
    """Names of migrations not yet applied."""
    return [m.name for m in migration_runner(database).status() if not m.applied]
