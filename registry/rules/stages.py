"""When to remind of a deadline: the reminder stages and the catch-up rule.

Pure functions of dates. A stage is "before:N" (N days before the deadline,
moved back to the previous working day) or "overdue:N" (N days after it: the
next day, then every `overdue_every` days, moved forward to the next working
day, since an overdue notice cannot go out before the deadline has passed).

`due_stages` is the one stage engine: the reminder pass plans from it and the
tests check it (tests/test_stages.py, against a naive reference that lists
every repeat).
"""

from dataclasses import dataclass
from datetime import timedelta

from .workdays import next_working_day, previous_working_day


@dataclass(frozen=True)
class Stage:
    code: str
    send_on: object
    overdue: bool


def due_stages(kind, due_on, policy, day, advance_from=None):
    """The stages of one deadline whose send date is on or before `day`, as catch-up needs them.

    Every advance stage ("before:N") that is due, then the latest overdue
    repeat that is due, in send order (on the same day a later stage, with
    fewer days left, comes last). Earlier overdue repeats are left out: they
    are the same notice again, which catch-up neither sends nor records, so a
    deadline overdue for years costs a few steps, not one per missed repeat.

    Advance stages count from `advance_from` when given (the day material is due
    for the deadline's decide-by meeting: "before:30" is 30 days before it), else
    from the deadline; overdue notices always count from the deadline itself.

    Raises OverflowError for a deadline so close to year 1 (or 9999) that its
    send dates fall outside the calendar; the pass reports such a deadline.
    """
    found = []
    counted_from = due_on if advance_from is None else advance_from
    for offset in policy.offsets(kind):
        send_on = previous_working_day(counted_from - timedelta(days=offset))
        if send_on <= day:
            found.append(Stage(f"before:{offset}", send_on, False))
    found.sort(key=_order)
    every = policy.overdue_every
    repeat = ((day - due_on).days - 1) // every  # the last repeat whose nominal date is on or before `day`
    while repeat >= 0:
        days_after = 1 + repeat * every
        send_on = next_working_day(due_on + timedelta(days=days_after))
        if send_on <= day:  # else it moved forward past `day`: the one before it is the latest
            found.append(Stage(f"overdue:{days_after}", send_on, True))
            break
        repeat -= 1
    return tuple(found)


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
