"""Language choice: Swedish by default, English complete.

The language of a request is, in this order:

1. ``?lang=sv`` / ``?lang=en`` (the header link), remembered in the session;
2. the logged-in user's stored choice (``User.locale``, set at /account/language);
3. the browser's preferred language (``Accept-Language``), if it is Swedish or English;
4. the configured default, Swedish (``BABEL_DEFAULT_LOCALE``).

Commands and scheduler jobs, which have no request, use the default.
The catalogues live in translations/; see docs/i18n.md.
"""

import re

from flask import current_app, has_request_context, request, session
from flask_babel import get_locale
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


# The last word of a name, or its part after the last hyphen ("E-hälsorådet" -> "hälsorådet").
_LAST_WORD = re.compile(r"[^\s\-–]+$")


def genitive(name, language=None):
    """A name in the genitive, for "ReKo:s möte" (Swedish) and "ReKo's meeting" (English).

    Swedish: an abbreviation (a capital after the first letter of the last word: ReKo, PKS,
    HälsoSAMS) or a name ending in a capital or a digit takes colon-s: ReKo:s, PKS:s, Grupp 2:s;
    a name ending in s, x or z takes nothing: Tranås; any other takes s: Kommunalt forums,
    Barn och ungas. English: 's, or a bare apostrophe after a lower-case s. The language is the
    page's (the default, Swedish, for commands and scheduler jobs) unless one is given.
    """
    name = (name or "").strip()
    if not name:
        return name
    if language is None:
        locale = get_locale()
        language = locale.language if locale is not None else "sv"
    last = name[-1]
    if language == "en":
        return name + ("'" if last == "s" else "'s")
    found = _LAST_WORD.search(name)
    word = found.group(0) if found else name
    if not last.isalpha() or last.isupper() or any(c.isupper() for c in word[1:]):
        return name + ":s"
    if last in "sxz":
        return name
    return name + "s"
