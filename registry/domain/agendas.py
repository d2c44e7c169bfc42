"""The agenda of a meeting: the agreements whose decision belongs there.

An agreement's deadline (its expiry, its next follow-up, the new version of an
agreement under revision) belongs to its decide-by meeting: the deciding
group's last meeting on or before the deadline less the adoption lead
(registry/domain/schedule.py). A meeting's agenda is every open deadline whose
decide-by meeting it is. The agenda is computed here, in one place, for the
group page and `GET /api/v1/meetings`.
"""

from dataclasses import dataclass
from datetime import date

from peewee import fn

from ..collation import sv_key
from ..models import Agreement, Review
from ..vocab import ACTIVE_STATUSES
from . import meeting_plan, schedule


@dataclass(frozen=True)
class AgendaItem:
    """One deadline on a meeting's agenda."""

    agreement: Agreement
    kind: str  # expiry | review | revision
    due_on: date
    meeting: schedule.DecidingMeeting


def decided_by(group):
    """SQL: the active agreements whose decisions `group` takes (its decision body, else its responsible group)."""
    decides = (Agreement.decision_body == group.id) | (
        Agreement.decision_body.is_null() & (Agreement.responsible_group == group.id)
    )
    return Agreement.status.in_(ACTIVE_STATUSES) & decides


def _last_reviews(agreement_ids):
    if not agreement_ids:
        return {}
    rows = (
        Review.select(Review.agreement, fn.MAX(Review.reviewed_on))
        .where(Review.agreement.in_(agreement_ids))
        .group_by(Review.agreement)
        .tuples()
    )
    return {pk: _as_date(day) for pk, day in rows}


def _as_date(value):
    # Aggregates come back as text on SQLite.
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


def agendas(group, first, last, plan=None):
    """[(rules.Meeting, [AgendaItem])] of the group's meetings from `first` to `last`, in date order; each
    agenda lists its deadlines soonest first."""
    plan = plan or meeting_plan.plan_of(group)
    found = plan.between(first, last)
    if not found:
        return []
    days = {m.meets_on for m in found}
    agreements = list(Agreement.select().where(decided_by(group)))
    reviewed = _last_reviews([a.id for a in agreements])
    meetings = schedule.Meetings(agreements, groups={group.id: group})
    items = {}
    for agreement in agreements:
        try:
            deadlines = schedule.deadlines_of(agreement, reviewed.get(agreement.id))
        except (OverflowError, ValueError):  # dates an older version stored: no deadline to place
            continue
        for deadline in deadlines:
            decision = meetings.safe_deciding_meeting(agreement, deadline.due_on)
            if decision is not None and decision.found and decision.meets_on in days:
                items.setdefault(decision.meets_on, []).append(
                    AgendaItem(agreement, deadline.kind, deadline.due_on, decision)
                )
    for listed in items.values():
        listed.sort(key=lambda item: (item.due_on, sv_key(item.agreement.title), item.agreement.id))
    return [(meeting, items.get(meeting.meets_on, [])) for meeting in found]


def agenda(group, meets_on):
    """The agenda of the group's meeting on `meets_on`: [AgendaItem], or [] when it does not meet then."""
    for _meeting, items in agendas(group, meets_on, meets_on):
        return items
    return []
