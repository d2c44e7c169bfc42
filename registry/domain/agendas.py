"""The agenda of a meeting: the agreements whose decision belongs there, as computed and as edited.

Computed: an agreement's deadline (its expiry, its next follow-up, the new version of an agreement
under revision, a draft's adoption by its parties) belongs to its decide-by meeting: the deciding
group's last meeting on or before the deadline less the adoption lead
(registry/domain/schedule.py). A decision that is late, its decide-by meeting held without it, is
also on the group's next meeting from today (`carried`), so nothing open drops off the agendas; the
past meeting keeps it, undecided.

Edited: the secretary adds an item, takes one off, moves one to another meeting, and records the
decision the meeting took (registry/domain/agenda_edits.py). Each edit is an `AgendaEntry` row; a
deadline that has one is placed by its rows, never by the computation again. A row on a day the
group no longer meets (the meeting was cancelled after) is shown at the group's next meeting, unless
it holds a decision.

Computed here, in one place, for the meeting page, the group page, the dashboard and
`GET /api/v1/meetings`.
"""

from dataclasses import dataclass
from datetime import date

from peewee import fn

from .. import clock
from ..collation import sv_key
from ..models import AgendaEntry, Agreement, Review
from ..vocab import ACTIVE_STATUSES
from . import adoptions, meeting_plan, schedule

ADOPTION = "adoption"
OTHER = "other"


@dataclass(frozen=True)
class AgendaItem:
    """One item of a meeting's agenda: a deadline of an agreement (or another matter), where the
    computation places it (`decision`: its DecidingMeeting, None for added matters), and the
    secretary's row for it, if any."""

    agreement: Agreement
    kind: str  # expiry | review | revision | adoption | other
    due_on: date
    decision: schedule.DecidingMeeting | None = None
    entry: AgendaEntry | None = None
    carried: bool = False  # late: its decide-by meeting was held without it

    @property
    def key(self):
        """What names the item across meetings: agreement, kind and deadline."""
        return (self.agreement.id, self.kind, self.due_on)

    @property
    def token(self):
        return token_of(self.key)

    @property
    def meeting(self):
        """The decide-by meeting the computation finds (kept for older callers): `decision`."""
        return self.decision

    @property
    def removed(self):
        return self.entry is not None and self.entry.removed

    @property
    def outcome(self):
        return self.entry.outcome if self.entry is not None else ""

    @property
    def decision_ref(self):
        return self.entry.decision_ref if self.entry is not None else ""

    @property
    def decided(self):
        return bool(self.outcome)

    @property
    def computed_on(self):
        """The meeting the computation would place the item at (None: none, or an added matter)."""
        return self.decision.meets_on if self.decision is not None and self.decision.found else None


def token_of(key):
    """An item's key as one form value: "12:review:2027-03-01"."""
    agreement_id, kind, due_on = key
    return f"{agreement_id}:{kind}:{due_on.isoformat()}"


def parse_token(value):
    """(agreement id, kind, due_on) from an item's token, or None when it is not one."""
    parts = (value or "").split(":")
    if len(parts) != 3 or not parts[0].isdigit():
        return None
    try:
        return int(parts[0]), parts[1], date.fromisoformat(parts[2])
    except ValueError:
        return None


def decided_by(group):
    """SQL: the agreements whose decisions `group` takes (its decision body, else its responsible group)."""
    return (Agreement.decision_body == group.id) | (
        Agreement.decision_body.is_null() & (Agreement.responsible_group == group.id)
    )


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


def _open_deadlines(group):
    """[(agreement, kind, due_on)] of every open deadline the group decides: the active agreements'
    deadlines and the drafts' adoption dates."""
    decides = decided_by(group)
    agreements = list(Agreement.select().where(decides & Agreement.status.in_(ACTIVE_STATUSES)))
    reviewed = _last_reviews([a.id for a in agreements])
    found = []
    for agreement in agreements:
        try:
            deadlines = schedule.deadlines_of(agreement, reviewed.get(agreement.id))
        except (OverflowError, ValueError):  # dates an older version stored: no deadline to place
            continue
        found.extend((agreement, d.kind, d.due_on) for d in deadlines)
    drafts = {a.id: a for a in Agreement.select().where(decides & (Agreement.status == "draft"))}
    for agreement_id, opened in adoptions.open_adoptions(list(drafts)).items():
        found.append((drafts[agreement_id], ADOPTION, opened.due_on))
    return found


def _entries(group):
    return list(
        AgendaEntry.select(AgendaEntry, Agreement)
        .join(Agreement)
        .where(AgendaEntry.group == group.id)
        .order_by(AgendaEntry.id)
    )


def _placed_on(entry, plan, days):
    """The meeting day an entry's item is shown at: its own day, or (undecided, on a day the group no
    longer meets) the group's next meeting after it."""
    if entry.outcome or entry.meets_on in days:
        return entry.meets_on
    moved = plan.first_on_or_after(entry.meets_on)
    return moved if moved is not None else entry.meets_on


def agendas(group, first, last, plan=None, today=None, removed=False):
    """[(rules.Meeting, [AgendaItem])] of the group's meetings from `first` to `last`, in date order; each
    agenda lists its deadlines soonest first. Items taken off a meeting are left out unless `removed`."""
    plan = plan or meeting_plan.plan_of(group)
    found = plan.between(first, last)
    if not found:
        return []
    today = today or clock.today()
    days = {m.meets_on for m in found}
    next_meeting = plan.first_on_or_after(today)
    entries = _entries(group)
    edited = {(e.agreement_id, e.kind, e.due_on) for e in entries}
    deadlines = [d for d in _open_deadlines(group) if (d[0].id, d[1], d[2]) not in edited]
    meetings = schedule.Meetings([d[0] for d in deadlines], groups={group.id: group})
    items = {}
    for agreement, kind, due_on in deadlines:
        decision = meetings.safe_deciding_meeting(agreement, due_on)
        if decision is None or not decision.found:
            continue
        if decision.meets_on in days:
            items.setdefault(decision.meets_on, []).append(AgendaItem(agreement, kind, due_on, decision))
        if decision.meets_on < today and next_meeting in days:
            items.setdefault(next_meeting, []).append(AgendaItem(agreement, kind, due_on, decision, carried=True))
    placed = [(e, _placed_on(e, plan, days)) for e in entries]
    placed = [(e, day) for e, day in placed if day in days and (removed or not e.removed)]
    if placed:
        meetings = schedule.Meetings([e.agreement for e, _day in placed], groups={group.id: group})
    for entry, day in placed:
        decision = None
        if entry.kind != OTHER:
            decision = meetings.safe_deciding_meeting(entry.agreement, entry.due_on)
        items.setdefault(day, []).append(AgendaItem(entry.agreement, entry.kind, entry.due_on, decision, entry))
    for listed in items.values():
        listed.sort(key=lambda item: (item.removed, item.due_on, sv_key(item.agreement.title), item.agreement.id))
    return [(meeting, items.get(meeting.meets_on, [])) for meeting in found]


def agenda(group, meets_on, today=None, removed=False):
    """The agenda of the group's meeting on `meets_on`: [AgendaItem], or [] when it does not meet then."""
    for _meeting, items in agendas(group, meets_on, meets_on, today=today, removed=removed):
        return items
    return []


def next_meetings(groups, today):
    """[(group, rules.Meeting, [AgendaItem])]: the next meeting from today of each of `groups` that meets
    within meeting_plan.AHEAD_DAYS, with its agenda; soonest first."""
    found = []
    for group in groups:
        plan = meeting_plan.plan_of(group)
        upcoming = plan.first_on_or_after(today)
        if upcoming is None or (upcoming - today).days > meeting_plan.AHEAD_DAYS:
            continue
        for meeting, items in agendas(group, upcoming, upcoming, plan, today=today):
            found.append((group, meeting, items))
    found.sort(key=lambda row: (row[1].meets_on, sv_key(row[0].name)))
    return found
