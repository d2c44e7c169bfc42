"""Blueprints, one per area of the register."""

from ..api.tokens_page import bp as api_tokens_bp
from ..api.views import bp as api_bp
from .accessibility import bp as accessibility_bp
from .account import bp as account_bp
from .acknowledge import bp as acknowledge_bp
from .agreements import bp as agreements_bp
from .audit import bp as audit_bp
from .auth import bp as auth_bp
from .directory import groups_bp, organisations_bp, people_bp
from .feeds import bp as feeds_bp
from .health import bp as health_bp
from .mailbox import bp as mailbox_bp
from .main import bp as main_bp
from .meetings import bp as meetings_bp
from .public import bp as public_bp
from .reminders import bp as reminders_bp
from .reports import bp as reports_bp
from .revisions import bp as revisions_bp
from .spreadsheets import bp as spreadsheets_bp
from .sso import bp as sso_bp
from .users import bp as users_bp

BLUEPRINTS = [
    auth_bp,
    accessibility_bp,
    main_bp,
    agreements_bp,
    revisions_bp,
    groups_bp,
    meetings_bp,
    organisations_bp,
    people_bp,
    reminders_bp,
    mailbox_bp,
    users_bp,
    audit_bp,
    reports_bp,
    # --- api blueprints ---
    api_bp,
    api_tokens_bp,
    # --- feeds blueprints ---
    feeds_bp,
    # --- spreadsheets blueprints ---
    spreadsheets_bp,
    account_bp,
    health_bp,
    acknowledge_bp,
    # --- the public register ---
    public_bp,
    # --- single sign-on (OpenID Connect) ---
    sso_bp,
]
