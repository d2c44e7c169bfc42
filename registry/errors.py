"""Error pages: a clear message in the user's language, never a stack trace."""

import logging

from flask import render_template
from peewee import OperationalError

from .db import db

log = logging.getLogger(__name__)


def database_answers():
    """True if the database accepts a trivial query right now."""
    try:
        if db.is_closed():
            db.connect()
        db.execute_sql("SELECT 1")
        return True
    except Exception:  # any driver error means "not reachable"
        return False


def init_app(app):
    @app.errorhandler(404)
    def not_found(error):
        return render_template("errors/404.html"), 404

    @app.errorhandler(OperationalError)
    def database_error(error):
        # SQLite reports both "cannot open" and SQL mistakes as OperationalError:
        # only an unreachable database is a 503, anything else is our bug.
        if database_answers():
            log.exception("database error")
            return render_template("errors/500.html"), 500
        log.error("database unavailable: %s", error)
        return render_template("errors/503.html"), 503

    @app.errorhandler(500)
    def server_error(error):
        return render_template("errors/500.html"), 500
