"""Language choice: Swedish by default, English complete.

The language of a request is, in this order:

1. ``?lang=sv`` / ``?lang=en`` (the header link), remembered in the session;
2. the logged-in user's stored choice (``User.locale``, set at /account/language);
3. the browser's preferred language (``Accept-Language``), if it is Swedish or English;
4. the configured default, Swedish (``BABEL_DEFAULT_LOCALE``).

Commands and scheduler jobs, which have no request, use the default.
The catalogues live in translations/; see docs/i18n.md.
"""

from flask import current_app, has_request_context, request, session
from flask_login import current_user

LANGUAGES = ("sv", "en")
# What a user may store: "" follows the browser (then the default).
USER_CHOICES = ("", *LANGUAGES)


def default_locale():
    return current_app.config.get("BABEL_DEFAULT_LOCALE", "sv")


def user_locale():
    """The logged-in user's stored language, or None."""
    try:
        user = current_user._get_current_object()
    except Exception:  # no login manager or no request: nobody is logged in
        return None
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    chosen = getattr(user, "locale", "") or ""
    return chosen if chosen in LANGUAGES else None


def browser_locale():
    """The best of our languages in the browser's Accept-Language, or None.

    Werkzeug falls back from regional tags to the language, so "sv-SE" and
    "en-GB" count as Swedish and English.
    """
    return request.accept_languages.best_match(LANGUAGES)


def select_locale():
    """The language of this request (see the module docstring for the order)."""
    if not has_request_context():  # commands and jobs
        return default_locale()
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session["lang"] = asked
        return asked
    if session.get("lang") in LANGUAGES:
        return session["lang"]
    return user_locale() or browser_locale() or default_locale()
