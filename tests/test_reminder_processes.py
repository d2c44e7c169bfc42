"""Reminder passes and the scheduler as real processes (`python -m flask --app wsgi ...`).

Each test runs on a SQLite file and in a PostgreSQL schema holding the demo
data, with the processes sending to a real SMTP server on loopback. Every wait
is bounded (no test takes more than about 30 s) and every process started here
is killed in a `finally` block.
"""

import datetime
import signal
import time

from scheduler import reminders, service
from tests.processes import Proc, connected, delivery_log, demo_db, env_for  # noqa: F401
from tests.smtp import smtp_server  # noqa: F401

# demo_db and smtp_server are pytest fixtures: test arguments of those names are not redefinitions.
# ruff: noqa: F811

# The standby looks for the lock every STANDBY_POLL_SECONDS; allow that plus start-up and a pass.
TAKEOVER_SECONDS = service.STANDBY_POLL_SECONDS + 10
DAY = datetime.date(2026, 7, 3)


def test_two_reminder_runs_at_the_same_moment_send_each_reminder_once(demo_db, database_url, smtp_server, tmp_path):
    # What one pass must do on the demo data, planned in this process without recording anything (the same
    # planner the processes run): the figures follow the demo data rather than being copied from it.
    with connected(demo_db):
        planned = reminders.dry_run(DAY)
        recipients = {d.recipient for d in planned.digests}
    assert planned.sent and planned.skipped and not planned.failed
    env = env_for(database_url, smtp_server)
    procs = []
    try:
        for n in (1, 2):
            procs.append(Proc(["reminders", "run", "--today", DAY.isoformat()], env, tmp_path / f"run{n}.log"))
        codes = [p.wait(timeout=25) for p in procs]
        outputs = [p.output() for p in procs]
    finally:
        for p in procs:
            p.kill()
    assert codes == [0, 0], outputs
    summaries = sorted(out.strip().splitlines()[-1] for out in outputs)
    # One pass did the work; the other waited for the lock and found nothing left.
    assert summaries[0] == "2026-07-03: 0 sent, 0 skipped, 0 failed, 0 digests", outputs
    # Catch-up sends the latest due stage of each deadline and skips the earlier ones (Läkaruppdrag's 180- and
    # 90-day stages, counted from the material day of ReKo's meeting on 2026-09-11, are both due: one is sent).
    digests = len(planned.digests)
    expected = f"2026-07-03: {planned.sent} sent, {planned.skipped} skipped, 0 failed, {digests} digests"
    assert summaries[1].startswith(expected), outputs

    counts = smtp_server.per_recipient()
    assert set(counts.values()) == {1}, counts
    assert set(counts) == recipients
    assert len({m.message_id for m in smtp_server.messages}) == digests
    sent, others, runs = delivery_log(demo_db)
    assert len(sent) == planned.sent and {r.attempts for r in sent} == {1}
    assert others == {"skipped"}
    assert sorted((r.sent, r.failed) for r in runs) == [(0, 0), (planned.sent, 0)]
    assert all(r.finished_at is not None and r.error == "" for r in runs)


def test_scheduler_standby_takes_over_after_kill_and_stops_on_sigterm(demo_db, database_url, smtp_server, tmp_path):
    env = env_for(database_url, smtp_server)
    procs = [Proc(["scheduler"], env, tmp_path / f"scheduler{n}.log") for n in (1, 2)]
    try:
        started = time.monotonic()
        assert any(p.wait_for("this process is the active scheduler", 15) for p in procs), [p.output() for p in procs]
        active = next(p for p in procs if "this process is the active scheduler" in p.output())
        standby = next(p for p in procs if p is not active)
        assert standby.wait_for("standing by", 10), standby.output()
        assert "this process is the active scheduler" not in standby.output()

        # The active scheduler does a catch-up pass at once.
        assert active.wait_for("reminder pass (startup)", 15), active.output()
        assert "reminder pass (startup) failed" not in active.output()
        delivered = smtp_server.messages
        assert delivered, active.output()
        assert set(smtp_server.per_recipient().values()) == {1}

        active.popen.send_signal(signal.SIGKILL)
        active.wait(timeout=10)  # reaped: its pid is gone, as is its database connection
        killed_at = time.monotonic()

        assert standby.wait_for("this process is the active scheduler", TAKEOVER_SECONDS), standby.output()
        took_over = time.monotonic() - killed_at
        assert standby.wait_for("reminder pass (startup)", 15), standby.output()
        assert "reminder pass (startup) failed" not in standby.output()
        # Its catch-up pass finds everything already sent.
        assert "0 sent" in standby.output().split("reminder pass (startup)", 1)[1].splitlines()[0]
        assert len(smtp_server.messages) == len(delivered)

        # A third scheduler started now stands by, and SIGTERM ends it without it ever becoming active.
        third = Proc(["scheduler"], env, tmp_path / "scheduler3.log")
        procs.append(third)
        assert third.wait_for("standing by", 10), third.output()
        third.popen.send_signal(signal.SIGTERM)
        third.wait(timeout=5)
        assert "this process is the active scheduler" not in third.output()

        standby.popen.send_signal(signal.SIGTERM)
        assert standby.wait(timeout=15) == 0, standby.output()
        log = standby.output()
        assert "stopping (signal 15)" in log and "scheduler stopped" in log
        assert "Traceback" not in log, log
        assert took_over <= TAKEOVER_SECONDS
        assert time.monotonic() - started < 45
    finally:
        for p in procs:
            p.kill()
    _sent, _others, runs = delivery_log(demo_db)
    assert [r.trigger for r in runs] == ["startup", "startup"]
    assert all(r.finished_at is not None and r.error == "" for r in runs)
