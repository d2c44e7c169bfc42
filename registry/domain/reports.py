"""Auditor's reports: each a filter, a query and the columns of its page and exports."""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from peewee import JOIN, fn

from ..models import Agreement, AgreementOwner, Group, Person, Reminder, Review
from ..vocab import ACTIVE_STATUSES, AGREEMENT_KINDS, AGREEMENT_STATUSES, label
from . import validation

AGREEMENT_HEADER = [
    "Id",
    "Titel",
    "Kortnamn",
    "Typ",
    "Diarienummer",
    "Status",
    "Ansvarig grupp",
    "Ägare",
    "Giltig från",
    "Giltig till",
    "Nästa granskning",
    "Senaste granskning",
]


@dataclass(frozen=True)
class Report:
    key: str
    title: object
    description: object


REPORTS = [
    Report("expiring", _l("Avtal som upphör"), _l("Avtal i kraft som upphör mellan två datum, eller inom N dagar.")),
    Report("overdue", _l("Försenade granskningar"), _l("Avtal i kraft vars granskningsdatum har passerat.")),
    Report("unowned", _l("Avtal utan ägare eller ansvarig grupp"), _l("Avtal som ingen person äger.")),
    Report(
        "reminders",
        _l("Misslyckade och eskalerade påminnelser"),
        _l("Påminnelser som inte kunde skickas, och eskaleringar till ordförande och sekreterare."),
    ),
    Report("register", _l("Hela registret"), _l("Alla avtal med ansvar, giltighet och granskning.")),
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


def filters_for(key, args, today):
    """The report's filter values from request arguments, with defaults."""
    if key == "expiring":
        days = args.get("days", "")
        start, end = date_filter(args, "from"), date_filter(args, "to")
        if start or end:
            return {"from": start or today, "to": end or date.max, "days": None}
        days = int(days) if re.fullmatch(r"[0-9]{1,5}", days) else 180
        return {"from": today, "to": today + timedelta(days=days), "days": days}
    if key == "reminders":
        return {"from": date_filter(args, "from"), "to": date_filter(args, "to")}
    return {}


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
    """(header, rows) of a report."""
    active = Agreement.status.in_(ACTIVE_STATUSES)
    if key == "expiring":
        query = _agreements().where(active & Agreement.expires_on.between(filters["from"], filters["to"]))
        return AGREEMENT_HEADER, list(agreement_rows(query.order_by(Agreement.expires_on, Agreement.title)))
    if key == "overdue":
        query = _agreements().where(active & (Agreement.next_review_on < today))
        return AGREEMENT_HEADER, list(agreement_rows(query.order_by(Agreement.next_review_on, Agreement.title)))
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
            "Avtal-id",
            "Avtal",
            "Tidsfrist",
            "Datum",
            "Steg",
            "Mottagare",
            "Roll",
            "Skickas",
            "Status",
            "Försök",
            "Fel",
        ]
        rows = [
            [
                r.agreement.id,
                r.agreement.title,
                r.kind,
                r.deadline_on,
                r.stage,
                r.recipient,
                r.role,
                r.send_on,
                r.state,
                r.attempts,
                r.last_error,
            ]
            for r in query
        ]
        return header, rows
    if key == "register":
        return AGREEMENT_HEADER, list(agreement_rows(_agreements().order_by(Group.name, Agreement.title)))
    raise KeyError(key)
