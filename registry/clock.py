"""The one place that knows what day it is (injectable for tests and demos)."""

import datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def today():
    """Today's date in the configured time zone, or the configured fixed date."""
    if has_app_context():
        fixed = current_app.config.get("TODAY")
        if fixed:
            return fixed if isinstance(fixed, datetime.date) else datetime.date.fromisoformat(fixed)
        zone = current_app.config.get("SCHEDULER_TIMEZONE", "Europe/Stockholm")
    else:
        zone = "Europe/Stockholm"
    return datetime.datetime.now(ZoneInfo(zone)).date()
