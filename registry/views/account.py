"""The logged-in user's own settings: the language the register speaks to them in."""

from urllib.parse import urlencode

from flask import Blueprint, flash, has_request_context, redirect, request, session
from flask_babel import get_locale, refresh
from flask_babel import gettext as _
from flask_login import current_user

from ..i18n import LANGUAGES, USER_CHOICES
from ..models import User
from .auth import _safe_next

bp = Blueprint("account", __name__)


@bp.post("/account/language", endpoint="language")
def language():
    """Store the user's language ("" follows the browser); the session's ?lang= choice is dropped."""
    chosen = request.form.get("locale")
    if chosen not in USER_CHOICES:
        flash(_("Välj svenska eller engelska."), "error")
        return redirect(_safe_next(request.form.get("next")))
    User.update(locale=chosen).where(User.id == current_user.id).execute()
    current_user.locale = chosen
    session.pop("lang", None)
    refresh()  # the message below in the newly chosen language
    flash(_("Ditt språkval har sparats."), "success")
    return redirect(_safe_next(request.form.get("next")))


@bp.after_app_request
def _vary_on_language(response):
    """Pages differ by the browser's language: tell caches so."""
    if response.mimetype == "text/html":
        response.vary.add("Accept-Language")
    return response


def _here(**extra):
    """This page's address without ?lang= (plus `extra` arguments)."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"] + list(extra.items())
    return request.path + ("?" + urlencode(args) if args else "")


@bp.app_context_processor
def _language_choice():
    """For the header: the link to the other language (keeping the page's other
    arguments), and an offer to keep the language picked with ?lang= for good."""
    if not has_request_context():  # e-mails rendered by the scheduler
        return {}
    current = str(get_locale())  # a ?lang= on this very request is stored in the session first
    other = "en" if current == "sv" else "sv"
    picked = session.get("lang")
    offer = bool(
        picked in LANGUAGES
        and current_user
        and current_user.is_authenticated
        and (getattr(current_user, "locale", "") or "") != picked
    )
    return {
        "other_language_url": _here(lang=other),
        "remember_language": picked if offer else None,
        "language_next": _here() if offer else "",
    }
