"""The reminder pass: plan what is due (planning.py), record it, send digests, record the outcome (delivery.py).

Only one pass runs at a time (a database lock). Nothing one agreement or one
recipient holds stops a pass: a deadline that cannot be planned is recorded
as such (see planning.py) and a reminder that cannot be composed fails alone
(see delivery.py); everything else is planned and sent.
"""

from registry.db import db, optimize
from registry.domain import adoptions, personal_data
from registry.models import Agreement, Reminder, SchedulerRun, utcnow

from . import delivery, locks, planning
from .delivery import Digest, Item, PassResult, render, what  # noqa: F401  (importable from here)
from .planning import Unplanned, plan  # noqa: F401  (importable from here)
from .shared import chunks, log, reason

PASS_LOCK_WAIT_SECONDS = 600


def run_pass(day, trigger="cli", retry_failed_now=False):
    """One reminder pass as if today were `day`. Returns a PassResult.

    Failed sends are retried once their backoff has passed; `retry_failed_now`
    (a person running the command after fixing the mail server) retries them
    all at once.
    """
    result = PassResult(day)
    with locks.held(locks.PASS_LOCK, wait_seconds=PASS_LOCK_WAIT_SECONDS):
        run = SchedulerRun.create(run_for=day, trigger=trigger)
        try:
            delivery.requeue_sending()
            # Drafts every party has adopted enter into force on their start date (then they have deadlines).
            for agreement_id in adoptions.enter_into_force_due(day):
                log.info("agreement %s entered into force: every party has adopted it", agreement_id)
            # Record what is due, one transaction per chunk of the register.
            for to_send, to_skip, unplanned in planning.plan_chunks(day):
                with db.atomic():
                    delivery.record(to_send, "pending")
                    result.skipped += delivery.record(to_skip, "skipped")
                result.unplanned.extend(unplanned)
            delivery.record_unplanned(result.unplanned, day)
            now = utcnow()
            sendable = delivery.drop_stale(now, retry_failed_now, result)
            sendable, superseded = delivery.latest_per_deadline(sendable, now)
            result.stale += superseded
            digests, broken = delivery.digests(sendable, day)
            delivery.fail_broken(broken, result)
            delivery.send_all(digests, result)
        except Exception as exc:
            run.error = f"{exc.__class__.__name__}: {exc}"
            raise
        finally:
            run.sent, run.skipped, run.failed = result.sent, result.skipped + result.stale, result.failed
            run.finished_at = utcnow()
            run.save()
    if result.unplanned:
        log.warning("%s deadlines could not be planned (listed on /reminders)", len(result.unplanned))
    # Once a day: failed logins older than their retention go (docs/privacy.md) ...
    personal_data.forget_old_login_failures(utcnow())
    # ... and, after reading the whole horizon, the planner's statistics are kept current.
    optimize()
    return result


def dry_run(day):
    """What a pass for `day` would send and skip, recording nothing."""
    unplanned = []
    to_send, to_skip = plan(day, unplanned)
    now = utcnow()
    pending = [r for r in delivery.sendable(now) if delivery.still_applies(r, r.agreement)]
    agreements = {}
    for chunk in chunks({row["agreement"] for row in to_send}):
        agreements.update((a.id, a) for a in Agreement.select().where(Agreement.id.in_(chunk)))
    planned = [Reminder(**{**row, "agreement": agreements[row["agreement"]]}) for row in to_send]
    result = PassResult(day, skipped=len(to_skip), unplanned=unplanned)
    result.digests, broken = delivery.digests(pending + planned, day)
    result.sent = sum(len(d.items) for d in result.digests)
    result.failed = len(broken)
    result.errors = [f"{r.recipient}: {reason(exc)}" for r, exc in broken]
    return result
