"""Reminder passes and the scheduler as real processes (`python -m flask --app wsgi ...`).

Each test runs on a SQLite file and in a PostgreSQL schema holding the demo
data, with the processes sending to a real SMTP server on loopback. Every wait
is bounded (no test takes more than about 30 s) and every process started here
is killed in a `finally` block.
"""

import signal
import time

from scheduler import service
from tests.processes import Proc, delivery_log, demo_db, env_for  # noqa: F401
from tests.smtp import smtp_server  # noqa: F401

# demo_db and smtp_server are pytest fixtures: test arguments of those names are not redefinitions.
# ruff: noqa: F811

# The standby looks for the lock every STANDBY_POLL_SECONDS; allow that plus start-up and a pass.
TAKEOVER_SECONDS = service.STANDBY_POLL_SECONDS + 10


def test_two_reminder_runs_at_the_same_moment_send_each_reminder_once(demo_db, database_url, smtp_server, tmp_path):
    env = env_for(database_url, smtp_server)
    procs = []
    try:
        for n in (1, 2):
            procs.append(Proc(["reminders", "run", "--today", "2026-07-03"], env, tmp_path / f"run{n}.log"))
        codes = [p.wait(timeout=25) for p in procs]
        outputs = [p.output() for p in procs]
    finally:
        for p in procs:
            p.kill()
    assert codes == [0, 0], outputs
    summaries = sorted(out.strip().splitlines()[-1] for out in outputs)
    # One pass did the work; the other waited for the lock and found nothing left.
    assert summaries[0] == "2026-07-03: 0 sent, 0 skipped, 0 failed, 0 digests", outputs
    # Läkaruppdrag's advance reminders count from 2026-08-28, the material day of ReKo's meeting on
    # 2026-09-11: its 180- and 90-day stages are both due, so catch-up sends one and skips one for each of
    # its three recipients.
    assert summaries[1].startswith("2026-07-03: 47 sent, 47 skipped, 0 failed, 7 digests"), outputs

    counts = smtp_server.per_recipient()
    assert set(counts.values()) == {1}, counts
    assert len(counts) == 7
    assert len({m.message_id for m in smtp_server.messages}) == 7
    sent, others, runs = delivery_log(demo_db)
    assert len(sent) == 47 and {r.attempts for r in sent} == {1}
    assert others == {"skipped"}
    assert sorted((r.sent, r.failed) for r in runs) == [(0, 0), (47, 0)]
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
