"""Health of the web app's dependencies, for /healthz: the database and the scheduler.

The scheduler is healthy when its heartbeat is fresh (the process is running
and holds the scheduler lock), a reminder pass finished without error within
the last day, and nothing waits for a person: the last pass ended without an
error and planned every agreement, no failed send waits to be retried, and no
send was given up within the last day. Nothing here names hosts, addresses or
settings.
"""

import datetime
import time

from .db import db
from .domain import reminder_log
from .models import SchedulerRun, utcnow

# A scheduler that has not sent a heartbeat for this long is reported as not running.
STALE_HEARTBEAT = datetime.timedelta(minutes=3)
# The daily pass (plus retries) must have finished successfully within this time.
MAX_PASS_AGE = datetime.timedelta(hours=25)


def _plural(count, one, many):
    return f"{count} {one if count == 1 else many}"


def _iso(moment):
    return moment.replace(microsecond=0).isoformat() + "Z" if moment else None


def heartbeat_fresh(lease, now=None):
    """True when the scheduler lease has a heartbeat younger than STALE_HEARTBEAT."""
    now = now or utcnow()
    return bool(lease and lease.heartbeat_at and now - lease.heartbeat_at < STALE_HEARTBEAT)


def database():
    """{"ok": bool, "latency_ms": float} from a trivial query on a connection of its own."""
    started = time.perf_counter()
    try:
        db.connect(reuse_if_open=True)
        db.execute_sql("SELECT 1")
    except Exception:  # any driver error means "not reachable"
        return {"ok": False, "error": "unreachable"}
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 1)}


def scheduler(now=None):
    """The scheduler's heartbeat, its last successful pass, and what in the delivery log waits for a person.

    Needs a working database. `problems` lists every reason for not ok.
    """
    now = now or utcnow()
    lease = reminder_log.scheduler_lease()
    success = (
        SchedulerRun.select()
        .where(SchedulerRun.finished_at.is_null(False) & (SchedulerRun.error == ""))
        .order_by(SchedulerRun.finished_at.desc())
        .first()
    )
    latest = SchedulerRun.select().order_by(SchedulerRun.started_at.desc()).first()
    finished = (
        SchedulerRun.select()
        .where(SchedulerRun.finished_at.is_null(False))
        .order_by(SchedulerRun.finished_at.desc())
        .first()
    )
    trouble = reminder_log.trouble(since=now - MAX_PASS_AGE)
    problems = []
    if not heartbeat_fresh(lease, now):
        problems.append("no heartbeat: the scheduler is not running")
    if success is None:
        problems.append("no successful reminder pass yet")
    elif now - success.finished_at > MAX_PASS_AGE:
        problems.append("no successful reminder pass in the last 25 hours")
    if finished is not None and finished.error:
        problems.append("the last reminder pass failed")
    if trouble["unplanned_agreements"]:
        count = _plural(trouble["unplanned_agreements"], "agreement", "agreements")
        problems.append(f"the last reminder pass could not plan {count} (listed on /reminders)")
    if trouble["retrying"]:
        problems.append(
            f"{_plural(trouble['retrying'], 'failed reminder waits', 'failed reminders wait')} to be retried"
        )
    if trouble["given_up"]:
        count = _plural(trouble["given_up"], "reminder was", "reminders were")
        problems.append(f"{count} given up in the last 25 hours (listed on /reminders)")
    return {
        "ok": not problems,
        "problems": problems,
        "heartbeat_at": _iso(lease.heartbeat_at if lease else None),
        "next_run_at": _iso(lease.next_run_at if lease else None),
        "last_successful_run_at": _iso(success.finished_at if success else None),
        "last_run_failed": bool(latest and latest.error),
        "unplanned_agreements": trouble["unplanned_agreements"],
        "failed_reminders": trouble["retrying"],
        "given_up_reminders": trouble["given_up"],
    }


def report(only_database=False):
    """(healthy, body) for /healthz; only_database leaves the scheduler out (a load balancer's check)."""
    body = {"database": database()}
    if body["database"]["ok"] and not only_database:
        try:
            body["scheduler"] = scheduler()
        except Exception:  # the database went away between the two checks
            body["database"] = {"ok": False, "error": "unreachable"}
    if not body["database"]["ok"] and not only_database:
        body["scheduler"] = {"ok": False, "problems": ["unknown: the database is unreachable"]}
    healthy = all(part["ok"] for part in body.values())
    return healthy, {"status": "ok" if healthy else "unavailable", **body}
