"""Blueprints, one per area of the register."""

from .agreements import bp as agreements_bp
from .directory import groups_bp, organisations_bp, people_bp
from .mailbox import bp as mailbox_bp
from .main import bp as main_bp
from .reminders import bp as reminders_bp

BLUEPRINTS = [main_bp, agreements_bp, groups_bp, organisations_bp, people_bp, reminders_bp, mailbox_bp]
