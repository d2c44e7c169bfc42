"""Fixtures: a fresh app and database per test, on SQLite and on PostgreSQL.

Every test that uses `app` (or `client`, `seeded`, `small_register`) runs twice:
once on a new SQLite file and once in a new PostgreSQL schema. PostgreSQL is at
127.0.0.1:5432, database `test`, unless TEST_DATABASE_URL says otherwise; when
it is down those tests fail with a message saying so, they never pass silently.

`seeded` loads the Jönköpings län demo data, for tests about it; `small_register`
makes a tiny register in a fraction of the time, for tests that only need some
rows. Further rows and logged-in clients come from tests/factories.py.
"""

import datetime
import os
import uuid
from contextlib import contextmanager
from urllib.parse import quote

import psycopg2
import pytest

from registry import create_app
from registry.db import db, upgrade
from tests import factories
from tests.factories import client_as, client_for, login_as  # noqa: F401 (other tests import the last two from here)

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
# The demo's "today": 38 days before Läkaruppdrag expires on 2026-12-31.
TODAY = datetime.date(2026, 11, 23)


def _pg_admin():
    try:
        conn = psycopg2.connect(PG_URL, connect_timeout=5)
    except psycopg2.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_URL} ({exc.__class__.__name__}: {exc}). "
            "Start it, or point TEST_DATABASE_URL at a reachable database.",
            pytrace=False,
        )
    conn.autocommit = True
    return conn


@contextmanager
def empty_database(kind, tmp_path, name="registry"):
    """A URL to a new, empty database: a SQLite file, or a PostgreSQL schema dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / f'{name}.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    conn = _pg_admin()
    with conn.cursor() as cur:
        cur.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        if not db.is_closed():
            db.close()
        with conn.cursor() as cur:
            cur.execute(f"DROP SCHEMA {schema} CASCADE")
        conn.close()


def kind_of(url):
    return "sqlite" if url.startswith("sqlite") else "postgres"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path):
    """A URL to an empty database of each kind."""
    with empty_database(request.param, tmp_path) as url:
        yield url


def make_app(url, **config):
    settings = {"TESTING": True, "DATABASE_URL": url, "TODAY": TODAY}
    settings.update(config)
    return create_app(settings)


@contextmanager
def migrated_app(url, **config):
    """An app on the database at `url`, fully migrated; its connection is closed afterwards.

    Nothing holds a context: each request has its own `g`, as in production.
    """
    app = make_app(url, **config)
    with app.app_context():
        db.connect(reuse_if_open=True)
        upgrade()
        db.close()
    try:
        yield app
    finally:
        if not db.is_closed():
            db.close()


@pytest.fixture
def app(database_url):
    """An app on a fresh, fully migrated database."""
    with migrated_app(database_url) as app:
        yield app


@pytest.fixture
def ctx(app):
    """An app context with an open connection, for tests that call the domain directly."""
    with app.test_request_context():
        db.connect(reuse_if_open=True)
        yield app
        db.close()


@pytest.fixture
def seeded(ctx):
    """The Jönköpings län demo data, loaded."""
    from registry import seed

    seed.load()
    return ctx


@pytest.fixture
def small_register(ctx):
    """A tiny register for tests that are not about the demo data (tests/factories.py's SmallRegister):
    2 organisations, 2 groups (one meeting), 2 people and 3 agreements, one expiring soon, one reviewed
    yearly, one open-ended. A fraction of the demo's cost to make."""
    return factories.small_register()


@pytest.fixture
def client(app):
    """A test client logged in as an administrator (who may do everything)."""
    return client_as(app, "admin")


@pytest.fixture
def editor_client(app, small_register):
    """A test client logged in as an editor on the small register's board (its user is `.user`)."""
    return client_as(app, "editor", groups=[small_register.board])


@pytest.fixture
def auditor_client(app):
    """A test client logged in as an auditor (reads everything, changes nothing)."""
    return client_as(app, "auditor")


@pytest.fixture
def viewer_client(app):
    """A test client logged in as a viewer."""
    return client_as(app, "viewer")


@pytest.fixture
def anonymous(app):
    """A test client that is not logged in."""
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def plain_ctx():
    """An app context without a database, for pure functions that translate messages."""
    app = make_app("sqlite:///:memory:")
    with app.test_request_context():
        yield app
