"""An agreement's deadlines and the meeting that decides on them, from the stored facts.

The date rules themselves are pure (registry/rules/); this module feeds them
an agreement's rows: its review anchor (the last recorded review, else its
start), its deciding group and that group's meeting plan, its number of
parties and its notice period. Pages, the API, the calendar feeds, the
agendas and the reminder pass all ask here, so a deadline and its decide-by
meeting are computed the same way everywhere.

The decide-by meeting of a deadline is the deciding group's last meeting on
or before the deadline less the adoption lead (90 days when more than one
party must adopt, or a longer notice period); material is due the group's
lead time before it. ReKo meets the second Friday of each month except July:
an agreement of 14 parties that expires 2027-12-31 is decided on 2027-09-10,
its material due 2027-08-27, and advance reminders count from that day.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from peewee import fn

from ..i18n import genitive
from ..models import Agreement, AgreementParty, Group, Review
from ..rules import deadlines, meetings
from ..rules.months import add_months
from ..vocab import ACTIVE_STATUSES
from . import meeting_plan

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


def lead_time_of(group):
    """Days before a meeting that material for it is due (the group's lead time, else the default)."""
    return group.lead_time_days if group.lead_time_days is not None else DEFAULT_LEAD_TIME_DAYS


def material_due_on(group, meets_on):
    """The day material for the group's meeting on `meets_on` is due (its lead time before, on a working day)."""
    return meetings.material_due(meets_on, lead_time_of(group))


def party_counts(agreement_ids=(), where=None):
    """{agreement id: number of parties} (AgreementParty rows) of these agreements, or of those matching
    the condition `where` on Agreement, in one query; agreements without parties are left out. For many
    ids the whole table is counted rather than naming them in an IN list."""
    query = AgreementParty.select(AgreementParty.agreement, fn.COUNT(AgreementParty.id)).group_by(
        AgreementParty.agreement
    )
    if where is not None:
        query = query.join(Agreement).where(where)
    else:
        ids = [pk for pk in agreement_ids if pk is not None]
        if not ids:
            return {}
        if len(ids) <= PARTY_COUNT_IN_LIST:
            query = query.where(AgreementParty.agreement.in_(ids))
    return dict(query.tuples())


@dataclass(frozen=True)
class DecidingMeeting:
    """Where a deadline's decision belongs: the deciding group, the decide-by day (the deadline less the
    adoption lead) and the group's last meeting on or before it, with the day material for it is due.

    `meets_on` and `material_due_on` are None when there is no such meeting: either the group's
    meeting plan does not reach the decide-by day (`reaches` False: the register says so and picks
    no meeting), or the plan has no meeting before it.
    """

    group: Group
    decide_by: date
    meets_on: date | None
    material_due_on: date | None
    reaches: bool = True

    @property
    def found(self):
        return self.meets_on is not None

    @property
    def month(self):
        """The decide-by month, as "ReKo:s mötesplan räcker inte till 2028-09" names it."""
        return f"{self.decide_by:%Y-%m}"

    @property
    def problem(self):
        """Why there is no decide-by meeting, as a sentence ("ReKo:s mötesplan räcker inte till 2028-09."),
        in the page's language; None when there is one."""
        if self.found:
            return None
        name = genitive(self.group.display_name)
        if not self.reaches:
            return _("%(group)s mötesplan räcker inte till %(month)s.", group=name, month=self.month)
        return _("%(group)s mötesplan har inget möte före %(date)s.", group=name, date=self.decide_by.isoformat())

    def late(self, today):
        """Has the decide-by meeting been held already (while the deadline is still open)?"""
        return self.found and self.meets_on < today

    @property
    def advance_from(self):
        """The day advance reminders and the material event count from: the material day, when there
        is a decide-by meeting; else None (they count from the deadline itself)."""
        return self.material_due_on if self.found else None


class Meetings:
    """The deciding groups, their meeting plans and the agreements' party counts, read in a few queries."""

    def __init__(self, agreements=(), groups=None, group_ids=None):
        agreements = list(agreements)
        self.groups = groups if groups is not None else {g.id: g for g in Group.select()}
        wanted = set(group_ids or ()) | {deciding_group_id(a) for a in agreements}
        self.plans = meeting_plan.plans_for(wanted, self.groups)
        self.parties = party_counts([a.id for a in agreements])
        self._decided = {}  # many deadlines share a group, a date and the same adoption lead

    def deciding_group(self, agreement):
        return self.groups.get(deciding_group_id(agreement))

    def deciding_meeting(self, agreement, due_on):
        """The DecidingMeeting of one deadline of the agreement, or None when its deciding group has no
        meeting plan (no rule and no single meeting)."""
        return self.decide(
            deciding_group_id(agreement), due_on, self.parties.get(agreement.id, 0), agreement.notice_period_months
        )

    def safe_deciding_meeting(self, agreement, due_on):
        """deciding_meeting, or None when its days cannot be computed (see `decide`)."""
        try:
            return self.deciding_meeting(agreement, due_on)
        except (OverflowError, ValueError):
            return None

    def decide(self, group_id, due_on, parties, notice_period_months):
        """The DecidingMeeting of a deadline from plain facts: the deciding group's id, the deadline, the
        number of parties that must adopt, the notice period in months (None: none).

        Raises OverflowError (or ValueError) for days an older version stored near year 1 or 9999 that no
        material day can be computed from; callers show and remind of the deadline without its meeting
        (`safe_deciding_meeting`)."""
        key = (group_id, due_on, parties > 1, notice_period_months)
        if key in self._decided:
            return self._decided[key]
        group = self.groups.get(group_id)
        plan = self.plans.get(group_id)
        decided = None
        if group is not None and plan is not None:
            found = meetings.deciding_meeting(plan, due_on, parties, notice_period_months, lead_time_of(group))
            if found is not None:
                decided = DecidingMeeting(group, found.decide_by, found.meets_on, found.material_due_on, found.reaches)
        self._decided[key] = decided
        return decided

    def furthest_deadline(self, until):
        """The latest deadline whose material day can fall on or before `until`, over these groups' plans.

        Advance reminders count from the material day, which lies before the deadline by the adoption
        lead, the time back to the decide-by meeting and the lead time. The reminder pass reads the
        agreements whose deadlines come up to this day, not only those up to `until`.
        """
        furthest = until
        longest = adoption_lead_bound()
        for group_id, plan in self.plans.items():
            group = self.groups[group_id]
            if plan.empty:
                continue
            # A meeting whose material is due by `until` is held at most this late (working days move it back).
            held_by = until + timedelta(days=lead_time_of(group) + WORKING_DAY_SHIFT)
            after = plan.first_on_or_after(held_by + timedelta(days=1))
            # Decide-by days before the next meeting after that pick a meeting held by then.
            reach = (after or held_by) + longest
            furthest = max(furthest, reach)
        return furthest


# Previous working day: at most this many days back (a weekend with Christmas or midsummer).
WORKING_DAY_SHIFT = 7
# Party counts of up to this many agreements are asked for by id.
PARTY_COUNT_IN_LIST = 500


def adoption_lead_bound():
    """The longest adoption lead any active agreement has: ADOPTION_LEAD_DAYS, or its notice period."""
    months = (
        Agreement.select(fn.MAX(Agreement.notice_period_months)).where(Agreement.status.in_(ACTIVE_STATUSES)).scalar()
    )
    days = meetings.ADOPTION_LEAD_DAYS
    if months:
        days = max(days, int(months) * 31)
    return timedelta(days=days)
