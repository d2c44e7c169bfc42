"""Application settings, read from the environment with safe development defaults.

Every setting an operator may change is an environment variable of the same
name; see docs/configuration.md for the list.
"""

import datetime
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _bool(name, default=False):
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise RuntimeError(f"{name} must be true or false, got {value!r}")


def _int(name, default):
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        raise RuntimeError(f"{name} must be a whole number, got {value!r}") from None


def _date(name, default):
    value = os.environ.get(name) or default
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise RuntimeError(f"{name} must be a date YYYY-MM-DD, got {value!r}") from None


# The settings of one identity provider, each read from OIDC_<NAME>_<KEY> (see docs/configuration.md,
# "Single sign-on"); registry/domain/sso.py checks them when the app starts.
OIDC_KEYS = (
    "ISSUER",
    "METADATA_URL",
    "CLIENT_ID",
    "CLIENT_SECRET",
    "LABEL",
    "SCOPES",
    "EMAIL_CLAIM",
    "TRUST_EMAIL",
    "EMAIL_DOMAINS",
    "LINK_ADMINS",
    "ROLE_CLAIM",
    "ROLE_MAP",
    "GROUP_CLAIM",
    "GROUP_MAP",
    "DEFAULT_ROLE",
    "MAX_ROLE",
)


def oidc_providers(environ=os.environ):
    """{name: {key: value}} of the identity providers OIDC_PROVIDERS names (in its order), with the
    OIDC_<NAME>_<KEY> variables each has set; names are lower case."""
    names = [name.strip().lower() for name in environ.get("OIDC_PROVIDERS", "").split(",") if name.strip()]
    providers = {}
    for name in names:
        prefix = f"OIDC_{name.upper()}_"
        providers[name] = {key: environ[prefix + key] for key in OIDC_KEYS if environ.get(prefix + key, "") != ""}
    return providers


class Config:
    """Settings for development and production."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-change-me")
    DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'registry.db'}")
    PORT = _int("PORT", 5000)
    # Derived status: "expires soon" / "review due soon" look this many days ahead.
    DEADLINE_WINDOW_DAYS = _int("DEADLINE_WINDOW_DAYS", 90)
    PAGE_SIZE = _int("PAGE_SIZE", 50)
    BABEL_DEFAULT_LOCALE = os.environ.get("BABEL_DEFAULT_LOCALE", "sv")
    BABEL_DEFAULT_TIMEZONE = os.environ.get("BABEL_DEFAULT_TIMEZONE", "Europe/Stockholm")
    # The compiled catalogues (translations/<lang>/LC_MESSAGES/messages.mo); see docs/i18n.md.
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    # A fixed "today" (YYYY-MM-DD) for demonstrations and tests; empty means the real date.
    TODAY = os.environ.get("REGISTRY_TODAY") or None
    WTF_CSRF_TIME_LIMIT = None
    # "production" refuses to start without a strong SECRET_KEY.
    APP_ENV = os.environ.get("APP_ENV", "development")
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE")
    # How many reverse proxies (nginx, a load balancer) stand in front of gunicorn: their
    # X-Forwarded-For/-Proto/-Host are trusted, so login throttling sees the client's address.
    # 0 (the default) trusts no such header: never set it when clients reach gunicorn directly.
    TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Single sign-on (docs/configuration.md, "Single sign-on"): the identity providers, and whether
    # the register's own passwords (login form, reset by email, change) are in use at all.
    OIDC_PROVIDERS = oidc_providers()
    LOCAL_PASSWORDS = _bool("LOCAL_PASSWORDS", True)
    # Request sizes in bytes (docs/security.md, "Input limits"); a larger request gets a 413 page.
    # Every request body: the largest form the register has (an agreement with every text full) is
    # well under 1 MiB. The JSON API sets its own 1 MiB.
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 1024 * 1024)
    # The spreadsheet upload (/import): the 10 MB file and the form around it.
    MAX_UPLOAD_LENGTH = _int("MAX_UPLOAD_LENGTH", 11 * 1024 * 1024)
    # A stored document (PDF, DOCX, ODT) of an agreement: the largest file accepted. Its upload (page and
    # API) may send a request of this plus 1 MiB for the form around it (docs/configuration.md).
    DOCUMENT_MAX_BYTES = _int("DOCUMENT_MAX_BYTES", 20 * 1024 * 1024)
    # A multipart form (the upload): the largest text field, and how many fields and files.
    MAX_FORM_MEMORY_SIZE = _int("MAX_FORM_MEMORY_SIZE", 500_000)
    MAX_FORM_PARTS = _int("MAX_FORM_PARTS", 1000)

    # Mail (Flask-Mail). With no MAIL_SERVER, `make run` starts a local sink and points here.
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or "127.0.0.1"
    MAIL_PORT = _int("MAIL_PORT", 25)
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Överenskommelseregistret <noreply@localhost>")
    MAIL_TIMEOUT = _int("MAIL_TIMEOUT", 30)
    # Links in emails, calendar feeds and the public register's open data and embedded list point here.
    APP_BASE_URL = os.environ.get("APP_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    # The local mail sink's folder: when set, /mail shows what was "sent" there.
    MAIL_SINK_DIR = os.environ.get("MAIL_SINK_DIR") or None

    # The scheduler process.
    REMINDER_SEND_TIME = os.environ.get("REMINDER_SEND_TIME", "07:00")
    # Decides what "today" is, for pages and reminders alike.
    SCHEDULER_TIMEZONE = os.environ.get("SCHEDULER_TIMEZONE", "Europe/Stockholm")
    REMINDER_RETRY_MINUTES = _int("REMINDER_RETRY_MINUTES", 15)
    # First retry of a failed send after this many minutes, doubling up to a day.
    REMINDER_BACKOFF_MINUTES = _int("REMINDER_BACKOFF_MINUTES", 10)
    # "Vi arbetar med det" on an overdue notice pauses its escalation (chair, secretaries, repeats) this many days.
    ACKNOWLEDGE_PAUSE_DAYS = _int("ACKNOWLEDGE_PAUSE_DAYS", 14)
    # An agreement put under revision must have its new version decided within this many months,
    # unless a date is given ("Ny version senast").
    REVISION_MONTHS = _int("REVISION_MONTHS", 6)

    # The public register (/public, docs/public.md): requests per client address (a limits string such as
    # "60 per minute"; several as "10 per second; 60 per minute"), the embedded list's own limit (every
    # visitor of the region's website behind one address shares it), where the counts are kept (memory:// is
    # per process; redis://host:6379 or memcached://host:11211 shared by several workers), the open data's
    # licence, and the sites that may show /public/embed in a frame (space-separated origins).
    PUBLIC_RATE_LIMIT = os.environ.get("PUBLIC_RATE_LIMIT") or "60 per minute"
    PUBLIC_EMBED_RATE_LIMIT = os.environ.get("PUBLIC_EMBED_RATE_LIMIT") or "600 per minute"
    PUBLIC_RATE_LIMIT_STORAGE_URI = os.environ.get("PUBLIC_RATE_LIMIT_STORAGE_URI") or "memory://"
    PUBLIC_LICENCE = os.environ.get("PUBLIC_LICENCE") or "CC0 1.0"
    PUBLIC_LICENCE_URL = os.environ.get("PUBLIC_LICENCE_URL", "https://creativecommons.org/publicdomain/zero/1.0/")
    PUBLIC_EMBED_ANCESTORS = os.environ.get("PUBLIC_EMBED_ANCESTORS", "")

    # The accessibility statement (/tillganglighet, docs/accessibility.md): the organisation that runs
    # the register and answers for it, how to reach it about a problem (the phone is optional), and the
    # day the statement was last reviewed against the site.
    ACCESSIBILITY_ORGANISATION = os.environ.get("ACCESSIBILITY_ORGANISATION") or "Regionen (exempel)"
    ACCESSIBILITY_CONTACT_EMAIL = os.environ.get("ACCESSIBILITY_CONTACT_EMAIL") or "tillganglighet@example.org"
    ACCESSIBILITY_CONTACT_PHONE = os.environ.get("ACCESSIBILITY_CONTACT_PHONE") or None
    ACCESSIBILITY_REVIEWED_ON = _date("ACCESSIBILITY_REVIEWED_ON", "2026-11-30")


class TestingConfig(Config):
    """Settings for the test suite: the database URL is given by the fixture."""

    TESTING = True
    SECRET_KEY = "testing"
    WTF_CSRF_ENABLED = False
    MAIL_SUPPRESS_SEND = False  # tests send to a real SMTP server on loopback
    MAIL_DEFAULT_SENDER = "Överenskommelseregistret <registret@example.org>"
    APP_BASE_URL = "https://registret.example.org"
    OIDC_PROVIDERS = {}
    LOCAL_PASSWORDS = True
