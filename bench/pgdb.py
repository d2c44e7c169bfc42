"""A throw-away database for a benchmark: a SQLite file, or a PostgreSQL database created and dropped.

PostgreSQL is reached through TEST_DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/test); the benchmark database is a new
`bench_<random>` database beside it, so the test suite's schemas are untouched.
"""

import contextlib
import os
import uuid

ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _admin():
    import psycopg2

    conn = psycopg2.connect(ADMIN_URL, connect_timeout=5)
    conn.autocommit = True
    return conn


@contextlib.contextmanager
def temporary_database(kind, folder):
    """Yield a database URL; the database is removed on leaving."""
    if kind == "sqlite":
        yield f"sqlite:///{folder}/bench.db"
        return
    name = f"bench_{uuid.uuid4().hex[:10]}"
    conn = _admin()
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE {name}")
        yield ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.close()
