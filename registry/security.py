"""Logins, sessions, security headers and the production secret-key check."""

import hmac
from datetime import timedelta

from flask import g, has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager

from . import permissions
from .api import is_api_path
from .domain import tokens
from .models import LoginFailure, User, utcnow

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Logga in för att se sidan.")

MIN_SECRET_LENGTH = 32
# A key with one of these in it is an example value someone forgot to replace (short ones,
# "secret" or "testing", fall to the length test).
PLACEHOLDER_MARKS = ("change-me", "changeme", "change_me", "replace", "placeholder", "example")
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'"
)


def content_security_policy(frame_ancestors="'none'"):
    """The CSP with other frame-ancestors: the public register's embeddable list (registry/views/public.py)."""
    return CSP.replace("frame-ancestors 'none'", f"frame-ancestors {frame_ancestors}")


@login_manager.user_loader
def load_user(user_id):
    """The account a session names as "<id>:<session key>" (User.get_id), while it is active and its
    key unchanged: a new key (registry/domain/users.py end_sessions) ends every session made before."""
    if has_request_context() and is_api_path(request.path):
        return None  # the API takes bearer tokens only: a session cookie must not authenticate it (CSRF)
    pk, sep, key = str(user_id).partition(":")
    if not sep or not key or not pk.isdigit() or len(pk) > 18:
        return None  # a cookie from before session keys, or not one of ours
    user = User.get_or_none((User.id == int(pk)) & User.is_active)
    if user is None or not hmac.compare_digest(user.session_key.encode(), key.encode()):
        return None
    return user


@login_manager.request_loader
def load_user_from_token(req):
    """`Authorization: Bearer <token>` on API paths; revoked tokens and deactivated accounts are refused."""
    if not is_api_path(req.path) or "Authorization" not in req.headers:
        return None
    return tokens.user_for_header(req.headers["Authorization"])


def check_secret_key(app):
    """In production, refuse to start without a strong SECRET_KEY."""
    if app.config.get("APP_ENV") != "production":
        return
    key = app.config.get("SECRET_KEY") or ""
    placeholder = any(mark in key.lower() for mark in PLACEHOLDER_MARKS)
    if len(key) < MIN_SECRET_LENGTH or placeholder:
        raise RuntimeError(
            "SECRET_KEY is missing or weak. In production (APP_ENV=production) set SECRET_KEY to a random "
            f"value of at least {MIN_SECRET_LENGTH} characters, e.g. "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )


def client_address():
    return request.remote_addr or "unknown"


def throttled(email):
    """True when this account or this address has failed too often lately."""
    since = utcnow() - THROTTLE_WINDOW
    recent = LoginFailure.select().where(LoginFailure.at >= since)
    by_account = recent.where(LoginFailure.email == email).count()
    by_address = recent.where(LoginFailure.address == client_address()).count()
    return by_account >= MAX_FAILURES_PER_ACCOUNT or by_address >= MAX_FAILURES_PER_ADDRESS


def note_failure(email):
    LoginFailure.create(email=email, address=client_address())


def clear_failures(email):
    LoginFailure.delete().where(LoginFailure.email == email).execute()


def _forget_cached_user():
    """Load the user afresh for each request, even when an outer app context (tests, jobs) is reused."""
    g.pop("_login_user", None)


def add_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    if "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]:  # not a page that may be framed
        response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def init_app(app):
    check_secret_key(app)
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    app.config["REMEMBER_COOKIE_SECURE"] = app.config.get("SESSION_COOKIE_SECURE", False)
    login_manager.init_app(app)
    app.before_request(_forget_cached_user)
    app.before_request(permissions.enforce)
    app.after_request(add_headers)
    app.jinja_env.globals["can"] = permissions.can
