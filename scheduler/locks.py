"""Database locks that keep one reminder pass and one scheduler active at a time.

PostgreSQL: session advisory locks (keyed by schema), released by the server
when the holding connection dies (kill -9 included). SQLite: a lease row taken
inside `BEGIN IMMEDIATE`; a lease whose holder process is gone (same host) or
whose heartbeat is older than LEASE_TTL (another host) is free again.
"""

import os
import socket
import threading
import time
import uuid
import zlib
from contextlib import contextmanager
from datetime import timedelta

from peewee import PostgresqlDatabase

from registry.db import db
from registry.domain.reminder_log import PASS_LOCK, SCHEDULER_LOCK  # noqa: F401  (the names of the locks)
from registry.models import SchedulerLease, utcnow

LEASE_TTL = timedelta(seconds=90)
HOST = socket.gethostname()
_PROCESS = uuid.uuid4().hex[:8]


def _holder():
    """This thread's holder id: a lease belongs to one thread of one live process."""
    return f"{HOST}:{os.getpid()}:{threading.get_ident()}:{_PROCESS}"


class LockBusy(RuntimeError):
    """Another process holds the lock."""


def _is_postgres():
    return isinstance(db.obj, PostgresqlDatabase)


def _key(name):
    """The advisory lock key of `name` in this database's schema.

    Advisory locks are per database, not per schema: registries (or test
    runs) in separate schemas of one database must not wait for each other.
    """
    return zlib.crc32(f"overenskommelseregistret:{_schema()}:{name}".encode())


def _schema():
    database = db.obj
    if not hasattr(database, "_lock_schema"):
        database._lock_schema = database.execute_sql("SELECT current_schema()").fetchone()[0]
    return database._lock_schema


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _lease_free(row, now):
    if row is None or not row.holder or row.holder == _holder():
        return True
    if row.host == HOST and row.pid is not None:
        return not _pid_alive(row.pid)
    return row.heartbeat_at is None or now - row.heartbeat_at > LEASE_TTL


def holder_of(name):
    """Who holds a SQLite lease (for messages); None on PostgreSQL or when free."""
    if _is_postgres():
        return None
    row = SchedulerLease.get_or_none(SchedulerLease.name == name)
    return row.holder if row is not None and not _lease_free(row, utcnow()) else None


def try_acquire(name):
    """Take the lock if it is free; True on success."""
    if _is_postgres():
        return bool(db.execute_sql("SELECT pg_try_advisory_lock(%s)", (_key(name),)).fetchone()[0])
    now = utcnow()
    with db.atomic(lock_type="IMMEDIATE"):
        row = SchedulerLease.get_or_none(SchedulerLease.name == name)
        if not _lease_free(row, now):
            return False
        values = {"holder": _holder(), "host": HOST, "pid": os.getpid(), "heartbeat_at": now}
        if row is None:
            SchedulerLease.create(name=name, **values)
        else:
            SchedulerLease.update(**values).where(SchedulerLease.name == name).execute()
    return True


def token(name):
    """What identifies this holding of `name`, for still_held(); call it right after try_acquire succeeded.

    PostgreSQL: the server process of the connection that holds the advisory
    lock. SQLite: this thread's holder id in the lease row.
    """
    if _is_postgres():
        return db.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
    return _holder()


def still_held(name, held_by):
    """True if the holding identified by `held_by` (from token()) still has the lock; callable from any thread.

    A PostgreSQL advisory lock ends silently with its connection (the server
    restarted, an administrator or an idle timeout ended it); this is how the
    holder finds out.
    """
    if _is_postgres():
        key = _key(name)
        return bool(
            db.execute_sql(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND pid = %s AND classid = %s AND objid = %s AND objsubid = 1)",
                (held_by, key >> 32, key & 0xFFFFFFFF),
            ).fetchone()[0]
        )
    row = SchedulerLease.get_or_none(SchedulerLease.name == name)
    return row is not None and row.holder == held_by


def release(name):
    if _is_postgres():
        db.execute_sql("SELECT pg_advisory_unlock(%s)", (_key(name),))
        return
    (
        SchedulerLease.update(holder="", pid=None)
        .where((SchedulerLease.name == name) & (SchedulerLease.holder == _holder()))
        .execute()
    )


def heartbeat(name, next_run_at=None):
    """Record that the holder is alive (and when it runs next) for the status page and leases."""
    now = utcnow()
    updated = (
        SchedulerLease.update(heartbeat_at=now, next_run_at=next_run_at, host=HOST, pid=os.getpid())
        .where(SchedulerLease.name == name)
        .execute()
    )
    if not updated:
        SchedulerLease.insert(
            name=name,
            holder="",
            host=HOST,
            pid=os.getpid(),
            heartbeat_at=now,
            next_run_at=next_run_at,
        ).on_conflict_ignore().execute()


@contextmanager
def held(name, wait_seconds=0.0, poll=0.2):
    """Hold a lock for the duration of a block; wait up to `wait_seconds` for it."""
    deadline = time.monotonic() + wait_seconds
    while not try_acquire(name):
        if time.monotonic() >= deadline:
            raise LockBusy(name)
        time.sleep(poll)
    try:
        yield
    finally:
        release(name)
