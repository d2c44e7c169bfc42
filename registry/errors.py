"""Error pages: a clear message in the user's language, never a stack trace."""

import logging

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from peewee import OperationalError
from werkzeug.exceptions import HTTPException

from .api import errors as api_errors
from .api import is_api_path
from .db import db
from .domain import stored_documents

# Uploads of stored documents: a request too large for them gets a message naming the limit.
DOCUMENT_ENDPOINTS = {"agreements.upload_document", "api.upload_document"}

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


REFUSALS = {
    400: _l("Begäran kunde inte behandlas. Formuläret kan ha gått ut: ladda om sidan och försök igen."),
    401: _l("Du behöver logga in."),
    403: _l("Du har inte behörighet till det här. Kontakta registrets administratör om du behöver det."),
    405: _l("Sidan kan inte användas på det sättet. Gå tillbaka och använd sidans knappar och länkar."),
    413: _l(
        "Det du skickade är för stort för registret. Korta texterna eller dela upp filen i flera filer och försök igen."
    ),
    429: _l("För många försök. Vänta en stund och försök igen."),
}


def _api():
    """Errors of paths under /api/ are JSON (registry/api/errors.py), never pages."""
    return is_api_path(request.path)


def _refusal(error):
    code = getattr(error, "code", 400) or 400
    message = REFUSALS.get(code, REFUSALS[400])
    if code == 413 and request.endpoint in DOCUMENT_ENDPOINTS:  # a stored document: say the limit
        message = stored_documents.too_large_message()
        if _api():
            return api_errors.error_response(413, message)
    if _api():
        return api_errors.from_http_exception(error, code)
    return render_template("errors/refused.html", code=code, message=message), code


def _other_http_error(error):
    """Codes without a page of their own (415, ...): JSON under /api/, else werkzeug's answer."""
    if _api() and error.code is not None and error.code >= 400:
        return api_errors.from_http_exception(error)
    return error


def init_app(app):
    @app.errorhandler(404)
    def not_found(error):
        if _api():
            return api_errors.from_http_exception(error, 404)
        return render_template("errors/404.html"), 404

    for code in (400, 401, 403, 405, 413, 429):
        app.register_error_handler(code, _refusal)
    app.register_error_handler(HTTPException, _other_http_error)

    @app.errorhandler(OperationalError)
    def database_error(error):
        # SQLite reports both "cannot open" and SQL mistakes as OperationalError:
        # only an unreachable database is a 503, anything else is our bug.
        if database_answers():
            log.exception("database error")
            return api_errors.error_response(500) if _api() else (render_template("errors/500.html"), 500)
        log.error("database unavailable: %s", error)
        return api_errors.error_response(503) if _api() else (render_template("errors/503.html"), 503)

    @app.errorhandler(500)
    def server_error(error):
        if _api():
            return api_errors.error_response(500)
        return render_template("errors/500.html"), 500
