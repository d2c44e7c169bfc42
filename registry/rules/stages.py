"""When to remind of a deadline: the reminder stages and the catch-up rule.

Pure functions of dates. A stage is "before:N" (N days before the deadline,
moved back to the previous working day) or "overdue:N" (N days after it: the
next day, then every `overdue_every` days, moved forward to the next working
day, since an overdue notice cannot go out before the deadline has passed).
"""

from dataclasses import dataclass
from datetime import timedelta

from .workdays import next_working_day, previous_working_day


@dataclass(frozen=True)
class Stage:
    code: str
    send_on: object
    overdue: bool


def stages(kind, due_on, policy, until):
    """Every stage of one deadline whose send date is on or before `until`, in send order."""
    found = []
    for offset in policy.offsets(kind):
        send_on = previous_working_day(due_on - timedelta(days=offset))
        if send_on <= until:
            found.append(Stage(f"before:{offset}", send_on, False))
    days_after = 1
    while due_on + timedelta(days=days_after) <= until:
        send_on = next_working_day(due_on + timedelta(days=days_after))
        if send_on <= until:
            found.append(Stage(f"overdue:{days_after}", send_on, True))
        days_after += policy.overdue_every
    return sorted(found, key=_order)


def _order(stage):
    """Send date first; on the same day a later stage (fewer days left) comes last."""
    kind, _, days = stage.code.partition(":")
    return (stage.send_on, kind == "overdue", int(days) if kind == "overdue" else -int(days))


def catch_up(due, recorded):
    """Split the due stages of one deadline for one recipient into (send, skip).

    Only the latest due stage is sent; earlier advance stages ("before:N") not
    yet recorded are recorded as skipped. Missed repeats of an overdue notice
    are not recorded: they are the same notice again, and a deadline overdue
    for years would otherwise leave one row per missed week. If the latest is
    already recorded, nothing is sent.
    """
    if not due:
        return None, []
    latest = due[-1]
    skip = [s for s in due[:-1] if s.code not in recorded and not s.overdue]
    return (None if latest.code in recorded else latest), skip


def deciding_meeting(meeting_dates, due_on, lead_time_days):
    """The last meeting strictly before the deadline and the day material is due, or None."""
    before = [d for d in meeting_dates if d < due_on]
    if not before:
        return None
    meeting = max(before)
    return meeting, previous_working_day(meeting - timedelta(days=lead_time_days))
