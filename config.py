"""Application settings, read from the environment with safe development defaults.

Every setting an operator may change is an environment variable of the same
name; see docs/configuration.md for the list.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _int(name, default):
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        raise RuntimeError(f"{name} must be a whole number, got {value!r}") from None


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
    # Used by the clock when no fixed date is configured.
    TIMEZONE = os.environ.get("SCHEDULER_TIMEZONE", "Europe/Stockholm")
    # A fixed "today" (YYYY-MM-DD) for demonstrations and tests; empty means the real date.
    TODAY = os.environ.get("REGISTRY_TODAY") or None
    WTF_CSRF_TIME_LIMIT = None


class TestingConfig(Config):
    """Settings for the test suite: the database URL is given by the fixture."""

    TESTING = True
    SECRET_KEY = "testing"
    WTF_CSRF_ENABLED = False
