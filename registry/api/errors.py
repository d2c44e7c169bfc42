"""JSON errors for the API: {"error": {"status": 404, "message": "...", "fields": {...}}}.

Messages are in the request's language (Swedish by default), like the web's.
registry/errors.py sends every error of a path under /api/ here, whether it
was raised by a view, by the permission check, or by routing (404, 405).
"""

from flask import current_app
from flask_babel import lazy_gettext as _l

MESSAGES = {
    400: _l("Begäran kunde inte tolkas. Kontrollera adressen, parametrarna och innehållet mot API-beskrivningen."),
    401: _l("API-nyckeln saknas eller är ogiltig. Skicka en giltig nyckel i huvudet Authorization: Bearer <nyckel>."),
    403: _l("Du har inte behörighet till det här. Kontakta registrets administratör om du behöver det."),
    404: _l("Det finns ingenting på den adressen. Kontrollera adressen mot API-beskrivningen."),
    405: _l("HTTP-metoden kan inte användas på den adressen. Huvudet Allow visar vilka metoder som går att använda."),
    406: _l("API:t svarar bara med JSON. Skicka Accept: application/json eller utelämna huvudet Accept."),
    413: _l("Begäran är för stor. Skicka mindre innehåll i varje anrop."),
    415: _l("Innehållet måste vara JSON. Skicka det med Content-Type: application/json."),
    422: _l("Uppgifterna är inte giltiga. Se vad som är fel i varje fält under fields."),
    429: _l("För många försök. Vänta en stund och försök igen."),
    500: _l("Ett oväntat fel inträffade. Felet är loggat."),
    503: _l("Databasen svarar inte just nu. Försök igen om en stund."),
}
# Headers of a werkzeug HTTPException worth keeping (405 lists the allowed methods).
KEPT_HEADERS = ("Allow", "Retry-After")


class ApiError(Exception):
    """Raised by API code; answered as a JSON error with this status."""

    def __init__(self, status, message=None, fields=None):
        super().__init__(str(message or MESSAGES.get(status, "")))
        self.status = status
        self.message = message
        self.fields = fields


def error_response(status, message=None, fields=None, headers=None):
    """The JSON error response for a status, with the standard message unless one is given."""
    error = {"status": status, "message": str(message or MESSAGES.get(status) or MESSAGES[500])}
    if fields:
        error["fields"] = {name: str(text) for name, text in fields.items()}
    response = current_app.json.response({"error": error})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_api_error(error):
    return error_response(error.status, error.message, error.fields)


def from_http_exception(error, status=None):
    """A werkzeug HTTPException (abort(403), routing's 404 and 405, ...) as a JSON error."""
    status = status or getattr(error, "code", None) or 500
    kept = {}
    if hasattr(error, "get_headers"):
        kept = {name: value for name, value in error.get_headers() if name in KEPT_HEADERS}
    return error_response(status, headers=kept)
