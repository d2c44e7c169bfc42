"""Reading the reminder delivery log and the scheduler's state, for pages and /healthz.

The scheduler process (scheduler/) writes these tables; the web app only reads
them, through this module, so that registry/ needs nothing from scheduler/.
"""

from peewee import fn

from ..models import Agreement, Reminder, SchedulerLease, SchedulerRun

# Named locks in the scheduler_lease table (scheduler/locks.py holds them).
PASS_LOCK = "reminder-pass"
SCHEDULER_LOCK = "scheduler"


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


def failed(limit):
    """(the first `limit` failed sends with their agreements, soonest retry first; how many failed in all)."""
    rows = (
        Reminder.select(Reminder, Agreement)
        .join(Agreement)
        .where(Reminder.state == "failed")
        .order_by(Reminder.next_attempt_at)
        .limit(limit)
    )
    count = Reminder.select(fn.COUNT(Reminder.id)).where(Reminder.state == "failed").scalar()
    return list(rows), count
