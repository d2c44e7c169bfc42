"""Derived status: what a reader must notice about an agreement today.

The same rule is given twice, once for one agreement in Python (`flags`) and
once as SQL conditions for lists and counts (`condition`); tests hold the two
in agreement.
"""

import operator
from dataclasses import dataclass
from datetime import timedelta
from functools import reduce

from flask_babel import lazy_gettext as _l

from ..vocab import ACTIVE_STATUSES, DEADLINE_COLUMNS, DEADLINE_STATUSES

EXPIRED = "expired"
EXPIRES_SOON = "expires_soon"
REVIEW_OVERDUE = "review_overdue"
REVIEW_DUE_SOON = "review_due_soon"
REVISION_OVERDUE = "revision_overdue"
REVISION_DUE_SOON = "revision_due_soon"
LATE = (EXPIRED, REVIEW_OVERDUE, REVISION_OVERDUE)
SOON = (EXPIRES_SOON, REVIEW_DUE_SOON, REVISION_DUE_SOON)

FLAG_LABELS = {
    EXPIRED: _l("Utgånget"),
    EXPIRES_SOON: _l("Upphör snart"),
    REVIEW_OVERDUE: _l("Uppföljning försenad"),
    REVIEW_DUE_SOON: _l("Uppföljning snart"),
    REVISION_OVERDUE: _l("Ny version försenad"),
    REVISION_DUE_SOON: _l("Ny version snart"),
}
# Severity drives the colour of a flag: "danger" for what is late.
FLAG_SEVERITY = {
    EXPIRED: "danger",
    REVIEW_OVERDUE: "danger",
    EXPIRES_SOON: "warning",
    REVIEW_DUE_SOON: "warning",
    REVISION_OVERDUE: "danger",
    REVISION_DUE_SOON: "warning",
}


@dataclass(frozen=True)
class Flag:
    code: str

    @property
    def label(self):
        return FLAG_LABELS[self.code]

    @property
    def severity(self):
        return FLAG_SEVERITY[self.code]


# Each flag: the kind of deadline it is about, and whether it is late (else: due within the window).
FLAG_DEADLINES = {
    EXPIRED: ("expiry", True),
    EXPIRES_SOON: ("expiry", False),
    REVIEW_OVERDUE: ("review", True),
    REVIEW_DUE_SOON: ("review", False),
    REVISION_OVERDUE: ("revision", True),
    REVISION_DUE_SOON: ("revision", False),
}


def flags(agreement, today, window_days):
    """The derived flags of one agreement (anything with status and the deadline date columns)."""
    horizon = today + timedelta(days=window_days)
    found = []
    for code, (kind, late) in FLAG_DEADLINES.items():
        if agreement.status not in DEADLINE_STATUSES[kind]:
            continue
        due_on = getattr(agreement, DEADLINE_COLUMNS[kind])
        if due_on is not None and (due_on < today if late else today <= due_on <= horizon):
            found.append(Flag(code))
    return found


def condition(model, code, today, window_days):
    """A peewee expression selecting the agreements that carry a flag."""
    if code not in FLAG_DEADLINES:
        raise ValueError(f"unknown flag {code!r}")
    kind, late = FLAG_DEADLINES[code]
    column = getattr(model, DEADLINE_COLUMNS[kind])
    in_status = model.status.in_(DEADLINE_STATUSES[kind])
    if late:
        return in_status & (column < today)
    return in_status & column.between(today, today + timedelta(days=window_days))


def due_by(model, horizon):
    """SQL: a deadline on or before `horizon`. The test of the active statuses is left to the
    caller, so that one index (status, date) answers each branch; the new-version deadline
    keeps its own (only under revision)."""
    found = []
    for kind, name in DEADLINE_COLUMNS.items():
        condition = getattr(model, name) <= horizon
        if DEADLINE_STATUSES[kind] != ACTIVE_STATUSES:
            condition &= model.status.in_(DEADLINE_STATUSES[kind])
        found.append(condition)
    return reduce(operator.or_, found)


def needs_attention(model, today, window_days):
    """Any flag at all: late or due within the window."""
    return reduce(operator.or_, (condition(model, code, today, window_days) for code in FLAG_DEADLINES))
