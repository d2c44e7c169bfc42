"""Language choice: Swedish by default; ?lang=en switches (kept in the session).

The English catalogue is completed with the languages issue; until then the
browser's language is not consulted, so no page mixes two languages.
"""

from flask import current_app, has_request_context, request, session

LANGUAGES = ("sv", "en")


def select_locale():
    """The chosen language: ?lang=, then the session, else the configured default."""
    if not has_request_context():  # commands and jobs
        return current_app.config.get("BABEL_DEFAULT_LOCALE", "sv")
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session["lang"] = asked
        return asked
    if session.get("lang") in LANGUAGES:
        return session["lang"]
    return current_app.config.get("BABEL_DEFAULT_LOCALE", "sv")
