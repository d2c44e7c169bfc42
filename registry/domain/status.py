"""Derived status: what a reader must notice about an agreement today.

The same rule is given twice, once for one agreement in Python (`flags`) and
once as SQL conditions for lists and counts (`condition`); tests hold the two
in agreement.
"""

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l

from ..vocab import ACTIVE_STATUSES

EXPIRED = "expired"
EXPIRES_SOON = "expires_soon"
REVIEW_OVERDUE = "review_overdue"
REVIEW_DUE_SOON = "review_due_soon"

FLAG_LABELS = {
    EXPIRED: _l("Utgånget"),
    EXPIRES_SOON: _l("Upphör snart"),
    REVIEW_OVERDUE: _l("Uppföljning försenad"),
    REVIEW_DUE_SOON: _l("Uppföljning snart"),
}
# Severity drives the colour of a flag: "danger" for what is late.
FLAG_SEVERITY = {
    EXPIRED: "danger",
    REVIEW_OVERDUE: "danger",
    EXPIRES_SOON: "warning",
    REVIEW_DUE_SOON: "warning",
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


def flags(agreement, today, window_days):
    """The derived flags of one agreement (anything with status, expires_on, next_review_on)."""
    if agreement.status not in ACTIVE_STATUSES:
        return []
    horizon = today + timedelta(days=window_days)
    found = []
    if agreement.expires_on is not None:
        if agreement.expires_on < today:
            found.append(EXPIRED)
        elif agreement.expires_on <= horizon:
            found.append(EXPIRES_SOON)
    if agreement.next_review_on is not None:
        if agreement.next_review_on < today:
            found.append(REVIEW_OVERDUE)
        elif agreement.next_review_on <= horizon:
            found.append(REVIEW_DUE_SOON)
    return [Flag(code) for code in found]


def condition(model, code, today, window_days):
    """A peewee expression selecting the agreements that carry a flag."""
    horizon = today + timedelta(days=window_days)
    active = model.status.in_(ACTIVE_STATUSES)
    if code == EXPIRED:
        return active & (model.expires_on < today)
    if code == EXPIRES_SOON:
        return active & model.expires_on.between(today, horizon)
    if code == REVIEW_OVERDUE:
        return active & (model.next_review_on < today)
    if code == REVIEW_DUE_SOON:
        return active & model.next_review_on.between(today, horizon)
    raise ValueError(f"unknown flag {code!r}")


def needs_attention(model, today, window_days):
    """Any flag at all: late or due within the window."""
    return (
        condition(model, EXPIRED, today, window_days)
        | condition(model, EXPIRES_SOON, today, window_days)
        | condition(model, REVIEW_OVERDUE, today, window_days)
        | condition(model, REVIEW_DUE_SOON, today, window_days)
    )
