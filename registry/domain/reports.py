"""Auditor's reports: each a filter, a query and the columns of its page and exports."""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import JOIN, fn

from ..models import Agreement, AgreementOwner, Group, Person, Reminder, Review
from ..rules.months import add_months
from ..vocab import (
    ACTIVE_STATUSES,
    AGREEMENT_KINDS,
    AGREEMENT_STATUSES,
    REMINDER_KINDS,
    REMINDER_ROLES,
    REMINDER_STATES,
    label,
    stage_label,
)
from . import exports, validation

# Headers in the user's language (lazy: translated when a report is made).
AGREEMENT_HEADER = [
    _l("Id"),
    _l("Titel"),
    _l("Kortnamn"),
    _l("Typ"),
    _l("Diarienummer"),
    _l("Status"),
    _l("Ansvarig grupp"),
    _l("Ägare"),
    _l("Giltig från"),
    _l("Giltig till"),
    _l("Nästa uppföljning"),
    _l("Senaste uppföljning"),
]
DAYS_LEFT = _l("Dagar kvar")
DAYS_OVERDUE = _l("Dagar försenad")
# The reminder pass's own notes in last_error (an SMTP error is shown as the server gave it).
REMINDER_NOTES = {
    "resolved": _l("Löst"),
    "superseded by a later stage": _l("Ersatt av en senare påminnelse"),
    "no longer applies": _l("Gäller inte längre"),
}


@dataclass(frozen=True)
class Report:
    key: str
    title: object
    description: object


REPORTS = [
    Report("expiring", _l("Avtal som upphör"), _l("Avtal i kraft som upphör mellan två datum, eller inom N dagar.")),
    Report("overdue", _l("Försenade uppföljningar"), _l("Avtal i kraft vars uppföljningsdatum har passerat.")),
    Report("unowned", _l("Avtal utan ägare eller ansvarig grupp"), _l("Avtal som ingen person äger.")),
    Report(
        "reminders",
        _l("Misslyckade och eskalerade påminnelser"),
        _l("Påminnelser som inte kunde skickas och eskaleringar till ordförande och sekreterare."),
    ),
    Report("register", _l("Hela registret"), _l("Alla avtal med ansvar, giltighet och uppföljning.")),
]
BY_KEY = {r.key: r for r in REPORTS}


def date_filter(args, name):
    """A YYYY-MM-DD filter argument as a date, None when missing or no date. A date outside the
    register's range (validation.EARLIEST..LATEST) filters as that range's end does, since no date
    the register stores lies beyond it; so a filter "to 9999-12-31" works, and adding a day to it
    cannot overflow."""
    try:
        value = date.fromisoformat((args.get(name) or "").strip())
    except ValueError:
        return None
    return min(max(value, validation.EARLIEST), validation.LATEST)


EXPIRING_MONTHS = 6  # the expiring report's window without ?days= or ?months=


def filters_for(key, args, today):
    """The report's filter values from request arguments, with defaults."""
    if key == "expiring":
        days = args.get("days", "")
        start, end = date_filter(args, "from"), date_filter(args, "to")
        if start or end:
            return {"from": start or today, "to": end or date.max, "days": None, "months": None}
        if re.fullmatch(r"[0-9]{1,5}", days):
            return {"from": today, "to": today + timedelta(days=int(days)), "days": int(days), "months": None}
        # Otherwise calendar months (default 6): from 2026-11-30, 6 months end on 2027-05-31.
        months = args.get("months", "")
        months = int(months) if re.fullmatch(r"[0-9]{1,3}", months) else EXPIRING_MONTHS
        return {"from": today, "to": min(add_months(today, months), validation.LATEST), "days": None, "months": months}
    if key == "reminders":
        return {"from": date_filter(args, "from"), "to": date_filter(args, "to")}
    return {}


def header_text(header):
    """A header as the user's language writes it."""
    return [str(h) for h in header]


def _agreements():
    last_review = (
        Review.select(Review.agreement, fn.MAX(Review.reviewed_on).alias("last"))
        .group_by(Review.agreement)
        .alias("last_review")
    )
    return (
        Agreement.select(Agreement, Group, last_review.c.last.alias("last_reviewed_on"))
        .join(Group, JOIN.LEFT_OUTER, on=Agreement.responsible_group == Group.id)
        .switch(Agreement)
        .join(last_review, JOIN.LEFT_OUTER, on=(last_review.c.agreement_id == Agreement.id))
    )


def _owners(ids):
    owners = {}
    if ids:
        rows = (
            AgreementOwner.select(AgreementOwner.agreement, Person.email)
            .join(Person)
            .where(AgreementOwner.agreement.in_(ids))
            .tuples()
        )
        for agreement_id, email in rows:
            owners.setdefault(agreement_id, []).append(email)
    return owners


def agreement_rows(query):
    agreements = list(query)
    owners = _owners([a.id for a in agreements])
    for a in agreements:
        yield [
            a.id,
            a.title,
            a.short_name,
            str(label(AGREEMENT_KINDS, a.kind)),
            a.case_number,
            str(label(AGREEMENT_STATUSES, a.status)),
            a.responsible_group.name if a.responsible_group_id else "",
            sorted(owners.get(a.id, [])),
            a.valid_from,
            a.expires_on,
            a.next_review_on,
            getattr(a, "last_reviewed_on", None),
        ]


def run(key, filters, today):
    """(header, rows) of a report; the header in the user's language. Dates are dates, times naive UTC."""
    header, rows = _run(key, filters, today)
    return header_text(header), rows


def _run(key, filters, today):
    active = Agreement.status.in_(ACTIVE_STATUSES)
    if key == "expiring":
        query = _agreements().where(active & Agreement.expires_on.between(filters["from"], filters["to"]))
        rows = list(agreement_rows(query.order_by(Agreement.expires_on, Agreement.title)))
        return [*AGREEMENT_HEADER, DAYS_LEFT], [[*row, (row[9] - today).days] for row in rows]
    if key == "overdue":
        query = _agreements().where(active & (Agreement.next_review_on < today))
        rows = list(agreement_rows(query.order_by(Agreement.next_review_on, Agreement.title)))
        return [*AGREEMENT_HEADER, DAYS_OVERDUE], [[*row, (today - row[10]).days] for row in rows]
    if key == "unowned":
        owned = AgreementOwner.select(AgreementOwner.agreement)
        query = _agreements().where(Agreement.id.not_in(owned) | Agreement.responsible_group.is_null())
        return AGREEMENT_HEADER, list(agreement_rows(query.order_by(Agreement.title)))
    if key == "reminders":
        query = (
            Reminder.select(Reminder, Agreement)
            .join(Agreement)
            .where((Reminder.state == "failed") | Reminder.role.in_(("chair", "secretary")))
            .order_by(Reminder.send_on.desc(), Reminder.id.desc())
        )
        if filters.get("from"):
            query = query.where(Reminder.send_on >= filters["from"])
        if filters.get("to"):
            query = query.where(Reminder.send_on <= filters["to"])
        header = [
            _l("Avtals-id"),
            _l("Avtal"),
            _l("Tidsfrist"),
            _l("Datum"),
            _l("Steg"),
            _l("Mottagare"),
            _l("Roll"),
            _l("Planerad"),
            exports_time_header(_l("Skickad")),
            _l("Status"),
            _l("Försök"),
            _l("Fel"),
        ]
        rows = [
            [
                r.agreement.id,
                r.agreement.title,
                str(label(REMINDER_KINDS, r.kind)),
                r.deadline_on,
                stage_label(r.stage),
                r.recipient,
                str(label(REMINDER_ROLES, r.role)),
                r.send_on,
                r.updated_at if r.state == "sent" else None,
                str(label(REMINDER_STATES, r.state)),
                r.attempts,
                str(label(REMINDER_NOTES, r.last_error)),
            ]
            for r in query
        ]
        return header, rows
    if key == "register":
        return AGREEMENT_HEADER, list(agreement_rows(_agreements().order_by(Group.name, Agreement.title)))
    raise KeyError(key)


def exports_time_header(name):
    """A header of a column of times, naming the zone they are written in: "Skickad (Europe/Stockholm)"."""
    return _("%(column)s (%(zone)s)", column=name, zone=exports.zone_name())
