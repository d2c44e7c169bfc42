"""Reading the reminder delivery log and the scheduler's state, for pages and /healthz.

The scheduler process (scheduler/) writes these tables; the web app only reads
them, through this module, so that registry/ needs nothing from scheduler/.
"""

from peewee import fn

from ..models import Agreement, Reminder, SchedulerLease, SchedulerRun

# Named locks in the scheduler_lease table (scheduler/locks.py holds them).
PASS_LOCK = "reminder-pass"
SCHEDULER_LOCK = "scheduler"
# The stage of a delivery-log row that records a deadline the pass could not plan (no recipient).
# While the last pass could not plan it, its row is 'failed' with the reason; then 'skipped' ("resolved").
UNPLANNABLE = "unplannable"
# A send that fails for a reason sending again cannot fix (the message cannot be composed) is tried this
# many times, a day apart, then given up: 'failed' with no next attempt.
PERMANENT_ATTEMPTS = 3


def scheduler_lease():
    """The scheduler process's lease row (heartbeat, next run), or None before it ever ran."""
    return SchedulerLease.get_or_none(SchedulerLease.name == SCHEDULER_LOCK)


def last_run():
    return SchedulerRun.select().order_by(SchedulerRun.started_at.desc()).first()


def recent_runs(limit):
    return list(SchedulerRun.select().order_by(SchedulerRun.started_at.desc()).limit(limit))


def totals():
    """{state: count} over the whole delivery log."""
    return dict(Reminder.select(Reminder.state, fn.COUNT(Reminder.id)).group_by(Reminder.state).tuples())


def in_state(state):
    """Rows in `state`, as a condition found through the state index whatever else the query asks.

    Most of the log is 'sent' or 'skipped'; a planner whose statistics say
    only that (SQLite's do) scans the whole log for "state = 'failed' AND
    <another column>" rather than use the index. Asked for the ids first, it
    reads them from the index alone and then only those rows.
    """
    return Reminder.id.in_(Reminder.select(Reminder.id).where(Reminder.state == state))


_FAILED_SEND = in_state("failed") & (Reminder.stage != UNPLANNABLE)
_UNPLANNED = in_state("failed") & (Reminder.stage == UNPLANNABLE)


def failed(limit):
    """(the first `limit` failed sends with their agreements, soonest retry first, given up last; how many in all)."""
    rows = (
        Reminder.select(Reminder, Agreement)
        .join(Agreement)
        .where(_FAILED_SEND)
        .order_by(Reminder.next_attempt_at.asc(nulls="LAST"), Reminder.id)
        .limit(limit)
    )
    count = Reminder.select(fn.COUNT(Reminder.id)).where(_FAILED_SEND).scalar()
    return list(rows), count


def unplanned(limit):
    """(the deadlines the last pass could not plan, with their agreements and reasons; how many in all)."""
    rows = (
        Reminder.select(Reminder, Agreement)
        .join(Agreement)
        .where(_UNPLANNED)
        .order_by(Reminder.agreement, Reminder.kind)
        .limit(limit)
    )
    count = Reminder.select(fn.COUNT(Reminder.id)).where(_UNPLANNED).scalar()
    return list(rows), count


def trouble(since):
    """What /healthz needs of the log: {"unplanned_agreements", "retrying", "given_up"}.

    unplanned_agreements: agreements the last pass could not plan; retrying:
    failed sends waiting for their next attempt; given_up: failed sends with
    no next attempt whose last attempt was at or after `since`.
    """
    unplanned_agreements = Reminder.select(fn.COUNT(fn.DISTINCT(Reminder.agreement))).where(_UNPLANNED).scalar() or 0
    retrying = Reminder.select(fn.COUNT(Reminder.id)).where(_FAILED_SEND & Reminder.next_attempt_at.is_null(False))
    given_up = Reminder.select(fn.COUNT(Reminder.id)).where(
        _FAILED_SEND & Reminder.next_attempt_at.is_null() & (Reminder.updated_at >= since)
    )
    return {
        "unplanned_agreements": unplanned_agreements,
        "retrying": retrying.scalar() or 0,
        "given_up": given_up.scalar() or 0,
    }
