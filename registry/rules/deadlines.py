"""Deadlines of an agreement, as pure functions of dates and agreement facts."""

from dataclasses import dataclass
from datetime import date

from ..vocab import ACTIVE_STATUSES
from . import cycles

EXPIRY = "expiry"
REVIEW = "review"
REVISION = "revision"  # the new version of an agreement under revision must be decided by then


@dataclass(frozen=True, order=True)
class Deadline:
    due_on: date
    kind: str


def deadlines(status, expires_on, review_rule, review_anchor, revision_due_on=None):
    """The agreement's open deadlines: its expiry, its next review and, while it is under
    revision, the date its new version is due, in date order.

    Agreements that are not in force (draft, terminated, replaced, expired)
    have none. A review due on or after the expiry date is dropped: an
    agreement that runs out is decided on, not reviewed. Only the next review is a deadline;
    later ones count from whenever that review is recorded. A review that cannot be computed
    (an anchor near the ends of the calendar) is left out.
    """
    if status not in ACTIVE_STATUSES:
        return []
    found = []
    if expires_on is not None:
        found.append(Deadline(expires_on, EXPIRY))
    try:
        review_on = cycles.next_review(review_rule, review_anchor)
    except (OverflowError, ValueError):
        # Dates stored before the register checked them (year 1, year 9999) give no computable
        # review; the expiry still stands, and saving the agreement asks for valid dates.
        review_on = None
    if review_on is not None and (expires_on is None or review_on < expires_on):
        found.append(Deadline(review_on, REVIEW))
    if status == "under_revision" and revision_due_on is not None:
        found.append(Deadline(revision_due_on, REVISION))
    return sorted(found)
