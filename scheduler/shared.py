"""What planning (scheduler/planning.py) and delivery (scheduler/delivery.py) both use.

The logger, the chunk sizes and the raw-row helpers live here so that the two
modules never import each other.
"""

import datetime
import functools
import logging

from registry.db import db

log = logging.getLogger("scheduler.reminders")

# Agreements planned per chunk (and per round of queries).
PLAN_CHUNK = 5000
# Ids per UPDATE ... WHERE id IN (...), well below SQLite's limit on bound variables.
ID_CHUNK = 2000


def rows(query):
    """The rows of a select as plain tuples straight from the driver (no per-row conversion)."""
    return db.execute_sql(*query.sql()).fetchall()


@functools.lru_cache(maxsize=4096)
def as_date(value):
    """A date from the driver: PostgreSQL gives dates, SQLite ISO text (a register has few distinct ones).

    Raises ValueError for text that is no date (SQLite stores whatever it is given).
    """
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(value)


def chunks(ids, size=ID_CHUNK):
    """Lists of at most `size` ids."""
    ids = list(ids)
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def reason(exc):
    """An exception as one line for the delivery log and the command's output: "Class: message"."""
    text = " ".join(str(exc).split())
    return f"{exc.__class__.__name__}: {text}"[:1000] if text else exc.__class__.__name__
