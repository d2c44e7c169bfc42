"""The scheduler process: the only place where reminder jobs are scheduled.

Started by `flask --app wsgi scheduler`, never by the web app. It takes the
scheduler lock (a second process started by mistake waits as a standby and
takes over when the first one stops), runs a catch-up pass at once, then a pass
every day at REMINDER_SEND_TIME and a retry pass every REMINDER_RETRY_MINUTES.
The database, not APScheduler's in-memory job store, is the source of truth: a
pass asks "what is due and not yet sent?", so nothing is lost while the
process is down.
"""

import datetime
import logging
import signal
import threading
from zoneinfo import ZoneInfo

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import current_app

from registry.db import db
from registry.models import utcnow

from . import locks, reminders

log = logging.getLogger("scheduler")
HEARTBEAT_SECONDS = 30
STANDBY_POLL_SECONDS = 15


def send_time(app=None):
    app = app or current_app
    hours, _, minutes = app.config["REMINDER_SEND_TIME"].partition(":")
    try:
        return datetime.time(int(hours), int(minutes or 0))
    except ValueError:
        raise RuntimeError(f"REMINDER_SEND_TIME must be HH:MM, got {app.config['REMINDER_SEND_TIME']!r}") from None


def effective_day(now, at):
    """The day a pass at `now` works for: today from the send time on, else yesterday."""
    return now.date() if now.time() >= at else now.date() - datetime.timedelta(days=1)


def tick(app, trigger):
    """One pass in its own app context and connection; errors are logged, never fatal."""
    with app.app_context():
        try:
            db.connect(reuse_if_open=True)
            zone = ZoneInfo(app.config["SCHEDULER_TIMEZONE"])
            day = effective_day(datetime.datetime.now(zone), send_time(app))
            result = reminders.run_pass(day, trigger=trigger)
            log.info("reminder pass (%s) %s", trigger, result.summary())
        except locks.LockBusy:
            log.warning("reminder pass (%s) skipped: another pass is running", trigger)
        except Exception:
            log.exception("reminder pass (%s) failed; the next pass retries", trigger)
        finally:
            if not db.is_closed():
                db.close()


def _heartbeat(app, scheduler, held_by, lost):
    """Record that this scheduler is alive; stop its jobs if it no longer holds the scheduler lock.

    On PostgreSQL the lock lives as long as the main thread's connection: if
    the server ended that connection (a restart, an administrator, an idle
    timeout), a standby takes over, and this process must stop scheduling.
    """
    with app.app_context():
        try:
            db.connect(reuse_if_open=True)
            if not locks.still_held(locks.SCHEDULER_LOCK, held_by):
                log.error(
                    "lost the scheduler lock (its database connection was closed); "
                    "stopping this scheduler's jobs and standing by, so that only one scheduler is active"
                )
                lost.set()
                scheduler.shutdown(wait=False)
                return
            job = scheduler.get_job("daily-reminders")
            next_run = job.next_run_time.astimezone(datetime.UTC).replace(tzinfo=None) if job else None
            locks.heartbeat(locks.SCHEDULER_LOCK, next_run)
        except Exception:
            log.exception("heartbeat failed")
        finally:
            if not db.is_closed():
                db.close()


def _close_quietly():
    """Close this thread's connection, which may already be dead."""
    try:
        if not db.is_closed():
            db.close()
    except Exception:  # a connection the server ended cannot be closed cleanly
        pass


def _first_line(exc):
    return (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]


def _wait_for_leadership(stopping):
    """Block until this process holds the scheduler lock (on the main thread's connection).

    Returns False if the process was asked to stop while standing by. A
    database that cannot be reached while standing by is logged and tried
    again at the next poll.
    """
    announced = unreachable = False
    while True:
        poll = STANDBY_POLL_SECONDS
        try:
            db.connect(reuse_if_open=True)
            if locks.try_acquire(locks.SCHEDULER_LOCK):
                break
            if not announced:
                holder = locks.holder_of(locks.SCHEDULER_LOCK) or "another process"
                log.warning("another scheduler is active (%s); standing by", holder)
                announced = True
            unreachable = False
        except Exception as exc:  # the database went away: keep trying, it is the only source of truth
            if not unreachable:
                log.error("cannot reach the database (%s); trying again", _first_line(exc))
                # Often only this connection was ended (a restart, an idle timeout): a new one may work at once.
                poll = 1
                unreachable = True
            _close_quietly()
        if stopping.wait(poll):
            log.info("stopping while standing by")
            return False
    log.info("this process is the active scheduler")
    return True


def _release_quietly():
    try:
        locks.release(locks.SCHEDULER_LOCK)
    except Exception as exc:  # the connection is gone, and the database freed the lock with it
        log.warning("could not release the scheduler lock (%s); the database frees it anyway", _first_line(exc))
        _close_quietly()


def _scheduler(app, at, zone, held_by, lost):
    scheduler = BlockingScheduler(
        timezone=zone,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 6 * 3600},
    )
    scheduler.add_job(
        tick,
        CronTrigger(hour=at.hour, minute=at.minute, timezone=zone),
        args=(app, "daily"),
        id="daily-reminders",
        replace_existing=True,
    )
    scheduler.add_job(
        tick,
        IntervalTrigger(minutes=app.config["REMINDER_RETRY_MINUTES"], timezone=zone),
        args=(app, "retry"),
        id="retry-reminders",
        replace_existing=True,
    )
    scheduler.add_job(
        _heartbeat,
        IntervalTrigger(seconds=HEARTBEAT_SECONDS, timezone=zone),
        args=(app, scheduler, held_by, lost),
        id="heartbeat",
        replace_existing=True,
        next_run_time=datetime.datetime.now(zone),
    )
    scheduler.add_job(tick, args=(app, "startup"), id="catch-up", next_run_time=datetime.datetime.now(zone))
    return scheduler


def run_forever():
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    app = current_app._get_current_object()
    at = send_time(app)
    zone = ZoneInfo(app.config["SCHEDULER_TIMEZONE"])
    stopping = threading.Event()
    running = []  # the APScheduler of the current term as active scheduler, if any

    def stop(signum, frame):
        log.info("stopping (signal %s)", signum)
        stopping.set()
        for scheduler in running:
            if scheduler.running:
                scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while _wait_for_leadership(stopping):
        lost = threading.Event()
        scheduler = _scheduler(app, at, zone, locks.token(locks.SCHEDULER_LOCK), lost)
        running[:] = [scheduler]
        if stopping.is_set():
            _release_quietly()
            return
        log.info(
            "scheduler started: daily pass at %s %s, retries every %s min",
            at.strftime("%H:%M"),
            zone.key,
            app.config["REMINDER_RETRY_MINUTES"],
        )
        try:
            scheduler.start()
        finally:
            running.clear()
            _release_quietly()
        if not lost.is_set() or stopping.is_set():
            break
        _close_quietly()  # the dead connection; standing by opens a new one
    log.info("scheduler stopped at %s", utcnow().isoformat(timespec="seconds"))
