"""An agreement's deadlines and the meeting that decides on them, from the stored facts.

The date rules themselves are pure (registry/rules/); this module feeds them
an agreement's rows: its review anchor (the last recorded review, else its
start), its deciding group and that group's meetings. Pages, the API, the
calendar feeds and the reminder emails all ask here, so a deadline and its
deciding meeting are computed the same way everywhere.
"""

from dataclasses import dataclass
from datetime import date

from flask import current_app

from ..models import Group, GroupMeeting, Review
from ..rules import deadlines, stages
from ..rules.months import add_months

# Material is due this many days before the deciding meeting when the group names no lead time.
DEFAULT_LEAD_TIME_DAYS = 14


def review_anchor(agreement):
    """The date the review cycle counts from: the last review, else the start, else the decision."""
    last = (
        Review.select(Review.reviewed_on)
        .where(Review.agreement == agreement)
        .order_by(Review.reviewed_on.desc())
        .first()
    )
    return anchor_of(agreement, last.reviewed_on if last is not None else None)


def anchor_of(agreement, last_reviewed):
    """The review anchor when the last review's date is already known (None: never reviewed)."""
    return last_reviewed or agreement.valid_from or agreement.decision_date


def deadlines_of(agreement, last_reviewed=...):
    """The agreement's open deadlines (expiry, next review, new version), soonest first.

    Pass `last_reviewed` (a date or None) when it is already known, to save the query.
    """
    anchor = review_anchor(agreement) if last_reviewed is ... else anchor_of(agreement, last_reviewed)
    return deadlines.deadlines(
        agreement.status, agreement.expires_on, agreement.review_rule, anchor, agreement.revision_due_on
    )


def next_review_on(agreement):
    """The next review date the cycle gives, or None (stored on the row for lists and the pass)."""
    due = [d.due_on for d in deadlines_of(agreement) if d.kind == deadlines.REVIEW]
    return due[0] if due else None


def revision_due(start):
    """The default date a new version is due by when a revision starts on `start`: REVISION_MONTHS
    calendar months later (from 2026-08-31, six months end on 2027-02-28)."""
    return add_months(start, int(current_app.config.get("REVISION_MONTHS", 6)))


def deciding_group_id(agreement):
    """The id of the group whose meeting decides on the agreement: its decision body, else its responsible group."""
    return agreement.decision_body_id or agreement.responsible_group_id


@dataclass(frozen=True)
class DecidingMeeting:
    """The deciding group's last meeting before a deadline, and the day material for it is due."""

    group: Group
    meets_on: date
    material_due_on: date


class Meetings:
    """The deciding groups and their meeting dates for a set of agreements, read in two queries."""

    def __init__(self, agreements, groups=None):
        self.groups = groups if groups is not None else {g.id: g for g in Group.select()}
        self.dates = GroupMeeting.dates_by_group({deciding_group_id(a) for a in agreements})

    def deciding_group(self, agreement):
        return self.groups.get(deciding_group_id(agreement))

    def deciding_meeting(self, agreement, due_on):
        """The DecidingMeeting for one deadline of the agreement, or None when no meeting comes before it."""
        group = self.deciding_group(agreement)
        if group is None:
            return None
        lead = group.lead_time_days if group.lead_time_days is not None else DEFAULT_LEAD_TIME_DAYS
        found = stages.deciding_meeting(self.dates.get(group.id, ()), due_on, lead)
        return DecidingMeeting(group, *found) if found else None
