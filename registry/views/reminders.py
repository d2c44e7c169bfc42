"""The scheduler's status and the delivery log."""

from flask import Blueprint, render_template
from peewee import fn

from scheduler import locks, reminders

from .. import health
from ..models import Agreement, Reminder, SchedulerLease, SchedulerRun

bp = Blueprint("reminders", __name__, url_prefix="/reminders")
RECENT_RUNS = 20
FAILED_ROWS = 100


@bp.get("", endpoint="status")
def status():
    """Last and next run, counts per state, recent runs and what failed."""
    lease = SchedulerLease.get_or_none(SchedulerLease.name == locks.SCHEDULER_LOCK)
    alive = health.heartbeat_fresh(lease)
    failed = (
        Reminder.select(Reminder, Agreement)
        .join(Agreement)
        .where(Reminder.state == "failed")
        .order_by(Reminder.next_attempt_at)
        .limit(FAILED_ROWS)
    )
    return render_template(
        "reminders/status.html",
        lease=lease,
        alive=alive,
        last_run=reminders.last_run(),
        runs=list(SchedulerRun.select().order_by(SchedulerRun.started_at.desc()).limit(RECENT_RUNS)),
        totals=reminders.totals(),
        failed=list(failed),
        failed_count=Reminder.select(fn.COUNT(Reminder.id)).where(Reminder.state == "failed").scalar(),
    )
