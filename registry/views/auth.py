"""Logging in and out, changing a password, and resetting a forgotten one by email."""

import re
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_mail import Message

from ..domain import users
from ..domain.errors import ValidationError
from ..forms import LoginForm, PasswordChangeForm, ResetForm, ResetRequestForm
from ..models import User
from ..outbox import send_later
from ..security import clear_failures, note_failure, throttled

bp = Blueprint("auth", __name__)


# Control characters (a CR/LF would split the Location header) and backslashes (browsers read
# "/\host" as "//host": another site).
_UNSAFE_NEXT = re.compile(r"[\x00-\x1f\x7f-\x9f\\]")
NEXT_MAX = 2000


def _safe_next(target):
    """A local path to go to after logging in; anything else (another site, a control character,
    an absurd length) gives the dashboard."""
    if (
        not isinstance(target, str)
        or not target.startswith("/")
        or target.startswith("//")
        or len(target) > NEXT_MAX
        or _UNSAFE_NEXT.search(target)
    ):
        return url_for("main.dashboard")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return url_for("main.dashboard")
    return target


@bp.route("/login", methods=["GET", "POST"], endpoint="login")
def login():
    """The login page; every other page needs a login."""
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        email = form.email.data.lower()
        if throttled(email):
            flash(_("För många misslyckade inloggningsförsök. Försök igen om en kvart."), "error")
            status = 429
        else:
            user = users.authenticate(email, form.password.data)  # as long for unknown addresses
            if user is not None:
                clear_failures(email)
                login_user(user)
                users.touch_login(user)
                return redirect(_safe_next(request.args.get("next")))
            note_failure(email)
            flash(_("Fel e-postadress eller lösenord."), "error")
            status = 401
    elif request.method == "POST":
        status = 422
    return render_template("auth/login.html", form=form), status


@bp.post("/logout", endpoint="logout")
def logout():
    """Log out: every session of the account ends, also copies of its cookie and other devices."""
    users.end_sessions(current_user, users.LOGGED_OUT)
    logout_user()
    flash(_("Du är utloggad."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"], endpoint="password")
def password():
    """Change one's own password."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if not users.check_password(current_user, form.current.data):
            form.current.errors.append(_("Lösenordet stämmer inte. Skriv ditt nuvarande lösenord."))
        else:
            try:
                users.set_password(current_user, form.password.data)  # ends every session of the account
            except ValidationError as exc:
                form.password.errors.append(exc.errors["password"])
            else:
                login_user(current_user)  # ... but this one, under the account's new session key
                flash(_("Lösenordet är ändrat."), "success")
                return redirect(url_for("main.dashboard"))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/password.html", form=form), status


@bp.route("/reset-password", methods=["GET", "POST"], endpoint="reset_request")
def reset_request():
    """Ask for a one-time link by email. The answer is the same whether the account exists or not."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        email = form.email.data.lower()
        # At most a few links per address and per client in a quarter of an hour (the login throttle's
        # counts, under a key of their own): a script cannot flood a mailbox or the outbox. The answer
        # stays the same, so it tells nothing about the address.
        key = f"{users.RESET_KEY_PREFIX}{email}"
        user = None
        if throttled(key):
            current_app.logger.warning("password reset for %s throttled", email)
        else:
            note_failure(key)
            user = User.get_or_none((User.email == email) & User.is_active)
        if user is not None:
            link = f"{current_app.config['APP_BASE_URL']}{url_for('auth.reset', token=users.reset_token(user))}"
            message = Message(
                subject=_("Återställ ditt lösenord till Överenskommelseregistret"),
                recipients=[user.email],
                body=render_template("email/reset.txt", user=user, link=link),
            )
            send_later(message)  # the answer never waits for the mail server (registry/outbox.py)
        flash(
            _("Om adressen har ett konto har vi skickat en länk för att välja nytt lösenord. Länken gäller en timme."),
            "success",
        )
        return redirect(url_for("auth.login"))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/reset_request.html", form=form), status


@bp.route("/reset-password/<token>", methods=["GET", "POST"], endpoint="reset")
def reset(token):
    """Choose a new password with a one-time link."""
    user = users.user_for_token(token)
    if user is None:
        flash(_("Länken är ogiltig, har gått ut eller har redan använts. Be om en ny."), "error")
        return redirect(url_for("auth.reset_request"))
    form = ResetForm()
    if form.validate_on_submit():
        try:
            users.set_password(user, form.password.data)
        except ValidationError as exc:
            form.password.errors.append(exc.errors["password"])
        else:
            clear_failures(user.email)
            flash(_("Lösenordet är ändrat. Logga in med det nya lösenordet."), "success")
            return redirect(url_for("auth.login"))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/reset.html", form=form), status
