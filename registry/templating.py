"""Template helpers: labels, dates, derived flags and list links."""

import datetime
import re
from zoneinfo import ZoneInfo

from flask import current_app, request, url_for
from flask_babel import format_date, format_decimal, get_locale, gettext, ngettext
from markupsafe import Markup

from . import clock
from .domain import audit, indicators, schedule, status, stored_documents
from .domain import fields as agreement_fields
from .i18n import genitive
from .rules import cycles
from .vocab import (
    ADOPTION_STATES,
    AGENDA_KINDS,
    AGENDA_OUTCOMES,
    AGREEMENT_KINDS,
    AGREEMENT_STATUSES,
    AUDIT_ACTIONS,
    AUDIT_ENTITIES,
    CONSULTATION_POSITIONS,
    DOCUMENT_KINDS,
    DOCUMENT_TEXT_STATES,
    FIELD_LABELS,
    GROUP_KINDS,
    INDICATOR_DIRECTIONS,
    ORGANISATION_KINDS,
    PUBLICATION_CHOICES,
    REMINDER_DELIVERY,
    REMINDER_KINDS,
    REMINDER_ROLES,
    REMINDER_STATES,
    REMINDER_TRIGGERS,
    REVIEW_OUTCOMES,
    REVISION_STATES,
    ROLES,
    label,
    stage_label,
)

# The change history's labels: an agreement's fields from the field table, the rest from vocab.
HISTORY_LABELS = {**FIELD_LABELS, **agreement_fields.LABELS}

VOCABULARIES = {
    "kind": AGREEMENT_KINDS,
    "status": AGREEMENT_STATUSES,
    "outcome": REVIEW_OUTCOMES,
    "group_kind": GROUP_KINDS,
    "organisation_kind": ORGANISATION_KINDS,
    "reminder_state": REMINDER_STATES,
    "trigger": REMINDER_TRIGGERS,
    "recipient_role": REMINDER_ROLES,
    "role": ROLES,
    "action": AUDIT_ACTIONS,
    "entity": AUDIT_ENTITIES,
    "deadline": REMINDER_KINDS,  # the deadlines' kinds, and the reminder log's adoption
    "adoption": ADOPTION_STATES,
    "agenda_kind": AGENDA_KINDS,
    "agenda_outcome": AGENDA_OUTCOMES,
    "document_kind": DOCUMENT_KINDS,
    "document_text": DOCUMENT_TEXT_STATES,
    "revision_state": REVISION_STATES,
    "consultation_position": CONSULTATION_POSITIONS,
    "reminder_delivery": REMINDER_DELIVERY,
    "publication": PUBLICATION_CHOICES,
}


def iso_text(value):
    """A date as YYYY-MM-DD, the Swedish convention, as plain text (form values, attributes); empty for None."""
    return value.isoformat() if value else ""


def _time_element(machine, shown, title=None):
    """<time>: static/app.css keeps it on one line, so a date never breaks inside ("2026-/12-31")."""
    title = Markup(' title="{}"').format(title) if title else ""
    return Markup('<time datetime="{}"{}>{}</time>').format(machine, title, shown)


def iso(value):
    """A date shown on a page: <time datetime="2026-12-31">2026-12-31</time>; empty for None."""
    return _time_element(value.isoformat(), value.isoformat()) if value else ""


def local_time(value, zone_shown=False):
    """A naive UTC timestamp as local time (SCHEDULER_TIMEZONE), to the minute, in a <time> element.

    `zone_shown` adds the zone's abbreviation ("2026-11-23 07:00 CET") and names the zone in a title.
    An aware timestamp (an e-mail's Date header) is converted as it is.
    """
    if not value:
        return ""
    zone = ZoneInfo(current_app.config["SCHEDULER_TIMEZONE"])
    aware = value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
    local = aware.astimezone(zone)
    shown = local.strftime("%Y-%m-%d %H:%M")
    if not zone_shown:
        return _time_element(local.isoformat(timespec="minutes"), shown)
    return _time_element(local.isoformat(timespec="minutes"), f"{shown} {local.tzname()}", zone.key)


# Audited fields that hold a code, by the kind of row: the vocabulary that names them.
CODED_CHANGES = {
    ("agreement", "kind"): AGREEMENT_KINDS,
    ("agreement", "status"): AGREEMENT_STATUSES,
    ("agreement", "publication"): PUBLICATION_CHOICES,
    ("review", "outcome"): REVIEW_OUTCOMES,
    ("group", "kind"): GROUP_KINDS,
    ("organisation", "kind"): ORGANISATION_KINDS,
    ("user", "role"): ROLES,
    ("person", "reminder_delivery"): REMINDER_DELIVERY,
    ("agenda_item", "kind"): AGENDA_KINDS,
    ("agenda_item", "outcome"): AGENDA_OUTCOMES,
    ("indicator", "direction"): INDICATOR_DIRECTIONS,
    ("document", "kind"): DOCUMENT_KINDS,
    ("revision", "state"): REVISION_STATES,
    ("consultation_answer", "position"): CONSULTATION_POSITIONS,
}


def change_value(value, name=None, entity=None):
    """An audited value for people: codes by their label, cycles in words, lists joined, empty as a dash."""
    if value in (None, "", []):
        return "–"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    vocabulary = CODED_CHANGES.get((entity, name))
    if vocabulary is not None:
        return str(label(vocabulary, value))
    if name == "review_rule" and entity == "agreement":
        return cycles.describe(value)
    if name == "target" and entity == "indicator":  # kept with a point: shown in the language's notation
        number, problem = indicators.parse_number(value)
        return str(value) if problem else indicators.number_text(number)
    if isinstance(value, bool):
        return gettext("Ja") if value else gettext("Nej")
    return str(value)


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def change_value_shown(value, name=None, entity=None):
    """change_value on a page: a value that is a date (the trail keeps dates as text) as a <time> element."""
    shown = change_value(value, name, entity)
    if ISO_DATE.fullmatch(shown):
        try:
            return iso(datetime.date.fromisoformat(shown))
        except ValueError:
            pass
    return shown


def relative_days(days):
    """A deadline's distance from today in words: "i dag", "om 1 dag", "3 dagar sedan"."""
    if days == 0:
        return gettext("i dag")
    if days < 0:
        return ngettext("%(num)s dag sedan", "%(num)s dagar sedan", -days)
    return ngettext("om %(num)s dag", "om %(num)s dagar", days)


def file_size(size):
    """A file's size for people: "830 kB", "1,2 MB" (1 kB = 1,000 bytes), "512 byte"."""
    if size < 1000:
        return gettext("%(n)s byte", n=size)
    if size < 1_000_000:
        return gettext("%(n)s kB", n=format_decimal(round(size / 1000)))
    return gettext("%(n)s MB", n=format_decimal(round(size / 1_000_000, 1)))


def long_date(value):
    return format_date(value, "long") if value else ""


def list_url(query, **changes):
    """The agreement list URL for a query with some arguments changed."""
    return url_for("agreements.index", **query.args(**changes))


def init_app(app):
    app.jinja_env.filters["iso"] = iso
    app.jinja_env.filters["iso_text"] = iso_text
    app.jinja_env.filters["long_date"] = long_date
    app.jinja_env.filters["file_size"] = file_size
    app.jinja_env.filters["file_format"] = stored_documents.format_name
    app.jinja_env.filters["relative_days"] = relative_days
    app.jinja_env.filters["utc"] = local_time
    app.jinja_env.filters["audit_changes"] = lambda entry: sorted(audit.changes_of(entry).items())
    app.jinja_env.filters["change_value"] = change_value_shown  # pages; exports call change_value
    app.jinja_env.filters["cycle"] = cycles.describe
    app.jinja_env.filters["stage"] = stage_label
    app.jinja_env.filters["genitive"] = genitive
    app.jinja_env.filters["material_day"] = schedule.material_due_on  # group|material_day(meets_on)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def _helpers():
        def vocab(name, code):
            return label(VOCABULARIES[name], code)

        def flags(agreement):
            return status.flags(agreement, clock.today(), app.config["DEADLINE_WINDOW_DAYS"])

        return {
            "field_label": lambda name: HISTORY_LABELS.get(name, name),
            "vocab": vocab,
            "vocabularies": VOCABULARIES,
            "flags": flags,
            "today": clock.today(),
            "list_url": list_url,
            "locale": str(get_locale()),
            "current_path": request.path if request else "/",
            "mail_sink": bool(app.config.get("MAIL_SINK_DIR")),
        }
