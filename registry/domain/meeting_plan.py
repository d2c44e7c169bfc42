"""Groups' meeting plans (årshjul), read from the tables: the rule, single meetings and cancelled days.

The date rules are pure (registry/rules/meetings.py); this module feeds them a
group's stored plan. `meetings(group, first, last)` is the one answer to "when
does this group meet between these days", for the group page, the API, the
agendas and the decide-by meetings of deadlines (registry/domain/schedule.py).
"""

from datetime import timedelta

from ..models import Group, GroupMeeting
from ..rules import meetings as rules

# How far the group page and the group list look ahead.
AHEAD_DAYS = 365


def plan_from(group, rows):
    """A rules.Plan from a group row and its GroupMeeting rows [(day, note, cancelled)]."""
    extra = tuple(day for day, _note, cancelled in rows if not cancelled)
    return rules.Plan(
        rule=group.meeting_rule or "",
        start=group.meeting_rule_start,
        extra=extra,
        cancelled=frozenset(day for day, _note, cancelled in rows if cancelled),
        notes=tuple((day, note) for day, note, cancelled in rows if note and not cancelled),
    )


def plans_for(group_ids, groups=None):
    """{group id: Plan} for these groups, in one query of meeting rows (and one of groups unless given)."""
    group_ids = {pk for pk in group_ids if pk is not None}
    if groups is None:
        groups = {g.id: g for g in Group.select().where(Group.id.in_(sorted(group_ids)))} if group_ids else {}
    rows = GroupMeeting.rows_by_group(group_ids)
    return {pk: plan_from(groups[pk], rows.get(pk, [])) for pk in group_ids if pk in groups}


def plan_of(group):
    """One group's Plan."""
    return plans_for({group.id}, {group.id: group})[group.id]


def meetings(group, first, last, plan=None):
    """The group's meetings from `first` to `last` (both included), in date order: rules.Meeting
    (meets_on, source "rule" or "extra", note). The rule's cancelled days are left out."""
    return (plan or plan_of(group)).between(first, last)


def coming(group, today, plan=None):
    """The group's meetings from today through the next AHEAD_DAYS days."""
    return meetings(group, today, today + timedelta(days=AHEAD_DAYS), plan)


def cancellations(group, first=None):
    """The group's cancelled planned days (GroupMeeting rows), in date order, from `first` when given."""
    query = GroupMeeting.select().where((GroupMeeting.group == group) & GroupMeeting.cancelled)
    if first is not None:
        query = query.where(GroupMeeting.meets_on >= first)
    return list(query.order_by(GroupMeeting.meets_on))


def single_meetings(group):
    """The group's single extra meetings (GroupMeeting rows), newest first."""
    query = GroupMeeting.select().where((GroupMeeting.group == group) & ~GroupMeeting.cancelled)
    return list(query.order_by(GroupMeeting.meets_on.desc()))


def describe(group):
    """The group's rule in words ("Andra fredagen varje månad utom juli")."""
    return rules.describe(group.meeting_rule, group.meeting_rule_start)
