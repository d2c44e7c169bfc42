"""Fixtures: a fresh app and database per test, on SQLite and on PostgreSQL.

Every test that uses `app` (or `client`, `seeded`) runs twice: once on a new
SQLite file and once in a new PostgreSQL schema. PostgreSQL is at
127.0.0.1:5432, database `test`, unless TEST_DATABASE_URL says otherwise; when
it is down those tests fail with a message saying so, they never pass silently.
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


@pytest.fixture
def app(database_url):
    """An app on a fresh, fully migrated database."""
    app = make_app(database_url)
    with app.app_context():
        db.connect(reuse_if_open=True)
        upgrade()
        db.close()
    yield app
    if not db.is_closed():
        db.close()


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


def login_as(app, client, role="admin", email=None, person=None):
    """Log a test client in as a (new) user with this role, without the login form."""
    from registry.models import User

    with app.app_context():
        db.connect(reuse_if_open=True)
        user = User.create(email=email or f"{role}@test.example.org", name=f"Test {role}", role=role, person=person)
        user_id = user.id
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
    return user


def client_for(app, user):
    """A fresh test client, logged in as `user` (None: not logged in)."""
    client = app.test_client()
    if user is not None:
        with client.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True
    return client


@pytest.fixture
def client(app):
    """A test client logged in as an administrator (who may do everything)."""
    client = app.test_client()
    login_as(app, client, "admin")
    return client


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
