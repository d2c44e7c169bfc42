"""The scheduler's status and the delivery log."""

from flask import Blueprint, render_template

from .. import health
from ..domain import reminder_log

bp = Blueprint("reminders", __name__, url_prefix="/reminders")
RECENT_RUNS = 20
FAILED_ROWS = 100
UNPLANNED_ROWS = 100


@bp.get("", endpoint="status")
def status():
    """Last and next run, counts per state, recent runs, what could not be planned and what failed."""
    lease = reminder_log.scheduler_lease()
    failed, failed_count = reminder_log.failed(FAILED_ROWS)
    unplanned, unplanned_count = reminder_log.unplanned(UNPLANNED_ROWS)
    return render_template(
        "reminders/status.html",
        lease=lease,
        alive=health.heartbeat_fresh(lease),
        last_run=reminder_log.last_run(),
        runs=reminder_log.recent_runs(RECENT_RUNS),
        totals=reminder_log.totals(),
        failed=failed,
        failed_count=failed_count,
        unplanned=unplanned,
        unplanned_count=unplanned_count,
        permanent_attempts=reminder_log.PERMANENT_ATTEMPTS,
    )
