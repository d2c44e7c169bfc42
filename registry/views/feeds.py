"""Calendar feeds: the secret .ics addresses, and the page where users make and revoke them.

GET /feeds/<token>.ics is public (calendar clients subscribe without a
session): the secret in the address is the key, and an unknown or revoked one
is a plain 404. The management page is for any logged-in user; an admin also
sees, and may revoke, everyone's feeds (without their secret addresses).
"""

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField

from ..domain import feeds
from ..domain.errors import ValidationError
from ..domain.queries import MAX_ID
from ..i18n import LANGUAGES
from ..models import FeedToken

bp = Blueprint("feeds", __name__)

CONTENT_TYPE = "text/calendar; charset=utf-8"


class FeedForm(FlaskForm):
    scope = SelectField(_l("Vad ska kalendern visa?"), validate_choice=False)


class RevokeForm(FlaskForm):
    feed = HiddenField()


def subscribe_url(feed):
    """The address to give a calendar client: APP_BASE_URL + the feed's path."""
    return current_app.config["APP_BASE_URL"].rstrip("/") + url_for("feeds.feed", token=feed.token)


def webcal_url(feed):
    """The same address as webcal://, which opens the subscription dialog in Outlook and Apple Calendar."""
    url = subscribe_url(feed)
    return "webcal://" + url.split("://", 1)[1]


@bp.get("/feeds/<token>.ics", endpoint="feed")
def feed(token):
    """The calendar behind a secret address; no session is read or written."""
    default = current_app.config.get("BABEL_DEFAULT_LOCALE", "sv")
    found = feeds.feed_for_token(token)
    if found is None:
        with force_locale(default):
            message = _("Kalenderflödet finns inte eller har återkallats. Skapa en ny kalenderadress i registret.")
        return Response(message + "\n", 404, content_type="text/plain; charset=utf-8")
    # In the owner's chosen language, else the register's: never the subscribing client's.
    locale = found.user.locale if found.user.locale in LANGUAGES else default
    body = feeds.build_calendar(
        found,
        current_app.config["APP_BASE_URL"],
        timezone=current_app.config.get("SCHEDULER_TIMEZONE", "Europe/Stockholm"),
        locale=locale,
    )
    response = Response(body, 200, content_type=CONTENT_TYPE)
    response.headers["Content-Disposition"] = f'inline; filename="kalender-{found.scope}.ics"'
    # Clients should ask again every time (cheap with the ETag); proxies must not keep a secret feed.
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.add_etag()
    return response.make_conditional(request)


def _page(form, status=200):
    rows = [
        {
            "feed": row,
            "label": feeds.scope_label(row, viewer=current_user),
            "own": row.user_id == current_user.id,
            "url": subscribe_url(row) if row.user_id == current_user.id else None,
            "webcal": webcal_url(row) if row.user_id == current_user.id else None,
        }
        for row in feeds.visible_feeds(current_user)
    ]
    return render_template(
        "feeds/index.html",
        form=form,
        revoke_form=RevokeForm(formdata=None),
        rows=rows,
        has_person=bool(current_user.person_id),
    ), status


@bp.after_request
def _no_store(response):
    """The feeds page shows secret addresses: no cache may keep it."""
    if request.endpoint == "feeds.manage":
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account/feeds", methods=["GET", "POST"], endpoint="manage")
def manage():
    """The user's calendar feeds (an admin: everyone's), and a form to make a new one."""
    form = FeedForm()
    form.scope.choices = feeds.scope_choices(current_user)
    if request.method == "GET":
        return _page(form)
    if form.validate_on_submit():
        try:
            created = feeds.create_feed(current_user, form.scope.data)
        except ValidationError as exc:
            form.scope.errors = [*form.scope.errors, *exc.errors.values()]
        else:
            flash(_("Kalenderflödet har skapats. Kopiera adressen till din kalender."), "success")
            return redirect(url_for("feeds.manage") + f"#feed-{created.id}")
    return _page(form, 422)


@bp.post("/account/feeds/revoke", endpoint="revoke")
def revoke():
    """Revoke one feed: the user's own, or anyone's for an admin."""
    form = RevokeForm()
    raw = (form.feed.data or "").strip()
    if not form.validate_on_submit() or not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
        flash(_("Välj ett kalenderflöde att återkalla."), "error")
        return redirect(url_for("feeds.manage"))
    row = FeedToken.get_or_none(FeedToken.id == int(raw))
    if row is None or not feeds.may_manage(current_user, row):
        abort(404)
    if feeds.revoke_feed(row):
        flash(_("Kalenderflödet är återkallat; adressen fungerar inte längre."), "success")
    else:
        flash(_("Kalenderflödet var redan återkallat."), "info")
    return redirect(url_for("feeds.manage"))
